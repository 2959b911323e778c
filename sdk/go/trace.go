package lore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// TraceContext is a W3C trace context: a trace id, the current span, and
// the sampled flag.
type TraceContext struct {
	TraceID      [16]byte
	SpanID       [8]byte
	ParentSpanID [8]byte // the span this one was started from, when known
	Sampled      bool
}

// IsValid reports whether both ids are set.
func (t TraceContext) IsValid() bool { return t.TraceID != [16]byte{} && t.SpanID != [8]byte{} }

// TraceIDString renders the trace id as 32 hex digits.
func (t TraceContext) TraceIDString() string { return hex.EncodeToString(t.TraceID[:]) }

// SpanIDString renders the span id as 16 hex digits.
func (t TraceContext) SpanIDString() string { return hex.EncodeToString(t.SpanID[:]) }

// Traceparent renders the traceparent header value.
func (t TraceContext) Traceparent() string {
	flags := "00"
	if t.Sampled {
		flags = "01"
	}
	return "00-" + t.TraceIDString() + "-" + t.SpanIDString() + "-" + flags
}

// Child is a new span of the same trace, whose parent is t's span.
func (t TraceContext) Child() TraceContext {
	t.ParentSpanID = t.SpanID
	t.SpanID = newSpanID()
	return t
}

// NewTrace starts a new sampled trace.
func NewTrace() TraceContext {
	var t TraceContext
	_, _ = rand.Read(t.TraceID[:])
	t.SpanID = newSpanID()
	t.Sampled = true
	return t
}

func newSpanID() [8]byte {
	var s [8]byte
	for s == [8]byte{} {
		_, _ = rand.Read(s[:])
	}
	return s
}

// ParseTraceparent reads a traceparent header ("00-<32 hex>-<16 hex>-<2
// hex>"); ok is false for anything else, all-zero ids included.
func ParseTraceparent(h string) (t TraceContext, ok bool) {
	parts := strings.Split(strings.TrimSpace(h), "-")
	if len(parts) < 4 || len(parts[0]) != 2 || parts[0] == "ff" || len(parts[1]) != 32 || len(parts[2]) != 16 || len(parts[3]) != 2 {
		return t, false
	}
	if _, err := hex.Decode(t.TraceID[:], []byte(parts[1])); err != nil {
		return TraceContext{}, false
	}
	if _, err := hex.Decode(t.SpanID[:], []byte(parts[2])); err != nil {
		return TraceContext{}, false
	}
	var f [1]byte
	if _, err := hex.Decode(f[:], []byte(parts[3])); err != nil {
		return TraceContext{}, false
	}
	t.Sampled = f[0]&1 == 1
	return t, t.IsValid()
}

type traceKey struct{}

// ContextWithTrace returns ctx carrying t.
func ContextWithTrace(ctx context.Context, t TraceContext) context.Context {
	return context.WithValue(ctx, traceKey{}, t)
}

// TraceFromContext is the trace of ctx: an OpenTelemetry span's when ctx
// carries a valid one, else the one ContextWithTrace (or the middleware)
// put there.
func TraceFromContext(ctx context.Context) (TraceContext, bool) {
	if ctx == nil {
		return TraceContext{}, false
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		return TraceContext{TraceID: sc.TraceID(), SpanID: sc.SpanID(), Sampled: sc.IsSampled()}, true
	}
	t, ok := ctx.Value(traceKey{}).(TraceContext)
	return t, ok && t.IsValid()
}

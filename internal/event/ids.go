package event

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// ParseTraceID reads a trace id. 32 hex digits (with or without dashes, as
// in a UUID) are taken as they are, and 16 hex digits (Jaeger's 64-bit ids,
// Datadog) are zero-extended on the left. Any other non-empty string, such
// as an application's own request-scoped id, is hashed into 128 bits so that
// the same string always joins the same events; ok is false for those so the
// caller can keep the raw value as an attribute. The all-zero id is invalid
// in W3C trace context and parses as absent.
func ParseTraceID(s string) (id TraceID, exact bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return TraceID{}, true
	}
	if len(s) == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' {
		s = s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	}
	switch len(s) {
	case 32:
		if _, err := hex.Decode(id[:], []byte(s)); err == nil {
			return id, true
		}
	case 16:
		if _, err := hex.Decode(id[8:], []byte(s)); err == nil {
			return id, true
		}
	}
	sum := sha256.Sum256([]byte(s))
	copy(id[:], sum[:16])
	return id, false
}

// ParseSpanID reads a span id of 16 hex digits. Other non-empty values are
// hashed into 64 bits (exact is false), like ParseTraceID.
func ParseSpanID(s string) (id SpanID, exact bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return SpanID{}, true
	}
	if len(s) == 16 {
		if _, err := hex.Decode(id[:], []byte(s)); err == nil {
			return id, true
		}
	}
	sum := sha256.Sum256([]byte(s))
	copy(id[:], sum[:8])
	return id, false
}

// ParseTraceHeader reads a trace propagation header's value: a W3C
// traceparent or Sentry's sentry-trace, so that a request traced by either
// SDK joins the same journey.
func ParseTraceHeader(v string) (trace TraceID, span SpanID, ok bool) {
	if trace, span, ok = ParseTraceparent(v); ok {
		return trace, span, ok
	}
	return ParseSentryTrace(v)
}

// ParseSentryTrace reads a sentry-trace header value
// ("<32 hex trace id>-<16 hex span id>[-<0|1>]").
func ParseSentryTrace(v string) (trace TraceID, span SpanID, ok bool) {
	v = strings.TrimSpace(v)
	if len(v) < 49 || v[32] != '-' || len(v) > 49 && (len(v) != 51 || v[49] != '-') {
		return TraceID{}, SpanID{}, false
	}
	if _, err := hex.Decode(trace[:], []byte(v[:32])); err != nil {
		return TraceID{}, SpanID{}, false
	}
	if _, err := hex.Decode(span[:], []byte(v[33:49])); err != nil {
		return TraceID{}, SpanID{}, false
	}
	if trace.IsZero() {
		return TraceID{}, SpanID{}, false
	}
	return trace, span, true
}

// ParseTraceparent reads a W3C traceparent header value
// ("00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>").
func ParseTraceparent(v string) (trace TraceID, span SpanID, ok bool) {
	v = strings.TrimSpace(v)
	if len(v) < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-' {
		return TraceID{}, SpanID{}, false
	}
	if _, err := hex.Decode(trace[:], []byte(v[3:35])); err != nil {
		return TraceID{}, SpanID{}, false
	}
	if _, err := hex.Decode(span[:], []byte(v[36:52])); err != nil {
		return TraceID{}, SpanID{}, false
	}
	if trace.IsZero() {
		return TraceID{}, SpanID{}, false
	}
	return trace, span, true
}

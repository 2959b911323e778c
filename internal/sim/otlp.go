package sim

import (
	"strconv"

	"github.com/lore-dev/lore/internal/event"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
)

// encodeSpans encodes spans as one OTLP ExportTraceServiceRequest in
// protobuf, with a ResourceSpans per (service, release, host) in order of
// first appearance. It writes the wire format by hand with protowire, which
// is several times faster than building the generated messages; the tests
// decode it with proto.Unmarshal.
func encodeSpans(spans []*rec) []byte {
	type key struct{ svc, rel, host string }
	type group struct {
		res   []byte // Resource message
		spans []byte // repeated ScopeSpans.spans fields
	}
	idx := map[key]int{}
	var groups []*group
	var scratch []byte
	for _, r := range spans {
		e := &r.ev
		k := key{e.Service, e.Release, e.Host}
		gi, seen := idx[k]
		if !seen {
			gi = len(groups)
			idx[k] = gi
			var res []byte
			res = appendKV(res, 1, "service.name", e.Service)
			res = appendKV(res, 1, "service.version", e.Release)
			res = appendKV(res, 1, "deployment.environment.name", e.Env)
			res = appendKV(res, 1, "host.name", e.Host)
			groups = append(groups, &group{res: res})
		}
		g := groups[gi]
		scratch = appendSpan(scratch[:0], r)
		g.spans = protowire.AppendTag(g.spans, 2, protowire.BytesType)
		g.spans = protowire.AppendBytes(g.spans, scratch)
	}
	var scope []byte
	scope = protowire.AppendTag(scope, 1, protowire.BytesType)
	scope = protowire.AppendString(scope, "lore-sim")
	scope = protowire.AppendTag(scope, 2, protowire.BytesType)
	scope = protowire.AppendString(scope, "1.0.0")

	size := 0
	for _, g := range groups {
		size += len(g.res) + len(g.spans) + len(scope) + 32
	}
	out := make([]byte, 0, size)
	for _, g := range groups {
		ssLen := protowire.SizeTag(1) + protowire.SizeBytes(len(scope)) + len(g.spans)
		rsLen := protowire.SizeTag(1) + protowire.SizeBytes(len(g.res)) + protowire.SizeTag(2) + protowire.SizeBytes(ssLen)
		out = protowire.AppendTag(out, 1, protowire.BytesType) // ExportTraceServiceRequest.resource_spans
		out = protowire.AppendVarint(out, uint64(rsLen))
		out = protowire.AppendTag(out, 1, protowire.BytesType) // ResourceSpans.resource
		out = protowire.AppendBytes(out, g.res)
		out = protowire.AppendTag(out, 2, protowire.BytesType) // ResourceSpans.scope_spans
		out = protowire.AppendVarint(out, uint64(ssLen))
		out = protowire.AppendTag(out, 1, protowire.BytesType) // ScopeSpans.scope
		out = protowire.AppendBytes(out, scope)
		out = append(out, g.spans...)
	}
	return out
}

// appendSpan appends the fields of one Span message.
func appendSpan(b []byte, r *rec) []byte {
	e := &r.ev
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendBytes(b, e.TraceID[:])
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendBytes(b, e.SpanID[:])
	if !e.ParentSpanID.IsZero() {
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendBytes(b, e.ParentSpanID[:])
	}
	b = protowire.AppendTag(b, 5, protowire.BytesType)
	b = protowire.AppendString(b, e.Name)
	if r.spanKind != tracepb.Span_SPAN_KIND_UNSPECIFIED {
		b = protowire.AppendTag(b, 6, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(r.spanKind))
	}
	start := uint64(e.TS) * 1000
	b = protowire.AppendTag(b, 7, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, start)
	b = protowire.AppendTag(b, 8, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, start+uint64(e.DurationMS*1e6))
	b = appendKV(b, 9, "http.request.method", e.HTTPMethod)
	b = appendKV(b, 9, "http.route", e.Endpoint)
	if e.HTTPStatus != 0 {
		b = appendIntKV(b, 9, "http.response.status_code", int64(e.HTTPStatus))
	}
	b = appendKV(b, 9, "enduser.id", e.UserID)
	b = appendKV(b, 9, "session.id", e.SessionID)
	b = appendKV(b, 9, "error.type", e.ErrorType)
	if e.RetryAttempt != 0 {
		b = appendKV(b, 9, "retry.attempt", strconv.Itoa(int(e.RetryAttempt)))
	}
	for _, a := range e.Attributes {
		b = appendKV(b, 9, a.Key, a.Value)
	}
	if e.Level == event.LevelError {
		st := protowire.SizeTag(2) + protowire.SizeBytes(len(e.Message)) + protowire.SizeTag(3) + protowire.SizeVarint(uint64(tracepb.Status_STATUS_CODE_ERROR))
		b = protowire.AppendTag(b, 15, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(st))
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, e.Message)
		b = protowire.AppendTag(b, 3, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(tracepb.Status_STATUS_CODE_ERROR))
	}
	return b
}

// appendKV appends field num as a KeyValue with a string AnyValue, unless
// v is empty.
func appendKV(b []byte, num protowire.Number, k, v string) []byte {
	if v == "" {
		return b
	}
	any := protowire.SizeTag(1) + protowire.SizeBytes(len(v))
	kv := protowire.SizeTag(1) + protowire.SizeBytes(len(k)) + protowire.SizeTag(2) + protowire.SizeBytes(any)
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(kv))
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, k)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(any))
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	return protowire.AppendString(b, v)
}

func appendIntKV(b []byte, num protowire.Number, k string, v int64) []byte {
	any := protowire.SizeTag(3) + protowire.SizeVarint(uint64(v))
	kv := protowire.SizeTag(1) + protowire.SizeBytes(len(k)) + protowire.SizeTag(2) + protowire.SizeBytes(any)
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(kv))
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, k)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(any))
	b = protowire.AppendTag(b, 3, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

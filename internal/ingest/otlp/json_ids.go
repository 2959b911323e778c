package otlp

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"github.com/valyala/fastjson"
)

// OTLP/JSON deviates from the proto3 JSON mapping in one way protojson cannot
// follow: traceId and spanId (and parentSpanId) are hex strings, not base64.
// Before protojson sees the body, the walk below rewrites every id of a span,
// a span link and a log record into base64. Enum fields as integers and
// 64-bit integers as strings are already proto3 JSON, so protojson takes
// them as they are.
//
// Ids are accepted as hex (the spec, case-insensitive) or, leniently, as
// base64 of the right length (what exporters built on a plain protojson
// marshaller send); lengths tell the two apart (32 hex digits or 24 base64
// characters for a trace id, 16 or 12 for a span id). A span or log record
// whose id is neither is dropped and counted as rejected, so one bad record
// does not cost the rest of the request; a link with a bad id loses its ids.

const (
	traceIDLen = 16
	spanIDLen  = 8
)

// idField is one id field of a message: its JSON names (lowerCamelCase, and
// the original name protojson also accepts) and its length in bytes.
type idField struct {
	camel, snake string
	size         int
}

var (
	traceIDField      = idField{"traceId", "trace_id", traceIDLen}
	spanIDField       = idField{"spanId", "span_id", spanIDLen}
	parentSpanIDField = idField{"parentSpanId", "parent_span_id", spanIDLen}
)

// fixTraceIDs rewrites the ids of an ExportTraceServiceRequest in OTLP/JSON.
func fixTraceIDs(body []byte) ([]byte, int, error) {
	return rewriteJSON(body, func(root *fastjson.Value, a *fastjson.Arena) int {
		rejected := 0
		for _, rs := range arrayField(root, "resourceSpans", "resource_spans") {
			for _, ss := range arrayField(rs, "scopeSpans", "scope_spans") {
				rejected += filterRecords(ss, "spans", "spans", a, func(span *fastjson.Value) bool {
					for _, link := range arrayField(span, "links", "links") {
						if !fixID(link, traceIDField, a) || !fixID(link, spanIDField, a) {
							clearID(link, traceIDField)
							clearID(link, spanIDField)
						}
					}
					return fixID(span, traceIDField, a) && fixID(span, spanIDField, a) && fixID(span, parentSpanIDField, a)
				})
			}
		}
		return rejected
	})
}

// fixLogIDs rewrites the ids of an ExportLogsServiceRequest in OTLP/JSON.
func fixLogIDs(body []byte) ([]byte, int, error) {
	return rewriteJSON(body, func(root *fastjson.Value, a *fastjson.Arena) int {
		rejected := 0
		for _, rl := range arrayField(root, "resourceLogs", "resource_logs") {
			for _, sl := range arrayField(rl, "scopeLogs", "scope_logs") {
				rejected += filterRecords(sl, "logRecords", "log_records", a, func(rec *fastjson.Value) bool {
					return fixID(rec, traceIDField, a) && fixID(rec, spanIDField, a)
				})
			}
		}
		return rejected
	})
}

// rewriteJSON parses body, lets walk rewrite it and serialises it again.
func rewriteJSON(body []byte, walk func(*fastjson.Value, *fastjson.Arena) int) ([]byte, int, error) {
	var p fastjson.Parser
	root, err := p.ParseBytes(body)
	if err != nil {
		return nil, 0, fmt.Errorf("cannot parse OTLP/JSON body: %w", err)
	}
	if root.Type() != fastjson.TypeObject {
		return nil, 0, fmt.Errorf("cannot decode OTLP/JSON body: want a JSON object, got %s", root.Type())
	}
	var a fastjson.Arena
	rejected := walk(root, &a)
	return root.MarshalTo(make([]byte, 0, len(body)+len(body)/8)), rejected, nil
}

// arrayField returns the array under either name of a field of v, or nil
// when v is not an object or the field is absent or not an array (protojson
// then reports the type error itself).
func arrayField(v *fastjson.Value, camel, snake string) []*fastjson.Value {
	f := v.Get(camel)
	if f == nil {
		f = v.Get(snake)
	}
	if f == nil || f.Type() != fastjson.TypeArray {
		return nil
	}
	arr, _ := f.Array()
	return arr
}

// filterRecords keeps the elements of the array field of parent for which
// keep returns true and reports how many it dropped.
func filterRecords(parent *fastjson.Value, camel, snake string, a *fastjson.Arena, keep func(*fastjson.Value) bool) int {
	name := camel
	f := parent.Get(camel)
	if f == nil {
		name, f = snake, parent.Get(snake)
	}
	if f == nil || f.Type() != fastjson.TypeArray {
		return 0
	}
	items, _ := f.Array()
	kept := a.NewArray()
	n := 0
	for _, it := range items {
		if it.Type() != fastjson.TypeObject || keep(it) {
			// A non-object element is left for protojson to report.
			kept.SetArrayItem(n, it)
			n++
		}
	}
	if n == len(items) {
		return 0
	}
	parent.Set(name, kept)
	return len(items) - n
}

// fixID rewrites the id field f of obj from hex to base64 in place. It
// reports false when the field holds something that is not an id of the
// right length; an absent or empty field is fine.
func fixID(obj *fastjson.Value, f idField, a *fastjson.Arena) bool {
	name := f.camel
	v := obj.Get(name)
	if v == nil {
		name, v = f.snake, obj.Get(f.snake)
	}
	if v == nil || v.Type() == fastjson.TypeNull {
		return true
	}
	s, err := v.StringBytes()
	if err != nil {
		return false
	}
	b, ok := decodeID(s, f.size)
	if !ok {
		return false
	}
	if len(b) > 0 {
		obj.Set(name, a.NewString(base64.StdEncoding.EncodeToString(b)))
	}
	return true
}

func clearID(obj *fastjson.Value, f idField) {
	obj.Del(f.camel)
	obj.Del(f.snake)
}

// decodeID reads an id of size bytes written as hex or as standard base64.
func decodeID(s []byte, size int) ([]byte, bool) {
	switch len(s) {
	case 0:
		return nil, true
	case hex.EncodedLen(size):
		b := make([]byte, size)
		if _, err := hex.Decode(b, s); err == nil {
			return b, true
		}
	case base64.StdEncoding.EncodedLen(size):
		b := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
		if n, err := base64.StdEncoding.Decode(b, s); err == nil && n == size {
			return b[:n], true
		}
	}
	return nil, false
}

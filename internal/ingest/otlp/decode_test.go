package otlp

import (
	"errors"
	"strings"
	"testing"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lore-dev/lore/internal/event"
)

func TestParseContentType(t *testing.T) {
	f := func(ct string, want Encoding, wantErr string) {
		t.Helper()
		got, err := ParseContentType(ct)
		if wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), wantErr) {
				t.Errorf("ParseContentType(%q) error = %v, want one containing %q", ct, err, wantErr)
			}
			return
		}
		if err != nil || got != want {
			t.Errorf("ParseContentType(%q) = %v, %v; want %v", ct, got, err, want)
		}
	}
	f("", Protobuf, "")
	f("application/x-protobuf", Protobuf, "")
	f("application/protobuf", Protobuf, "")
	f("application/json", JSON, "")
	f("Application/JSON; charset=utf-8", JSON, "")
	f("text/plain", 0, `unsupported content type "text/plain"`)
	f("application/json;;", 0, "cannot parse content type")
	if _, err := ParseContentType("text/xml"); !errors.Is(err, ErrUnsupportedContentType) {
		t.Errorf("ParseContentType(text/xml) error %v does not wrap ErrUnsupportedContentType", err)
	}
}

func TestUndecodableBodies(t *testing.T) {
	f := func(name string, decode func([]byte, string, Options) ([]event.Event, int, error), body, ct, wantErr string) {
		t.Helper()
		evs, rejected, err := decode([]byte(body), ct, Options{})
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%s(%q, %q) error = %v, want one containing %q", name, body, ct, err, wantErr)
		}
		if len(evs) != 0 || rejected != 0 {
			t.Errorf("%s(%q, %q) = %d events, %d rejected alongside an error", name, body, ct, len(evs), rejected)
		}
	}
	for _, d := range []struct {
		name   string
		decode func([]byte, string, Options) ([]event.Event, int, error)
	}{{"DecodeLogs", DecodeLogs}, {"DecodeTraces", DecodeTraces}} {
		f(d.name, d.decode, "\xff\xff\xff\xff garbage", ContentTypeProtobuf, `cannot decode OTLP protobuf body of 12 bytes starting "\xff\xff\xff\xff garbage"`)
		f(d.name, d.decode, `{"resourceSpans": [`, ContentTypeJSON, "cannot parse OTLP/JSON body")
		f(d.name, d.decode, ``, ContentTypeJSON, "cannot parse OTLP/JSON body")
		f(d.name, d.decode, `[1, 2]`, ContentTypeJSON, "want a JSON object, got array")
		f(d.name, d.decode, `{"resourceLogs": 5, "resourceSpans": 5}`, ContentTypeJSON, "cannot decode OTLP/JSON body")
		f(d.name, d.decode, `{}`, "text/csv", "unsupported content type")
	}
	// Enum names are proto3 JSON but not OTLP/JSON; protojson accepts them,
	// which is harmless. A wrong type is not.
	f("DecodeTraces", DecodeTraces, `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","kind":{}}]}]}]}`,
		ContentTypeJSON, "cannot decode OTLP/JSON body")
}

func TestEmptyRequests(t *testing.T) {
	for _, tc := range []struct{ body, ct string }{{"", ContentTypeProtobuf}, {"{}", ContentTypeJSON}, {`{"resourceSpans":[],"resourceLogs":[]}`, ContentTypeJSON}} {
		if evs, rejected, err := DecodeTraces([]byte(tc.body), tc.ct, Options{}); err != nil || len(evs) != 0 || rejected != 0 {
			t.Errorf("DecodeTraces(%q) = %d events, %d rejected, %v; want an empty success", tc.body, len(evs), rejected, err)
		}
		if evs, rejected, err := DecodeLogs([]byte(tc.body), tc.ct, Options{}); err != nil || len(evs) != 0 || rejected != 0 {
			t.Errorf("DecodeLogs(%q) = %d events, %d rejected, %v; want an empty success", tc.body, len(evs), rejected, err)
		}
	}
}

func bytesOf(n int, b byte) []byte {
	s := make([]byte, n)
	for i := range s {
		s[i] = b
	}
	return s
}

func TestProtobufInvalidIDsRejected(t *testing.T) {
	span := func(name string, traceID, spanID, parentID []byte) *tracepb.Span {
		return &tracepb.Span{Name: name, TraceId: traceID, SpanId: spanID, ParentSpanId: parentID, StartTimeUnixNano: 1e18}
	}
	req := &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{
		span("ok", bytesOf(16, 1), bytesOf(8, 2), nil),
		span("short trace id", bytesOf(15, 1), bytesOf(8, 2), nil),
		span("no trace id", nil, bytesOf(8, 2), nil),
		span("zero trace id", bytesOf(16, 0), bytesOf(8, 2), nil),
		span("long span id", bytesOf(16, 1), bytesOf(9, 2), nil),
		span("zero span id", bytesOf(16, 1), bytesOf(8, 0), nil),
		span("short parent", bytesOf(16, 1), bytesOf(8, 2), bytesOf(4, 3)),
		span("child", bytesOf(16, 1), bytesOf(8, 3), bytesOf(8, 2)),
	}}}}}}
	body, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	evs, rejected, err := DecodeTraces(body, ContentTypeProtobuf, Options{})
	if err != nil {
		t.Fatalf("DecodeTraces: %v", err)
	}
	if rejected != 6 || len(evs) != 2 || evs[0].Name != "ok" || evs[1].Name != "child" {
		t.Errorf("DecodeTraces kept %+v and rejected %d; want spans ok and child kept, 6 rejected", evs, rejected)
	}
	if len(evs) == 2 && evs[1].ParentSpanID.String() != "0202020202020202" {
		t.Errorf("child parent span id = %q", evs[1].ParentSpanID)
	}

	rec := func(body string, traceID, spanID []byte) *logspb.LogRecord {
		return &logspb.LogRecord{Body: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: body}}, TraceId: traceID, SpanId: spanID}
	}
	lreq := &collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{ScopeLogs: []*logspb.ScopeLogs{{LogRecords: []*logspb.LogRecord{
		rec("no ids", nil, nil),
		rec("short trace id", bytesOf(8, 1), bytesOf(8, 2)),
		rec("both ids", bytesOf(16, 1), bytesOf(8, 2)),
		rec("long span id", nil, bytesOf(16, 2)),
	}}}}}}
	body, err = proto.Marshal(lreq)
	if err != nil {
		t.Fatal(err)
	}
	levs, rejected, err := DecodeLogs(body, "", Options{})
	if err != nil {
		t.Fatalf("DecodeLogs: %v", err)
	}
	if rejected != 2 || len(levs) != 2 || levs[0].Message != "no ids" || levs[1].Message != "both ids" {
		t.Errorf("DecodeLogs kept %+v and rejected %d; want records no ids and both ids kept, 2 rejected", levs, rejected)
	}
}

func TestJSONInvalidIDsRejected(t *testing.T) {
	const tmpl = `{"resourceSpans":[{"scopeSpans":[{"spans":[
		{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","name":"ok"},
		{"traceId":"ZZ8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","name":"not hex"},
		{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":12,"name":"number id"},
		{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","parentSpanId":"EEE19B7E","name":"short parent"},
		{"trace_id":"5B8EFFF798038103D269B633813FC60C","span_id":"EEE19B7EC3C1B175","name":"snake case"},
		{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B176","name":"bad link",
		 "links":[{"traceId":"nope","spanId":"EEE19B7EC3C1B174"}]}
	]}]}]}`
	evs, rejected, err := DecodeTraces([]byte(tmpl), ContentTypeJSON, Options{})
	if err != nil {
		t.Fatalf("DecodeTraces: %v", err)
	}
	var names []string
	for _, e := range evs {
		names = append(names, e.Name+"/"+e.SpanID.String())
	}
	want := "ok/eee19b7ec3c1b174 snake case/eee19b7ec3c1b175 bad link/eee19b7ec3c1b176"
	if rejected != 3 || strings.Join(names, " ") != want {
		t.Errorf("DecodeTraces kept %v and rejected %d; want %s and 3 rejected", names, rejected, want)
	}
}

func TestResponses(t *testing.T) {
	t.Run("logs protobuf partial success", func(t *testing.T) {
		body, ct := LogsResponse(ContentTypeProtobuf, 2, "2 log records had invalid ids")
		var resp collogspb.ExportLogsServiceResponse
		if err := proto.Unmarshal(body, &resp); err != nil || ct != ContentTypeProtobuf {
			t.Fatalf("response %q (%s): %v", body, ct, err)
		}
		if ps := resp.GetPartialSuccess(); ps.GetRejectedLogRecords() != 2 || ps.GetErrorMessage() != "2 log records had invalid ids" {
			t.Errorf("partial success = %v", ps)
		}
	})
	t.Run("traces JSON partial success", func(t *testing.T) {
		body, ct := TracesResponse("application/json; charset=utf-8", 1, "bad span")
		var resp coltracepb.ExportTraceServiceResponse
		if err := protojson.Unmarshal(body, &resp); err != nil || ct != ContentTypeJSON {
			t.Fatalf("response %q (%s): %v", body, ct, err)
		}
		if ps := resp.GetPartialSuccess(); ps.GetRejectedSpans() != 1 || ps.GetErrorMessage() != "bad span" {
			t.Errorf("partial success = %v", ps)
		}
		if !strings.Contains(string(body), `"partialSuccess"`) || !strings.Contains(string(body), `"rejectedSpans"`) {
			t.Errorf("JSON response %s does not use lowerCamelCase keys", body)
		}
	})
	t.Run("full success leaves partial_success unset", func(t *testing.T) {
		for _, ct := range []string{"", ContentTypeProtobuf} {
			if body, rct := TracesResponse(ct, 0, ""); len(body) != 0 || rct != ContentTypeProtobuf {
				t.Errorf("TracesResponse(%q, 0) = %q, %s; want an empty protobuf message", ct, body, rct)
			}
			if body, rct := LogsResponse(ct, 0, ""); len(body) != 0 || rct != ContentTypeProtobuf {
				t.Errorf("LogsResponse(%q, 0) = %q, %s; want an empty protobuf message", ct, body, rct)
			}
		}
		if body, rct := LogsResponse(ContentTypeJSON, 0, ""); string(body) != "{}" || rct != ContentTypeJSON {
			t.Errorf("LogsResponse(json, 0) = %q, %s; want {}", body, rct)
		}
	})
}

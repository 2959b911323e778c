package sim

import (
	"testing"

	"github.com/lore-dev/lore/internal/event"
	collpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

func TestEncodeSpansRoundTrips(t *testing.T) {
	r := &rec{span: true, spanKind: tracepb.Span_SPAN_KIND_CLIENT, ev: event.Event{
		TS: 1_700_000_000_123_456, Kind: event.KindSpan, Service: svcPayment, Env: envProd, Release: "v4.2.0", Host: "h1",
		TraceID: event.TraceIDFromHalves(1, 2), SpanID: event.SpanIDFromUint64(3), ParentSpanID: event.SpanIDFromUint64(4),
		Name: "POST /v1/charges", HTTPMethod: "POST", Endpoint: "/v1/charges", HTTPStatus: 429, DurationMS: 42.5,
		Level: event.LevelError, Message: "payment gateway returned 429 Too Many Requests", ErrorType: "RateLimited",
		Attributes: []event.Attr{{Key: "peer.service", Value: peerPayment}},
	}}
	other := &rec{span: true, ev: event.Event{TS: 1, Service: svcCart, TraceID: event.TraceIDFromHalves(5, 6), SpanID: event.SpanIDFromUint64(7), Name: "x"}}
	var req collpb.ExportTraceServiceRequest
	if err := proto.Unmarshal(encodeSpans([]*rec{r, other, r}), &req); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if len(req.ResourceSpans) != 2 || len(req.ResourceSpans[0].ScopeSpans[0].Spans) != 2 {
		t.Fatalf("grouping: %v", &req)
	}
	res := kvs(req.ResourceSpans[0].Resource.Attributes)
	if res["service.name"] != svcPayment || res["service.version"] != "v4.2.0" || res["deployment.environment.name"] != envProd || res["host.name"] != "h1" {
		t.Fatalf("resource %v", res)
	}
	sp := req.ResourceSpans[0].ScopeSpans[0].Spans[0]
	a := kvs(sp.Attributes)
	if sp.Name != "POST /v1/charges" || sp.Kind != tracepb.Span_SPAN_KIND_CLIENT ||
		sp.StartTimeUnixNano != 1_700_000_000_123_456_000 || sp.EndTimeUnixNano != 1_700_000_000_123_456_000+42_500_000 ||
		[16]byte(sp.TraceId) != [16]byte(r.ev.TraceID) || [8]byte(sp.SpanId) != [8]byte(r.ev.SpanID) || [8]byte(sp.ParentSpanId) != [8]byte(r.ev.ParentSpanID) ||
		sp.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR || sp.Status.GetMessage() != r.ev.Message ||
		a["http.response.status_code"] != "429" || a["peer.service"] != peerPayment || a["error.type"] != "RateLimited" || a["http.request.method"] != "POST" {
		t.Fatalf("span %v", sp)
	}
	if o := req.ResourceSpans[1].ScopeSpans[0].Spans[0]; len(o.ParentSpanId) != 0 || o.Status != nil || o.Kind != 0 {
		t.Fatalf("root span %v", o)
	}
}

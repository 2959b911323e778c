package otlp

import (
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// benchTraces is the traces fixture with its spans repeated to n spans.
func benchTraces(b *testing.B, n int) *coltracepb.ExportTraceServiceRequest {
	b.Helper()
	js := readFixture(b, "traces.json")
	body, _, err := fixTraceIDs(js)
	if err != nil {
		b.Fatal(err)
	}
	var req coltracepb.ExportTraceServiceRequest
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(body, &req); err != nil {
		b.Fatal(err)
	}
	ss := req.ResourceSpans[0].ScopeSpans[0]
	var spans []*tracepb.Span
	for _, sp := range ss.Spans {
		if len(sp.TraceId) == 16 {
			spans = append(spans, sp)
		}
	}
	ss.Spans = nil
	for len(ss.Spans) < n {
		ss.Spans = append(ss.Spans, spans[len(ss.Spans)%len(spans)])
	}
	return &req
}

func BenchmarkDecodeTraces(b *testing.B) {
	const n = 1000
	req := benchTraces(b, n)
	pb, err := proto.Marshal(req)
	if err != nil {
		b.Fatal(err)
	}
	// protojson writes base64 ids; the decoder takes those too.
	js, err := protojson.Marshal(req)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name, ct string
		body     []byte
	}{{"protobuf", ContentTypeProtobuf, pb}, {"json", ContentTypeJSON, js}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.body)))
			for b.Loop() {
				evs, _, err := DecodeTraces(bc.body, bc.ct, Options{})
				if err != nil || len(evs) != n {
					b.Fatalf("decoded %d spans: %v", len(evs), err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "spans/s")
		})
	}
}

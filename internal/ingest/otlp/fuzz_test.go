package otlp

import (
	"testing"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lore-dev/lore/internal/event"
)

// The seed corpora live in testdata/fuzz: the JSON fixtures, their protobuf
// encodings and inputs the fuzzer found interesting.

func FuzzDecodeLogs(f *testing.F) {
	f.Add([]byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"5B8EFFF798038103D269B633813FC60C","body":{"stringValue":"x"}}]}]}]}`), true)
	f.Add([]byte{0x0a, 0x02, 0x12, 0x00}, false)
	f.Fuzz(func(t *testing.T, body []byte, isJSON bool) {
		ct := ContentTypeProtobuf
		if isJSON {
			ct = ContentTypeJSON
		}
		evs, rejected, err := DecodeLogs(body, ct, Options{ProjectID: 1, Now: testNow})
		if err != nil {
			if len(evs) != 0 || rejected != 0 {
				t.Fatalf("error %v with %d events and %d rejected", err, len(evs), rejected)
			}
			return
		}
		checkFuzzEvents(t, evs, rejected, event.KindLog)
		resp, rct := LogsResponse(ct, rejected, "")
		var r collogspb.ExportLogsServiceResponse
		if err := unmarshalResponse(resp, rct, &r); err != nil {
			t.Fatalf("response %q does not decode: %v", resp, err)
		}
		if r.GetPartialSuccess().GetRejectedLogRecords() != int64(rejected) {
			t.Fatalf("response says %d rejected, decoder %d", r.GetPartialSuccess().GetRejectedLogRecords(), rejected)
		}
	})
}

func FuzzDecodeTraces(f *testing.F) {
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","kind":2}]}]}]}`), true)
	f.Add([]byte{0x0a, 0x02, 0x12, 0x00}, false)
	f.Fuzz(func(t *testing.T, body []byte, isJSON bool) {
		ct := ContentTypeProtobuf
		if isJSON {
			ct = ContentTypeJSON
		}
		evs, rejected, err := DecodeTraces(body, ct, Options{ProjectID: 1, Now: testNow})
		if err != nil {
			if len(evs) != 0 || rejected != 0 {
				t.Fatalf("error %v with %d events and %d rejected", err, len(evs), rejected)
			}
			return
		}
		checkFuzzEvents(t, evs, rejected, event.KindSpan)
		for _, e := range evs {
			if e.TraceID.IsZero() || e.SpanID.IsZero() {
				t.Fatalf("span %q kept without ids", e.Name)
			}
			if e.DurationMS < 0 {
				t.Fatalf("span %q has negative duration %v", e.Name, e.DurationMS)
			}
		}
		resp, rct := TracesResponse(ct, rejected, "")
		var r coltracepb.ExportTraceServiceResponse
		if err := unmarshalResponse(resp, rct, &r); err != nil {
			t.Fatalf("response %q does not decode: %v", resp, err)
		}
		if r.GetPartialSuccess().GetRejectedSpans() != int64(rejected) {
			t.Fatalf("response says %d rejected, decoder %d", r.GetPartialSuccess().GetRejectedSpans(), rejected)
		}
	})
}

func checkFuzzEvents(t *testing.T, evs []event.Event, rejected int, kind string) {
	t.Helper()
	if rejected < 0 {
		t.Fatalf("rejected = %d", rejected)
	}
	for _, e := range evs {
		if e.Kind != kind || e.ProjectID != 1 || e.ReceivedAt != testNow {
			t.Fatalf("event %+v lacks kind %s, project or received time", e, kind)
		}
		switch e.Level {
		case "", event.LevelDebug, event.LevelInfo, event.LevelWarn, event.LevelError, event.LevelFatal:
		default:
			t.Fatalf("event has level %q", e.Level)
		}
	}
}

func unmarshalResponse(body []byte, contentType string, m proto.Message) error {
	if contentType == ContentTypeJSON {
		return protojson.Unmarshal(body, m)
	}
	return proto.Unmarshal(body, m)
}

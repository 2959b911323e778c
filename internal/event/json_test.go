package event

import (
	"encoding/json"
	"testing"
)

func TestMarshalJSONUsesColumnNamesAndOmitsAbsentFields(t *testing.T) {
	tr, _ := ParseTraceID("4bf92f3577b34da6a3ce929d0e0e4736")
	sp, _ := ParseSpanID("00f067aa0ba902b7")
	e := Event{
		TS: 1714554940123456, Kind: KindLog, Level: LevelError, Service: "payment-service",
		TraceID: tr, SpanID: sp, UserID: "user_789", Message: "gateway said \"no\"\n<429>",
		HTTPStatus: 429, DurationMS: 12.5, RetryAttempt: 2,
		Attributes: []Attr{{"retry.delay_ms", "900000"}, {"bad", "\xff"}},
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	want := map[string]any{
		"ts": "2024-05-01T09:15:40.123456Z", "kind": "log", "level": "error", "service": "payment-service",
		"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7", "user_id": "user_789",
		"message": "gateway said \"no\"\n<429>", "http_status": 429.0, "duration_ms": 12.5, "retry_attempt": 2.0,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	for _, k := range []string{"env", "parent_span_id", "session_id", "error_type", "received_at"} {
		if _, ok := got[k]; ok {
			t.Errorf("absent field %s rendered", k)
		}
	}
	attrs := got["attributes"].(map[string]any)
	if attrs["retry.delay_ms"] != "900000" || attrs["bad"] != "\ufffd" {
		t.Errorf("attributes = %v", attrs)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	tr, _ := ParseTraceID("4bf92f3577b34da6a3ce929d0e0e4736")
	in := Event{TS: 1714554940123456, ReceivedAt: 1714554941000000, Kind: KindSpan, Level: LevelWarn,
		Service: "cart", TraceID: tr, SpanID: SpanIDFromUint64(42), ParentSpanID: SpanIDFromUint64(7),
		Name: "GET /cart", HTTPStatus: 503, DurationMS: 1500.25, RetryAttempt: 1,
		Attributes: []Attr{{"a.b", "1"}, {"z", "ü"}}}
	b, _ := json.Marshal(in)
	var out Event
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflectEqual(in, out) {
		t.Fatalf("round trip:\n in  %+v\n out %+v", in, out)
	}
}

func reflectEqual(a, b Event) bool {
	ab, _ := json.Marshal(a)
	bb, _ := json.Marshal(b)
	return string(ab) == string(bb) && a.TS == b.TS && a.TraceID == b.TraceID && len(a.Attributes) == len(b.Attributes)
}

package loki

import (
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/grafana/loki/pkg/push"
)

const testNow = int64(1_800_000_000_000_000)

// protoBody builds a push body as Loki's clients do: the push package's
// PushRequest, marshalled and snappy-compressed.
func protoBody(t testing.TB, streams ...push.Stream) []byte {
	t.Helper()
	req := push.PushRequest{Streams: streams}
	b, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return snappy.Encode(nil, b)
}

func TestDecodeProtobuf(t *testing.T) {
	ts := time.Date(2026, 12, 4, 10, 0, 0, 123456789, time.UTC)
	body := protoBody(t,
		push.Stream{Labels: `{service_name="checkout", level="error", job="shop/checkout", env="prod"}`, Entries: []push.Entry{
			{Timestamp: ts, Line: "payment declined for order 42", StructuredMetadata: push.LabelsAdapter{{Name: "trace_id", Value: "4bf92f3577b34da6a3ce929d0e0e4736"}, {Name: "user_id", Value: "u7"}}},
			{Timestamp: ts.Add(time.Second), Line: `{"msg":"retrying","level":"warn","attempt":2}`},
		}},
		push.Stream{Labels: `{app="api"}`, Entries: []push.Entry{{Timestamp: ts, Line: "GET /health 200"}}},
		push.Stream{Labels: `not labels`, Entries: []push.Entry{{Timestamp: ts, Line: "lost"}}},
	)
	res, err := Decode(body, "application/x-protobuf", Options{ProjectID: 2, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) != 3 || len(res.Errors) != 1 || res.Entries != 4 {
		t.Fatalf("events %d, errors %+v, entries %d", len(res.Events), res.Errors, res.Entries)
	}
	if e := res.Errors[0]; e.Stream != "not labels" || e.Entry != 1 || !strings.Contains(e.Error, "cannot parse labels") {
		t.Errorf("error = %+v", e)
	}
	e := res.Events[0]
	if e.Service != "checkout" || e.Level != "error" || e.Env != "prod" || e.Message != "payment declined for order 42" ||
		e.TraceID.String() != "4bf92f3577b34da6a3ce929d0e0e4736" || e.UserID != "u7" || e.TS != ts.UnixMicro() || e.ProjectID != 2 {
		t.Errorf("event 0 = %+v", e)
	}
	if v, _ := e.Attr("job"); v != "shop/checkout" {
		t.Errorf("job = %q", v)
	}
	e = res.Events[1]
	if e.Message != "retrying" || e.Level != "warn" || e.Service != "checkout" {
		t.Errorf("a JSON line's fields are mapped: %+v", e)
	}
	if e.RetryAttempt != 2 {
		t.Errorf("attempt = %d", e.RetryAttempt)
	}
	if v, _ := e.Attr("level"); v != "error" {
		t.Errorf("the stream's level label, beside the line's own: %q", v)
	}
	if e := res.Events[2]; e.Service != "api" || e.Message != "GET /health 200" {
		t.Errorf("event 2 = %+v", e)
	}
}

func TestDecodeJSON(t *testing.T) {
	body := `{"streams":[{"stream":{"service_name":"worker","level":"info"},"values":[
		["1796378400000000000","job done",{"request_id":"r-1"}],
		["yesterday","bad time"],
		["1796378401000000000","second"]]}]}`
	res, err := Decode([]byte(body), "application/json", Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) != 2 || len(res.Errors) != 1 {
		t.Fatalf("events %+v errors %+v", res.Events, res.Errors)
	}
	if e := res.Errors[0]; e.Entry != 2 || !strings.Contains(e.Error, `"yesterday"`) || e.Stream != `{level="info", service_name="worker"}` {
		t.Errorf("error = %+v", e)
	}
	if e := res.Events[0]; e.RequestID != "r-1" || e.Service != "worker" || e.TS != 1796378400000000 {
		t.Errorf("event = %+v", e)
	}
}

func TestDecodeRefusals(t *testing.T) {
	if _, err := Decode([]byte("{}"), "text/plain", Options{}); err == nil || !strings.Contains(err.Error(), "unsupported content type") {
		t.Errorf("text/plain: %v", err)
	}
	if _, err := Decode([]byte("not snappy"), "application/x-protobuf", Options{}); err == nil {
		t.Error("garbage protobuf body accepted")
	}
	if _, err := Decode([]byte(`{"streams":[`), "application/json", Options{}); err == nil {
		t.Error("truncated JSON accepted")
	}
	many := `{"streams":[{"stream":{"a":"b"},"values":[["1","x"],["2","y"],["3","z"]]}]}`
	if _, err := Decode([]byte(many), "application/json", Options{MaxLines: 2}); err == nil || !strings.Contains(err.Error(), "too many entries") {
		t.Errorf("over MaxLines: %v", err)
	}
}

func TestParseLabels(t *testing.T) {
	ps, err := ParseLabels(`{a="1", b="x\"y\\z", c=""}`)
	if err != nil || len(ps) != 3 || ps[1].value != `x"y\z` || ps[2].name != "c" {
		t.Fatalf("ParseLabels = %+v, %v", ps, err)
	}
	for _, bad := range []string{`a="1"`, `{a=1}`, `{="x"}`, `{a="unterminated}`} {
		if _, err := ParseLabels(bad); err == nil {
			t.Errorf("ParseLabels(%q) accepted", bad)
		}
	}
}

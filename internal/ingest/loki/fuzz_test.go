package loki

import (
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
)

// FuzzDecodeJSON and FuzzDecodeProto: no input panics, and every entry is
// an event or an error.
func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"streams":[{"stream":{"service_name":"a"},"values":[["1796378400000000000","m",{"trace_id":"x"}]]}]}`))
	f.Add([]byte(`{"streams":[{"stream":{},"values":[["1","{\"level\":\"warn\"}"],[1,2]]}]}`))
	f.Add([]byte(`{"streams":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		check(t, body, "application/json")
	})
}

func FuzzDecodeProto(f *testing.F) {
	f.Add(protoBody(f, push.Stream{Labels: `{job="x"}`, Entries: []push.Entry{{Timestamp: time.Unix(1796378400, 5), Line: "hello", StructuredMetadata: push.LabelsAdapter{{Name: "k", Value: "v"}}}}}))
	f.Add(protoBody(f, push.Stream{Labels: `{}`, Entries: []push.Entry{{Line: `{"msg":"x"}`}}}))
	f.Fuzz(func(t *testing.T, body []byte) {
		check(t, body, "application/x-protobuf")
	})
}

func check(t *testing.T, body []byte, ct string) {
	res, err := Decode(body, ct, Options{Now: testNow, MaxBytes: 1 << 20})
	if err != nil {
		return
	}
	if len(res.Events)+len(res.Errors) != res.Entries {
		t.Fatalf("%d entries, %d events, %d errors", res.Entries, len(res.Events), len(res.Errors))
	}
}

package e2e

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/grafana/loki/pkg/push"
)

// TestLokiPush pushes with Loki's own push types, snappy-compressed as
// Promtail and Alloy send them, and as JSON: labels and structured
// metadata become fields, a bad entry is refused by name in Loki's plain
// text while the good ones are stored.
func TestLokiPush(t *testing.T) {
	a := startApp(t)
	post := func(ct string, body []byte, key string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", a.URL()+"/loki/api/v1/push", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		if key != "" {
			req.SetBasicAuth("tenant", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	now := time.Now()
	req := push.PushRequest{Streams: []push.Stream{{
		Labels: `{service_name="inventory", level="error", job="shop/inventory", namespace="prod"}`,
		Entries: []push.Entry{
			{Timestamp: now, Line: "stock reservation failed for sku 991", StructuredMetadata: push.LabelsAdapter{{Name: "trace_id", Value: "0af7651916cd43dd8448eb211c80319c"}}},
			{Timestamp: now.Add(time.Millisecond), Line: `{"msg":"reservation retried","level":"warn","user_id":"u-55"}`},
		},
	}}}
	raw, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	body := snappy.Encode(nil, raw)
	if status, b := post("application/x-protobuf", body, ""); status != 401 || !strings.Contains(b, "API key") {
		t.Fatalf("no key: %d %q", status, b)
	}
	if status, b := post("application/x-protobuf", body, ingestKey); status != 204 {
		t.Fatalf("protobuf push: %d %q", status, b)
	}
	js := `{"streams":[{"stream":{"service_name":"inventory","job":"shop/inventory"},"values":[["` +
		strings.Repeat("9", 30) + `","overflow"],["` + strconv.FormatInt(now.UnixNano(), 10) + `","restock scheduled",{"request_id":"req-8"}]]}]}`
	status, b := post("application/json", []byte(js), ingestKey)
	if status != 400 || !strings.Contains(b, `stream {job="shop/inventory", service_name="inventory"} entry 1: invalid timestamp`) || !strings.Contains(b, "1 of 2 entries refused") {
		t.Fatalf("JSON push with a bad entry: %d %q", status, b)
	}
	flush(t, a)
	r := search(t, a.URL(), `service:inventory`, "now-1h", "now+1h", 10)
	if len(r.Events) != 3 {
		t.Fatalf("stored %d events, want 3: %+v", len(r.Events), r.Events)
	}
	by := map[string]int{}
	for i, e := range r.Events {
		by[e.Message] = i
	}
	e := r.Events[by["stock reservation failed for sku 991"]]
	if e.Level != "error" || e.TraceID != "0af7651916cd43dd8448eb211c80319c" || e.Attributes["job"] != "shop/inventory" || e.Attributes["namespace"] != "prod" {
		t.Errorf("protobuf entry = %+v", e)
	}
	if e := r.Events[by["reservation retried"]]; e.Level != "warn" || e.UserID != "u-55" {
		t.Errorf("JSON line entry = %+v", e)
	}
	if e := r.Events[by["restock scheduled"]]; e.Attributes["job"] != "shop/inventory" {
		t.Errorf("JSON push entry = %+v", e)
	}
}

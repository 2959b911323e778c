package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/posthog/posthog-go"
)

// postJSON posts a body with the read key and decodes the answer.
func postQuery(t *testing.T, base, path string, body any, out any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+adminKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("POST %s %s: %d %s", path, b, resp.StatusCode, rb)
	}
	if err := json.Unmarshal(rb, out); err != nil {
		t.Fatalf("decode %s: %v\n%s", path, err, rb)
	}
}

// capture sends a raw capture request and returns status and body.
func capture(t *testing.T, base, path, contentType string, header http.Header, body []byte) (int, captureAnswer) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a captureAnswer
	rb, _ := io.ReadAll(resp.Body)
	json.Unmarshal(rb, &a)
	a.raw = string(rb)
	return resp.StatusCode, a
}

type captureAnswer struct {
	Success  bool `json:"success"`
	Accepted int  `json:"accepted"`
	Rejected int  `json:"rejected"`
	Errors   []struct {
		Index  int    `json:"index"`
		Reason string `json:"reason"`
	} `json:"errors"`
	raw string
}

type funnelAnswer struct {
	Steps []struct {
		Name                   string  `json:"name"`
		Persons                int64   `json:"persons"`
		ConversionRate         float64 `json:"conversion_rate"`
		DropoffRate            float64 `json:"dropoff_rate"`
		MedianSecondsToConvert float64 `json:"median_seconds_to_convert"`
		DropoffErrors          []struct {
			Kind    string `json:"kind"`
			Label   string `json:"label"`
			Service string `json:"service"`
			Persons int64  `json:"persons"`
		} `json:"dropoff_errors"`
		SampleJourneys []string `json:"sample_journeys"`
	} `json:"steps"`
	Breakdown []struct {
		Value string `json:"value"`
		Steps []struct {
			Persons int64 `json:"persons"`
		} `json:"steps"`
	} `json:"breakdown"`
}

// TestPostHogGoClientToFunnel sends events with the real posthog-go
// client: an anonymous visitor who is later aliased to a user, two other
// users, and a backend error for the one who dropped. The funnel counts
// persons (the anonymous view belongs to alice) and shows the error among
// those who dropped.
func TestPostHogGoClientToFunnel(t *testing.T) {
	a := startApp(t)
	client, err := posthog.NewWithConfig(ingestKey, posthog.Config{Endpoint: a.URL(), Interval: 50 * time.Millisecond, BatchSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	at := func(s int) time.Time { return base.Add(time.Duration(s) * time.Second) }
	enqueue := func(m posthog.Message) {
		t.Helper()
		if err := client.Enqueue(m); err != nil {
			t.Fatal(err)
		}
	}
	// alice browses anonymously on device dev-1, then signs in.
	enqueue(posthog.Capture{DistinctId: "dev-1", Event: "Product Viewed", Timestamp: at(0),
		Properties: posthog.NewProperties().Set("$device_id", "dev-1").Set("plan", "pro").Set("$current_url", "https://shop.example/p/42")})
	enqueue(posthog.Alias{DistinctId: "alice", Alias: "dev-1", Timestamp: at(5)})
	enqueue(posthog.Identify{DistinctId: "alice", Timestamp: at(6), Properties: posthog.NewProperties().Set("email", "alice@example.com")})
	enqueue(posthog.Capture{DistinctId: "alice", Event: "Checkout Started", Timestamp: at(20)})
	enqueue(posthog.Capture{DistinctId: "alice", Event: "Order Completed", Timestamp: at(50), Properties: posthog.NewProperties().Set("amount", 42.5)})
	// bob reaches checkout and his payment fails.
	enqueue(posthog.Capture{DistinctId: "bob", Event: "Product Viewed", Timestamp: at(1), Properties: posthog.NewProperties().Set("plan", "free")})
	enqueue(posthog.Capture{DistinctId: "bob", Event: "Checkout Started", Timestamp: at(40)})
	// carol only looks.
	enqueue(posthog.Capture{DistinctId: "carol", Event: "Product Viewed", Timestamp: at(2), Properties: posthog.NewProperties().Set("plan", "free")})
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	logLine := `{"ts":"` + at(45).UTC().Format(time.RFC3339Nano) + `","level":"error","service":"payment","user_id":"bob","error_type":"PaymentDeclined","msg":"card declined"}`
	if code, _, body, err := post(ctx, http.DefaultClient, a.URL(), "/api/v1/ingest", ingestKey, "application/x-ndjson", []byte(logLine)); err != nil || code != 200 {
		t.Fatalf("ingest backend log: %d %s %v", code, body, err)
	}
	flush(t, a)

	r := search(t, a.URL(), "kind:event OR kind:pageview", "now-1h", "now+1h", 100)
	if len(r.Events) != 8 {
		t.Fatalf("stored %d product events, want 8: %+v", len(r.Events), r.Events)
	}

	var f funnelAnswer
	postQuery(t, a.URL(), "/api/v1/funnels", map[string]any{
		"steps":  []map[string]string{{"event": "Product Viewed"}, {"event": "Checkout Started"}, {"event": "Order Completed"}},
		"window": "1h", "from": "now-1h", "to": "now", "breakdown": "plan",
	}, &f)
	if len(f.Steps) != 3 {
		t.Fatalf("steps = %+v", f.Steps)
	}
	got := []int64{f.Steps[0].Persons, f.Steps[1].Persons, f.Steps[2].Persons}
	if got[0] != 3 || got[1] != 2 || got[2] != 1 {
		t.Fatalf("persons per step = %v, want [3 2 1] (alice's anonymous view merged into her)", got)
	}
	if f.Steps[1].ConversionRate != 2.0/3 || f.Steps[0].DropoffRate != 1.0/3 || f.Steps[1].DropoffRate != 1.0/3 {
		t.Errorf("rates = %+v", f.Steps)
	}
	// alice: view at 0 → checkout at 20; bob 1 → 40: median 29.5s.
	if f.Steps[1].MedianSecondsToConvert != 29.5 || f.Steps[2].MedianSecondsToConvert != 30 {
		t.Errorf("median seconds = %v, %v; want 29.5, 30", f.Steps[1].MedianSecondsToConvert, f.Steps[2].MedianSecondsToConvert)
	}
	de := f.Steps[1].DropoffErrors
	if len(de) != 1 || de[0].Label != "PaymentDeclined" || de[0].Service != "payment" || de[0].Persons != 1 {
		t.Errorf("drop-off errors after checkout = %+v, want bob's PaymentDeclined", de)
	}
	if len(f.Steps[1].SampleJourneys) != 1 || f.Steps[1].SampleJourneys[0] != "/api/v1/journeys/user/bob" {
		t.Errorf("sample journeys = %v", f.Steps[1].SampleJourneys)
	}
	bd := map[string]int64{}
	for _, b := range f.Breakdown {
		bd[b.Value] = b.Steps[2].Persons
	}
	if len(bd) != 2 || bd["pro"] != 1 || bd["free"] != 0 {
		t.Errorf("breakdown by plan = %+v", f.Breakdown)
	}

	// alice's journey includes what she did before she was known.
	var j journeyResult
	getJSON(t, a.URL(), "/api/v1/journeys/user/alice", url.Values{"from": {"now-1h"}}, &j)
	names := []string{}
	for _, e := range j.Events {
		names = append(names, e.Name)
	}
	if len(names) == 0 || names[0] != "/p/42" && names[0] != "Product Viewed" {
		t.Errorf("alice's journey = %v, want it to start with the anonymous product view", names)
	}
}

func TestSegmentCaptureAndBadInput(t *testing.T) {
	a := startApp(t)
	now := time.Now().UTC()
	ts := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339Nano) }
	big := strings.Repeat("x", 20000)
	batch := map[string]any{"batch": []map[string]any{
		{"type": "page", "anonymousId": "anon-7", "timestamp": ts(-5 * time.Minute), "name": "Home",
			"properties": map[string]any{"path": "/", "url": "https://shop.example/?utm_source=newsletter&utm_campaign=spring", "referrer": "https://news.example/"},
			"context":    map[string]any{"userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", "sessionId": "s-1"}},
		{"type": "track", "anonymousId": "anon-7", "event": "Signed Up", "timestamp": ts(-4 * time.Minute), "properties": map[string]any{"note": big, "nested": map[string]any{"a": 1, "b": true}}},
		{"type": "identify", "anonymousId": "anon-7", "userId": "dana", "traits": map[string]any{"plan": "pro"}, "timestamp": ts(-3 * time.Minute)},
		{"type": "alias", "previousId": "legacy-dana", "userId": "dana"},
		{"type": "track", "userId": "dana", "event": "From The Future", "timestamp": ts(48 * time.Hour)},
		{"type": "track", "userId": "dana", "timestamp": ts(-time.Minute)},
		{"type": "track", "event": "Nobody", "timestamp": ts(-time.Minute)},
		{"type": "dance", "userId": "dana"},
	}}
	body, _ := json.Marshal(batch)
	basic := http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(ingestKey+":"))}}
	code, ans := capture(t, a.URL(), "/v1/batch", "application/json", basic, body)
	if code != 200 || ans.Accepted != 5 || ans.Rejected != 3 {
		t.Fatalf("batch: %d %s", code, ans.raw)
	}
	reasons := map[int]string{}
	for _, e := range ans.Errors {
		reasons[e.Index] = e.Reason
	}
	if reasons[5] != "missing event name" || reasons[6] != "missing id" || reasons[7] != "invalid message" {
		t.Errorf("reasons = %v", reasons)
	}
	// Wrong key, and a single call rejected as a whole.
	if code, _ := capture(t, a.URL(), "/v1/track", "application/json", http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("nope:"))}}, []byte(`{"event":"x","userId":"u"}`)); code != 401 {
		t.Errorf("unknown write key: %d, want 401", code)
	}
	if code, ans := capture(t, a.URL(), "/v1/track", "application/json", basic, []byte(`{"userId":"u"}`)); code != 400 || len(ans.Errors) != 1 || ans.Errors[0].Reason != "missing event name" {
		t.Errorf("track without event: %d %s", code, ans.raw)
	}
	flush(t, a)

	r := search(t, a.URL(), "user_id:dana OR anonymous_id:anon-7", "now-1h", "now+1h", 100)
	byName := map[string]map[string]string{}
	for _, e := range r.Events {
		byName[e.Name] = e.Attributes
	}
	if at := byName["From The Future"]; at["lore.ts_clamped"] != "true" || at["lore.original_ts"] == "" {
		t.Errorf("future event attributes = %v, want clamped and flagged", at)
	}
	if at := byName["Signed Up"]; at["lore.truncated"] != "true" || len(at["note"]) != 8192 || at["nested.a"] != "1" || at["nested.b"] != "true" {
		t.Errorf("oversized event: truncated=%q len(note)=%d nested=%q,%q", at["lore.truncated"], len(at["note"]), at["nested.a"], at["nested.b"])
	}
	if at := byName["Home"]; at["browser"] != "Chrome" || at["os"] != "macOS" || at["utm_source"] != "newsletter" || at["path"] != "/" {
		t.Errorf("page attributes = %v", at)
	}

	var w struct {
		Pageviews int64 `json:"pageviews"`
		Visitors  int64 `json:"visitors"`
		Browsers  []struct {
			Value string `json:"value"`
		} `json:"browsers"`
		UTMSources []struct {
			Value string `json:"value"`
		} `json:"utm_sources"`
	}
	getJSON(t, a.URL(), "/api/v1/web", url.Values{"from": {"now-1h"}, "to": {"now+1h"}}, &w)
	if w.Pageviews != 1 || w.Visitors != 1 || len(w.Browsers) != 1 || w.Browsers[0].Value != "Chrome" || len(w.UTMSources) != 1 {
		t.Errorf("web = %+v", w)
	}
}

// TestPostHogBrowserBodies sends what posthog-js sends: a form body of
// base64 (of gzip, with ?compression=gzip-js), and a gzip body.
func TestPostHogBrowserBodies(t *testing.T) {
	a := startApp(t)
	ts := func(s int) string {
		return time.Now().Add(time.Duration(s-60) * time.Second).UTC().Format(time.RFC3339Nano)
	}
	events := []map[string]any{
		{"event": "$pageview", "timestamp": ts(0), "properties": map[string]any{"distinct_id": "d-1", "$device_id": "d-1", "token": ingestKey, "$current_url": "https://shop.example/cart", "$session_id": "sess-9"}},
		{"event": "$identify", "timestamp": ts(1), "properties": map[string]any{"distinct_id": "erin", "$anon_distinct_id": "d-1", "token": ingestKey}},
		{"event": "Clicked Buy", "offset": 30000, "properties": map[string]any{"distinct_id": "erin", "token": ingestKey, "$session_id": "sess-9"}},
	}
	raw, _ := json.Marshal(events)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw)
	zw.Close()
	form := url.Values{"data": {base64.StdEncoding.EncodeToString(gz.Bytes())}}.Encode()
	if code, ans := capture(t, a.URL(), "/e/?compression=gzip-js", "application/x-www-form-urlencoded", nil, []byte(form)); code != 200 || ans.Accepted != 3 {
		t.Fatalf("form body: %d %s", code, ans.raw)
	}
	if code, ans := capture(t, a.URL(), "/batch/", "application/json", http.Header{"Content-Encoding": {"gzip"}}, gzipBytes(t, `{"api_key":"`+ingestKey+`","batch":[{"event":"Clicked Buy","distinct_id":"frank"}]}`)); code != 200 || ans.Accepted != 1 {
		t.Fatalf("gzip batch: %d %s", code, ans.raw)
	}
	if code, _ := capture(t, a.URL(), "/capture/", "application/json", nil, []byte(`{"api_key":"wrong","event":"x","distinct_id":"y"}`)); code != 401 {
		t.Errorf("wrong key: %d, want 401", code)
	}
	if code, _ := capture(t, a.URL(), "/capture/", "application/json", nil, []byte(`{"api_key":"`+readKey+`","event":"x","distinct_id":"y"}`)); code != 403 {
		t.Errorf("read key: %d, want 403", code)
	}
	flush(t, a)
	var f funnelAnswer
	postQuery(t, a.URL(), "/api/v1/funnels", map[string]any{
		"steps": []map[string]string{{"event": "/cart"}, {"event": "Clicked Buy"}}, "from": "now-1h", "to": "now+1h",
	}, &f)
	if f.Steps[0].Persons != 1 || f.Steps[1].Persons != 1 {
		t.Errorf("funnel from the anonymous page view to erin's click = %+v", f.Steps)
	}
}

func gzipBytes(t *testing.T, s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// segmentBatch sends Segment messages with the write key.
func segmentBatch(t *testing.T, base string, msgs []map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"batch": msgs})
	code, ans := capture(t, base, "/v1/batch", "application/json",
		http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(ingestKey+":"))}}, body)
	if code != 200 || ans.Rejected != 0 {
		t.Fatalf("segment batch: %d %s", code, ans.raw)
	}
}

// TestProductAnalyticsAPIAndCLI asks every analysis through the API and
// the CLI over a small shop: three visitors, one of them anonymous until
// signup, one checkout error.
func TestProductAnalyticsAPIAndCLI(t *testing.T) {
	a := startApp(t)
	base := time.Now().Add(-30 * time.Minute).UTC()
	at := func(s int) string { return base.Add(time.Duration(s) * time.Second).Format(time.RFC3339Nano) }
	page := func(s int, user, anon, path string) map[string]any {
		return map[string]any{"type": "page", "userId": user, "anonymousId": anon, "timestamp": at(s),
			"properties": map[string]any{"path": path, "referrer": "https://search.example/"},
			"context":    map[string]any{"userAgent": "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"}}
	}
	track := func(s int, user, anon, name string, props map[string]any) map[string]any {
		return map[string]any{"type": "track", "userId": user, "anonymousId": anon, "event": name, "timestamp": at(s), "properties": props}
	}
	segmentBatch(t, a.URL(), []map[string]any{
		page(0, "", "v1", "/"), page(10, "", "v1", "/pricing"),
		track(20, "", "v1", "Signed Up", map[string]any{"plan": "pro"}),
		{"type": "identify", "anonymousId": "v1", "userId": "ines", "timestamp": at(21)},
		track(30, "ines", "", "Order Completed", map[string]any{"amount": 30}),
		page(0, "jon", "", "/"),
		track(15, "jon", "", "Signed Up", map[string]any{"plan": "free"}),
		page(1000, "kim", "", "/blog"),
	})
	logLine := `{"ts":"` + at(40) + `","level":"error","service":"checkout","user_id":"jon","error_type":"CartExpired","msg":"cart expired"}`
	if code, _, body, err := post(t.Context(), http.DefaultClient, a.URL(), "/api/v1/ingest", ingestKey, "application/x-ndjson", []byte(logLine)); err != nil || code != 200 {
		t.Fatalf("ingest: %d %s %v", code, body, err)
	}
	flush(t, a)

	var ret struct {
		Cohorts []struct {
			Size     int64   `json:"size"`
			Returned []int64 `json:"returned"`
		} `json:"cohorts"`
	}
	postQuery(t, a.URL(), "/api/v1/retention", map[string]any{"start_event": "Signed Up", "return_event": "Order Completed", "period": "day", "periods": 2, "from": "now-1h", "to": "now+1h"}, &ret)
	var size, returned int64
	for _, c := range ret.Cohorts {
		size += c.Size
		returned += c.Returned[0]
	}
	if size != 2 || returned != 1 {
		t.Errorf("retention = %+v, want 2 signed up, 1 ordered", ret)
	}

	var paths struct {
		Paths []struct {
			Steps   []string `json:"steps"`
			Persons int64    `json:"persons"`
		} `json:"paths"`
	}
	postQuery(t, a.URL(), "/api/v1/paths", map[string]any{"end_event": "$error", "depth": 3, "from": "now-1h", "to": "now+1h"}, &paths)
	if len(paths.Paths) != 1 || strings.Join(paths.Paths[0].Steps, ",") != "/,Signed Up,error: CartExpired" {
		t.Errorf("paths ending in an error = %+v", paths)
	}

	var tr struct {
		Series []struct {
			Total float64 `json:"total"`
		} `json:"series"`
	}
	postQuery(t, a.URL(), "/api/v1/trends", map[string]any{"event": "Signed Up", "measure": "persons", "interval": "1h", "from": "now-2h", "to": "now"}, &tr)
	if len(tr.Series) != 1 || tr.Series[0].Total != 2 {
		t.Errorf("trends = %+v", tr)
	}

	var w struct {
		Pageviews  int64   `json:"pageviews"`
		Visitors   int64   `json:"visitors"`
		Sessions   int64   `json:"sessions"`
		BounceRate float64 `json:"bounce_rate"`
	}
	getJSON(t, a.URL(), "/api/v1/web", map[string][]string{"from": {"now-1h"}, "to": {"now+1h"}}, &w)
	if w.Pageviews != 4 || w.Visitors != 3 || w.Sessions != 3 || w.BounceRate != 2.0/3 {
		t.Errorf("web = %+v", w)
	}

	// Bad requests say what is wrong.
	req, _ := http.NewRequest(http.MethodPost, a.URL()+"/api/v1/funnels", strings.NewReader(`{"steps":[{"event":"x"}]}`))
	req.Header.Set("Authorization", "Bearer "+adminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("one-step funnel: %d, want 400", resp.StatusCode)
	}

	out, errOut, code := runCLI(t, "funnel", "Signed Up", "Order Completed", "--from", "now-1h", "--to", "now+1h", "--url", a.URL(), "--key", adminKey)
	if code != 0 {
		t.Fatalf("lore funnel: %d %s", code, errOut)
	}
	t.Logf("lore funnel:\n%s", out)
	for _, want := range []string{"1. Signed Up", "2. Order Completed", "50.0%", "CartExpired", "lore story user jon"} {
		if !strings.Contains(out, want) {
			t.Errorf("lore funnel output lacks %q:\n%s", want, out)
		}
	}
	for _, args := range [][]string{
		{"retention", "Signed Up", "Order Completed", "--from", "now-1h", "--to", "now+1h"},
		{"paths", "--start", "/", "--from", "now-1h", "--to", "now+1h"},
		{"trends", "Signed Up", "--from", "now-1h"},
		{"web", "--from", "now-1h", "--to", "now+1h"},
	} {
		out, errOut, code := runCLI(t, append(args, "--url", a.URL(), "--key", adminKey)...)
		t.Logf("lore %s:\n%s", args[0], out)
		if code != 0 || out == "" {
			t.Errorf("lore %s: %d %s %s", args[0], code, out, errOut)
		}
	}
}

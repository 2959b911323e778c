package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func ingestLines(t *testing.T, base, path, contentType, body string) {
	t.Helper()
	code, _, b, err := post(context.Background(), http.DefaultClient, base, path, ingestKey, contentType, []byte(body))
	if err != nil || code != 200 {
		t.Fatalf("POST %s: %d %s %v", path, code, b, err)
	}
}

func TestErrorsFromLogsAndOTLPExceptions(t *testing.T) {
	a := startApp(t)
	base := a.URL()
	now := time.Now().UTC().Add(-time.Minute)
	ts := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339Nano) }
	javaStack := func(line int) string {
		return fmt.Sprintf(`java.lang.IllegalStateException: cart 7 locked\n\tat com.shop.Cart.lock(Cart.java:%d)\n\tat com.shop.Checkout.run(Checkout.java:12)\n\tat java.lang.Thread.run(Thread.java:833)`, line)
	}
	lines := strings.Join([]string{
		// Two occurrences of one bug logged with a stack (line moved): one issue.
		fmt.Sprintf(`{"ts":%q,"level":"error","service":"cart","msg":"cart 7 locked","error.type":"IllegalStateException","stack":"%s"}`, ts(0), javaStack(40)),
		fmt.Sprintf(`{"ts":%q,"level":"error","service":"cart","msg":"cart 9 locked","error.type":"IllegalStateException","stack":"%s"}`, ts(time.Second), javaStack(44)),
		// An error log without a stack is an error too (every error is an issue).
		fmt.Sprintf(`{"ts":%q,"level":"error","service":"cart","msg":"slow query"}`, ts(2*time.Second)),
		// A warning with a stack stays a log.
		fmt.Sprintf(`{"ts":%q,"level":"warn","service":"cart","msg":"retrying","stack":"%s"}`, ts(3*time.Second), javaStack(40)),
	}, "\n")
	ingestLines(t, base, "/api/v1/ingest", "application/x-ndjson", lines)

	// An OTLP span with an exception event gives an error beside the span.
	nano := fmt.Sprint(now.UnixNano())
	traces := `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"payments"}}]},
	"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"POST /charge",
	"startTimeUnixNano":"` + nano + `","endTimeUnixNano":"` + nano + `","kind":2,"status":{"code":2,"message":"boom"},
	"events":[{"timeUnixNano":"` + nano + `","name":"exception","attributes":[
	{"key":"exception.type","value":{"stringValue":"PaymentError"}},
	{"key":"exception.message","value":{"stringValue":"card declined for order 12"}},
	{"key":"exception.stacktrace","value":{"stringValue":"PaymentError: card declined\n    at charge (/app/pay.js:12:5)\n    at handle (/app/server.js:40:3)"}}]}]}]}]}]}`
	ingestLines(t, base, "/v1/traces", "application/json", traces)
	// An OTLP log record with only exception.type (no message, no stack
	// trace) is an error too: the semantic conventions' way to record one.
	logs := `{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"inventory"}}]},
	"scopeLogs":[{"logRecords":[{"timeUnixNano":"` + nano + `","severityNumber":17,"body":{"stringValue":"reserve failed"},
	"attributes":[{"key":"exception.type","value":{"stringValue":"InventoryTimeout"}}]}]}]}]}`
	ingestLines(t, base, "/v1/logs", "application/json", logs)
	flush(t, a)

	l := listIssues(t, base, nil)
	if len(l.Issues) != 4 {
		t.Fatalf("want 4 issues (logged Java exception, plain error log, OTLP span exception, OTLP log exception), got %+v", l.Issues)
	}
	if slow := findIssue(l, "slow query"); slow == nil || slow.Count != 1 {
		t.Errorf("plain error log = %+v", slow)
	}
	if inv := findIssue(l, "InventoryTimeout"); inv == nil || inv.Count != 1 {
		t.Errorf("OTLP log exception without a stack = %+v", inv)
	}
	java, otlp := findIssue(l, "IllegalStateException"), findIssue(l, "PaymentError")
	if java == nil || java.Count != 2 || java.Culprit != "com.shop.Cart in lock" {
		t.Errorf("logged exception issue = %+v", java)
	}
	if otlp == nil || otlp.Count != 1 || otlp.Culprit != "pay.js in charge" {
		t.Errorf("OTLP exception issue = %+v", otlp)
	}
	if r := search(t, base, "kind:log service:cart", "now-1h", "now+1h", 10); len(r.Events) != 1 {
		t.Errorf("want the warning to stay a log, got %d", len(r.Events))
	}
	if r := search(t, base, "kind:span service:payments", "now-1h", "now+1h", 10); len(r.Events) != 1 {
		t.Errorf("want the span kept beside its error, got %d", len(r.Events))
	}
	var d issueDetail
	getJSON(t, base, fmt.Sprintf("/api/v1/issues/%d", otlp.ID), nil, &d)
	if d.LatestEvent == nil || d.LatestEvent.Stacktrace == nil || len(d.LatestEvent.Stacktrace.Frames) != 2 ||
		d.Related.TraceID != "5b8efff798038103d269b633813fc60c" || len(d.Related.Events) != 1 {
		t.Errorf("OTLP issue detail = %+v", d)
	}
}

func putSettings(t *testing.T, base, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, base+"/api/v1/issues/settings", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func metricValue(t *testing.T, base, line string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, line+" "); ok {
			return v
		}
	}
	return ""
}

func TestFingerprintRulesAndNoiseControls(t *testing.T) {
	a := startApp(t)
	base := a.URL()
	if code, b := putSettings(t, base, `{"fingerprint_rules":["bad rule"]}`); code != 400 {
		t.Errorf("bad rule accepted: %d %s", code, b)
	}
	code, b := putSettings(t, base, `{
		"fingerprint_rules":["error_type:TimeoutError endpoint:/api/pay* -> payment-timeouts"],
		"filters":{"http_status":[404],"error_types":["ValidationError"],"environments":["dev"]},
		"rate_limit_per_minute":3}`)
	if code != 200 {
		t.Fatalf("settings: %d %s", code, b)
	}
	now := time.Now()
	ev := func(typ, msg, fn, endpoint, env string, status int) map[string]any {
		e := sentryError(now, "shop@3.0", typ, msg, fn, 1)
		e["environment"] = env
		e["request"] = map[string]any{"url": "http://shop" + endpoint, "method": "POST"}
		if status > 0 {
			e["tags"] = map[string]any{"http.status_code": fmt.Sprint(status)}
		}
		return e
	}
	// Timeouts on two payment endpoints, raised in different functions:
	// one issue by the rule. A timeout elsewhere keeps its own grouping.
	storeEvent(t, base, ev("TimeoutError", "pay timed out", "Charge", "/api/pay/charge", "prod", 0))
	storeEvent(t, base, ev("TimeoutError", "refund timed out", "Refund", "/api/payments/refund", "prod", 0))
	storeEvent(t, base, ev("TimeoutError", "search timed out", "Search", "/api/search", "prod", 0))
	// Filtered: a 404, a validation error, anything from dev.
	storeEvent(t, base, ev("NotFound", "no such page", "Page", "/x", "prod", 404))
	storeEvent(t, base, ev("ValidationError", "bad email", "Signup", "/api/signup", "prod", 0))
	storeEvent(t, base, ev("Boom", "boom", "Boom", "/api/boom", "dev", 0))
	// Rate limit: 5 events of one fingerprint in a minute, 3 kept.
	for i := 0; i < 5; i++ {
		storeEvent(t, base, ev("Flood", fmt.Sprintf("flood %d", i), "Flood", "/api/flood", "prod", 0))
	}
	flush(t, a)
	l := listIssues(t, base, url.Values{"sort": {"count"}})
	if len(l.Issues) != 3 {
		t.Fatalf("want payment-timeouts, search timeout and flood, got %+v", l.Issues)
	}
	var rule, flood *issueSummary
	for i := range l.Issues {
		switch {
		case strings.HasPrefix(l.Issues[i].Title, "Flood"):
			flood = &l.Issues[i]
		case l.Issues[i].Count == 2:
			rule = &l.Issues[i]
		}
	}
	if rule == nil || flood == nil || flood.Count != 3 {
		t.Fatalf("issues = %+v", l.Issues)
	}
	var detail struct {
		Dropped int64 `json:"dropped"`
	}
	getJSON(t, base, fmt.Sprintf("/api/v1/issues/%d", flood.ID), nil, &detail)
	if detail.Dropped != 2 {
		t.Errorf("flood issue counts %d dropped events, want 2", detail.Dropped)
	}
	for reason, want := range map[string]string{"rate_limit": "2", "filter:http_status": "1", "filter:error_type": "1", "filter:environment": "1"} {
		if got := metricValue(t, base, `lore_errors_dropped_total{reason="`+reason+`"}`); got != want {
			t.Errorf("dropped %s = %q, want %s", reason, got, want)
		}
	}
}

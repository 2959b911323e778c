package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
)

// monitorJSON is a monitor as the API answers it.
type monitorJSON struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	State       string   `json:"state"`
	Value       *float64 `json:"value"`
	Approximate bool     `json:"approximate"`
	Sampled     int64    `json:"sampled"`
	Threshold   float64  `json:"threshold"`
	LastError   string   `json:"last_error"`
	History     []struct {
		From        string   `json:"from"`
		To          string   `json:"to"`
		Value       *float64 `json:"value"`
		Approximate bool     `json:"approximate"`
	} `json:"history"`
}

// allowPrivate lets webhooks reach the test's receivers on loopback
// (lore serve --allow-private-webhooks).
func allowPrivate(c *app.Config) { c.AllowPrivateWebhooks = true }

// monitorsCall sends a JSON request to the monitors API with the read key.
func monitorsCall(t *testing.T, method, url, body string, out any) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == 200 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("decode %s %s: %v\n%s", method, url, err, b)
		}
	}
	return resp.StatusCode, string(b)
}

// TestMonitorsAlertOnErrors ingests payment errors through the real
// ingest path, creates a monitor above the count and evaluates it (ok),
// lowers its threshold under the count and evaluates again (alert): the
// change is in the history, the webhook receives it as JSON, the list
// counts the monitor as down, and bad rules are refused with 400.
func TestMonitorsAlertOnErrors(t *testing.T) {
	a := startApp(t, allowPrivate)
	base := a.URL()
	now := time.Now().UTC()
	var lines []string
	for i := range 12 {
		svc, level := "payment-service", "error"
		if i >= 8 {
			svc, level = "cart", "info"
		}
		exc := ""
		if level == "error" { // a stack makes the error an issue
			exc = `,"error.type":"CardDeclined","stack":"CardDeclined: card declined\n\tat com.shop.Pay.charge(Pay.java:12)"`
		}
		lines = append(lines, fmt.Sprintf(`{"ts":%q,"level":%q,"service":%q,"msg":"card declined %d"%s}`,
			now.Add(-time.Duration(i)*10*time.Second).Format(time.RFC3339Nano), level, svc, i, exc))
	}
	ingestLines(t, base, "/api/v1/ingest", "application/x-ndjson", strings.Join(lines, "\n"))
	flush(t, a)

	hooks := make(chan map[string]any, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n map[string]any
		if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("webhook content type %q", ct)
		}
		hooks <- n
	}))
	defer hook.Close()

	var m monitorJSON
	code, body := monitorsCall(t, http.MethodPost, base+"/api/v1/monitors",
		`{"name":"payment errors","kind":"query","query":"level:error service:payment-service","threshold":10,"window":"5m","webhook":"`+hook.URL+`"}`, &m)
	if code != 200 || m.ID == 0 || m.State != "no_data" {
		t.Fatalf("create: %d %s", code, body)
	}
	monitorURL := fmt.Sprintf("%s/api/v1/monitors/%d", base, m.ID)
	if code, body = monitorsCall(t, http.MethodPost, monitorURL+"/evaluate", "", &m); code != 200 || m.State != "ok" || m.Value == nil || *m.Value != 8 {
		t.Fatalf("8 errors under a threshold of 10: %d %s", code, body)
	}
	code, body = monitorsCall(t, http.MethodPut, monitorURL,
		`{"name":"payment errors","kind":"query","query":"level:error service:payment-service","threshold":5,"window":"5m","webhook":"`+hook.URL+`"}`, &m)
	// The update keeps the state (the server's own evaluator may just have
	// found the new threshold crossed).
	if code != 200 || m.Threshold != 5 || (m.State != "ok" && m.State != "alert") {
		t.Fatalf("update keeps the state: %d %s", code, body)
	}
	if code, body = monitorsCall(t, http.MethodPost, monitorURL+"/evaluate", "", &m); code != 200 || m.State != "alert" || *m.Value != 8 {
		t.Fatalf("8 errors over a threshold of 5: %d %s", code, body)
	}
	select {
	case n := <-hooks:
		mon, _ := n["monitor"].(map[string]any)
		if n["from"] != "ok" || n["to"] != "alert" || n["value"] != 8.0 || n["threshold"] != 5.0 || mon["name"] != "payment errors" {
			t.Errorf("webhook got %v", n)
		}
		// The evidence: the errors in Explore, their issue with its stack, a journey.
		ev, _ := n["evidence"].(map[string]any)
		is, _ := ev["issue"].(map[string]any)
		explore, _ := ev["explore"].(map[string]any)
		if explore["query"] != "level:error service:payment-service" || is["count"] != 8.0 || fmt.Sprint(is["stack"]) != "[charge (Pay.java:12)]" ||
			!strings.Contains(fmt.Sprint(is["title"]), "CardDeclined") {
			t.Errorf("evidence %v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the webhook received nothing for ok → alert")
	}

	var detail monitorJSON
	monitorsCall(t, http.MethodGet, monitorURL, "", &detail)
	if len(detail.History) < 2 || detail.History[0].From != "ok" || detail.History[0].To != "alert" || *detail.History[0].Value != 8 {
		t.Errorf("history (newest first) = %+v, want ok → alert at 8 on top", detail.History)
	}
	var list struct {
		Monitors []monitorJSON `json:"monitors"`
		Alerting int           `json:"alerting"`
	}
	monitorsCall(t, http.MethodGet, base+"/api/v1/monitors", "", &list)
	if len(list.Monitors) != 1 || list.Alerting != 1 || list.Monitors[0].State != "alert" {
		t.Errorf("list = %+v, want one monitor, alerting", list)
	}

	// An error-rate monitor over all services: 8 errors of 12 events.
	var rate monitorJSON
	monitorsCall(t, http.MethodPost, base+"/api/v1/monitors", `{"name":"error rate","kind":"error_rate","threshold":0.5}`, &rate)
	monitorsCall(t, http.MethodPost, fmt.Sprintf("%s/api/v1/monitors/%d/evaluate", base, rate.ID), "", &rate)
	if rate.State != "alert" || rate.Value == nil || *rate.Value < 0.66 || *rate.Value > 0.67 {
		t.Errorf("error rate monitor = %+v, want alert at 8/12", rate)
	}
	// The errors made new issues: an issue monitor sees them.
	var iss monitorJSON
	monitorsCall(t, http.MethodPost, base+"/api/v1/monitors", `{"name":"new issues","kind":"issue","threshold":0,"window":"1h"}`, &iss)
	monitorsCall(t, http.MethodPost, fmt.Sprintf("%s/api/v1/monitors/%d/evaluate", base, iss.ID), "", &iss)
	if iss.State != "alert" || iss.Value == nil || *iss.Value < 1 {
		t.Errorf("issue monitor after new errors = %+v, want alert", iss)
	}
	// An issue monitor of each issue's events: one series per issue.
	var per struct {
		monitorJSON
		Series []struct {
			Key   string   `json:"key"`
			State string   `json:"state"`
			Value *float64 `json:"value"`
		} `json:"series"`
	}
	monitorsCall(t, http.MethodPost, base+"/api/v1/monitors", `{"name":"busy issues","kind":"issue","measure":"events","threshold":5,"window":"1h"}`, &per)
	monitorsCall(t, http.MethodPost, fmt.Sprintf("%s/api/v1/monitors/%d/evaluate", base, per.ID), "", &per)
	if per.State != "alert" || len(per.Series) != 1 || !strings.HasPrefix(per.Series[0].Key, "#") || *per.Series[0].Value != 8 {
		t.Errorf("issue events monitor = %s %q %+v, want one issue in alert at 8 events", per.State, per.LastError, per.Series)
	}
	// Latency without spans has no data.
	var lat monitorJSON
	monitorsCall(t, http.MethodPost, base+"/api/v1/monitors", `{"name":"slow","kind":"latency","query":"service:cart","threshold":500}`, &lat)
	monitorsCall(t, http.MethodPost, fmt.Sprintf("%s/api/v1/monitors/%d/evaluate", base, lat.ID), "", &lat)
	if lat.State != "no_data" || lat.Value != nil {
		t.Errorf("latency monitor without spans = %+v, want no_data", lat)
	}

	// Any aggregate: a query with pipes, one series per group of its stats.
	var agg struct {
		State  string `json:"state"`
		Series []struct {
			Key   string   `json:"key"`
			State string   `json:"state"`
			Value *float64 `json:"value"`
		} `json:"series"`
	}
	var made monitorJSON
	monitorsCall(t, http.MethodPost, base+"/api/v1/monitors", `{"name":"busy services","kind":"aggregate","query":"* | stats count() as n by service","measure":"n","threshold":5}`, &made)
	monitorsCall(t, http.MethodPost, fmt.Sprintf("%s/api/v1/monitors/%d/evaluate", base, made.ID), "", &agg)
	got := map[string]string{}
	for _, s := range agg.Series {
		got[s.Key] = s.State
	}
	if agg.State != "alert" || len(got) != 2 || got["payment-service"] != "alert" || got["cart"] != "ok" {
		t.Errorf("aggregate monitor = %s %+v, want payment-service (8) alert and cart (4) ok", agg.State, agg.Series)
	}

	for _, bad := range []struct{ body, want string }{
		{`{"name":"x","kind":"query","query":"level:error AND (","threshold":1}`, "bad query"},
		{`{"name":"x","kind":"aggregate","query":"level:error | stats p95(duration_ms by endpoint","threshold":1}`, "pipe 1 (stats), column"},
		// The detail GET /api/v1/query gives, for a form to mark the pipe.
		{`{"name":"x","kind":"aggregate","query":"level:error | stats p95(duration_ms by endpoint","threshold":1}`, `"detail":{"q":"level:error | stats p95(duration_ms by endpoint","pipe":1,"name":"stats","column":`},
		{`{"name":"x","kind":"aggregate","query":"level:error | stats p95(duration_ms) as p95 by endpoint","measure":"p99","threshold":1}`, `measure \"p99\" is not a numeric column`},
		{`{"name":"x","kind":"aggregate","query":"level:error","threshold":1}`, "add a stats pipe"},
		{`{"name":"x","kind":"cpu","threshold":1}`, "unknown monitor kind"},
		{`{"name":"x","kind":"query","window":"0s"}`, `window \"0s\" must be above zero`},
		{`{"name":"x","kind":"query","window":"-5m"}`, `window \"-5m\" must be above zero`},
		{`{"name":"","kind":"query"}`, "name"},
		{`{"name":"x","kind":"query","treshold":1}`, "unknown field"},
		{`not json`, "bad monitor JSON"},
	} {
		code, body := monitorsCall(t, http.MethodPost, base+"/api/v1/monitors", bad.body, nil)
		if code != 400 || !strings.Contains(body, bad.want) {
			t.Errorf("POST %s: %d %s, want 400 mentioning %q", bad.body, code, body, bad.want)
		}
	}
	if code, _ := monitorsCall(t, http.MethodPost, base+"/api/v1/monitors", `{"name":"payment errors","kind":"query"}`, nil); code != 409 {
		t.Errorf("duplicate name: %d, want 409", code)
	}
	if code, _ := monitorsCall(t, http.MethodDelete, monitorURL, "", nil); code != 200 {
		t.Errorf("delete: %d", code)
	}
	if code, _ := monitorsCall(t, http.MethodGet, monitorURL, "", nil); code != 404 {
		t.Errorf("deleted monitor: %d, want 404", code)
	}
	// Writes need a key: without one, 401.
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/monitors", bytes.NewReader([]byte(`{}`)))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Errorf("no key: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}

// TestCLIMonitors creates, lists, evaluates and deletes a monitor with the
// lore command against a running server.
func TestCLIMonitors(t *testing.T) {
	a := startApp(t)
	base := a.URL()
	out, errOut, code := runCLI(t, "monitors", "create", "--url", base, "--key", adminKey, "--name", "checkout errors",
		"--query", "level:error service:checkout", "--threshold", "3", "--window", "10m")
	if code != 0 || !strings.Contains(out, "checkout errors") || !strings.Contains(out, "no_data") {
		t.Fatalf("create: %d %s %s", code, out, errOut)
	}
	out, errOut, code = runCLI(t, "monitors", "evaluate", "1", "--url", base, "--key", adminKey)
	rows := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(rows) != 2 || strings.Fields(rows[1])[1] != "ok" {
		t.Fatalf("evaluate: %d %s %s, want the monitor in state ok", code, out, errOut)
	}
	out, _, code = runCLI(t, "monitors", "list", "--url", base, "--key", adminKey)
	if code != 0 || !strings.Contains(out, "> 3 over 10m") {
		t.Fatalf("list: %d %s", code, out)
	}
	_, errOut, code = runCLI(t, "monitors", "create", "--url", base, "--key", adminKey, "--name", "bad", "--kind", "cpu")
	if code == 0 || !strings.Contains(errOut, "unknown monitor kind") {
		t.Errorf("bad kind: %d %s", code, errOut)
	}
	if out, _, code = runCLI(t, "monitors", "delete", "1", "--url", base, "--key", adminKey); code != 0 || !strings.Contains(out, "deleted monitor 1") {
		t.Errorf("delete: %d %s", code, out)
	}
}

// TestMonitorsEvaluateInBackground checks that the server's evaluator
// evaluates a new monitor by itself, without an evaluate request.
func TestMonitorsEvaluateInBackground(t *testing.T) {
	a := startApp(t)
	base := a.URL()
	var m struct {
		ID            int64  `json:"id"`
		State         string `json:"state"`
		LastEvaluated string `json:"last_evaluated"`
	}
	if code, body := monitorsCall(t, http.MethodPost, base+"/api/v1/monitors", `{"name":"quiet","kind":"query","query":"level:fatal","threshold":0}`, &m); code != 200 {
		t.Fatalf("create: %d %s", code, body)
	}
	deadline := time.Now().Add(20 * time.Second) // the evaluator looks every 5s
	for m.LastEvaluated == "" && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		monitorsCall(t, http.MethodGet, fmt.Sprintf("%s/api/v1/monitors/%d", base, m.ID), "", &m)
	}
	if m.LastEvaluated == "" || m.State != "ok" {
		t.Fatalf("after 20s the monitor is %+v, want evaluated in the background and ok (no fatal events)", m)
	}
}

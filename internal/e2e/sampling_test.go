package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/notify"
)

// TestSampledCountsAreEstimated keeps a tenth of a project's info logs:
// the histogram counts the stored events and estimates the total before
// sampling (each kept info log standing for ten), and says it is
// estimated; the errors, always kept, count once. The Overview's split by
// kind, the facets and a count monitor estimate the same way, within a
// tolerance of the 3000 events really sent. The monitor says its value is
// approximate — in its state, its history and the notification its
// webhook receives ("≈") — where a monitor of the errors alone, never
// sampled, says nothing of the kind.
func TestSampledCountsAreEstimated(t *testing.T) {
	a := startOn(t, t.TempDir(), allowPrivate)
	base := a.URL()
	if code, body := putLifecycle(t, base, "sampling", `{"info_logs": 0.1}`); code != 200 {
		t.Fatalf("PUT sampling: %d %s", code, body)
	}
	var b strings.Builder
	now := time.Now().UTC()
	for i := range 3000 {
		level := "info"
		if i%100 == 0 {
			level = "error"
		}
		fmt.Fprintf(&b, `{"ts":%q,"level":%q,"service":"shop","msg":"order %d"}`+"\n", now.Add(-time.Duration(i)*time.Second).Format(time.RFC3339Nano), level, i)
	}
	if code, _, body, err := post(context.Background(), http.DefaultClient, base, "/api/v1/ingest", ingestKey, "application/x-ndjson", []byte(b.String())); err != nil || code != 200 {
		t.Fatalf("ingest: %d %s %v", code, body, err)
	}
	flush(t, a.App)
	var h struct {
		Buckets []struct {
			Count    int64 `json:"count"`
			Estimate int64 `json:"estimate"`
		} `json:"buckets"`
		Sampled *struct {
			Kept           int64 `json:"kept"`
			Total          int64 `json:"total"`
			EstimatedTotal int64 `json:"estimated_total"`
		} `json:"sampled"`
	}
	getJSON(t, base, "/api/v1/histogram", url.Values{"from": {"now-2h"}, "to": {"now+1m"}}, &h)
	if h.Sampled == nil {
		t.Fatal("the histogram does not say its counts are sampled")
	}
	s := h.Sampled
	t.Logf("stored %d, of which %d info logs kept at 0.1; estimated %d", s.Total, s.Kept, s.EstimatedTotal)
	if s.Total != s.Kept+30 || s.Kept < 200 || s.Kept > 420 {
		t.Errorf("stored %d events, %d of them sampled info logs: want the 30 errors and about 297 info logs", s.Total, s.Kept)
	}
	if s.EstimatedTotal != 10*s.Kept+30 {
		t.Errorf("estimated %d, want %d (each kept info log for ten, the errors once)", s.EstimatedTotal, 10*s.Kept+30)
	}
	var sum int64
	for _, b := range h.Buckets {
		if b.Estimate != 0 {
			sum += b.Estimate
		} else {
			sum += b.Count
		}
	}
	if sum != s.EstimatedTotal {
		t.Errorf("the buckets' estimates add up to %d, the total says %d", sum, s.EstimatedTotal)
	}
	const sent = 3000
	within := func(what string, got int64) {
		t.Helper()
		if got < sent*3/4 || got > sent*5/4 {
			t.Errorf("%s: estimated %d, want about the %d sent", what, got, sent)
		}
	}
	within("histogram", s.EstimatedTotal)

	// The Overview's totals: split by kind, each bucket's estimate by kind.
	var byKind struct {
		Buckets []struct {
			Count      int64            `json:"count"`
			By         map[string]int64 `json:"by"`
			Estimate   int64            `json:"estimate"`
			ByEstimate map[string]int64 `json:"by_estimate"`
		} `json:"buckets"`
		Sampled *struct {
			EstimatedTotal int64 `json:"estimated_total"`
		} `json:"sampled"`
	}
	getJSON(t, base, "/api/v1/histogram", url.Values{"from": {"now-2h"}, "to": {"now+1m"}, "by": {"kind"}}, &byKind)
	if byKind.Sampled == nil || byKind.Sampled.EstimatedTotal != s.EstimatedTotal {
		t.Errorf("split by kind: sampled %+v, want the same estimate %d", byKind.Sampled, s.EstimatedTotal)
	}
	var logs, errs int64
	for _, b := range byKind.Buckets {
		if b.Estimate == 0 {
			logs += b.By["log"]
			errs += b.By["error"]
			continue
		}
		logs += b.ByEstimate["log"]
		errs += b.ByEstimate["error"]
	}
	within("logs by kind", logs)
	if errs != 30 {
		t.Errorf("split by kind: %d error events, want the 30 errors (never sampled, not estimated)", errs)
	}

	// Facets: per value and in total.
	var f struct {
		Total  int64 `json:"total"`
		Values []struct {
			Value    string `json:"value"`
			Count    int64  `json:"count"`
			Estimate int64  `json:"estimate"`
		} `json:"values"`
		Sampled *struct {
			Kept           int64 `json:"kept"`
			EstimatedTotal int64 `json:"estimated_total"`
		} `json:"sampled"`
	}
	getJSON(t, base, "/api/v1/facets", url.Values{"from": {"now-2h"}, "to": {"now+1m"}, "field": {"level"}}, &f)
	if f.Sampled == nil || f.Sampled.Kept != s.Kept || f.Sampled.EstimatedTotal != s.EstimatedTotal {
		t.Errorf("facets of level: sampled %+v, want %d kept, estimated %d", f.Sampled, s.Kept, s.EstimatedTotal)
	}
	for _, v := range f.Values {
		switch v.Value {
		case "info":
			if v.Estimate != 10*v.Count {
				t.Errorf("info logs: %d stored, estimated %d; want ten times", v.Count, v.Estimate)
			}
		case "error":
			if v.Count != 30 || v.Estimate != 0 {
				t.Errorf("errors: %d stored, estimated %d; want 30, exact", v.Count, v.Estimate)
			}
		}
	}
	// Ordered by the estimate: the info logs first though fewer are stored.
	if len(f.Values) != 2 || f.Values[0].Value != "info" {
		t.Errorf("facets of level: %+v, want info then error", f.Values)
	}

	// A count monitor reads the estimate: 3000 events sent cross a
	// threshold of 1000 that the ~330 stored would not. It says the value
	// is approximate, and how many of its events sampling kept; a monitor
	// of the errors alone (never sampled) is exact.
	hooks := make(chan notify.Message, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n notify.Message
		if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		hooks <- n
	}))
	defer hook.Close()
	notified := func(name string) notify.Message {
		t.Helper()
		select {
		case n := <-hooks:
			if n.Monitor.Name != name {
				t.Fatalf("the webhook got %q, want %q", n.Text, name)
			}
			return n
		case <-time.After(10 * time.Second):
			t.Fatalf("the webhook received nothing for %q", name)
		}
		return notify.Message{}
	}
	var m monitorJSON
	if code, body := monitorsCall(t, http.MethodPost, base+"/api/v1/monitors",
		`{"name":"shop traffic","kind":"query","query":"service:shop","threshold":1000,"window":"2h","webhook":"`+hook.URL+`"}`, &m); code != 200 {
		t.Fatalf("create monitor: %d %s", code, body)
	}
	monitorsCall(t, http.MethodPost, fmt.Sprintf("%s/api/v1/monitors/%d/evaluate", base, m.ID), "", &m)
	if m.Value == nil || m.State != "alert" {
		t.Fatalf("count monitor: %s %v %q, want alert on the estimate", m.State, m.Value, m.LastError)
	}
	within("monitor", int64(*m.Value))
	if !m.Approximate || m.Sampled != s.Kept {
		t.Errorf("count monitor: approximate %v, sampled %d; want approximate, the %d info logs kept", m.Approximate, m.Sampled, s.Kept)
	}
	var detail monitorJSON
	monitorsCall(t, http.MethodGet, fmt.Sprintf("%s/api/v1/monitors/%d", base, m.ID), "", &detail)
	if len(detail.History) == 0 || detail.History[0].To != "alert" || !detail.History[0].Approximate || !detail.Approximate {
		t.Errorf("count monitor as read again: approximate %v, history %+v; want its alert approximate", detail.Approximate, detail.History)
	}
	n := notified("shop traffic")
	if !n.Approximate || n.Sampled != s.Kept || n.Value == nil || *n.Value != *m.Value ||
		!strings.Contains(n.Text, "(value ≈"+notify.FormatValue(*m.Value)+" (estimated from sampled events), threshold > 1000)") {
		t.Errorf("count monitor's notification: approximate %v, sampled %d, value %v, text %q; want the estimate marked ≈",
			n.Approximate, n.Sampled, n.Value, n.Text)
	}
	var exact monitorJSON
	if code, body := monitorsCall(t, http.MethodPost, base+"/api/v1/monitors",
		`{"name":"shop errors","kind":"query","query":"service:shop level:error","threshold":10,"window":"2h","webhook":"`+hook.URL+`"}`, &exact); code != 200 {
		t.Fatalf("create monitor: %d %s", code, body)
	}
	monitorsCall(t, http.MethodPost, fmt.Sprintf("%s/api/v1/monitors/%d/evaluate", base, exact.ID), "", &exact)
	if exact.Value == nil || *exact.Value != 30 || exact.State != "alert" || exact.Approximate || exact.Sampled != 0 {
		t.Errorf("errors monitor: %s %v approximate %v sampled %d; want alert on the 30 errors, exact", exact.State, exact.Value, exact.Approximate, exact.Sampled)
	}
	n = notified("shop errors")
	if n.Approximate || strings.Contains(n.Text, "≈") || !strings.Contains(n.Text, "(value 30, threshold > 10)") {
		t.Errorf("errors monitor's notification: approximate %v, text %q; want the exact count", n.Approximate, n.Text)
	}

	// Pipes estimate the same way, and mark the column (GET /api/v1/query).
	var q struct {
		Columns []struct {
			Name      string `json:"name"`
			Estimated bool   `json:"estimated"`
		} `json:"columns"`
		Rows [][]any `json:"rows"`
	}
	getJSON(t, base, "/api/v1/query", url.Values{"q": {"| stats count() as n by level"}, "from": {"now-2h"}, "to": {"now+1m"}}, &q)
	byLevel := map[string]float64{}
	for _, r := range q.Rows {
		byLevel[fmt.Sprint(r[0])], _ = r[1].(float64)
	}
	if len(q.Columns) != 2 || !q.Columns[1].Estimated || q.Columns[0].Estimated || byLevel["error"] != 30 {
		t.Errorf("pipes' count by level: %+v %v, want n estimated, 30 errors", q.Columns, q.Rows)
	}
	for _, v := range f.Values {
		if v.Value == "info" && byLevel["info"] != float64(v.Estimate) {
			t.Errorf("pipes estimate %v info logs, the facets %d", byLevel["info"], v.Estimate)
		}
	}
}

package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/sim"
)

// TestShopThrottlingReadsAsAStory runs the simulated shop with the gateway
// throttling incident through the real HTTP ingest paths, checks the stored
// events against the simulation's ground truth, and reads the journey of a
// throttled payment: the browser action, the backend's 429, the retries.
func TestShopThrottlingReadsAsAStory(t *testing.T) {
	a := startApp(t)
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	from, to := day.Add(8*time.Hour), day.Add(12*time.Hour)
	shop := sim.New(sim.Config{Seed: 7, Start: from, SessionsPerDay: 6000,
		Incidents: []sim.Incident{sim.Throttle{At: day.Add(9 * time.Hour), For: 2 * time.Hour}}})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := shop.Backfill(ctx, from, to, sim.NewHTTPSink(a.URL(), ingestKey, nil), nil); err != nil {
		t.Fatal(err)
	}
	flush(t, a)
	truth := shop.Truth().Throttle
	if truth == nil || truth.ThrottledAttempts == 0 {
		t.Fatalf("the simulation throttled nothing: %+v", truth)
	}
	rf, rt := from.Format(time.RFC3339), to.Add(2*time.Hour).Format(time.RFC3339)

	// Every 429 the simulation sent is stored and searchable.
	var f facets
	getJSON(t, a.URL(), "/api/v1/facets", url.Values{"q": {"name:payment_gateway_response http_status:429"}, "field": {"service"}, "from": {rf}, "to": {rt}}, &f)
	if f.Total != int64(truth.ThrottledAttempts) {
		t.Errorf("stored %d throttled gateway responses, the simulation sent %d", f.Total, truth.ThrottledAttempts)
	}
	var retries facets
	getJSON(t, a.URL(), "/api/v1/facets", url.Values{"q": {"name:payment_gateway_retry retry_attempt:>=1"}, "field": {"service"}, "from": {rf}, "to": {rt}}, &retries)
	if retries.Total != int64(truth.Retries) {
		t.Errorf("stored %d retries, the simulation scheduled %d", retries.Total, truth.Retries)
	}

	// A payment that succeeded on a retry tells its story.
	ok := search(t, a.URL(), "name:payment_succeeded retry_attempt:>=1", rf, rt, 5)
	if len(ok.Events) == 0 {
		t.Fatal("no payment succeeded on a retry")
	}
	ev := ok.Events[0]
	var j journeyResult
	getJSON(t, a.URL(), "/api/v1/journeys/user/"+url.PathEscape(ev.UserID), url.Values{"from": {rf}, "to": {rt}}, &j)
	story := storyText(j)
	for _, want := range []string{"429", "retry #1", "later)", "succeeded"} {
		if !strings.Contains(story, want) {
			t.Errorf("user journey story lacks %q:\n%s", want, story)
		}
	}
	if j.Summary.Retries < 1 {
		t.Errorf("summary counts no retries: %+v", j.Summary)
	}
	services := strings.Join(j.Summary.Services, ",")
	for _, s := range []string{"web", "api-gateway", "payment-service"} {
		if !strings.Contains(services, s) {
			t.Errorf("journey services %v lack %s", j.Summary.Services, s)
		}
	}

	// The trace of the first throttled attempt joins browser and backend.
	throttled := search(t, a.URL(), "name:payment_gateway_response http_status:429 user_id:"+ev.UserID, rf, rt, 10)
	if len(throttled.Events) == 0 {
		t.Fatal("the user's throttled attempt is not searchable")
	}
	var tj journeyResult
	getJSON(t, a.URL(), "/api/v1/journeys/trace/"+throttled.Events[len(throttled.Events)-1].TraceID, url.Values{"from": {rf}, "to": {rt}}, &tj)
	kinds := map[string]bool{}
	for _, e := range tj.Events {
		kinds[e.Kind] = true
	}
	if !kinds["span"] || !kinds["log"] {
		t.Errorf("trace journey lacks spans or logs: %v\n%s", kinds, storyText(tj))
	}
	if !strings.Contains(storyText(tj), "429") {
		t.Errorf("trace story does not mention the 429:\n%s", storyText(tj))
	}
	t.Logf("user %s:\n%s", ev.UserID, story)
}

func storyText(j journeyResult) string {
	var b strings.Builder
	for _, l := range j.Story {
		ts := l.TS
		if len(ts) >= 19 {
			ts = ts[11:19]
		}
		b.WriteString(ts + " " + l.Service + ": " + l.Text + "\n")
	}
	return b.String()
}

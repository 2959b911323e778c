package e2e

import (
	"context"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/sim"
)

// storyCards is the answer of GET /api/v1/stories.
type storyCards struct {
	Stories []struct {
		Type      string         `json:"type"`
		Title     string         `json:"title"`
		Severity  string         `json:"severity"`
		From      string         `json:"from"`
		To        string         `json:"to"`
		Facts     map[string]any `json:"facts"`
		Narrative []string       `json:"narrative"`
		Impact    map[string]any `json:"impact"`
		Evidence  struct {
			Queries  map[string]string `json:"queries"`
			TraceIDs []string          `json:"trace_ids"`
			Journeys []string          `json:"journeys"`
		} `json:"evidence"`
		Recommendation string `json:"recommendation"`
	} `json:"stories"`
	Errors []string `json:"errors"`
}

// within reports whether got is within 5% of want (relative).
func within(got, want float64) bool {
	return math.Abs(got-want) <= 0.05*math.Abs(want)+1e-9
}

// TestStoriesThrottlingMatchesTruth runs the shop with the payment gateway
// throttling through a whole server and requires the throttling card's
// numbers to be within 5% of what the simulator injected.
func TestStoriesThrottlingMatchesTruth(t *testing.T) {
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
	if truth == nil || truth.Transactions < 20 {
		t.Fatalf("the simulation throttled too little: %+v", truth)
	}
	var res storyCards
	getJSON(t, a.URL(), "/api/v1/stories", url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Add(time.Hour).Format(time.RFC3339)}}, &res)
	if len(res.Errors) > 0 {
		t.Errorf("detectors failed: %v", res.Errors)
	}
	found := false
	for _, c := range res.Stories {
		if c.Type != "throttling" {
			continue
		}
		found = true
		t.Logf("card: %s [%s]\n%s\n%s", c.Title, c.Severity, strings.Join(c.Narrative, "\n"), c.Recommendation)
		if c.Facts["dependency"] != "payment-gateway" {
			t.Errorf("dependency %v, want payment-gateway", c.Facts["dependency"])
		}
		check := func(fact string, want float64) {
			t.Helper()
			got, _ := c.Facts[fact].(float64)
			if !within(got, want) {
				t.Errorf("%s = %v, the simulator injected %v", fact, got, want)
			}
		}
		check("rate_limited_calls", float64(truth.ThrottledAttempts))
		check("avg_retries_per_transaction", truth.AvgRetries)
		check("eventual_success_rate", truth.SucceededFraction)
		check("abandonment_rate", truth.AbandonedFraction)
		check("transactions", float64(truth.Transactions))
		if c.Severity != "critical" && c.Severity != "warning" {
			t.Errorf("severity %q", c.Severity)
		}
		if len(c.Narrative) < 2 || !strings.Contains(c.Narrative[0], "429") || c.Recommendation == "" {
			t.Errorf("narrative %q, recommendation %q", c.Narrative, c.Recommendation)
		}
		// The evidence opens: its query counts the throttled calls, its
		// traces open as journeys that show the 429.
		var f facets
		getJSON(t, a.URL(), "/api/v1/facets", url.Values{"q": {c.Evidence.Queries["rate_limited_calls"]}, "field": {"service"},
			"from": {from.Format(time.RFC3339)}, "to": {to.Add(time.Hour).Format(time.RFC3339)}}, &f)
		if f.Total != int64(truth.ThrottledAttempts) {
			t.Errorf("evidence query %q counts %d, want %d", c.Evidence.Queries["rate_limited_calls"], f.Total, truth.ThrottledAttempts)
		}
		if len(c.Evidence.Journeys) == 0 {
			t.Fatal("no sample journeys")
		}
		var j journeyResult
		getJSON(t, a.URL(), c.Evidence.Journeys[0], url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Add(time.Hour).Format(time.RFC3339)}}, &j)
		if !strings.Contains(storyText(j), "429") {
			t.Errorf("sample journey %s does not show the 429:\n%s", c.Evidence.Journeys[0], storyText(j))
		}
	}
	if !found {
		t.Fatalf("no throttling card among %d stories", len(res.Stories))
	}
	// The payments that failed cost orders: the funnel detector links
	// the drop after "Payment Submitted" to the errors.
	funnel := false
	for _, c := range res.Stories {
		if c.Type == "funnel_dropoff" {
			t.Logf("funnel card: %s [%s] %v", c.Title, c.Severity, c.Narrative)
			if c.Facts["step"] == "Payment Submitted" && c.Facts["next_step"] == "Order Completed" {
				funnel = true
			}
		}
	}
	if !funnel {
		t.Errorf("no funnel drop-off card after Payment Submitted")
	}

	// The journeys that failed: payments that gave up after their retries
	// are a path of their own, and fail after retries, minutes in.
	var jf struct {
		Failed   int `json:"failed"`
		Journeys []struct {
			Path  string  `json:"path"`
			Count int     `json:"count"`
			Share float64 `json:"share"`
		} `json:"journeys"`
		TimeToFailure map[string]struct {
			Count int     `json:"count"`
			P50S  float64 `json:"p50_s"`
		} `json:"time_to_failure"`
	}
	getJSON(t, a.URL(), "/api/v1/journeys/failures", url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Add(time.Hour).Format(time.RFC3339)}, "limit": {"50"}}, &jf)
	var share float64
	gaveUp := 0
	for _, j := range jf.Journeys {
		share += j.Share
		if strings.Contains(j.Path, "Payment Submitted → error (payment-service RateLimited)") {
			gaveUp += j.Count
		}
	}
	if jf.Failed == 0 || share > 1.0001 || gaveUp == 0 {
		t.Errorf("journey failures: %+v", jf)
	}
	if r := jf.TimeToFailure["after_retries"]; r.Count < truth.Failed || r.P50S < 60 {
		t.Errorf("failures after retries %+v; the simulator failed %d payments after 21 minutes of retries", r, truth.Failed)
	}
}

package e2e

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/sim"
)

// TestShopCheckoutFunnelDuringThrottling runs the simulated shop, its
// browser sending through the SDK's wire format (POST /batch/), with the
// payment gateway throttling from 9:00 to 11:00: the checkout funnel
// converts worse in those hours than around them, its drop-off names what
// the persons who dropped hit, and a browser action's trace still joins
// the backend's records.
func TestShopCheckoutFunnelDuringThrottling(t *testing.T) {
	a := startApp(t)
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	from, to := day.Add(7*time.Hour), day.Add(13*time.Hour)
	shop := sim.New(sim.Config{Seed: 11, Start: from, SessionsPerDay: 12000, CaptureBrowser: true,
		Incidents: []sim.Incident{sim.Throttle{At: day.Add(9 * time.Hour), For: 2 * time.Hour}}})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := shop.Backfill(ctx, from, to, sim.NewHTTPSink(a.URL(), ingestKey, nil), nil); err != nil {
		t.Fatal(err)
	}
	flush(t, a)
	funnel := func(f, t2 time.Time) funnelAnswer {
		var fa funnelAnswer
		postQuery(t, a.URL(), "/api/v1/funnels", map[string]any{
			"steps":  []map[string]string{{"event": "Checkout Started"}, {"event": "Payment Submitted"}, {"event": "Order Completed"}},
			"window": "30m", "from": f.Format(time.RFC3339), "to": t2.Format(time.RFC3339),
		}, &fa)
		return fa
	}
	before := funnel(from, day.Add(9*time.Hour))
	during := funnel(day.Add(9*time.Hour+10*time.Minute), day.Add(11*time.Hour))
	rate := func(f funnelAnswer) float64 { return f.Steps[len(f.Steps)-1].ConversionRate }
	t.Logf("checkout conversion: %.2f before (%d persons), %.2f during the throttling (%d persons)",
		rate(before), before.Steps[0].Persons, rate(during), during.Steps[0].Persons)
	if before.Steps[0].Persons < 20 || during.Steps[0].Persons < 20 {
		t.Fatalf("too few checkouts to compare: %d before, %d during", before.Steps[0].Persons, during.Steps[0].Persons)
	}
	if rate(during) >= rate(before) {
		t.Errorf("conversion during the throttling %.2f is not below %.2f before", rate(during), rate(before))
	}
	var causes []string
	for _, st := range during.Steps {
		for _, c := range st.DropoffErrors {
			causes = append(causes, c.Kind+" "+c.Label)
		}
	}
	if !strings.Contains(strings.Join(causes, "|"), "error") {
		t.Errorf("no errors among the persons who dropped during the throttling: %v", causes)
	}
	t.Logf("drop-off causes during the throttling: %v", causes)

	// The browser's events came through /batch/ and kept their traces.
	rf, rt := from.Format(time.RFC3339), to.Add(time.Hour).Format(time.RFC3339)
	paid := search(t, a.URL(), "name:\"Payment Submitted\"", rf, rt, 1)
	if len(paid.Events) == 0 || paid.Events[0].TraceID == "" || paid.Events[0].Service != "web" {
		t.Fatalf("payment submitted events = %+v", paid.Events)
	}
	var j journeyResult
	getJSON(t, a.URL(), "/api/v1/journeys/trace/"+paid.Events[0].TraceID, url.Values{"from": {rf}, "to": {rt}}, &j)
	services := map[string]bool{}
	for _, e := range j.Events {
		services[e.Service] = true
	}
	if !services["web"] || !services["payment-service"] {
		t.Errorf("the payment's trace holds %v, want the browser and payment-service", services)
	}
	req, _ := http.NewRequest(http.MethodGet, a.URL()+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `lore_events_accepted_total{path="/batch/"}`) {
		t.Errorf("no events accepted through /batch/:\n%s", metrics)
	}
}

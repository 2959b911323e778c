package e2e

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/internal/sim"
)

// runShop backfills [from, to) of a shop into a fresh server.
func runShop(t *testing.T, cfg sim.Config, from, to time.Time) (*app.App, *sim.Shop) {
	t.Helper()
	a := startApp(t)
	cfg.Start = from
	shop := sim.New(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := shop.Backfill(ctx, from, to, sim.NewHTTPSink(a.URL(), ingestKey, nil), nil); err != nil {
		t.Fatal(err)
	}
	flush(t, a)
	return a, shop
}

func stories(t *testing.T, a *app.App, from, to time.Time) storyCards {
	t.Helper()
	var res storyCards
	getJSON(t, a.URL(), "/api/v1/stories", url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}, &res)
	if len(res.Errors) > 0 {
		t.Errorf("detectors failed: %v", res.Errors)
	}
	return res
}

// TestStoriesCascadeOrder slows the shop's database and requires a cascade
// card that starts where the simulator's trouble began (inventory), names
// every service the simulator's signals reached, and orders them by the
// stated rule: by onset minute, then by first deviating sample (checked
// against the events), then by the call graph; the incident timeline
// tells the same order.
func TestStoriesCascadeOrder(t *testing.T) {
	day := time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC)
	from, to := day.Add(8*time.Hour), day.Add(12*time.Hour)
	a, shop := runShop(t, sim.Config{Seed: 5, SessionsPerDay: 6000,
		Incidents: []sim.Incident{sim.SlowDB{At: day.Add(10 * time.Hour), For: time.Hour}}}, from, to)
	truth := shop.Truth().SlowDB
	var want []string
	for _, o := range truth.Onsets {
		if !slices.Contains(want, o.Service) {
			want = append(want, o.Service)
		}
	}
	res := stories(t, a, from, to)
	for _, c := range res.Stories {
		if c.Type != "cascade" {
			continue
		}
		t.Logf("%s\n%s", c.Title, strings.Join(c.Narrative, "\n"))
		var order []string
		for _, s := range c.Facts["services"].([]any) {
			order = append(order, s.(string))
		}
		for _, w := range want {
			if !slices.Contains(order, w) {
				t.Errorf("cascade %v misses %s (the simulator's onsets %v)", order, w, want)
			}
		}
		if len(order) == 0 || order[0] != want[0] {
			t.Errorf("cascade %v does not start in %s", order, want[0])
		}
		// The onsets are in minute order, and in one minute in the order
		// of their first deviating samples, which are real requests:
		// each is the end of a request slower than its threshold.
		type onsetFact struct{ service, signal, at, first string }
		var ons []onsetFact
		for _, o := range c.Facts["onsets"].([]any) {
			m := o.(map[string]any)
			f, _ := m["first_sample"].(string)
			ons = append(ons, onsetFact{m["service"].(string), m["signal"].(string), m["at"].(string), f})
		}
		for i := 1; i < len(ons); i++ {
			p, q := ons[i-1], ons[i]
			if q.at < p.at || q.at == p.at && p.first != "" && q.first != "" && q.first < p.first {
				t.Errorf("onsets out of order: %+v before %+v", p, q)
			}
		}
		for _, o := range ons {
			if o.first == "" || o.signal != "p95_ms" {
				continue
			}
			first, _ := time.Parse(time.RFC3339Nano, o.first)
			r := search(t, a.URL(), "service:"+o.service+" kind:span", first.Add(-time.Minute).Format(time.RFC3339Nano), first.Format(time.RFC3339Nano), 1000)
			found := false
			for _, e := range r.Events {
				start, _ := time.Parse(time.RFC3339Nano, e.TS)
				end := start.Add(time.Duration(e.DurationMS * float64(time.Millisecond)))
				found = found || end.Sub(first).Abs() < time.Millisecond
			}
			if !found {
				t.Errorf("%s's first deviating sample at %s is no request's end", o.service, o.first)
			}
		}
		want = nil
		for _, s := range order {
			if slices.Contains([]string{"inventory", "catalog", "cart", "api-gateway"}, s) {
				want = append(want, s)
			}
		}
		onset, _ := time.Parse(time.RFC3339, c.From)
		if onset.Before(truth.From.Add(-2*time.Minute)) || onset.After(truth.Onsets[0].At.Add(5*time.Minute)) {
			t.Errorf("cascade starts at %s; the slowdown began at %s, first slow query at %s", c.From, truth.From, truth.Onsets[0].At)
		}
		// The incident timeline tells the same order.
		var tl struct {
			Events []struct {
				Service string `json:"service"`
				Signal  string `json:"signal"`
				At      string `json:"at"`
			} `json:"events"`
			Narrative []string `json:"narrative"`
		}
		getJSON(t, a.URL(), "/api/v1/incidents/timeline", url.Values{"at": {truth.From.Add(40 * time.Minute).Format(time.RFC3339)}, "before": {"45m"}}, &tl)
		t.Logf("timeline:\n%s", strings.Join(tl.Narrative, "\n"))
		var tlOrder []string
		for _, e := range tl.Events {
			if slices.Contains(want, e.Service) && !slices.Contains(tlOrder, e.Service) {
				tlOrder = append(tlOrder, e.Service)
			}
		}
		if !slices.Equal(tlOrder, want) {
			t.Errorf("timeline order %v, the cascade card's %v", tlOrder, want)
		}

		// The CLI prints both.
		out, errOut, code := runCLI(t, "stories", "--from", from.Format(time.RFC3339), "--to", to.Format(time.RFC3339), "--url", a.URL(), "--key", adminKey)
		if code != 0 || !strings.Contains(out, "[critical] "+c.Title) || !strings.Contains(out, "Recommended:") {
			t.Errorf("lore stories exited %d:\n%s%s", code, out, errOut)
		}
		out, errOut, code = runCLI(t, "timeline", "--at", truth.From.Add(40*time.Minute).Format(time.RFC3339), "--before", "45m", "--url", a.URL(), "--key", adminKey)
		if code != 0 || !strings.Contains(out, "First, inventory") {
			t.Errorf("lore timeline exited %d:\n%s%s", code, out, errOut)
		}
		return
	}
	t.Fatalf("no cascade card: %+v", res.Stories)
}

// TestStoriesBadRelease deploys a release that throws a new exception and
// requires a new-error card naming the release, the error and its count.
func TestStoriesBadRelease(t *testing.T) {
	day := time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)
	from, to := day.Add(8*time.Hour), day.Add(11*time.Hour)
	br := sim.BadRelease{At: day.Add(9*time.Hour + 30*time.Minute), Service: "catalog", Release: "2026.11.5-build7",
		Endpoint: "/api/products", ErrorType: "NullPointerException", Message: "java.lang.NullPointerException: price is null", Rate: 0.3}
	a, shop := runShop(t, sim.Config{Seed: 9, SessionsPerDay: 8000, Incidents: []sim.Incident{br}}, from, to)
	truth := shop.Truth().BadRelease
	if truth.Count < 10 {
		t.Fatalf("the bad release failed too little: %+v", truth)
	}
	res := stories(t, a, from, to)
	for _, c := range res.Stories {
		if c.Type != "new_error" || c.Facts["release"] != truth.Release {
			continue
		}
		t.Logf("%s [%s]\n%s", c.Title, c.Severity, strings.Join(c.Narrative, "\n"))
		if c.Facts["service"] != truth.Service || c.Facts["error_type"] != truth.ErrorType {
			t.Errorf("facts %v, truth %+v", c.Facts, truth)
		}
		if n, _ := c.Facts["errors"].(float64); !within(n, float64(truth.Count)) {
			t.Errorf("count %v, the simulator emitted %d", n, truth.Count)
		}
		first, _ := time.Parse(time.RFC3339, c.Facts["first_seen"].(string))
		if d := first.Sub(truth.FirstSeen); d < -time.Second || d > time.Second {
			t.Errorf("first seen %s, truth %s", first, truth.FirstSeen)
		}
		if c.Severity == "info" || len(c.Evidence.TraceIDs) == 0 {
			t.Errorf("severity %s, traces %v", c.Severity, c.Evidence.TraceIDs)
		}
		return
	}
	t.Fatalf("no new-error card for %s: %+v", truth.Release, res.Stories)
}

// TestStoriesQuietShop runs the shop without incidents on several seeds and
// requires no card above "info".
func TestStoriesQuietShop(t *testing.T) {
	day := time.Date(2026, 11, 6, 0, 0, 0, 0, time.UTC)
	for _, seed := range []int64{1, 2, 3} {
		from, to := day.Add(6*time.Hour), day.Add(10*time.Hour)
		a, _ := runShop(t, sim.Config{Seed: seed, SessionsPerDay: 6000}, from, to)
		for _, c := range stories(t, a, from, to).Stories {
			if c.Severity != "info" {
				t.Errorf("seed %d: %s card %q [%s]: %s", seed, c.Type, c.Title, c.Severity, strings.Join(c.Narrative, " "))
			}
		}
	}
}

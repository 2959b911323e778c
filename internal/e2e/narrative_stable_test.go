package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/sim"
)

// TestStoriesReadTheSameOverAnyWindow slows the shop's database at 14:00
// for an hour, then has the payment gateway throttle and a bad release
// ship later that day, and asks for the stories of the last 24 hours
// (which begin at 14:54 and cut the slowdown), 3 days and 7 days, all
// ending at the same moment: each tells the same cascade — the same
// services in the same order, starting at the same minute, the
// simulator's — and the 24 hours' card says the incident began before its
// window; the throttling and new-error cards read the same facts in all
// three.
func TestStoriesReadTheSameOverAnyWindow(t *testing.T) {
	day := time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC)
	incident := day.Add(14 * time.Hour)
	now := day.Add(24*time.Hour + 14*time.Hour + 54*time.Minute)
	a, shop := runShop(t, sim.Config{Seed: 7, SessionsPerDay: 4000,
		Incidents: []sim.Incident{
			sim.SlowDB{At: incident, For: time.Hour},
			sim.Throttle{At: day.Add(17 * time.Hour), For: 40 * time.Minute},
			sim.BadRelease{At: day.Add(20 * time.Hour), Rate: 0.3},
		}}, day.Add(8*time.Hour), now)
	truth := shop.Truth().SlowDB
	var want []string
	for _, o := range truth.Onsets {
		if !slices.Contains(want, o.Service) {
			want = append(want, o.Service)
		}
	}
	type reading struct {
		window       string
		from         string
		services     []string // the simulator's among the card's
		onsets       string   // every onset: service, signal, minute, value, baseline
		narrative    string
		beforeWindow bool
	}
	var readings []reading
	others := map[string][]string{} // card → its facts in each window
	told := map[string]bool{}       // cards the 24 hours tell
	for _, w := range []struct {
		name string
		d    time.Duration
	}{{"24h", 24 * time.Hour}, {"3d", 72 * time.Hour}, {"7d", 168 * time.Hour}} {
		res := stories(t, a, now.Add(-w.d), now)
		for _, c := range res.Stories {
			// The slowdown's new errors, some first seen before the 24
			// hours began: told in every window from where they began.
			if start, _ := time.Parse(time.RFC3339, c.From); c.Type == "new_error" && !start.Before(incident) && start.Before(now.Add(-24*time.Hour)) {
				k := "slowdown " + c.Title
				others[k] = append(others[k], fmt.Sprintf("%s %v %v %v", c.From, c.Facts["first_seen"], c.Facts["error_type"], c.Facts["errors"]))
				told[k] = told[k] || w.name == "24h"
			}
			// The cards of the later incidents, inside all three windows.
			if start, _ := time.Parse(time.RFC3339, c.From); (c.Type == "throttling" || c.Type == "new_error") && !start.Before(now.Add(-24*time.Hour)) {
				k := c.Type + " " + c.Title
				others[k] = append(others[k], fmt.Sprintf("%s %v %s", c.From, c.Facts, strings.Join(c.Narrative, " ")))
				told[k] = told[k] || w.name == "24h"
			}
		}
		found := false
		for _, c := range res.Stories {
			if c.Type != "cascade" {
				continue
			}
			var got []string
			for _, s := range c.Facts["services"].([]any) {
				if slices.Contains(want, s.(string)) {
					got = append(got, s.(string))
				}
			}
			before, _ := c.Facts["began_before_window"].(bool)
			readings = append(readings, reading{w.name, c.From, got, fmt.Sprint(c.Facts["onsets"]), strings.Join(c.Narrative, " "), before})
			found = true
			break
		}
		if !found {
			t.Errorf("%s: no cascade card among %d stories", w.name, len(res.Stories))
		}
	}
	for _, r := range readings {
		t.Logf("%s: from %s, %v: %s", r.window, r.from, r.services, r.narrative)
		// It starts where the simulator's trouble began and reaches every
		// service the simulator's signals reached (the order within a
		// minute is the stated rule's: see TestStoriesCascadeOrder).
		if len(r.services) != len(want) || r.services[0] != want[0] {
			t.Errorf("%s: services %v, the simulator's onsets %v", r.window, r.services, want)
		}
		onset, _ := time.Parse(time.RFC3339, r.from)
		if onset.Before(truth.From.Add(-2*time.Minute)) || onset.After(truth.Onsets[0].At.Add(3*time.Minute)) {
			t.Errorf("%s: the cascade starts at %s; the slowdown began at %s, first slow query at %s", r.window, r.from, truth.From, truth.Onsets[0].At)
		}
		// The same onsets, in the same order, with the same figures.
		if r.from != readings[0].from || r.onsets != readings[0].onsets {
			t.Errorf("%s reads differently from %s:\n%s %s\n%s %s", r.window, readings[0].window, r.from, r.onsets, readings[0].from, readings[0].onsets)
		}
	}
	kinds := map[string]bool{}
	for k, rs := range others {
		kinds[strings.Fields(k)[0]] = true
		// Each card the 24 hours tell, the longer windows tell too (an
		// error of the slowdown over before the 24 hours began is not
		// theirs to tell).
		if told24 := told[k]; told24 && len(rs) != 3 || !told24 && !strings.HasPrefix(k, "slowdown") {
			t.Errorf("%s: told in %d of the three windows (24 hours: %v)", k, len(rs), told24)
		}
		for _, r := range rs[1:] {
			if told[k] && r != rs[0] {
				t.Errorf("%s reads differently over the windows:\n%s\n%s", k, rs[0], r)
			}
		}
	}
	t.Logf("the 24 hours tell %v", told)
	slowdown24 := 0
	for k := range told {
		if strings.HasPrefix(k, "slowdown") {
			slowdown24++
		}
	}
	if !kinds["throttling"] || !kinds["new_error"] || slowdown24 == 0 {
		t.Errorf("the throttling and the bad release were not told: %v", kinds)
	}
	for _, r := range readings {
		if (r.window == "24h") != r.beforeWindow {
			t.Errorf("%s: began_before_window = %v", r.window, r.beforeWindow)
		}
		if r.window == "24h" && !strings.Contains(r.narrative, "before this window") {
			t.Errorf("24h: the narrative does not say the incident began before the window: %s", r.narrative)
		}
	}
}

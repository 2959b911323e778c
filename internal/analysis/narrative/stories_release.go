package narrative

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

const (
	// releaseLookback is how far before the range errors are looked up to
	// decide that an error is new, and releases to find deploys.
	releaseLookback = int64(7 * 24 * time.Hour / time.Microsecond)
	// releaseWindow is how long after a deploy a new error or a latency
	// change is blamed on it, and how long before it the latency baseline
	// is measured.
	releaseWindow = int64(time.Hour / time.Microsecond)
)

// deploys are the releases that replaced an earlier release of the same
// service (a service's first release in sight is not a deploy: there is
// nothing to compare with), within the range.
func deploys(starts []store.ReleaseStart, r store.Range) []store.ReleaseStart {
	first := map[string]int64{}
	for _, s := range starts {
		if f, ok := first[s.Service]; !ok || s.FirstTS < f {
			first[s.Service] = s.FirstTS
		}
	}
	var out []store.ReleaseStart
	for _, s := range starts {
		if s.FirstTS > first[s.Service] && s.FirstTS >= r.From && s.FirstTS < r.To {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].FirstTS < out[j].FirstTS })
	return out
}

// detectNewErrors finds error groups never seen before the range (within a
// week's lookback). A new error of a service that was deployed shortly
// before it first appeared, seen in the new release, is a "new error
// after a release" card (warning, critical from 50 rows); other new errors
// make info cards only: with no deploy to blame they are often the first
// sight of a rare error.
func detectNewErrors(ctx context.Context, st store.Narrative, project int64, r store.Range) ([]Card, error) {
	since := r.From - releaseLookback
	groups, err := errorGroups(ctx, st, project, r, since, 200)
	if err != nil {
		return nil, err
	}
	starts, err := releaseStarts(ctx, st, project, r, since)
	if err != nil {
		return nil, err
	}
	// Like the cascade, an error that began in the lookback before the
	// window and goes on in it is told from where it began (see
	// stories_onset.go), with the deploy before it.
	lookFrom := r.From - onsetLookback
	deps := deploys(starts, store.Range{From: lookFrom, To: r.To})
	// Such an error is counted since it began, as the other windows count
	// it.
	var sinceStart, firstOfType map[string]int64
	for _, g := range groups {
		if g.FirstTS >= lookFrom && g.FirstTS < r.From {
			ext, err := errorGroups(ctx, st, project, store.Range{From: lookFrom, To: r.To}, since, 200)
			if err != nil {
				return nil, err
			}
			sinceStart = map[string]int64{}
			firstOfType = map[string]int64{}
			for _, x := range ext {
				sinceStart[x.Service+"\x00"+x.Key] = x.Count
				if k := x.Service + "\x00" + x.ErrorType; firstOfType[k] == 0 || x.FirstTS < firstOfType[k] {
					firstOfType[k] = x.FirstTS
				}
			}
			break
		}
	}
	groups = slices.Clone(groups) // the resolver's answer is shared: count on a copy
	for i, g := range groups {
		if n, ok := sinceStart[g.Service+"\x00"+g.Key]; ok && g.FirstTS < r.From {
			groups[i].Count = n
		}
	}
	var cards []Card
	for _, g := range oneGroupPerType(groups) {
		if f, ok := firstOfType[g.Service+"\x00"+g.ErrorType]; ok && g.ErrorType != "" && g.FirstTS < r.From {
			g.FirstTS = min(g.FirstTS, f) // a sibling group with no row in the window began it
		}
		if g.FirstTS < lookFrom {
			continue // seen before
		}
		var dep *store.ReleaseStart
		for i := range deps {
			d := &deps[i]
			if d.Service == g.Service && d.FirstTS <= g.FirstTS && g.FirstTS-d.FirstTS <= releaseWindow && hasString(g.Releases, d.Release) {
				dep = d
			}
		}
		name := g.ErrorType
		if name == "" {
			name = "error"
		}
		c := Card{
			Type: CardNewError, Severity: SeverityInfo,
			From: event.FormatMicros(g.FirstTS), To: event.FormatMicros(r.To), fromTS: g.FirstTS,
			Facts: map[string]any{"service": g.Service, "error_type": g.ErrorType, "message": g.Message, "errors": g.Count,
				"first_seen": event.FormatMicros(g.FirstTS), "endpoint": g.Endpoint, "releases": g.Releases},
			Impact: map[string]any{"errors": g.Count},
			Evidence: Evidence{Queries: map[string]string{
				"errors": fmt.Sprintf("service:%q error_type:%q level:>=error", g.Service, g.ErrorType),
			}},
		}
		c.Evidence.TraceIDs, c.Evidence.Journeys = sampleEvidence(g.TraceIDs, 3)
		c.Title = fmt.Sprintf("New %s in %s", name, g.Service)
		c.Narrative = []string{fmt.Sprintf("%s started raising %q at %s, never seen in the week before; %d so far.", g.Service, g.Message, clockUTC(g.FirstTS), g.Count)}
		if g.FirstTS < r.From {
			c.Facts["began_before_window"] = true
			c.Narrative[0] = fmt.Sprintf("%s started raising %q at %s, before this window began (%s), never seen in the week before; %d so far.",
				g.Service, g.Message, clockUTC(g.FirstTS), clockUTC(r.From), g.Count)
		}
		c.Recommendation = fmt.Sprintf("Open a sample journey to see the failing request, and fix or handle the %s.", name)
		if dep != nil {
			c.Title = fmt.Sprintf("New %s in %s after release %s", name, g.Service, dep.Release)
			c.Facts["release"], c.Facts["released_at"] = dep.Release, event.FormatMicros(dep.FirstTS)
			c.Facts["minutes_after_release"] = round3(float64(g.FirstTS-dep.FirstTS) / 60e6)
			c.Severity = SeverityWarning
			if g.Count >= 50 {
				c.Severity = SeverityCritical
			}
			where := ""
			if g.Endpoint != "" {
				where = " on " + g.Endpoint
			}
			c.Narrative = append(c.Narrative, fmt.Sprintf("%s %s was deployed at %s; the error appeared %s later%s, only in the new release.",
				g.Service, dep.Release, clockUTC(dep.FirstTS), humanMinutes(g.FirstTS-dep.FirstTS), where))
			c.Recommendation = fmt.Sprintf("Roll %s back from %s, or fix the %s%s before it reaches more users.", g.Service, dep.Release, name, where)
			c.Evidence.Queries["release"] = fmt.Sprintf("service:%q release:%q error_type:%q", g.Service, dep.Release, g.ErrorType)
		} else if g.Count < 3 {
			continue
		}
		cards = append(cards, c)
	}
	return cards, nil
}

// oneGroupPerType keeps one error group per service and error type: the
// same failure is often grouped twice, by its exception's fingerprint and
// by the pattern of the request log that reported it, and is one story.
// The group whose message names the error type is kept (it tells what
// broke), else the larger; groups without an error type stay as they are.
func oneGroupPerType(groups []store.ErrorGroup) []store.ErrorGroup {
	type key struct{ service, errType string }
	at := map[key]int{}
	var out []store.ErrorGroup
	for _, g := range groups {
		if g.ErrorType == "" {
			out = append(out, g)
			continue
		}
		k := key{g.Service, g.ErrorType}
		i, seen := at[k]
		if !seen {
			at[k] = len(out)
			out = append(out, g)
			continue
		}
		kept := &out[i]
		names := strings.Contains(g.Message, g.ErrorType)
		keptNames := strings.Contains(kept.Message, kept.ErrorType)
		if (names && !keptNames) || (names == keptNames && g.Count > kept.Count) {
			first := min(kept.FirstTS, g.FirstTS)
			*kept = g
			kept.FirstTS = first
		} else {
			kept.FirstTS = min(kept.FirstTS, g.FirstTS)
		}
	}
	return out
}

// detectRegressions compares each deployed service's known errors (groups
// seen before the deploy) in the hour before and after it: a group at least
// three times as frequent after, with 20 more rows, regressed with the
// release.
func detectRegressions(ctx context.Context, st store.Narrative, project int64, r store.Range) ([]Card, error) {
	starts, err := releaseStarts(ctx, st, project, r, r.From-releaseLookback)
	if err != nil {
		return nil, err
	}
	var cards []Card
	for _, d := range deploys(starts, r) {
		before, err := errorGroups(ctx, st, project, store.Range{From: d.FirstTS - releaseWindow, To: d.FirstTS}, d.FirstTS-releaseWindow, 500)
		if err != nil {
			return nil, err
		}
		after, err := errorGroups(ctx, st, project, store.Range{From: d.FirstTS, To: d.FirstTS + releaseWindow}, d.FirstTS-releaseWindow, 500)
		if err != nil {
			return nil, err
		}
		was := map[string]int64{}
		for _, g := range before {
			if g.Service == d.Service {
				was[g.Key] = g.Count
			}
		}
		for _, g := range after {
			b, known := was[g.Key]
			if g.Service != d.Service || !known || g.Count < 3*b || g.Count-b < 20 {
				continue
			}
			name := g.ErrorType
			if name == "" {
				name = "error"
			}
			c := Card{
				Type: CardRegression, Severity: SeverityWarning,
				Title: fmt.Sprintf("%s in %s got %.0fx more frequent after %s", name, d.Service, float64(g.Count)/float64(b), d.Release),
				From:  event.FormatMicros(d.FirstTS), To: event.FormatMicros(d.FirstTS + releaseWindow), fromTS: d.FirstTS,
				Facts: map[string]any{"service": d.Service, "release": d.Release, "error_type": g.ErrorType, "message": g.Message,
					"errors_before": b, "errors_after": g.Count, "window": "1h"},
				Impact: map[string]any{"extra_errors": g.Count - b},
				Evidence: Evidence{Queries: map[string]string{
					"errors_after": fmt.Sprintf("service:%q error_type:%q release:%q", d.Service, g.ErrorType, d.Release),
				}},
				Narrative: []string{fmt.Sprintf("%s %s was deployed at %s; %q went from %d in the hour before to %d in the hour after.",
					d.Service, d.Release, clockUTC(d.FirstTS), g.Message, b, g.Count)},
				Recommendation: fmt.Sprintf("Roll %s back from %s, or find what the release changed around the %s.", d.Service, d.Release, name),
			}
			c.Evidence.TraceIDs, c.Evidence.Journeys = sampleEvidence(g.TraceIDs, 3)
			if g.Count-b >= 100 {
				c.Severity = SeverityCritical
			}
			cards = append(cards, c)
		}
	}
	return cards, nil
}

// detectLatencyRegressions compares each deployed service's p95 latency in
// the hour before and after the deploy: a rise of half or more (and at
// least 50 ms) is a regression.
func detectLatencyRegressions(ctx context.Context, st store.Narrative, project int64, r store.Range) ([]Card, error) {
	starts, err := releaseStarts(ctx, st, project, r, r.From-releaseLookback)
	if err != nil {
		return nil, err
	}
	var cards []Card
	for _, d := range deploys(starts, r) {
		step := int64(time.Minute / time.Microsecond)
		rng := store.Range{From: d.FirstTS - releaseWindow, To: min(d.FirstTS+releaseWindow, r.To)}
		rng.From -= rng.From % step
		pts, err := serviceSeries(ctx, st, store.ServiceSeriesRequest{ProjectID: project, Range: rng, Step: step})
		if err != nil {
			return nil, err
		}
		var before, after []float64
		for _, p := range pts {
			if p.Service != d.Service || p.Requests < 5 {
				continue
			}
			if p.Start+step <= d.FirstTS {
				before = append(before, p.P95MS)
			} else if p.Start >= d.FirstTS {
				after = append(after, p.P95MS)
			}
		}
		if len(before) < 10 || len(after) < 10 {
			continue
		}
		b, a := robustMedian(before), robustMedian(after)
		if a < 1.5*b || a-b < 50 {
			continue
		}
		c := Card{
			Type: CardLatencyRegression, Severity: SeverityWarning,
			Title: fmt.Sprintf("%s got slower after %s", d.Service, d.Release),
			From:  event.FormatMicros(d.FirstTS), To: event.FormatMicros(rng.To), fromTS: d.FirstTS,
			Facts: map[string]any{"service": d.Service, "release": d.Release, "p95_before_ms": round3(b), "p95_after_ms": round3(a),
				"change": round3(a/b - 1)},
			Impact:   map[string]any{"p95_added_ms": round3(a - b)},
			Evidence: Evidence{Queries: map[string]string{"after": fmt.Sprintf("service:%q release:%q kind:span", d.Service, d.Release)}},
			Narrative: []string{fmt.Sprintf("%s %s was deployed at %s; its median per-minute p95 latency went from %s to %s (+%s).",
				d.Service, d.Release, clockUTC(d.FirstTS), humanMS(b), humanMS(a), percent(a/b-1))},
			Recommendation: fmt.Sprintf("Compare %s with the previous release's slow spans; roll back if the slowdown hurts users.", d.Release),
		}
		if a >= 3*b {
			c.Severity = SeverityCritical
		}
		cards = append(cards, c)
	}
	return cards, nil
}

func hasString(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func humanMinutes(us int64) string {
	d := time.Duration(us) * time.Microsecond
	if d < time.Minute {
		return fmt.Sprintf("%.0fs", d.Seconds())
	}
	return fmt.Sprintf("%.0f minutes", d.Minutes())
}

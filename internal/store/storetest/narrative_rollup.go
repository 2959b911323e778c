package storetest

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/analysis/services"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// RunNarrativeRollups checks that a backend which precomputes the
// narrative's per-minute figures (ServiceSeries, ErrorGroups,
// ReleaseStarts) answers exactly what aggregating the raw events gives: with the minutes filled
// by several batches, out of order, after a restart and after a refused
// replay. open opens (creating if needed) the store kept in dir; the suite
// closes what it opens.
func RunNarrativeRollups(t *testing.T, open func(t *testing.T, dir string) NarrativeStore) {
	t.Run("SeriesErrorsReleasesEqualRawEvents", func(t *testing.T) { testRollupSeries(t, open) })
}

// rollupEvents makes n events of a few services around narrT0, spread
// over 30 minutes: spans with durations and statuses, request logs, error
// logs, retries, and events without a service or of another project.
func rollupEvents(rng *rand.Rand, n int) []event.Event {
	svcs := []string{"api", "db", "logs-only", ""}
	var out []event.Event
	for range n {
		e := event.Event{
			ProjectID: 1 + int64(rng.IntN(10)/9), // a tenth in project 2
			TS:        narrT0 + rng.Int64N(30*narrMin),
			Service:   svcs[rng.IntN(len(svcs))],
			Level:     []string{"info", "warn", "error", "fatal"}[rng.IntN(4)],
		}
		switch k := rng.IntN(10); {
		case e.Service == "logs-only" || k < 4:
			e.Kind = []string{event.KindLog, event.KindLog, event.KindError, event.KindEvent}[rng.IntN(4)]
		default:
			e.Kind = event.KindSpan
		}
		if rng.IntN(3) > 0 {
			e.DurationMS = math.Round(rng.ExpFloat64()*100*1000) / 1000
		}
		if rng.IntN(2) == 0 {
			e.HTTPStatus = []int32{200, 201, 404, 429, 500, 503}[rng.IntN(6)]
		}
		if rng.IntN(5) == 0 {
			e.RetryAttempt = int32(rng.IntN(4))
		}
		e.ErrorType = []string{"", "Timeout", "TypeError"}[rng.IntN(3)]
		if rng.IntN(2) == 0 {
			e.Fingerprint = "fp-" + e.ErrorType
		}
		e.Release = []string{"v1", "v2"}[min(rng.IntN(3), 1)]
		out = append(out, e)
	}
	return out
}

// rawSeries aggregates the events as store.ServicePoint documents.
func rawSeries(evs []event.Event, project int64, r store.Range, step int64) []store.ServicePoint {
	type acc struct {
		p          store.ServicePoint
		sreq, serr int64
		lreq, lerr int64
		sd, ld     []float64
	}
	accs := map[[2]any]*acc{}
	spans := map[string]bool{}
	for _, e := range evs {
		if e.ProjectID != project || e.TS < r.From || e.TS >= r.To || e.Service == "" {
			continue
		}
		b := (e.TS - r.From) / step
		k := [2]any{e.Service, b}
		a := accs[k]
		if a == nil {
			a = &acc{p: store.ServicePoint{Service: e.Service, Start: r.From + b*step}}
			accs[k] = a
		}
		isErr := e.Kind == event.KindError || e.Level == "error" || e.Level == "fatal" || e.HTTPStatus >= 500
		if e.Kind == event.KindSpan {
			spans[e.Service] = true
			a.sreq++
			if isErr {
				a.serr++
			}
			if e.DurationMS != 0 {
				a.sd = append(a.sd, e.DurationMS)
			}
		} else {
			if e.DurationMS != 0 || e.HTTPStatus != 0 {
				a.lreq++
				if isErr {
					a.lerr++
				}
			}
			if e.DurationMS != 0 {
				a.ld = append(a.ld, e.DurationMS)
			}
		}
		if e.RetryAttempt >= 1 {
			a.p.Retries++
		}
		if e.Kind == event.KindLog || e.Kind == event.KindError {
			a.p.Logs++
			if e.Level == "error" || e.Level == "fatal" {
				a.p.ErrorLogs++
			}
		}
	}
	var out []store.ServicePoint
	for _, a := range accs {
		p := a.p
		if spans[p.Service] {
			p.Requests, p.Errors, p.P95MS = a.sreq, a.serr, quantileCont(a.sd, 0.95)
		} else {
			p.Requests, p.Errors, p.P95MS = a.lreq, a.lerr, quantileCont(a.ld, 0.95)
		}
		out = append(out, p)
	}
	sortPoints(out)
	return out
}

// quantileCont is the q-quantile interpolated between the two nearest
// values (SQL's quantile_cont); 0 without values.
func quantileCont(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	xs = append([]float64(nil), xs...)
	sort.Float64s(xs)
	pos := q * float64(len(xs)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return xs[lo] + (pos-float64(lo))*(xs[hi]-xs[lo])
}

func sortPoints(ps []store.ServicePoint) {
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].Service != ps[j].Service {
			return ps[i].Service < ps[j].Service
		}
		return ps[i].Start < ps[j].Start
	})
}

// checkSeries compares ServiceSeries with the raw aggregation over
// minute-aligned ranges (whole days of minutes), a range ending inside a
// minute, and an unaligned one.
func checkSeries(t *testing.T, when string, s store.Narrative, evs []event.Event) {
	t.Helper()
	for _, c := range []struct {
		name    string
		project int64
		r       store.Range
		step    int64
	}{
		{"minutes", 1, store.Range{From: narrT0 - 10*narrMin, To: narrT0 + 40*narrMin}, narrMin},
		{"minutes of project 2", 2, store.Range{From: narrT0, To: narrT0 + 30*narrMin}, narrMin},
		{"inner minutes", 1, store.Range{From: narrT0 + 5*narrMin, To: narrT0 + 7*narrMin}, narrMin},
		{"ending inside a minute", 1, store.Range{From: narrT0 + 3*narrMin, To: narrT0 + 12*narrMin + 17_000_123}, narrMin},
		{"unaligned", 1, store.Range{From: narrT0 + 29_000_000, To: narrT0 + 20*narrMin}, narrMin},
		{"five minutes", 1, store.Range{From: narrT0, To: narrT0 + 30*narrMin}, 5 * narrMin},
	} {
		// services.Series through the store (its rollup, when it has one),
		// and by SQL alone, which must give the same points.
		q := services.Series{ProjectID: c.project, Range: c.r, Step: c.step}
		got, err := q.Run(context.Background(), s)
		if err != nil {
			t.Fatalf("%s: ServiceSeries(%s): %v", when, c.name, err)
		}
		sortPoints(got)
		want := rawSeries(evs, c.project, c.r, c.step)
		bySQL, err := q.Run(context.Background(), plainExec{s})
		if err != nil {
			t.Fatalf("%s: ServiceSeries(%s) by SQL: %v", when, c.name, err)
		}
		sortPoints(bySQL)
		if !sameSeries(bySQL, want) {
			t.Errorf("%s: ServiceSeries(%s) by SQL = %+v\nraw events %+v", when, c.name, bySQL, want)
		}
		if len(got) != len(want) {
			t.Errorf("%s: ServiceSeries(%s) has %d points, the raw events %d", when, c.name, len(got), len(want))
			continue
		}
		for i := range got {
			g, w := got[i], want[i]
			if math.Abs(g.P95MS-w.P95MS) > 1e-9*max(1, w.P95MS) {
				t.Errorf("%s: ServiceSeries(%s)[%d] p95 = %v, raw events %v", when, c.name, i, g.P95MS, w.P95MS)
			}
			g.P95MS = w.P95MS
			if g != w {
				t.Errorf("%s: ServiceSeries(%s)[%d] = %+v, raw events %+v", when, c.name, i, g, w)
			}
		}
	}
}

// checkErrorsAndReleases compares each error group's count and first row
// (fingerprinted groups) and the release starts with the raw events.
func checkErrorsAndReleases(t *testing.T, when string, s store.Narrative, evs []event.Event) {
	t.Helper()
	since, r := narrT0-60*narrMin, store.Range{From: narrT0 + 10*narrMin, To: narrT0 + 40*narrMin}
	type key struct{ svc, typ, fp string }
	type agg struct{ n, first int64 }
	want := map[key]agg{}
	starts := map[[2]string]int64{}
	for _, e := range evs {
		if e.ProjectID != 1 || e.TS < since || e.TS >= r.To {
			continue
		}
		if e.Release != "" && e.Service != "" {
			k := [2]string{e.Service, e.Release}
			if f, ok := starts[k]; !ok || e.TS < f {
				starts[k] = e.TS
			}
		}
		isErr := e.Kind == event.KindError || e.Kind != event.KindSpan && (e.Level == "error" || e.Level == "fatal")
		if !isErr || e.Fingerprint == "" {
			continue
		}
		k := key{e.Service, e.ErrorType, e.Fingerprint}
		a, ok := want[k]
		if !ok || e.TS < a.first {
			a.first = e.TS
		}
		if e.TS >= r.From {
			a.n++
		}
		want[k] = a
	}
	groups, err := errorGroups(t, s, r, since, 1000)
	if err != nil {
		t.Fatalf("%s: ErrorGroups: %v", when, err)
	}
	seen := 0
	for _, g := range groups {
		if !strings.HasPrefix(g.Key, "fp-") {
			continue
		}
		seen++
		w := want[key{g.Service, g.ErrorType, g.Key}]
		if g.Count != w.n || g.FirstTS != w.first {
			t.Errorf("%s: error group %s/%s/%s: count %d, first %d; raw events %d, %d", when, g.Service, g.ErrorType, g.Key, g.Count, g.FirstTS, w.n, w.first)
		}
	}
	n := 0
	for _, a := range want {
		if a.n > 0 {
			n++
		}
	}
	if seen != n || n < 5 {
		t.Errorf("%s: %d fingerprinted error groups, raw events %d", when, seen, n)
	}
	rs, err := releaseStarts(t, s, r, since)
	if err != nil {
		t.Fatalf("%s: ReleaseStarts: %v", when, err)
	}
	if len(rs) != len(starts) {
		t.Errorf("%s: %d release starts, raw events %d", when, len(rs), len(starts))
	}
	for _, x := range rs {
		if f := starts[[2]string{x.Service, x.Release}]; f != x.FirstTS {
			t.Errorf("%s: release %s of %s starts at %d, raw events %d", when, x.Release, x.Service, x.FirstTS, f)
		}
	}
}

func testRollupSeries(t *testing.T, open func(t *testing.T, dir string) NarrativeStore) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 11))
	evs := rollupEvents(rng, 3000)
	s := open(t, dir)
	// Five batches fill the same minutes, each out of time order with the
	// others (Append sorts within a batch only).
	var stored []event.Event
	for i := range 5 {
		b := append([]event.Event(nil), evs[i*500:(i+1)*500]...)
		narrAppend(t, s, uint64(i+1), b...)
		stored = append(stored, b...)
	}
	checkSeries(t, "after 5 batches", s, stored)
	checkErrorsAndReleases(t, "after 5 batches", s, stored)

	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = open(t, dir)
	checkSeries(t, "after a restart", s, stored)
	checkErrorsAndReleases(t, "after a restart", s, stored)

	// A replayed batch is refused, and changes nothing.
	replay := append([]event.Event(nil), evs[2500:]...)
	for i := range replay {
		replay[i].ProjectID = 1
		replay[i].ReceivedAt = replay[i].TS
	}
	if err := s.Append(context.Background(), store.Batch{Seq: 3, Events: replay}); err == nil {
		t.Fatal("Append of an already committed seq succeeded")
	}
	checkSeries(t, "after a refused replay", s, stored)
	checkErrorsAndReleases(t, "after a refused replay", s, stored)

	// An error without a service, alone in its minute, is an error group
	// all the same.
	last := append([]event.Event{{TS: narrT0 + 35*narrMin, Kind: event.KindError, ErrorType: "Lonely", Fingerprint: "fp-lonely"}}, evs[2500:]...)
	narrAppend(t, s, 6, last...)
	stored = append(stored, last...)
	checkSeries(t, "after the next batch", s, stored)
	checkErrorsAndReleases(t, "after the next batch", s, stored)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// sameSeries compares points, their p95s within rounding.
func sameSeries(got, want []store.ServicePoint) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g, w := got[i], want[i]
		if math.Abs(g.P95MS-w.P95MS) > 1e-9*max(1, w.P95MS) {
			return false
		}
		g.P95MS = w.P95MS
		if g != w {
			return false
		}
	}
	return true
}

package narrative

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/lore-dev/lore/internal/analysis/patternstats"
	"github.com/lore-dev/lore/internal/analysis/resolve"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// Robust baselines. Each service's signals are measured per step (one
// minute by default). A signal's baseline is the median of its values over
// the baseline period, and its spread the median absolute deviation (MAD)
// scaled by 1.4826 so that it estimates the standard deviation of normal
// noise. Median and MAD ignore up to half of the baseline being abnormal
// (a mean and standard deviation are dragged by a single spike). A value
// crosses the "warning" threshold above median + 3·spread and the
// "critical" one above median + 6·spread, where the spread is never taken
// below a floor per signal (a flat baseline has MAD 0: without the floor
// any wobble would count):
//
//	error_rate  errors / requests    floor 0.01 (one point); 5 requests in the step at least
//	p95_ms      95th percentile      floor 10% of the median, at least 20 ms; 2 requests in the step at least
//	retries     rows with retry_attempt >= 1   floor 1
//	error_logs  error-level log rows floor 1
//
// A signal left its baseline at the first step of a run of at least
// persistSteps steps above the warning threshold: a blip of one or two
// minutes is noise (a p95 over a few dozen requests jumps whenever two slow
// ones share a minute), a rise that lasts three is not.
const (
	madScale     = 1.4826
	warnK        = 3.0
	critK        = 6.0
	persistSteps = 3
)

// timelineSignals are measured for every service, in the order reported.
var timelineSignals = []string{"error_rate", "p95_ms", "retries", "error_logs"}

// signalValue reads one signal of a point; ok is false when the point
// cannot measure it (no requests for a rate).
func signalValue(p store.ServicePoint, sig string) (v float64, ok bool) {
	switch sig {
	case "error_rate":
		if p.Requests < 5 {
			return 0, false
		}
		return float64(p.Errors) / float64(p.Requests), true
	case "p95_ms":
		if p.Requests < 2 || p.P95MS == 0 {
			return 0, false
		}
		return p.P95MS, true
	case "retries":
		return float64(p.Retries), true
	case "error_logs":
		return float64(p.ErrorLogs), true
	}
	return 0, false
}

// spreadFloor is the least spread of a signal with baseline median m.
func spreadFloor(sig string, m float64) float64 {
	switch sig {
	case "error_rate":
		return 0.01
	case "p95_ms":
		return max(0.1*m, 20)
	}
	return 1
}

// Baseline is a signal's robust baseline.
type Baseline struct {
	Median float64 `json:"median"`
	MAD    float64 `json:"mad"`
	Warn   float64 `json:"warning_above"`
	Crit   float64 `json:"critical_above"`
}

func robustBaseline(sig string, vals []float64) Baseline {
	m := robustMedian(vals)
	dev := make([]float64, len(vals))
	for i, v := range vals {
		dev[i] = math.Abs(v - m)
	}
	mad := robustMedian(dev)
	spread := max(madScale*mad, spreadFloor(sig, m))
	return Baseline{Median: round3(m), MAD: round3(mad), Warn: round3(m + warnK*spread), Crit: round3(m + critK*spread)}
}

func robustMedian(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Anomaly is a service's signal leaving its baseline.
type Anomaly struct {
	Service  string   `json:"service"`
	Signal   string   `json:"signal"`
	At       string   `json:"at"` // first step of the run above the warning threshold
	Value    float64  `json:"value"`
	Peak     float64  `json:"peak"`
	Baseline Baseline `json:"baseline"`
	Crossed  []string `json:"crossed"` // "warning", then "critical" when reached
	CritAt   string   `json:"critical_at,omitempty"`
	Text     string   `json:"text"`
	// FirstSample is when the first deviating sample of the onset minute
	// was recorded, when it was read to order onsets in the same minute
	// (see stories_onset.go).
	FirstSample string `json:"first_sample,omitempty"`
	at, endAt   int64
	first       int64
	depth       int
}

// findAnomalies measures every service's signals over points, with the
// baseline taken from the points before from (or, when there are none,
// from all points), and returns the signals that left their baseline at
// or after from, in order of onset (ties: the callee deeper in the call
// graph first, as trouble travels from callee to caller).
func findAnomalies(points []store.ServicePoint, from, step int64, depth map[string]int) []Anomaly {
	bySvc := map[string][]store.ServicePoint{}
	for _, p := range points {
		bySvc[p.Service] = append(bySvc[p.Service], p)
	}
	var out []Anomaly
	for svc, ps := range bySvc {
		for _, sig := range timelineSignals {
			var base []float64
			for _, p := range ps {
				if p.Start < from {
					if v, ok := signalValue(p, sig); ok {
						base = append(base, v)
					}
				}
			}
			if len(base) < 10 {
				base = base[:0]
				for _, p := range ps {
					if v, ok := signalValue(p, sig); ok {
						base = append(base, v)
					}
				}
			}
			if len(base) < 10 {
				continue
			}
			bl := robustBaseline(sig, base)
			if a, ok := onset(svc, sig, ps, from, step, bl); ok {
				a.depth = depth[svc]
				out = append(out, a)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.at != b.at {
			return a.at < b.at
		}
		if a.depth != b.depth {
			return a.depth > b.depth
		}
		if a.Service != b.Service {
			return a.Service < b.Service
		}
		return a.Signal < b.Signal
	})
	return out
}

// onset finds the first run of persistSteps steps above the warning
// threshold at or after from. Steps with too few requests to measure a
// rate or a latency are skipped; for error_logs and retries a step without
// rows counts as zero.
func onset(svc, sig string, ps []store.ServicePoint, from, step int64, bl Baseline) (Anomaly, bool) {
	var a Anomaly
	run, found := 0, false
	for i, p := range ps {
		if p.Start < from {
			continue
		}
		v, ok := signalValue(p, sig)
		if !ok && sig != "retries" && sig != "error_logs" {
			continue // too few requests to measure: neither normal nor not
		}
		if i > 0 && p.Start-ps[i-1].Start > step && !found && (sig == "retries" || sig == "error_logs") {
			run = 0 // steps without rows count zero
		}
		if v <= bl.Warn {
			if !found {
				run = 0
			} else if a.endAt == 0 {
				a.endAt = p.Start
			}
			continue
		}
		if !found {
			if run == 0 {
				a = Anomaly{Service: svc, Signal: sig, Baseline: bl, Value: round3(v), at: p.Start, Crossed: []string{SeverityWarning}}
			}
			run++
			if run >= persistSteps {
				found = true
			}
		}
		if found || run > 0 {
			a.Peak = round3(max(a.Peak, v))
			if v > bl.Crit && a.CritAt == "" {
				a.CritAt = event.FormatMicros(p.Start)
			}
		}
	}
	if !found {
		return Anomaly{}, false
	}
	if a.CritAt != "" {
		a.Crossed = append(a.Crossed, SeverityCritical)
	}
	a.At = event.FormatMicros(a.at)
	a.Text = anomalyText(a)
	return a, true
}

func anomalyText(a Anomaly) string {
	switch a.Signal {
	case "error_rate":
		return fmt.Sprintf("%s errors rose at %s (%s of requests, usually %s)", a.Service, clockUTC(a.at), percent(a.Value), percent(a.Baseline.Median))
	case "p95_ms":
		return fmt.Sprintf("%s latency rose at %s (p95 %s, usually %s)", a.Service, clockUTC(a.at), humanMS(a.Value), humanMS(a.Baseline.Median))
	case "retries":
		return fmt.Sprintf("%s retries rose at %s (%.0f a minute, usually %.0f)", a.Service, clockUTC(a.at), a.Value, a.Baseline.Median)
	case "error_logs":
		return fmt.Sprintf("%s error logs rose at %s (%.0f a minute, usually %.0f)", a.Service, clockUTC(a.at), a.Value, a.Baseline.Median)
	case "new_pattern":
		return fmt.Sprintf("%s logged a new message pattern at %s", a.Service, clockUTC(a.at))
	case "new_error":
		return fmt.Sprintf("%s raised a new error at %s", a.Service, clockUTC(a.at))
	}
	return fmt.Sprintf("%s %s changed at %s", a.Service, a.Signal, clockUTC(a.at))
}

func humanMS(ms float64) string {
	if ms >= 1000 {
		return fmt.Sprintf("%.1fs", ms/1000)
	}
	return fmt.Sprintf("%.0fms", ms)
}

// callDepth ranks services by how deep they sit in the call graph: a
// service called by another is deeper than its caller.
func callDepth(edges []store.CallEdge) map[string]int {
	depth := map[string]int{}
	for range 8 { // relax; the graph is small and may have cycles
		changed := false
		for _, e := range edges {
			if d := depth[e.From] + 1; d > depth[e.To] && d < 16 {
				depth[e.To] = d
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	return depth
}

// Timeline is a query object: what went abnormal first, in order, in the
// Before µs up to At, per service and signal, against the baseline of the
// BaselineFor µs before that window.
type Timeline struct {
	ProjectID   int64
	At          int64 // µs
	Before      int64 // µs; default 15 minutes
	BaselineFor int64 // µs; default 2 hours
}

// TimelineResult answers GET /api/v1/incidents/timeline.
type TimelineResult struct {
	At        string    `json:"at"`
	From      string    `json:"from"`
	Baseline  string    `json:"baseline"` // how the baselines were computed
	Step      string    `json:"step"`
	Events    []Anomaly `json:"events"`
	Narrative []string  `json:"narrative"`
}

// Key identifies the query, for caching results.
func (t Timeline) Key() string {
	return fmt.Sprintf("timeline:%d:%d:%d:%d", t.ProjectID, t.At, t.Before, t.BaselineFor)
}

// windows are the query's window and baseline lengths, defaults applied.
func (t Timeline) windows() (before, baseFor int64) {
	before, baseFor = t.Before, t.BaselineFor
	if before <= 0 {
		before = int64(15 * time.Minute / time.Microsecond)
	}
	if baseFor <= 0 {
		baseFor = int64(2 * time.Hour / time.Microsecond)
	}
	return before, baseFor
}

// Scope is what the query reads: the baseline and the window.
func (t Timeline) Scope() sqlq.Scope {
	before, baseFor := t.windows()
	return sqlq.Scope{ProjectID: t.ProjectID, From: t.At - before - baseFor, To: t.At}
}

// Resolve reads the services' signals, new log patterns and new errors
// through res (its narrative role; the query objects it shares with the
// story detectors are remembered by Key()). tm, when not nil, dates
// patterns by the miner's memory (first ever seen) rather than by their
// first row in the baseline and window.
func (t Timeline) Resolve(ctx context.Context, res *resolve.Resolver, tm Templates) (TimelineResult, error) {
	st := on(res)
	before, baseFor := t.windows()
	step := int64(time.Minute / time.Microsecond)
	if before > 60*step {
		step = (before/60 + step - 1) / step * step
	}
	from := t.At - before
	whole := store.Range{From: from - baseFor, To: t.At}
	points, err := serviceSeries(ctx, st, store.ServiceSeriesRequest{ProjectID: t.ProjectID, Range: whole, Step: step})
	if err != nil {
		return TimelineResult{}, fmt.Errorf("cannot read service signals: %w", err)
	}
	_, edges, err := serviceMap(ctx, st, t.ProjectID, store.Range{From: from, To: t.At})
	if err != nil {
		return TimelineResult{}, fmt.Errorf("cannot read calls: %w", err)
	}
	depth := callDepth(edges)
	events := findAnomalies(points, from, step, depth)
	if err := orderOnsets(ctx, st, t.ProjectID, events); err != nil {
		return TimelineResult{}, fmt.Errorf("cannot order onsets: %w", err)
	}
	// New error groups in the window (none of their rows in the baseline).
	groups, err := errorGroups(ctx, st, t.ProjectID, store.Range{From: from, To: t.At}, whole.From, 50)
	if err != nil {
		return TimelineResult{}, fmt.Errorf("cannot read errors: %w", err)
	}
	// One event per service and error type: an error often shows as a log
	// and a request row with different messages.
	newErr := map[string]bool{}
	for _, g := range groups {
		if k := g.Service + "\x00" + g.ErrorType; g.FirstTS >= from && g.Count >= 3 && !newErr[k] {
			newErr[k] = true
			a := Anomaly{Service: g.Service, Signal: "new_error", Value: float64(g.Count), Peak: float64(g.Count),
				Crossed: []string{"new"}, at: g.FirstTS, first: g.FirstTS, depth: depth[g.Service], At: event.FormatMicros(g.FirstTS)}
			a.Text = anomalyText(a) + ": " + g.Message
			events = append(events, a)
		}
	}
	// New log patterns: first seen in the window, at least twice.
	ps, err := patternStats(ctx, st, patternstats.Query{ProjectID: t.ProjectID, Range: whole, Step: whole.To - whole.From, Limit: 1000, TopValues: 1})
	if err != nil {
		return TimelineResult{}, fmt.Errorf("cannot read log patterns: %w", err)
	}
	for _, p := range ps.Patterns {
		first, tmpl := p.FirstTS, p.Sample
		if tm != nil {
			if g, ok := tm.Group(t.ProjectID, p.ID); ok {
				first, tmpl = min(first, g.FirstSeen), g.Template()
			}
		}
		if first < from || p.Count < 2 || len(p.Services) == 0 {
			continue
		}
		svc := p.Services[0].Value
		a := Anomaly{Service: svc, Signal: "new_pattern", Value: float64(p.Count), Peak: float64(p.Count),
			Crossed: []string{"new"}, at: p.FirstTS, first: p.FirstTS, depth: depth[svc], At: event.FormatMicros(p.FirstTS)}
		a.Text = anomalyText(a) + ": " + tmpl
		events = append(events, a)
	}
	for i := range events {
		if events[i].first != 0 {
			events[i].FirstSample = event.FormatMicros(events[i].first)
		}
	}
	sort.SliceStable(events, func(i, j int) bool { return onsetLess(events[i], events[j]) })
	out := TimelineResult{
		At: event.FormatMicros(t.At), From: event.FormatMicros(from), Step: (time.Duration(step) * time.Microsecond).String(),
		Baseline: fmt.Sprintf("per service and signal, the median and MAD of the %s before the window; warning above median + %.0f·1.4826·MAD, critical above + %.0f·1.4826·MAD (with a floor per signal), for %d steps in a row",
			time.Duration(baseFor)*time.Microsecond, warnK, critK, persistSteps),
		Events: events, Narrative: timelineNarrative(events),
	}
	if out.Events == nil {
		out.Events = []Anomaly{}
	}
	return out, nil
}

// timelineNarrative tells the first anomaly of each service, in order.
func timelineNarrative(events []Anomaly) []string {
	seen := map[string]bool{}
	var lines []string
	for _, a := range events {
		if seen[a.Service] {
			continue
		}
		seen[a.Service] = true
		prefix := "Then "
		if len(lines) == 0 {
			prefix = "First, "
		}
		lines = append(lines, prefix+a.Text+".")
	}
	if len(lines) == 0 {
		lines = []string{"Nothing left its baseline in this window."}
	}
	return lines
}

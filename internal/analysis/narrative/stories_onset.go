package narrative

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/lore-dev/lore/internal/analysis/events"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/store"
)

// An incident's story must not depend on where the window happens to
// start, or on the step a long window is read at. Three rules make the
// cascade detector's onsets and order the same over 24 hours, 3 days and
// 7 days:
//
//  1. Look back. The detector reads onsetLookback before the window, so an
//     incident under way when the window begins is found where it began
//     (and said to have begun before the window), not at the window's
//     first minute.
//  2. Onsets at one-minute resolution against a local baseline. A long
//     window is scanned at a coarse step (2 minutes over 3 days, 5 over 7)
//     to stay fast and to find the incident's root; the incident is then
//     re-read minute by minute around the root's onset, every signal
//     against the robust baseline of the onsetLookback before that onset:
//     the same minutes of data whatever the window, so the same onsets,
//     values and "usually" figures (localAnomalies).
//  3. Ties by a stated rule. Services whose signals left their baseline in
//     the same minute are ordered by their first deviating sample — when
//     the first request slower than the warning threshold ended, or the
//     first error or retry was recorded — then by the call graph (the
//     callee first: trouble travels from callee to caller), then by name.
const onsetLookback = int64(2 * time.Hour / time.Microsecond)

const minuteUS = int64(time.Minute / time.Microsecond)

// sigRun is a run of steps of one signal above its warning threshold.
type sigRun struct {
	start, end int64 // end 0: still running at the last step
	value      float64
	peak       float64
	critAt     int64
}

// signalRuns finds the runs of at least persistSteps steps above bl.Warn,
// in order. Steps with too few requests to measure a rate or a latency are
// skipped (neither normal nor not); for error_logs and retries a step
// without rows counts as zero.
func signalRuns(ps []store.ServicePoint, sig string, bl Baseline, step int64) []sigRun {
	counting := sig == "retries" || sig == "error_logs"
	var out []sigRun
	var cur sigRun
	n := 0
	var prev int64
	seen := false
	for _, p := range ps {
		v, ok := signalValue(p, sig)
		if !ok && !counting {
			continue
		}
		if counting && seen && p.Start-prev > step && n > 0 {
			if n >= persistSteps {
				cur.end = prev + step
				out = append(out, cur)
			}
			n = 0
		}
		prev, seen = p.Start, true
		if v <= bl.Warn {
			if n >= persistSteps {
				cur.end = p.Start
				out = append(out, cur)
			}
			n = 0
			continue
		}
		if n == 0 {
			cur = sigRun{start: p.Start, value: v}
		}
		n++
		cur.peak = max(cur.peak, v)
		if v > bl.Crit && cur.critAt == 0 {
			cur.critAt = p.Start
		}
	}
	if n >= persistSteps {
		cur.end = 0
		out = append(out, cur)
	}
	return out
}

// runAnomalies finds, for every service and signal, every run above the
// warning threshold that begins before the window ends (runs may begin
// before the window: the points read include the lookback), in order of
// onset. The baseline is the robust baseline of every point read (median
// and MAD: an incident shorter than half of them does not move it).
func runAnomalies(points []store.ServicePoint, window store.Range, step int64, depth map[string]int) []Anomaly {
	bySvc := map[string][]store.ServicePoint{}
	for _, p := range points {
		bySvc[p.Service] = append(bySvc[p.Service], p)
	}
	var out []Anomaly
	for svc, ps := range bySvc {
		sort.Slice(ps, func(i, j int) bool { return ps[i].Start < ps[j].Start })
		for _, sig := range timelineSignals {
			var vals []float64
			for _, p := range ps {
				if v, ok := signalValue(p, sig); ok {
					vals = append(vals, v)
				}
			}
			if len(vals) < 10 {
				continue
			}
			bl := robustBaseline(sig, vals)
			for _, rn := range signalRuns(ps, sig, bl, step) {
				if rn.start >= window.To {
					break
				}
				a := Anomaly{Service: svc, Signal: sig, Baseline: bl, Value: round3(rn.value), Peak: round3(rn.peak),
					at: rn.start, endAt: rn.end, Crossed: []string{SeverityWarning}, depth: depth[svc]}
				if rn.critAt != 0 {
					a.CritAt = event.FormatMicros(rn.critAt)
					a.Crossed = append(a.Crossed, SeverityCritical)
				}
				out = append(out, a)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return onsetLess(out[i], out[j]) })
	return out
}

// underway reports whether an anomaly's run reaches into the window.
func underway(a Anomaly, window store.Range) bool {
	return a.at < window.To && (a.endAt == 0 || a.endAt > window.From)
}

// maxCascadeSpan bounds how long after its onset an incident's services
// are looked for.
const maxCascadeSpan = int64(4 * time.Hour / time.Microsecond)

// localAnomalies re-reads, minute by minute, the onsetLookback before an
// incident's root onset (found at step) and the incident itself, up to
// maxCascadeSpan or until, and finds every service's signals against the
// baselines of that lookback (rule 2): the root's onset to the minute, and
// each other signal's first run beginning while the root's is under way.
// All of it is read relative to the root's onset, so the same incident
// gives the same anomalies whatever the window around it.
func localAnomalies(ctx context.Context, st store.Narrative, project int64, root Anomaly, step, until int64, depth map[string]int) ([]Anomaly, error) {
	coarse := floorMinute(root.at)
	from := coarse - step - onsetLookback
	to := min(coarse+step+maxCascadeSpan, until)
	if to <= coarse {
		to = coarse + step + int64(persistSteps+1)*minuteUS
	}
	pts, err := serviceSeries(ctx, st, store.ServiceSeriesRequest{ProjectID: project, Range: store.Range{From: from, To: to}, Step: minuteUS})
	if err != nil {
		return nil, err
	}
	bySvc := map[string][]store.ServicePoint{}
	for _, p := range pts {
		bySvc[p.Service] = append(bySvc[p.Service], p)
	}
	for _, ps := range bySvc {
		sort.Slice(ps, func(i, j int) bool { return ps[i].Start < ps[j].Start })
	}
	// The root, to the minute: its signal's first run near the coarse
	// onset against the baseline of the lookback before it. The baseline
	// is then taken again before the minute found, until they agree, so
	// that it depends on the onset alone and not on the coarse step.
	ps := bySvc[root.Service]
	at := coarse - step
	var r Anomaly
	found := false
	for range 4 {
		bl, ok := localBaseline(ps, root.Signal, at)
		if !ok {
			return nil, nil
		}
		found = false
		for _, rn := range signalRuns(after(ps, at-step), root.Signal, bl, minuteUS) {
			if rn.start > coarse+step {
				break
			}
			r, found = localAnomaly(root.Service, root.Signal, bl, rn, depth), true
			break
		}
		if !found || r.at == at {
			break
		}
		at = r.at
	}
	if !found {
		return nil, nil
	}
	end := r.endAt
	if end == 0 {
		end = to
	}
	out := []Anomaly{r}
	for svc, ps := range bySvc {
		for _, sig := range timelineSignals {
			if svc == r.Service && sig == r.Signal {
				continue
			}
			bl, ok := localBaseline(ps, sig, r.at)
			if !ok {
				continue
			}
			for _, rn := range signalRuns(after(ps, r.at), sig, bl, minuteUS) {
				if rn.start > end {
					break
				}
				out = append(out, localAnomaly(svc, sig, bl, rn, depth))
				break
			}
		}
	}
	return out, nil
}

// localBaseline is the robust baseline of a signal over the onsetLookback
// before t, when it has at least 10 measured minutes.
func localBaseline(ps []store.ServicePoint, sig string, t int64) (Baseline, bool) {
	var vals []float64
	for _, p := range ps {
		if p.Start >= t-onsetLookback && p.Start < t {
			if v, ok := signalValue(p, sig); ok {
				vals = append(vals, v)
			}
		}
	}
	if len(vals) < 10 {
		return Baseline{}, false
	}
	return robustBaseline(sig, vals), true
}

// after is the points from t on.
func after(ps []store.ServicePoint, t int64) []store.ServicePoint {
	i := sort.Search(len(ps), func(i int) bool { return ps[i].Start >= t })
	return ps[i:]
}

func localAnomaly(svc, sig string, bl Baseline, rn sigRun, depth map[string]int) Anomaly {
	a := Anomaly{Service: svc, Signal: sig, Baseline: bl, Value: round3(rn.value), Peak: round3(rn.peak),
		at: rn.start, endAt: rn.end, Crossed: []string{SeverityWarning}, depth: depth[svc]}
	if rn.critAt != 0 {
		a.CritAt = event.FormatMicros(rn.critAt)
		a.Crossed = append(a.Crossed, SeverityCritical)
	}
	return a
}

func floorMinute(us int64) int64 {
	m := us % minuteUS
	if m < 0 {
		m += minuteUS
	}
	return us - m
}

func firstOrLast(t int64) int64 {
	if t == 0 {
		return math.MaxInt64
	}
	return t
}

// readerOf returns the event reader behind a Narrative store (the first
// deviating sample is read from the events): the store's own when it is
// one, else the query objects of internal/analysis/events on it.
func readerOf(st store.Narrative) (store.Reader, bool) {
	st = storeOf(st)
	if rd, ok := st.(store.Reader); ok {
		return rd, true
	}
	return events.Reader{Ex: st}, true
}

// orderOnsets sorts anomalies by onset; in the same minute by the first
// deviating sample (rule 3; read only for ties, and kept in the anomaly),
// then the callee deeper in the call graph first, then by service and
// signal.
func orderOnsets(ctx context.Context, st store.Narrative, project int64, as []Anomaly) error {
	sameMinute := map[int64]int{}
	for _, a := range as {
		sameMinute[a.at]++
	}
	if rd, ok := readerOf(st); ok {
		for i := range as {
			if sameMinute[as[i].at] < 2 || as[i].first != 0 {
				continue
			}
			t, err := firstDeviation(ctx, rd, project, as[i])
			if err != nil {
				return err
			}
			as[i].first = t
		}
	}
	sort.SliceStable(as, func(i, j int) bool { return onsetLess(as[i], as[j]) })
	return nil
}

// onsetLess is the order of onsets: by minute, then by first deviating
// sample (an unknown one after every known one), then the callee deeper in
// the call graph first, then by service and signal.
func onsetLess(a, b Anomaly) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	if fa, fb := firstOrLast(a.first), firstOrLast(b.first); fa != fb {
		return fa < fb
	}
	if a.depth != b.depth {
		return a.depth > b.depth
	}
	if a.Service != b.Service {
		return a.Service < b.Service
	}
	return a.Signal < b.Signal
}

// firstDeviation is when the first sample of a's onset minute that crosses
// its warning threshold was recorded: the end of the first request slower
// than it (p95_ms), the first failed request or error (error_rate), error
// log (error_logs) or retry (retries). 0 when none is found.
func firstDeviation(ctx context.Context, rd store.Reader, project int64, a Anomaly) (int64, error) {
	svc := fmt.Sprintf("service:%q ", a.Service)
	var q string
	switch a.Signal {
	case "p95_ms":
		q = svc + "duration_ms:>" + strconv.FormatFloat(a.Baseline.Warn, 'f', -1, 64)
	case "error_rate":
		q = svc + "(level:error OR level:fatal OR http_status:>=500)"
	case "error_logs":
		q = svc + "(kind:log OR kind:error) (level:error OR level:fatal)"
	case "retries":
		q = svc + "retry_attempt:>=1"
	default:
		return 0, nil
	}
	pq, err := query.Parse(q)
	if err != nil {
		return 0, fmt.Errorf("first deviating sample: %w", err)
	}
	// The minute, and the minute before: a slow request recorded in the
	// minute it began may end in the next one.
	r := store.Range{From: a.at - minuteUS, To: a.at + minuteUS}
	var first int64
	cursor := ""
	for page := 0; page < 5; page++ {
		res, err := rd.Search(ctx, store.SearchRequest{ProjectID: project, Range: r, Query: pq, Limit: 1000, Cursor: cursor})
		if err != nil {
			return 0, fmt.Errorf("first deviating sample of %s %s: %w", a.Service, a.Signal, err)
		}
		for _, e := range res.Events {
			t := e.TS + int64(e.DurationMS*1000)
			if t >= a.at && (first == 0 || t < first) {
				first = t
			}
		}
		if res.NextCursor == "" {
			break
		}
		cursor = res.NextCursor
	}
	return first, nil
}

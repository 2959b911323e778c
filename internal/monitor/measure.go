package monitor

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/lore-dev/lore/internal/analysis/latency"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// SignalReader lists the new and regressed issue signals of a project
// since a time in µs (*meta.Store).
type SignalReader interface {
	IssueSignals(ctx context.Context, project, since int64) ([]meta.IssueSignal, error)
}

var _ SignalReader = (*meta.Store)(nil)

// IssueCount is an issue with its events and users over a window.
type IssueCount struct {
	ID          int64
	Title       string
	Culprit     string
	Fingerprint string
	Count       int64
	Users       int64
}

// IssueReader reads issues for issue monitors and evidence (the issues
// feature, wired in internal/app).
type IssueReader interface {
	// TopIssues lists the unresolved issues with events matching q in rng,
	// most events (by "events") or users (by "users") first.
	TopIssues(ctx context.Context, project int64, rng store.Range, q *query.Query, by string, limit int) ([]IssueCount, error)
	// IssueStack summarises an issue's latest stack: its in-app frames,
	// innermost first.
	IssueStack(ctx context.Context, project, id int64, rng store.Range) ([]string, error)
}

// CheckReader reads an uptime check's state (*meta.Store).
type CheckReader interface {
	Check(ctx context.Context, project, id int64) (meta.Check, error)
}

var _ CheckReader = (*meta.Store)(nil)

// Story is a story card as monitors see it.
type Story struct {
	Type      string
	Title     string
	Severity  string
	Service   string // the service it is about, when one is
	Narrative []string
	Query     string   // an evidence search
	TraceIDs  []string // sample journeys
}

// StoryReader tells the stories of a window (the narrative engine, wired
// in internal/app).
type StoryReader interface {
	Stories(ctx context.Context, project int64, rng store.Range) ([]Story, error)
}

// Departure is a service's signal that left its robust baseline.
type Departure struct {
	Service  string
	Signal   string // error_rate, p95_ms, retries, error_logs
	At       time.Time
	Value    float64 // at the onset
	Peak     float64
	Median   float64 // the baseline
	Warning  float64 // above it is a departure
	Critical float64
	Text     string
}

// BaselineReader finds the departures from their baselines of the window
// ending at at (the narrative engine's incident timeline, wired in
// internal/app).
type BaselineReader interface {
	Departures(ctx context.Context, project int64, at time.Time, window time.Duration) ([]Departure, error)
}

// Sources are what monitors measure. Events and Signals are required;
// a kind whose source is nil cannot be measured (an error state).
type Sources struct {
	Events    store.Reader
	Signals   SignalReader
	Issues    IssueReader
	Checks    CheckReader
	Stories   StoryReader
	Baselines BaselineReader
}

// MaxLatencySamples bounds the spans a latency monitor reads per
// evaluation (newest first, a page of 1000 at a time through Search) on a
// store that runs no compiled queries (sqlq.Executor): past it, the p95 is that of the newest
// MaxLatencySamples spans of the window.
const MaxLatencySamples = 20_000

// maxLatencyGroups bounds the groups of a grouped latency monitor: each
// is its own percentile scan.
const maxLatencyGroups = 20

// errorFilter is what counts as an error for error_rate monitors: the
// store's own definition of an error event (kind error, or level error or
// fatal).
const errorFilter = "(kind:error OR level:error OR level:fatal)"

// errNoSource is a kind whose source is not wired.
var errNoSource = errors.New("this Lore cannot measure this kind of monitor")

// Measure reads a monitor's series over the window that ends at now.
func Measure(ctx context.Context, src Sources, m meta.Monitor, now time.Time) ([]Reading, error) {
	window := m.WindowDuration()
	if window <= 0 {
		return nil, fmt.Errorf("monitor %d: window %q is not positive", m.ID, m.Window)
	}
	rng := store.Range{From: now.Add(-window).UnixMicro(), To: now.UnixMicro()}
	switch m.Kind {
	case meta.MonitorQuery:
		rs, err := counts(ctx, src.Events, m.ProjectID, rng, m.Query, "", m.GroupBy)
		if m.Measure == "rate" {
			for i := range rs {
				rs[i].Value /= window.Minutes()
			}
		}
		return rs, err
	case meta.MonitorErrorRate:
		return errorRates(ctx, src.Events, m, rng)
	case meta.MonitorLatency:
		return latencies(ctx, src.Events, m, rng)
	case meta.MonitorIssue:
		return issues(ctx, src, m, rng)
	case meta.MonitorCheck:
		return check(ctx, src.Checks, m)
	case meta.MonitorStory:
		return stories(ctx, src.Stories, m, rng)
	case meta.MonitorBaseline:
		return departures(ctx, src.Baselines, m, now, window)
	case meta.MonitorAggregate:
		return aggregates(ctx, src.Events, m, rng)
	}
	return nil, fmt.Errorf("monitor %d: unknown kind %q", m.ID, m.Kind)
}

// parse parses the monitor's query AND-ed with extra filters.
func parse(q string, and ...string) (*query.Query, error) {
	s := q
	for _, a := range and {
		switch {
		case a == "":
		case s == "":
			s = a
		default:
			s = "(" + s + ") " + a
		}
	}
	parsed, err := query.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("parse monitor query %q: %w", q, err)
	}
	return parsed, nil
}

// fieldIs is the search syntax for field = value, quoted as needed.
func fieldIs(field, value string) string {
	return (&query.Field{Name: field, Op: query.OpEq, Value: value}).String()
}

// counts is the number of matching events: one reading, or one per value
// of groupBy (the MaxMonitorGroups most frequent). Where the project's
// sampling kept some of them, the value is the store's estimate before
// sampling, marked Approximate (Samples stays the events stored, Sampled
// counts those kept by sampling).
func counts(ctx context.Context, events store.Reader, project int64, rng store.Range, q, and, groupBy string) ([]Reading, error) {
	parsed, err := parse(q, and)
	if err != nil {
		return nil, err
	}
	field, limit := "kind", 1
	if groupBy != "" {
		field, limit = groupBy, meta.MaxMonitorGroups
	}
	res, err := events.Facets(ctx, store.FacetsRequest{ProjectID: project, Range: rng, Query: parsed, Field: field, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("count events matching %q: %w", parsed.Text, err)
	}
	if groupBy == "" {
		r := Reading{Value: float64(res.Total), Samples: res.Total}
		if res.Sampled > 0 {
			r.Value, r.Approximate, r.Sampled = res.EstimatedTotal, true, res.Sampled
		}
		return []Reading{r}, nil
	}
	out := []Reading{}
	for _, v := range res.Values {
		if v.Value != "" {
			r := Reading{Key: v.Value, Value: float64(v.Count), Samples: v.Count}
			if v.Sampled > 0 {
				r.Value, r.Approximate, r.Sampled = v.Estimate, true, v.Sampled
			}
			out = append(out, r)
		}
	}
	return out, nil
}

func errorRates(ctx context.Context, events store.Reader, m meta.Monitor, rng store.Range) ([]Reading, error) {
	all, err := counts(ctx, events, m.ProjectID, rng, m.Query, "", m.GroupBy)
	if err != nil {
		return nil, err
	}
	if m.GroupBy == "" && all[0].Value == 0 {
		return []Reading{{NoData: true}}, nil
	}
	errs, err := counts(ctx, events, m.ProjectID, rng, m.Query, errorFilter, m.GroupBy)
	if err != nil {
		return nil, err
	}
	byKey := map[string]Reading{}
	for _, r := range errs {
		byKey[r.Key] = r
	}
	out := make([]Reading, 0, len(all))
	for _, r := range all {
		if r.Value > 0 {
			e := byKey[r.Key]
			// A ratio of estimates is an estimate; Sampled is of all the
			// events counted (the errors among them are counted again).
			out = append(out, Reading{Key: r.Key, Value: e.Value / r.Value, Samples: r.Samples,
				Approximate: r.Approximate || e.Approximate, Sampled: r.Sampled})
		}
	}
	return out, nil
}

func latencies(ctx context.Context, events store.Reader, m meta.Monitor, rng store.Range) ([]Reading, error) {
	if m.GroupBy == "" {
		r, err := p95(ctx, events, m.ProjectID, rng, m.Query)
		return []Reading{r}, err
	}
	groups, err := counts(ctx, events, m.ProjectID, rng, m.Query, "kind:span", m.GroupBy)
	if err != nil {
		return nil, err
	}
	if len(groups) > maxLatencyGroups {
		groups = groups[:maxLatencyGroups]
	}
	out := make([]Reading, 0, len(groups))
	for _, g := range groups {
		q := fieldIs(m.GroupBy, g.Key)
		if m.Query != "" {
			q = "(" + m.Query + ") " + q
		}
		r, err := p95(ctx, events, m.ProjectID, rng, q)
		if err != nil {
			return nil, err
		}
		r.Key = g.Key
		out = append(out, r)
	}
	return out, nil
}

// p95 is the 95th percentile of the duration_ms of matching spans: from
// the store in one scan of every span when it can, else from the newest
// MaxLatencySamples spans read page by page.
func p95(ctx context.Context, events store.Reader, project int64, rng store.Range, q string) (Reading, error) {
	if ex, ok := events.(sqlq.Executor); ok {
		parsed, err := parse(q)
		if err != nil {
			return Reading{}, err
		}
		res, err := latency.Query{ProjectID: project, Range: rng, Query: parsed}.Run(ctx, ex)
		if err != nil {
			return Reading{}, fmt.Errorf("latency of spans matching %q: %w", parsed.Text, err)
		}
		if res.Spans == 0 {
			return Reading{NoData: true}, nil
		}
		return Reading{Value: res.P95, Samples: res.Spans}, nil
	}
	parsed, err := parse(q, "kind:span")
	if err != nil {
		return Reading{}, err
	}
	var durations []float64
	cursor := ""
	for len(durations) < MaxLatencySamples {
		res, err := events.Search(ctx, store.SearchRequest{ProjectID: project, Range: rng, Query: parsed, Limit: 1000, Cursor: cursor})
		if err != nil {
			return Reading{}, fmt.Errorf("read spans matching %q: %w", parsed.Text, err)
		}
		for i := range res.Events {
			durations = append(durations, res.Events[i].DurationMS)
		}
		if res.NextCursor == "" || len(res.Events) == 0 {
			break
		}
		cursor = res.NextCursor
	}
	if len(durations) == 0 {
		return Reading{NoData: true}, nil
	}
	return Reading{Value: Percentile(durations, 0.95), Samples: int64(len(durations))}, nil
}

// issues measures an issue monitor: the new and regressed issues of the
// window (measure new), or each issue's events or users in it.
func issues(ctx context.Context, src Sources, m meta.Monitor, rng store.Range) ([]Reading, error) {
	if m.Measure == "new" || m.Measure == "" {
		sg, err := src.Signals.IssueSignals(ctx, m.ProjectID, rng.From)
		if err != nil {
			return nil, fmt.Errorf("monitor %d: %w", m.ID, err)
		}
		var n int64
		for _, s := range sg {
			if s.TS < rng.To {
				n++
			}
		}
		return []Reading{{Value: float64(n), Samples: n}}, nil
	}
	if src.Issues == nil {
		return nil, errNoSource
	}
	parsed, err := parse(m.Query)
	if err != nil {
		return nil, err
	}
	top, err := src.Issues.TopIssues(ctx, m.ProjectID, rng, parsed, m.Measure, meta.MaxMonitorGroups)
	if err != nil {
		return nil, fmt.Errorf("read issues: %w", err)
	}
	out := make([]Reading, 0, len(top))
	for _, is := range top {
		v := is.Count
		if m.Measure == "users" {
			v = is.Users
		}
		out = append(out, Reading{Key: IssueKey(is.ID), Value: float64(v), Samples: is.Count})
	}
	return out, nil
}

// IssueKey is the series key of an issue.
func IssueKey(id int64) string { return "#" + strconv.FormatInt(id, 10) }

// check measures a check monitor from the check's latest result: 1 while
// it is down (0 up), or the days its certificate has left.
func check(ctx context.Context, checks CheckReader, m meta.Monitor) ([]Reading, error) {
	if checks == nil {
		return nil, errNoSource
	}
	c, err := checks.Check(ctx, m.ProjectID, m.Check)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, fmt.Errorf("check %d no longer exists: edit or delete this monitor", m.Check)
	}
	if err != nil {
		return nil, err
	}
	if c.LastCheck == nil || c.Status == meta.CheckUnknown {
		return []Reading{{NoData: true}}, nil
	}
	if m.Measure == "tls_days" {
		if c.LastCheck.TLSDaysLeft == nil {
			return []Reading{{NoData: true}}, nil
		}
		return []Reading{{Value: float64(*c.LastCheck.TLSDaysLeft), Samples: 1}}, nil
	}
	v := 0.0
	if c.Status == meta.CheckDown {
		v = 1
	}
	return []Reading{{Value: v, Samples: 1}}, nil
}

// severityRank orders story severities.
var severityRank = map[string]int{"info": 0, "warning": 1, "critical": 2}

// matchingStories are the window's cards of m's type, severity and service.
func matchingStories(ctx context.Context, stories StoryReader, m meta.Monitor, rng store.Range) ([]Story, error) {
	if stories == nil {
		return nil, errNoSource
	}
	all, err := stories.Stories(ctx, m.ProjectID, rng)
	if err != nil {
		return nil, fmt.Errorf("tell stories: %w", err)
	}
	var out []Story
	for _, s := range all {
		if (m.StoryType == "" || s.Type == m.StoryType) && severityRank[s.Severity] >= severityRank[m.Severity] &&
			(m.Service == "" || s.Service == m.Service) {
			out = append(out, s)
		}
	}
	return out, nil
}

// stories counts the matching cards per service.
func stories(ctx context.Context, src StoryReader, m meta.Monitor, rng store.Range) ([]Reading, error) {
	cards, err := matchingStories(ctx, src, m, rng)
	if err != nil {
		return nil, err
	}
	n := map[string]int64{}
	for _, c := range cards {
		n[c.Service]++
	}
	out := make([]Reading, 0, len(n))
	for svc, k := range n {
		out = append(out, Reading{Key: svc, Value: float64(k), Samples: k})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// departures reads the services whose signal left its baseline in the
// window: one series per service, its peak against its own warning (or
// critical) level.
func departures(ctx context.Context, src BaselineReader, m meta.Monitor, now time.Time, window time.Duration) ([]Reading, error) {
	if src == nil {
		return nil, errNoSource
	}
	ds, err := src.Departures(ctx, m.ProjectID, now, window)
	if err != nil {
		return nil, fmt.Errorf("read baselines: %w", err)
	}
	out := []Reading{}
	for _, d := range ds {
		if d.Signal != m.Signal || (m.Service != "" && d.Service != m.Service) {
			continue
		}
		level := d.Warning
		if m.Severity == "critical" {
			level = d.Critical
		}
		breach := d.Peak > level
		out = append(out, Reading{Key: d.Service, Value: d.Peak, Threshold: &level, Breach: &breach, Samples: 1})
	}
	return out, nil
}

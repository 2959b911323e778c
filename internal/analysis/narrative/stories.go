package narrative

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/lore-dev/lore/internal/analysis/resolve"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// Story card types.
const (
	CardThrottling        = "throttling"
	CardRetryStorm        = "retry_storm"
	CardCascade           = "cascade"
	CardNewError          = "new_error"
	CardRegression        = "regression"
	CardLatencyRegression = "latency_regression"
	CardRecurringSpike    = "recurring_spike"
	CardHiddenCoupling    = "hidden_coupling"
	CardFunnelDropoff     = "funnel_dropoff"
)

// Severities, lowest first.
const (
	SeverityInfo     = "info"
	SeverityWarning  = "warning"
	SeverityCritical = "critical"
)

// severityRank orders severities for sorting.
var severityRank = map[string]int{SeverityInfo: 0, SeverityWarning: 1, SeverityCritical: 2}

// SeverityAbove reports whether a is more severe than b.
func SeverityAbove(a, b string) bool { return severityRank[a] > severityRank[b] }

// Card is one story card: a detected pattern with its numbers, told in
// plain words, with the evidence behind each number and what to do.
type Card struct {
	Type           string         `json:"type"`
	Title          string         `json:"title"`
	Severity       string         `json:"severity"`
	From           string         `json:"from"`
	To             string         `json:"to"`
	Facts          map[string]any `json:"facts"`
	Narrative      []string       `json:"narrative"`
	Impact         map[string]any `json:"impact"`
	Evidence       Evidence       `json:"evidence"`
	Recommendation string         `json:"recommendation"`

	fromTS int64
}

// Evidence is what a card's numbers come from: for each fact, the search
// query (GET /api/v1/search?q=) whose rows it counts, and sample trace ids
// whose journeys (GET /api/v1/journeys/trace/{id}) show one instance.
type Evidence struct {
	Queries  map[string]string `json:"queries"`
	TraceIDs []string          `json:"trace_ids"`
	Journeys []string          `json:"journeys"`
	// Replays are session journeys (API paths, ?at= the moment) whose
	// recording shows the story from the user's side.
	Replays []string `json:"replays,omitempty"`
}

// sampleEvidence is up to n of traces, each once (one trace may hold
// several of the rows they were sampled from), and their journeys.
func sampleEvidence(traces []string, n int) ([]string, []string) {
	traces = dedupeStrings(traces)
	if len(traces) > n {
		traces = traces[:n]
	}
	ids := append([]string{}, traces...)
	paths := make([]string, len(ids))
	for i, id := range ids {
		paths[i] = "/api/v1/journeys/trace/" + id
	}
	return ids, paths
}

// Stories is a query object: every detector run over Range.
type Stories struct {
	ProjectID int64
	Range     store.Range
	// MinSeverity drops cards below it; "" keeps all.
	MinSeverity string
}

// StoriesResult answers GET /api/v1/stories.
type StoriesResult struct {
	From    string   `json:"from"`
	To      string   `json:"to"`
	Stories []Card   `json:"stories"`
	Errors  []string `json:"errors,omitempty"` // detectors that failed ("throttling failed"); the others still answer

	failures []error // why, for the server's log (never shown to clients)
}

// Failures are the errors of the detectors that failed, for logs.
func (r StoriesResult) Failures() []error { return r.failures }

// MaxStoriesRange is the longest range stories are told over: the
// detectors read per-minute summaries, so their cost grows with the range
// (a request from year 1 once ran for minutes at 2.6 GB).
const MaxStoriesRange = 31 * 24 * time.Hour

// Validate says what is wrong with the query, as an errs.Invalid.
func (s Stories) Validate() error {
	span := s.Range.To - s.Range.From
	switch {
	case span <= 0:
		return errs.Invalidf("cannot tell stories of an empty time range (from %s to %s)",
			event.FormatMicros(s.Range.From), event.FormatMicros(s.Range.To))
	case span > MaxStoriesRange.Microseconds():
		return errs.Invalidf("stories cover at most %d days; the range from %s to %s is %d days",
			int(MaxStoriesRange.Hours()/24), event.FormatMicros(s.Range.From), event.FormatMicros(s.Range.To), span/(24*time.Hour).Microseconds())
	}
	return nil
}

// Key identifies the query, for caching results.
func (s Stories) Key() string {
	return fmt.Sprintf("stories:%d:%d:%d:%s", s.ProjectID, s.Range.From, s.Range.To, s.MinSeverity)
}

// detector finds one type of story.
type detector struct {
	name string
	run  func(ctx context.Context, st store.Narrative, project int64, r store.Range) ([]Card, error)
}

var detectors = []detector{
	{CardThrottling, detectThrottling},
	{CardRetryStorm, detectRetryStorms},
	{CardCascade, detectCascade},
	{CardNewError, detectNewErrors},
	{CardRegression, detectRegressions},
	{CardLatencyRegression, detectLatencyRegressions},
	{CardFunnelDropoff, detectFunnelDropoffs},
	{CardRecurringSpike, detectRecurringSpikes},
	{CardHiddenCoupling, detectHiddenCoupling},
}

// Widened is the query as Resolve answers it: its range widened to whole
// minutes, so that every request within the same minute asks the same.
func (s Stories) Widened() Stories {
	s.Range = wholeMinutes(s.Range)
	return s
}

// wholeMinutes widens r to the minutes it touches: stories are told over
// whole minutes, which the store's per-minute rollups answer without
// scanning the events ("now-24h" would otherwise start and end inside a
// minute).
func wholeMinutes(r store.Range) store.Range {
	const minute = int64(time.Minute / time.Microsecond)
	floor := func(us int64) int64 {
		if m := us % minute; m != 0 {
			if us < 0 {
				return us - m - minute
			}
			return us - m
		}
		return us
	}
	from, to := floor(r.From), floor(r.To)
	if to < r.To {
		to += minute
	}
	return store.Range{From: from, To: to}
}

// Resolve runs every detector over the range widened to whole minutes,
// on res's narrative role, and returns the cards, most severe first, then
// by start. The query objects the detectors share are answered through
// res, remembered by their Key() (resolved.go). A detector that fails is
// reported in Errors; when all fail, Resolve fails.
func (s Stories) Resolve(ctx context.Context, res *resolve.Resolver) (StoriesResult, error) {
	if err := s.Validate(); err != nil {
		return StoriesResult{}, err
	}
	r := wholeMinutes(s.Range)
	out := StoriesResult{From: event.FormatMicros(r.From), To: event.FormatMicros(r.To), Stories: []Card{}}
	var failed []error
	st := on(res)
	for _, d := range detectors {
		cards, err := d.run(ctx, st, s.ProjectID, r)
		if err != nil {
			if ctx.Err() != nil {
				return StoriesResult{}, ctx.Err()
			}
			failed = append(failed, fmt.Errorf("%s: %w", d.name, err))
			out.Errors = append(out.Errors, d.name+" failed")
			continue
		}
		for _, c := range cards {
			if s.MinSeverity != "" && SeverityAbove(s.MinSeverity, c.Severity) {
				continue
			}
			out.Stories = append(out.Stories, c)
		}
	}
	out.failures = failed
	if len(failed) == len(detectors) {
		return StoriesResult{}, fmt.Errorf("cannot tell stories: %w", errors.Join(failed...))
	}
	sort.SliceStable(out.Stories, func(i, j int) bool {
		a, b := out.Stories[i], out.Stories[j]
		if a.Severity != b.Severity {
			return SeverityAbove(a.Severity, b.Severity)
		}
		return a.fromTS < b.fromTS
	})
	return out, nil
}

// clock renders a time of day for narrative lines.
func clockUTC(us int64) string { return time.UnixMicro(us).UTC().Format("15:04") }

// span renders "between 09:00 and 11:00" (with dates when they differ).
func betweenUTC(from, to int64) string {
	f, t := time.UnixMicro(from).UTC(), time.UnixMicro(to).UTC()
	if f.YearDay() != t.YearDay() || f.Year() != t.Year() {
		return "between " + f.Format("Jan 2 15:04") + " and " + t.Format("Jan 2 15:04") + " UTC"
	}
	return "between " + f.Format("15:04") + " and " + t.Format("15:04") + " UTC"
}

// pct renders a fraction as a whole percentage.
func percent(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) }

// round3 keeps three decimals of a fact.
func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

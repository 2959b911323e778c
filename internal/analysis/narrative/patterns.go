package narrative

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/analysis/patternstats"
	"github.com/lore-dev/lore/internal/analysis/resolve"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/patterns"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/store"
)

// Templates gives a pattern id's template and lifetime facts (the miner,
// internal/patterns).
type Templates interface {
	Group(project int64, id string) (patterns.Group, bool)
}

// Patterns is a query object: the log patterns among the events matching
// Query in Range, with their templates, counts over time, first sighting
// and top services and levels.
type Patterns struct {
	ProjectID int64
	Range     store.Range
	Query     *query.Query
	Step      int64 // µs; 0 picks about 60 buckets
	Limit     int   // default 50
}

// PatternsResult answers GET /api/v1/patterns.
type PatternsResult struct {
	From     string    `json:"from"`
	To       string    `json:"to"`
	Step     string    `json:"step"`
	Total    int64     `json:"total"`
	New      int       `json:"new"` // patterns first seen in the window
	Patterns []Pattern `json:"patterns"`
}

// Pattern is one log template in the window.
type Pattern struct {
	ID            string                        `json:"id"`
	Query         string                        `json:"query"` // the search for its rows: pattern_id:ID, or its folded ids too
	Template      string                        `json:"template"`
	Sample        string                        `json:"sample"`
	Count         int64                         `json:"count"`
	Share         float64                       `json:"share"`
	FirstSeen     string                        `json:"first_seen"` // first ever (the miner's memory), else first in the window
	LastSeen      string                        `json:"last_seen"`  // last in the window
	New           bool                          `json:"new"`        // first seen inside the window
	ErrorFraction float64                       `json:"error_fraction"`
	Series        []PatternPoint                `json:"series"`
	Top           map[string][]store.FacetValue `json:"top"` // "service", "level"
}

// PatternPoint is a pattern's count in one step.
type PatternPoint struct {
	TS    string `json:"ts"`
	Count int64  `json:"count"`
}

// Key identifies the query, for caching results.
func (p Patterns) Key() string {
	return fmt.Sprintf("patterns:%d:%d:%d:%q:%d:%d", p.ProjectID, p.Range.From, p.Range.To, p.Query.String(), p.Step, p.Limit)
}

// Resolve reads the pattern counts through res (patternstats.Query on
// its narrative role, remembered by Key()) and names them from tm, the
// miner's live memory, at every call.
func (p Patterns) Resolve(ctx context.Context, res *resolve.Resolver, tm Templates) (PatternsResult, error) {
	step := p.Step
	if step <= 0 {
		step = query.AutoStep(p.Range.From, p.Range.To, 60)
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 50
	}
	// Ask for more than limit: ids folded into another pattern (the
	// miner's variants, see patterns.Miner) are summed into it below.
	stats, err := patternStats(ctx, on(res), patternstats.Query{
		ProjectID: p.ProjectID, Range: p.Range, Query: p.Query, Step: step, Limit: 2 * limit,
	})
	if err != nil {
		return PatternsResult{}, fmt.Errorf("cannot count log patterns: %w", err)
	}
	folded := foldPatterns(stats.Patterns, p.ProjectID, tm, limit)
	out := PatternsResult{
		From: event.FormatMicros(p.Range.From), To: event.FormatMicros(p.Range.To),
		Step: (time.Duration(step) * time.Microsecond).String(), Total: stats.Total,
		Patterns: make([]Pattern, 0, len(stats.Patterns)),
	}
	for _, ps := range folded {
		pt := Pattern{
			ID: ps.ID, Query: patternQuery(ps.ids), Template: ps.Sample, Sample: ps.Sample, Count: ps.Count,
			LastSeen: event.FormatMicros(ps.LastTS), ErrorFraction: ps.ErrorFraction,
			Top: map[string][]store.FacetValue{"service": ps.Services, "level": ps.Levels},
		}
		if stats.Total > 0 {
			pt.Share = float64(ps.Count) / float64(stats.Total)
		}
		first := ps.FirstTS
		if g, ok := tm.Group(p.ProjectID, ps.ID); ok {
			pt.Template = g.Template()
			first = min(first, g.FirstSeen)
		}
		pt.FirstSeen = event.FormatMicros(first)
		pt.New = first >= p.Range.From
		if pt.New {
			out.New++
		}
		pt.Series = make([]PatternPoint, len(ps.Buckets))
		for i, c := range ps.Buckets {
			pt.Series[i] = PatternPoint{TS: event.FormatMicros(p.Range.From + int64(i)*step), Count: c}
		}
		out.Patterns = append(out.Patterns, pt)
	}
	return out, nil
}

// foldedStat is a pattern's counts with those of the ids folded into it.
type foldedStat struct {
	patternstats.Stat
	ids []string
}

// foldPatterns sums the counts of pattern ids that the miner has folded
// into another pattern (tm.Group returns the group an id now counts for)
// into that pattern, and keeps the limit largest.
func foldPatterns(stats []patternstats.Stat, project int64, tm Templates, limit int) []foldedStat {
	var out []foldedStat
	at := map[string]int{}
	for _, ps := range stats {
		id := ps.ID
		if g, ok := tm.Group(project, ps.ID); ok {
			id = g.ID
		}
		i, seen := at[id]
		if !seen {
			at[id] = len(out)
			f := foldedStat{Stat: ps, ids: []string{ps.ID}}
			f.ID = id
			f.Buckets = append([]int64(nil), ps.Buckets...)
			out = append(out, f)
			continue
		}
		f := &out[i]
		f.ids = append(f.ids, ps.ID)
		errs := f.ErrorFraction*float64(f.Count) + ps.ErrorFraction*float64(ps.Count)
		f.Count += ps.Count
		if f.Count > 0 {
			f.ErrorFraction = errs / float64(f.Count)
		}
		f.FirstTS, f.LastTS = min(f.FirstTS, ps.FirstTS), max(f.LastTS, ps.LastTS)
		for j := range f.Buckets {
			if j < len(ps.Buckets) {
				f.Buckets[j] += ps.Buckets[j]
			}
		}
		f.Services = sumFacets(f.Services, ps.Services)
		f.Levels = sumFacets(f.Levels, ps.Levels)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// sumFacets adds b's counts to a's, largest first.
func sumFacets(a, b []store.FacetValue) []store.FacetValue {
	if len(b) == 0 {
		return a
	}
	n := len(a)
	out := append([]store.FacetValue(nil), a...)
	for _, v := range b {
		found := false
		for i := range out {
			if out[i].Value == v.Value {
				out[i].Count += v.Count
				found = true
				break
			}
		}
		if !found {
			out = append(out, v)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out[:max(n, min(len(out), len(b)))]
}

// patternQuery is the search that finds a pattern's rows.
func patternQuery(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = store.PatternAttr + ":" + id
	}
	if len(q) == 1 {
		return q[0]
	}
	return "(" + strings.Join(q, " OR ") + ")"
}

package monitor

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/lore-dev/lore/internal/analysis/pipes"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// aggregates measures an aggregate monitor: its pipeline runs in the
// store's engine over the window, and each row of the answer is a series,
// keyed by its group columns' values, valued by the measure column —
// approximate where the column is (a count estimated before sampling, a
// percentile or uniq computed in bounded memory).
func aggregates(ctx context.Context, events store.Reader, m meta.Monitor, rng store.Range) ([]Reading, error) {
	ex, ok := events.(sqlq.Executor)
	if !ok {
		return nil, errNoSource
	}
	a, err := meta.AggregateOf(m.Query, m.Measure)
	if err != nil {
		return nil, fmt.Errorf("monitor %d: query %q: %w", m.ID, m.Query, err)
	}
	res, err := pipes.Query{Pipeline: a.Pipeline, ProjectID: m.ProjectID, From: rng.From, To: rng.To}.Run(ctx, ex)
	if err != nil {
		return nil, fmt.Errorf("run %q: %w", m.Query, err)
	}
	at := map[string]int{}
	for i, c := range res.Columns {
		at[c.Name] = i
	}
	approx := false
	if i, ok := at[a.Measure]; ok {
		approx = res.Columns[i].Estimated || res.Columns[i].Approximate
	}
	out := make([]Reading, 0, len(res.Rows))
	seen := map[string]int{}
	for _, row := range res.Rows {
		parts := make([]string, len(a.Keys))
		for i, k := range a.Keys {
			parts[i] = keyText(row[at[k]])
		}
		r := Reading{Key: strings.Join(parts, ", "), Samples: 1, Approximate: approx}
		switch v := row[at[a.Measure]].(type) {
		case int64:
			r.Value = float64(v)
		case float64:
			r.Value = v
		default: // NULL: the group has nothing to measure (p95 of no number)
			r.NoData = true
		}
		// A pipe after stats may leave two rows of one group: the first stands.
		if _, dup := seen[r.Key]; dup {
			continue
		}
		seen[r.Key] = len(out)
		out = append(out, r)
	}
	return out, nil
}

// keyText is a group value as a series key.
func keyText(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// aggregateGroups names what an aggregate monitor's series are values of
// ("endpoint", "service, endpoint"); "" when its stats has no by.
func aggregateGroups(m meta.Monitor) string {
	a, err := meta.AggregateOf(m.Query, m.Measure)
	if err != nil {
		return ""
	}
	return strings.Join(a.Keys, ", ")
}

// aggregateEvidence is the search whose events made series key of an
// aggregate monitor: the pipeline's search and, for one group column
// that is an event field, its value.
func aggregateEvidence(m meta.Monitor, key string) string {
	a, err := meta.AggregateOf(m.Query, m.Measure)
	if err != nil || a.Pipeline.Search == nil {
		return ""
	}
	q := strings.TrimSpace(a.Pipeline.Search.Text)
	if len(a.Keys) == 1 && key != "" && !computed(a.Pipeline, a.Keys[0]) {
		q = strings.TrimSpace(wrapOr(q) + " " + fieldIs(a.Keys[0], key))
	}
	return q
}

// computed reports whether an eval or extract pipe makes the column name,
// which is then no field of the events to search.
func computed(p *pipes.Pipeline, name string) bool {
	for _, s := range p.Pipes {
		switch op := s.Op.(type) {
		case *pipes.Eval:
			for _, as := range op.Assigns {
				if as.Name == name {
					return true
				}
			}
		case *pipes.Extract:
			if slices.Contains(op.Names, name) {
				return true
			}
		}
	}
	return false
}

// wrapOr parenthesises a search with an OR, so a term added after it
// applies to all of it.
func wrapOr(q string) string {
	if strings.Contains(q, " OR ") || strings.Contains(q, " or ") {
		return "(" + q + ")"
	}
	return q
}

// Package scan plans the read of the events matching a search query in a
// range of one project: the query compiled through the store's Dialect
// and, when the store has a word filter (store.WordFilter, an optional
// accelerator) and the query has words, only the parts of the range whose
// rows may hold them. Without the filter the whole range is scanned, with
// the same answer.
package scan

import (
	"context"
	"fmt"

	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// Plan is what a read scans.
type Plan struct {
	ProjectID int64
	Range     store.Range
	// None is true when the word filter rules out every row: the read
	// can answer empty without running.
	None bool

	where  string
	args   []any
	ranges []store.Range // nil: the whole range
}

// New plans the read of the rows of project in r that match q (nil or
// empty: every row), on ex.
func New(ex sqlq.Executor, project int64, r store.Range, q *query.Query) (Plan, error) {
	if r.To <= r.From {
		return Plan{}, fmt.Errorf("empty time range [%d, %d)", r.From, r.To)
	}
	where, args, err := query.Compile(q, ex.Dialect())
	if err != nil {
		return Plan{}, err
	}
	p := Plan{ProjectID: project, Range: r, where: where, args: args}
	if words := q.Words(); len(words) > 0 {
		if wf, ok := ex.(store.WordFilter); ok {
			if rs, ok := wf.WordRanges(project, r, words); ok {
				p.ranges = append([]store.Range{}, rs...)
				p.None = len(rs) == 0
			}
		}
	}
	return p, nil
}

// Rows appends to b a SELECT of cols (whose placeholders colArgs bind) over
// the planned rows that also match extra (with extraArgs): one branch per
// scanned range, joined by UNION ALL.
func (p Plan) Rows(b *sqlq.Builder, cols string, colArgs []any, extra string, extraArgs ...any) {
	ranges := p.ranges
	if ranges == nil {
		ranges = []store.Range{p.Range}
	}
	for i, r := range ranges {
		if i > 0 {
			b.Add(" UNION ALL ")
		}
		b.Add("SELECT "+cols, colArgs...)
		b.Add(" FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND ("+p.where+")", append([]any{p.ProjectID, r.From, r.To}, p.args...)...)
		if extra != "" {
			b.Add(" AND ("+extra+")", extraArgs...)
		}
	}
}

// ID plans the read of the rows of project in r that may hold id in the
// column kind names (the caller adds the equality itself): when ex has an
// id filter (store.IDRangeReader, else store.IDFilter), only the parts of
// r it names; else the whole range, with the same answer. Only an
// IDRangeReader does I/O, under ctx, and an error of it is returned.
func ID(ctx context.Context, ex sqlq.Executor, project int64, r store.Range, kind store.IDKind, id string) (Plan, error) {
	p := Plan{ProjectID: project, Range: r, where: "TRUE"}
	var (
		rs []store.Range
		ok bool
	)
	switch f := ex.(type) {
	case store.IDRangeReader:
		var err error
		if rs, ok, err = f.ReadIDRanges(ctx, project, r, kind, id); err != nil {
			return Plan{}, fmt.Errorf("read the ranges of id %q: %w", id, err)
		}
	case store.IDFilter:
		rs, ok = f.IDRanges(project, r, kind, id)
	}
	if ok {
		p.ranges = append([]store.Range{}, rs...)
		p.None = len(rs) == 0
	}
	return p, nil
}

// Restrict narrows the plan to the part of its range in slice.
func (p Plan) Restrict(slice store.Range) Plan {
	q := p
	q.Range = store.Range{From: max(p.Range.From, slice.From), To: min(p.Range.To, slice.To)}
	if q.Range.To <= q.Range.From {
		q.None, q.ranges = true, []store.Range{}
		return q
	}
	if p.ranges == nil {
		return q
	}
	q.ranges = nil
	for _, r := range p.ranges {
		if lo, hi := max(r.From, q.Range.From), min(r.To, q.Range.To); lo < hi {
			q.ranges = append(q.ranges, store.Range{From: lo, To: hi})
		}
	}
	q.None = len(q.ranges) == 0
	return q
}

// Where is the plan's compiled search condition and its arguments, for a
// read of rows kept elsewhere (an archive) that the ranges do not cover.
func (p Plan) Where() (string, []any) { return p.where, p.args }

// Chunks splits p into plans of at most n of its ranges each, in order
// (p itself when it has n or fewer; a plan over the whole range is one).
// A union of top-n branches costs the engine memory for each branch
// (DuckDB 1.5: several MB, whatever the rows), so a reader with many
// branches runs them in turns.
func (p Plan) Chunks(n int) []Plan {
	if n < 1 || len(p.ranges) <= n {
		return []Plan{p}
	}
	var out []Plan
	for i := 0; i < len(p.ranges); i += n {
		q := p
		q.ranges = p.ranges[i:min(i+n, len(p.ranges)):min(i+n, len(p.ranges))]
		out = append(out, q)
	}
	return out
}

// Top appends to b, as Rows does, a SELECT of cols over the planned rows
// that also match extra, each branch ending with tail (an ORDER BY …
// LIMIT ?, bound by tailArgs) and parenthesized when there are several.
// It returns the number of branches: with more than one, the caller
// orders and limits their union again.
func (p Plan) Top(b *sqlq.Builder, cols string, colArgs []any, extra string, extraArgs []any, tail string, tailArgs ...any) int {
	ranges := p.ranges
	if ranges == nil {
		ranges = []store.Range{p.Range}
	}
	for i, r := range ranges {
		if i > 0 {
			b.Add(" UNION ALL ")
		}
		if len(ranges) > 1 {
			b.Add("(")
		}
		b.Add("SELECT "+cols, colArgs...)
		b.Add(" FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND ("+p.where+")", append([]any{p.ProjectID, r.From, r.To}, p.args...)...)
		if extra != "" {
			b.Add(" AND ("+extra+")", extraArgs...)
		}
		b.Add(" "+tail, tailArgs...)
		if len(ranges) > 1 {
			b.Add(")")
		}
	}
	return len(ranges)
}

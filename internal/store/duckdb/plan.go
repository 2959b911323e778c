package duckdb

import (
	"fmt"
	"strings"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/blockfilter"
)

// plan is what a read scans: one project, a time range, a compiled query
// and, when the query has needles, the time ranges whose blocks may hold a
// match.
type plan struct {
	project int64
	rng     store.Range
	where   string
	args    []any
	ranges  []blockfilter.TSRange // nil: the whole range
	none    bool                  // no block can match
}

func (s *Store) plan(project int64, r store.Range, q *query.Query) (plan, error) {
	if r.To <= r.From {
		return plan{}, fmt.Errorf("empty time range [%d, %d)", r.From, r.To)
	}
	where, args, err := compileQuery(q)
	if err != nil {
		return plan{}, err
	}
	p := plan{project: project, rng: r, where: where, args: args}
	if words := q.Words(); len(words) > 0 {
		p.ranges = s.wordCandidates(project, r, words)
		p.none = len(p.ranges) == 0
	}
	return p, nil
}

// wordCandidates are the merged time ranges of the blocks whose grams hold
// every word.
func (s *Store) wordCandidates(project int64, r store.Range, words []string) []blockfilter.TSRange {
	return s.blocks.Words(project, r.From, r.To, words)
}

var _ store.WordFilter = (*Store)(nil)

// WordRanges implements store.WordFilter with the blocks' 4-gram filters
// (see doc.go): the ranges of the blocks that may hold every word.
func (s *Store) WordRanges(project int64, r store.Range, words []string) ([]store.Range, bool) {
	if len(words) == 0 || r.To <= r.From {
		return nil, false
	}
	return toRanges(s.wordCandidates(project, r, words)), true
}

var _ store.IDFilter = (*Store)(nil)

// IDRanges implements store.IDFilter with the blocks' key filters (see
// doc.go): the ranges of the blocks that may hold id.
func (s *Store) IDRanges(project int64, r store.Range, kind store.IDKind, id string) ([]store.Range, bool) {
	if r.To <= r.From {
		return nil, false
	}
	var h uint64
	switch kind {
	case store.IDTrace:
		t, _ := event.ParseTraceID(id)
		h = blockfilter.TraceKeyHash(t.Hi(), t.Lo())
	case store.IDUser:
		h = blockfilter.KeyHash(blockfilter.KeyUser, id)
	case store.IDAnonymous:
		h = blockfilter.KeyHash(blockfilter.KeyAnon, id)
	case store.IDSession:
		h = blockfilter.KeyHash(blockfilter.KeySess, id)
	default:
		return nil, false
	}
	return toRanges(s.blocks.Candidates(project, r.From, r.To, func(b *blockfilter.Block) bool { return b.Keys.Has(h) })), true
}

// toRanges turns the blocks' inclusive ranges into half-open ones.
func toRanges(rs []blockfilter.TSRange) []store.Range {
	out := make([]store.Range, len(rs))
	for i, x := range rs {
		out[i] = store.Range{From: x.Lo, To: x.Hi + 1}
	}
	return out
}

// restrict narrows the plan to a slice of its range.
func (p plan) restrict(slice store.Range) plan {
	q := p
	q.rng = slice
	if p.ranges == nil {
		return q
	}
	q.ranges = nil
	for _, r := range p.ranges {
		lo, hi := max(r.Lo, slice.From), min(r.Hi, slice.To-1)
		if lo <= hi {
			q.ranges = append(q.ranges, blockfilter.TSRange{Lo: lo, Hi: hi})
		}
	}
	q.none = len(q.ranges) == 0
	return q
}

// sql renders the plan as one SELECT of cols (with colArgs) per scanned range joined by
// UNION ALL, each also filtered by extra (with extraArgs). tail is appended
// to every branch (an ORDER BY … LIMIT for a top-N).
func (p plan) sql(cols string, colArgs []any, extra string, extraArgs []any, tail string, tailArgs ...any) (string, []any) {
	ranges := p.ranges
	if ranges == nil {
		ranges = []blockfilter.TSRange{{Lo: p.rng.From, Hi: p.rng.To - 1}}
	}
	var (
		sb   strings.Builder
		args []any
	)
	for i, r := range ranges {
		if i > 0 {
			sb.WriteString(" UNION ALL ")
		}
		if len(ranges) > 1 && tail != "" {
			sb.WriteString("(")
		}
		sb.WriteString("SELECT ")
		sb.WriteString(cols)
		sb.WriteString(" FROM events WHERE project_id = ? AND ts >= ? AND ts <= ? AND (")
		sb.WriteString(p.where)
		sb.WriteString(")")
		args = append(args, colArgs...)
		args = append(args, p.project, r.Lo, r.Hi)
		args = append(args, p.args...)
		if extra != "" {
			sb.WriteString(" AND (")
			sb.WriteString(extra)
			sb.WriteString(")")
			args = append(args, extraArgs...)
		}
		if tail != "" {
			sb.WriteString(" ")
			sb.WriteString(tail)
			args = append(args, tailArgs...)
		}
		if len(ranges) > 1 && tail != "" {
			sb.WriteString(")")
		}
	}
	return sb.String(), args
}

// compileQuery turns q into a SQL condition on the events table.
func compileQuery(q *query.Query) (string, []any, error) {
	return query.Compile(q, Dialect{})
}

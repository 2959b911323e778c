package events

import (
	"context"
	"fmt"

	"github.com/lore-dev/lore/internal/analysis/scan"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// archive is implemented by an executor whose store keeps older days
// outside its events table (DuckDB's cold tier; the same method as
// pipes.Archive): a FROM item reading the project's archived rows of the
// days overlapping [from, to), "" when it holds none of them.
type archive interface {
	ArchivedEvents(ctx context.Context, project, from, to int64, use func(column string) bool) (cols []string, src string, err error)
}

// sampling is implemented by an executor whose store knows which days
// hold events a project's sampling kept (the same method as
// pipes.Sampling): "" when no day of [from, to) does, so counts need not
// read the attributes to weight events.
type sampling interface {
	SampleWeight(ctx context.Context, project, from, to int64) string
}

// weights are the weight of an event in an estimated count (w: 1/rate
// for an event sampling kept, NULL for any other) and the aggregates of
// the sampled events (kept) and of the count before sampling (estimate).
type weights struct{ w, kept, estimate string }

// weightsOf spells the weights over project's range r: an event's
// store.AttrSampleRate read by the dialect, or, when the store tells that
// no day of r holds a sampled event (sampling), none — the plain count,
// which does not read the attributes.
func weightsOf(ctx context.Context, ex sqlq.Executor, project int64, r store.Range) weights {
	d := ex.Dialect()
	if sm, ok := ex.(sampling); ok && sm.SampleWeight(ctx, project, r.From, r.To) == "" {
		return weights{d.Null(sqlq.TypeFloat64), d.Int64("0"), d.Float64("count(*)")}
	}
	rate := d.ToDouble(d.Attr(store.AttrSampleRate))
	w := "CASE WHEN " + d.HasAttr(store.AttrSampleRate) + " THEN 1.0 / greatest(coalesce(" + rate + ", 1), 0.0001) END"
	return weights{w, "count(w)", "sum(coalesce(w, 1))"}
}

// countSource appends to b what a count scans: the plan's rows and, when
// the store has an archive holding days of the range, the archived rows
// of those days (filtered by the query alone), joined by UNION ALL, each
// as SELECT cols (whose placeholders colArgs bind). ok is false when
// neither can hold a row.
func countSource(ctx context.Context, ex sqlq.Executor, b *sqlq.Builder, p scan.Plan, cols string, colArgs []any) (ok bool, err error) {
	var src string
	if a, is := ex.(archive); is {
		_, src, err = a.ArchivedEvents(ctx, p.ProjectID, p.Range.From, p.Range.To, func(string) bool { return true })
		if err != nil {
			return false, fmt.Errorf("list the archived days of [%d, %d): %w", p.Range.From, p.Range.To, err)
		}
	}
	if !p.None {
		p.Rows(b, cols, colArgs, "")
	}
	if src == "" {
		return !p.None, nil
	}
	if !p.None {
		b.Add(" UNION ALL ")
	}
	where, args := p.Where()
	b.Add("SELECT "+cols, colArgs...)
	b.Add(" FROM "+src+" WHERE project_id = ? AND ts >= ? AND ts < ? AND ("+where+")", append([]any{p.ProjectID, p.Range.From, p.Range.To}, args...)...)
	return true, nil
}

// stringCols are the core text columns a facet or split may name.
var stringCols = map[string]bool{
	"kind": true, "level": true, "service": true, "env": true, "release": true, "host": true,
	"user_id": true, "anonymous_id": true, "session_id": true, "request_id": true,
	"name": true, "message": true, "http_method": true, "endpoint": true,
	"error_type": true, "error_code": true, "fingerprint": true,
}

// fieldExpr is a text expression for a core column or attribute key, ”
// where absent, and its arguments.
func fieldExpr(d sqlq.Dialect, field string) (string, []any) {
	switch {
	case stringCols[field]:
		return field, nil
	case field == "http_status" || field == "duration_ms" || field == "retry_attempt":
		return "coalesce(" + d.ToString(field) + ", '')", nil
	case field == "project_id" || field == "ts" || field == "received_at":
		return d.ToString(field), nil
	case field == "trace_id":
		return "CASE WHEN trace_hi = 0 AND trace_lo = 0 THEN '' ELSE " + d.TraceHex("trace_hi", "trace_lo") + " END", nil
	case field == "span_id" || field == "parent_span_id":
		return "CASE WHEN " + field + " = 0 THEN '' ELSE " + d.HexID(field) + " END", nil
	}
	return "coalesce(" + d.AttrValue() + ", '')", []any{field}
}

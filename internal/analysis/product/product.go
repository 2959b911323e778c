// Package product holds the product analytics, one query object per
// analysis — Web, Trends, Funnel, Retention, Paths — that reads the events
// table through the store's Dialect (the last three also answered, when
// they can be, by a store's person index: store.FunnelIndex,
// RetentionIndex, PathsIndex). It states once, for every engine, what a
// person is, what a step matches, what a page is, how a breakdown property
// reads and what a funnel's drop-off cause is. The requests of the API
// (FunnelRequest, RetentionRequest, PathsRequest, TrendsRequest, WebQuery:
// request.go) build the query objects; Run answers in the store's shapes,
// Resolve in the API's.
//
// Product analytics count persons, not ids: the person of an event is its
// user id, or for an event sent before identification the user id its
// anonymous id was later seen with (the idents table keeps those pairs),
// else its anonymous id. Joins, groups and distinct counts use a 64-bit
// hash of that id: with 500k persons the chance that two share a hash is
// about 1 in 10^8.
package product

import (
	"fmt"
	"strings"

	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// maxBuckets caps the intervals of one series.
const maxBuckets = 10000

// sessionGap is the inactivity that ends a session without a session id.
const sessionGap = int64(30 * 60 * 1_000_000)

// identsCTE is the person map: one user id per anonymous id (the least, so
// that a shared device maps deterministically).
func identsCTE(b *sqlq.Builder, project int64) {
	b.Add("idm AS (SELECT anonymous_id AS a, min(user_id) AS uid FROM idents WHERE project_id = ? GROUP BY anonymous_id)", project)
}

// personKey is the id an event is counted under before identity merge.
const personKey = "CASE WHEN user_id <> '' THEN user_id ELSE anonymous_id END"

// hasPerson excludes events with no id at all.
const hasPerson = "(user_id <> '' OR anonymous_id <> '')"

// errorMatch matches errors: the error kind or an error-level record.
const errorMatch = "(kind = 'error' OR level IN ('error', 'fatal'))"

// stepMatch is the condition matching st: product events (kind event or
// pageview) by name, or errors for store.StepError, and its filter.
func stepMatch(d sqlq.Dialect, st store.Step) (string, []any, error) {
	var b strings.Builder
	var args []any
	if st.Name == store.StepError {
		b.WriteString(errorMatch)
	} else {
		b.WriteString("(kind IN ('event', 'pageview') AND name = ?)")
		args = append(args, st.Name)
	}
	if st.Where != nil && st.Where.Root != nil {
		w, wargs, err := query.Compile(st.Where, d)
		if err != nil {
			return "", nil, fmt.Errorf("step %q: %w", st.Name, err)
		}
		b.WriteString(" AND (" + w + ")")
		args = append(args, wargs...)
	}
	return "(" + b.String() + ")", args, nil
}

// inRange scopes a scan of events to a project and time range.
func inRange(b *sqlq.Builder, project int64, r store.Range) {
	b.Add("project_id = ? AND ts >= ? AND ts < ?", project, r.From, r.To)
}

// pageExpr is a page view's page: its path attribute, else its endpoint
// (senders that put the path there), else its name.
func pageExpr(d sqlq.Dialect) string {
	return "coalesce(nullif(" + d.Attr("path") + ", ''), nullif(endpoint, ''), name)"
}

// stringCols are the core text columns a breakdown may name.
var stringCols = map[string]bool{
	"kind": true, "level": true, "service": true, "env": true, "release": true, "host": true,
	"user_id": true, "anonymous_id": true, "session_id": true, "request_id": true,
	"name": true, "message": true, "http_method": true, "endpoint": true,
	"error_type": true, "error_code": true, "fingerprint": true,
}

// fieldExpr is a text expression for a core column or an attribute key,
// ” where absent, and its arguments.
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

// breakdownExpr is a breakdown property's expression, ” when none.
func breakdownExpr(d sqlq.Dialect, field string) (string, []any) {
	if field == "" {
		return "''", nil
	}
	return fieldExpr(d, field)
}

func validRange(r store.Range) error {
	if r.To <= r.From {
		return fmt.Errorf("empty time range [%d, %d)", r.From, r.To)
	}
	return nil
}

func scope(project int64, r store.Range) sqlq.Scope {
	return sqlq.Scope{ProjectID: project, From: r.From, To: r.To}
}

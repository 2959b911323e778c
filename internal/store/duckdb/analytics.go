package duckdb

import (
	"fmt"
	"strings"

	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/store"
)

// Product analytics (funnels, retention, paths, trends, web) share these
// pieces of SQL. Funnels, retention and paths are answered from the
// product index (product_index.go) unless they need a filter or a
// breakdown; the SQL below gives the same answers. Every query reads the
// events table scoped by project and time range, and resolves persons
// through the idents table (anonymous id
// → the user id it was seen with): the person of an event is
// coalesce(idents[k], k) where k is its user id or else its anonymous id.
// Joins, groups and distinct counts use a 64-bit hash of that id: with
// 500k persons the chance that two share a hash is about 1 in 10^8.

// sessionGap is the inactivity that ends a session without a session id.
const sessionGap = int64(30 * 60 * 1_000_000)

// sqlBuf accumulates SQL text and its arguments in order.
type sqlBuf struct {
	b    strings.Builder
	args []any
}

func (q *sqlBuf) add(sql string, args ...any) *sqlBuf {
	q.b.WriteString(sql)
	q.args = append(q.args, args...)
	return q
}

func (q *sqlBuf) String() string { return q.b.String() }

// identsCTE is the person map: one user id per anonymous id (the least, so
// that a shared device maps deterministically).
func identsCTE(q *sqlBuf, project int64) {
	q.add("idm AS (SELECT anonymous_id AS a, min(user_id) AS uid FROM idents WHERE project_id = ? GROUP BY anonymous_id)", project)
}

// personKey is the id an event is counted under before identity merge.
const personKey = "CASE WHEN user_id <> '' THEN user_id ELSE anonymous_id END"

// hasPerson excludes events with no id at all.
const hasPerson = "(user_id <> '' OR anonymous_id <> '')"

// errorMatch matches errors: the error kind or an error-level record.
const errorMatch = "(kind = 'error' OR level IN ('error', 'fatal'))"

// detectMatch matches the frustrations session replay detects (rage
// clicks, dead clicks, errors after a click): funnel drop-off causes of
// kind rage_click, dead_click and error_after_click, labelled by what was
// clicked (detectCause, detectLabel).
const detectMatch = "(kind = 'event' AND name IN ('$rageclick', '$dead_click', '$error_after_click'))"

const detectCause = "CASE name WHEN '$rageclick' THEN 'rage_click' WHEN '$dead_click' THEN 'dead_click' ELSE 'error_after_click' END"

const detectLabel = "coalesce(nullif(attr_values[list_position(attr_keys, '$el_text')], ''), nullif(attr_values[list_position(attr_keys, '$el_selector')], ''), name)"

// detectEnd is when a detection ended (µs): its time (the first click)
// plus its length (replay.detection_ms, written by session replay's seal).
// A drop-off cause is what happened after the person's last step, and a
// rage click often begins with the very click that made that step (the
// first click on "Pay now" sends Payment Submitted; the next ones find the
// button doing nothing): it counts when it goes on after the step.
const detectEnd = "(ts + coalesce(try_cast(attr_values[list_position(attr_keys, 'replay.detection_ms')] AS BIGINT), 0) * 1000)"

// stepMatch returns the boolean SQL matching st.
func stepMatch(st store.Step) (string, []any, error) {
	var b strings.Builder
	var args []any
	if st.Name == store.StepError {
		b.WriteString(errorMatch)
	} else {
		b.WriteString("(kind IN ('event', 'pageview') AND name = ?)")
		args = append(args, st.Name)
	}
	if st.Where != nil && st.Where.Root != nil {
		w, wargs, err := query.Compile(st.Where, Dialect{})
		if err != nil {
			return "", nil, fmt.Errorf("step %q: %w", st.Name, err)
		}
		b.WriteString(" AND (" + w + ")")
		args = append(args, wargs...)
	}
	return "(" + b.String() + ")", args, nil
}

// inRange scopes a scan of events to a project and time range.
func inRange(q *sqlBuf, project int64, r store.Range) {
	q.add("project_id = ? AND ts >= ? AND ts < ?", project, r.From, r.To)
}

// pageExpr is a page view's page: its path attribute, else its endpoint
// (senders that put the path there), else its name.
const pageExpr = "coalesce(nullif(attr_values[list_position(attr_keys, 'path')], ''), nullif(endpoint, ''), name)"

// pathLabel names an event in a path: "error: TYPE" for errors, the page
// for page views sent under a generic name ($pageview), else the name.
const pathLabel = "CASE WHEN kind = 'error' OR level IN ('error', 'fatal') THEN 'error: ' || coalesce(nullif(error_type, ''), nullif(name, ''), left(message, 60)) " +
	"WHEN kind = 'pageview' AND name = '$pageview' THEN " + pageExpr + " ELSE name END"

// breakdownExpr is the SQL of a breakdown property, ” when none.
func breakdownExpr(field string) (string, []any) {
	if field == "" {
		return "''", nil
	}
	return fieldExpr(field)
}

func validRange(r store.Range) error {
	if r.To <= r.From {
		return fmt.Errorf("empty time range [%d, %d)", r.From, r.To)
	}
	return nil
}

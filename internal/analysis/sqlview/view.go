// Package sqlview answers read-only SQL over one project's events: a
// power user writes one SELECT over a view named events, and Lore runs it
// with that name bound to the caller's project and time range, whatever
// the text says.
//
// The text is never trusted. Check has the engine's own parser read it
// (DuckDB's json_serialize_sql) and walks the tree it gives: one SELECT,
// no table but events (and the text's own WITH names, in their scope), no
// table function, no schema- or catalog-qualified name, no function the
// engine has not loaded or that reads settings. The statement that runs
// is the engine's re-rendering of that checked tree (json_deserialize_sql),
// checked again, so comments, semicolons and parser quirks of the raw
// text never reach the engine. It runs as
//
//	WITH events AS (SELECT … FROM main.events WHERE project_id = ? AND ts >= ? AND ts < ?)
//	SELECT * FROM (<checked text>) AS lore_sql LIMIT ?
//
// so "events" in the text is the filtered set. On ClickHouse the same
// text is read and checked by an in-memory DuckDB and written in
// ClickHouse's SQL over the same view (clickhouse.go).
package sqlview

import (
	"strings"

	"github.com/lore-dev/lore/internal/sqlq"
)

// Column is one column of the events view, as the README documents it.
type Column struct {
	Name string
	Type string // the engine's type
	Doc  string
	expr string // DuckDB expression over the events table
}

// Columns are the events view's columns, in order.
var Columns = []Column{
	{"ts", "TIMESTAMP", "event time, UTC (microseconds)", "make_timestamp(ts)"},
	{"received_at", "TIMESTAMP", "when Lore received it", "make_timestamp(received_at)"},
	{"kind", "VARCHAR", "log, span, error, event, pageview, check", "kind"},
	{"level", "VARCHAR", "debug, info, warn, error, fatal", "level"},
	{"service", "VARCHAR", "", "service"},
	{"env", "VARCHAR", "", "env"},
	{"release", "VARCHAR", "", "release"},
	{"host", "VARCHAR", "", "host"},
	{"trace_id", "VARCHAR", "32 hex digits, '' when none", "CASE WHEN trace_hi = 0 AND trace_lo = 0 THEN '' ELSE " + sqlq.DuckDB{}.TraceHex("trace_hi", "trace_lo") + " END"},
	{"span_id", "VARCHAR", "16 hex digits, '' when none", "CASE WHEN span_id = 0 THEN '' ELSE " + sqlq.DuckDB{}.HexID("span_id") + " END"},
	{"parent_span_id", "VARCHAR", "16 hex digits, '' when none", "CASE WHEN parent_span_id = 0 THEN '' ELSE " + sqlq.DuckDB{}.HexID("parent_span_id") + " END"},
	{"user_id", "VARCHAR", "", "user_id"},
	{"anonymous_id", "VARCHAR", "", "anonymous_id"},
	{"session_id", "VARCHAR", "", "session_id"},
	{"request_id", "VARCHAR", "", "request_id"},
	{"name", "VARCHAR", "event or span name", "name"},
	{"message", "VARCHAR", "", "message"},
	{"http_method", "VARCHAR", "", "http_method"},
	{"endpoint", "VARCHAR", "", "endpoint"},
	{"http_status", "SMALLINT", "NULL when none", "http_status"},
	{"duration_ms", "DOUBLE", "NULL when none", "duration_ms"},
	{"error_type", "VARCHAR", "", "error_type"},
	{"error_code", "VARCHAR", "", "error_code"},
	{"fingerprint", "VARCHAR", "error group", "fingerprint"},
	{"retry_attempt", "SMALLINT", "NULL when none", "retry_attempt"},
	{"attr_keys", "VARCHAR[]", "attribute names (dotted keys)", "attr_keys"},
	{"attr_values", "VARCHAR[]", "their values, as text, in the same order", "attr_values"},
	{"attributes", "MAP(VARCHAR, VARCHAR)", "attributes['http.route']", "map(attr_keys, attr_values)"},
}

// viewSQL is the events view's definition: its placeholders are the
// project and the time range.
func viewSQL() string {
	var b strings.Builder
	b.WriteString("WITH events AS (SELECT ")
	for i, c := range Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.expr + " AS " + c.Name)
	}
	b.WriteString(" FROM main.events WHERE project_id = ? AND ts >= ? AND ts < ?)\n")
	return b.String()
}

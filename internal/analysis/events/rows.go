package events

import (
	"database/sql"
	"fmt"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/sqlq"
)

// rowOrder names the column of a row's arrival order (rowID), which
// breaks ties between equal times.
const rowOrder = "row_order"

// columns are the columns scanEvent reads, in order, the last one the
// row's arrival order.
func columns(d sqlq.Dialect) string {
	return `project_id, ts, received_at, kind, level, service, env, release, host,
	trace_hi, trace_lo, span_id, parent_span_id, user_id, anonymous_id, session_id, request_id,
	name, message, http_method, endpoint, http_status, duration_ms, error_type, error_code,
	fingerprint, retry_attempt, attr_keys, attr_values, ` + rowID(d) + ` AS ` + rowOrder
}

// rowID is the dialect's row order as one 64-bit integer, for a
// search's cursor: its RowID when it has one (ClickHouse's RowOrder is a
// tuple), else its RowOrder (DuckDB's rowid).
func rowID(d sqlq.Dialect) string {
	if r, ok := d.(interface{ RowID() string }); ok {
		return r.RowID()
	}
	return d.RowOrder()
}

// scanEvent reads one row of columns; order receives the arrival order.
func scanEvent(row sqlq.Scanner, order any) (event.Event, error) {
	var (
		e                         event.Event
		traceHi, traceLo, sp, par uint64
		status, retry             sql.NullInt32
		dur                       sql.NullFloat64
		keys, values              any
	)
	err := row.Scan(&e.ProjectID, &e.TS, &e.ReceivedAt, &e.Kind, &e.Level, &e.Service, &e.Env, &e.Release, &e.Host,
		&traceHi, &traceLo, &sp, &par, &e.UserID, &e.AnonymousID, &e.SessionID, &e.RequestID,
		&e.Name, &e.Message, &e.HTTPMethod, &e.Endpoint, &status, &dur, &e.ErrorType, &e.ErrorCode,
		&e.Fingerprint, &retry, &keys, &values, order)
	if err != nil {
		return e, fmt.Errorf("read event row: %w", err)
	}
	e.TraceID = event.TraceIDFromHalves(traceHi, traceLo)
	e.SpanID = event.SpanIDFromUint64(sp)
	e.ParentSpanID = event.SpanIDFromUint64(par)
	e.HTTPStatus = status.Int32
	e.DurationMS = dur.Float64
	e.RetryAttempt = retry.Int32
	ks, vs := texts(keys), texts(values)
	if len(ks) > 0 {
		e.Attributes = make([]event.Attr, len(ks))
		for i, k := range ks {
			e.Attributes[i].Key = k
			if i < len(vs) {
				e.Attributes[i].Value = vs[i]
			}
		}
	}
	return e, nil
}

// texts converts a scanned list of strings (DuckDB's driver scans a LIST
// into []any, others into []string), keeping every element, empty ones
// too.
func texts(v any) []string {
	switch xs := v.(type) {
	case []string:
		return xs
	case []any:
		out := make([]string, len(xs))
		for i, x := range xs {
			out[i], _ = x.(string)
		}
		return out
	}
	return nil
}

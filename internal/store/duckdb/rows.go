package duckdb

import (
	"database/sql"
	"fmt"

	"github.com/lore-dev/lore/internal/event"
)

// eventCols are the columns scanEvent reads, in order, followed by rowid.
const eventCols = `project_id, ts, received_at, kind, level, service, env, release, host,
	trace_hi, trace_lo, span_id, parent_span_id, user_id, anonymous_id, session_id, request_id,
	name, message, http_method, endpoint, http_status, duration_ms, error_type, error_code,
	fingerprint, retry_attempt, attr_keys, attr_values, rowid`

// scanEvent reads one row of eventCols.
func scanEvent(rows *sql.Rows) (event.Event, int64, error) {
	var (
		e                         event.Event
		traceHi, traceLo, sp, par uint64
		status, retry             sql.NullInt32
		dur                       sql.NullFloat64
		keys, values              []any
		rowid                     int64
	)
	err := rows.Scan(&e.ProjectID, &e.TS, &e.ReceivedAt, &e.Kind, &e.Level, &e.Service, &e.Env, &e.Release, &e.Host,
		&traceHi, &traceLo, &sp, &par, &e.UserID, &e.AnonymousID, &e.SessionID, &e.RequestID,
		&e.Name, &e.Message, &e.HTTPMethod, &e.Endpoint, &status, &dur, &e.ErrorType, &e.ErrorCode,
		&e.Fingerprint, &retry, &keys, &values, &rowid)
	if err != nil {
		return e, 0, fmt.Errorf("read event row: %w", err)
	}
	e.TraceID = event.TraceIDFromHalves(traceHi, traceLo)
	e.SpanID = event.SpanIDFromUint64(sp)
	e.ParentSpanID = event.SpanIDFromUint64(par)
	e.HTTPStatus = status.Int32
	e.DurationMS = dur.Float64
	e.RetryAttempt = retry.Int32
	if len(keys) > 0 {
		e.Attributes = make([]event.Attr, 0, len(keys))
		for i, k := range keys {
			a := event.Attr{}
			a.Key, _ = k.(string)
			if i < len(values) {
				a.Value, _ = values[i].(string)
			}
			e.Attributes = append(e.Attributes, a)
		}
	}
	return e, rowid, nil
}

-- events.search [7 1000000 2000000 101]
SELECT project_id, ts, received_at, kind, level, service, env, release, host,
	trace_hi, trace_lo, span_id, parent_span_id, user_id, anonymous_id, session_id, request_id,
	name, message, http_method, endpoint, http_status, duration_ms, error_type, error_code,
	fingerprint, retry_attempt, attr_keys, attr_values, rowid AS row_order FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND (TRUE) ORDER BY ts DESC, row_order DESC LIMIT ?;

-- events.search [7 1000000 1500001 api checkout 1500000 1500000 42 21]
SELECT project_id, ts, received_at, kind, level, service, env, release, host,
	trace_hi, trace_lo, span_id, parent_span_id, user_id, anonymous_id, session_id, request_id,
	name, message, http_method, endpoint, http_status, duration_ms, error_type, error_code,
	fingerprint, retry_attempt, attr_keys, attr_values, rowid AS row_order FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND ((service = ? AND lore_contains_fold(message, ?))) AND (ts < ? OR (ts = ? AND rowid < ?)) ORDER BY ts DESC, row_order DESC LIMIT ?;

-- events.search [7 1999900 2000000 101]
SELECT project_id, ts, received_at, kind, level, service, env, release, host,
	trace_hi, trace_lo, span_id, parent_span_id, user_id, anonymous_id, session_id, request_id,
	name, message, http_method, endpoint, http_status, duration_ms, error_type, error_code,
	fingerprint, retry_attempt, attr_keys, attr_values, rowid AS row_order FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND (TRUE) ORDER BY ts DESC, row_order DESC LIMIT ?;

-- events.search [7 1000000 1999900 101]
SELECT project_id, ts, received_at, kind, level, service, env, release, host,
	trace_hi, trace_lo, span_id, parent_span_id, user_id, anonymous_id, session_id, request_id,
	name, message, http_method, endpoint, http_status, duration_ms, error_type, error_code,
	fingerprint, retry_attempt, attr_keys, attr_values, rowid AS row_order FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND (TRUE) ORDER BY ts DESC, row_order DESC LIMIT ?;

-- events.search_archive [7 1000000 2000000 101]
SELECT project_id, ts, received_at, kind, level, service, env, release, host,
	trace_hi, trace_lo, span_id, parent_span_id, user_id, anonymous_id, session_id, request_id,
	name, message, http_method, endpoint, http_status, duration_ms, error_type, error_code,
	fingerprint, retry_attempt, attr_keys, attr_values, rowid AS row_order FROM archived_rows WHERE project_id = ? AND ts >= ? AND ts < ? AND (TRUE) ORDER BY ts DESC, row_order DESC LIMIT ?;

-- events.search [7 1000000 1000010 api checkout 1500000 1500000 42 21]
SELECT project_id, ts, received_at, kind, level, service, env, release, host,
	trace_hi, trace_lo, span_id, parent_span_id, user_id, anonymous_id, session_id, request_id,
	name, message, http_method, endpoint, http_status, duration_ms, error_type, error_code,
	fingerprint, retry_attempt, attr_keys, attr_values, rowid AS row_order FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND ((service = ? AND lore_contains_fold(message, ?))) AND (ts < ? OR (ts = ? AND rowid < ?)) ORDER BY ts DESC, row_order DESC LIMIT ?;

-- events.search_archive [7 1000000 1500001 api checkout 1500000 1500000 42 21]
SELECT project_id, ts, received_at, kind, level, service, env, release, host,
	trace_hi, trace_lo, span_id, parent_span_id, user_id, anonymous_id, session_id, request_id,
	name, message, http_method, endpoint, http_status, duration_ms, error_type, error_code,
	fingerprint, retry_attempt, attr_keys, attr_values, rowid AS row_order FROM archived_rows WHERE project_id = ? AND ts >= ? AND ts < ? AND ((service = ? AND lore_contains_fold(message, ?))) AND (ts < ? OR (ts = ? AND rowid < ?)) ORDER BY ts DESC, row_order DESC LIMIT ?;


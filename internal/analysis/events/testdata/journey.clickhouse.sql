-- events.journey [7 1000000 2000000 5474458728733560230 11803532876627986230 5000]
SELECT project_id, ts, received_at, kind, level, service, env, release, host,
	trace_hi, trace_lo, span_id, parent_span_id, user_id, anonymous_id, session_id, request_id,
	name, message, http_method, endpoint, http_status, duration_ms, error_type, error_code,
	fingerprint, retry_attempt, attr_keys, attr_values, toInt64(bitOr(bitOr(bitShiftLeft(seq, 32), bitShiftLeft(toUInt64(writer), 24)), seq_row)) AS row_order FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND (TRUE) AND (trace_hi = toUInt64(?) AND trace_lo = toUInt64(?)) ORDER BY ts, row_order LIMIT ?;

-- events.journey [7 1000000 2000000 s-1 10]
SELECT project_id, ts, received_at, kind, level, service, env, release, host,
	trace_hi, trace_lo, span_id, parent_span_id, user_id, anonymous_id, session_id, request_id,
	name, message, http_method, endpoint, http_status, duration_ms, error_type, error_code,
	fingerprint, retry_attempt, attr_keys, attr_values, toInt64(bitOr(bitOr(bitShiftLeft(seq, 32), bitShiftLeft(toUInt64(writer), 24)), seq_row)) AS row_order FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND (TRUE) AND (session_id = ?) ORDER BY ts, row_order LIMIT ?;

-- events.person_ids [alice 7 alice 7 101]
WITH users AS (SELECT ? AS u UNION ALL SELECT user_id AS u FROM idents WHERE project_id = ? AND anonymous_id = ?) SELECT DISTINCT u FROM (SELECT u FROM users UNION ALL SELECT anonymous_id AS u FROM idents WHERE project_id = ? AND user_id IN (SELECT u FROM users)) AS ids ORDER BY u LIMIT ?;

-- events.journey [7 1000000 2000000 alice 5000 7 1000000 2000000 alice 5000 5000]
SELECT * FROM ((SELECT project_id, ts, received_at, kind, level, service, env, release, host,
	trace_hi, trace_lo, span_id, parent_span_id, user_id, anonymous_id, session_id, request_id,
	name, message, http_method, endpoint, http_status, duration_ms, error_type, error_code,
	fingerprint, retry_attempt, attr_keys, attr_values, toInt64(bitOr(bitOr(bitShiftLeft(seq, 32), bitShiftLeft(toUInt64(writer), 24)), seq_row)) AS row_order FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND (TRUE) AND (user_id = ?) ORDER BY ts, row_order LIMIT ?) UNION ALL (SELECT project_id, ts, received_at, kind, level, service, env, release, host,
	trace_hi, trace_lo, span_id, parent_span_id, user_id, anonymous_id, session_id, request_id,
	name, message, http_method, endpoint, http_status, duration_ms, error_type, error_code,
	fingerprint, retry_attempt, attr_keys, attr_values, toInt64(bitOr(bitOr(bitShiftLeft(seq, 32), bitShiftLeft(toUInt64(writer), 24)), seq_row)) AS row_order FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND (TRUE) AND (anonymous_id = ? AND user_id = '') ORDER BY ts, row_order LIMIT ?)) AS j ORDER BY ts, row_order LIMIT ?;

-- events.journey [7 1000000 1000010 5474458728733560230 11803532876627986230 5000 7 1999990 2000000 5474458728733560230 11803532876627986230 5000 5000]
SELECT * FROM (((SELECT project_id, ts, received_at, kind, level, service, env, release, host,
	trace_hi, trace_lo, span_id, parent_span_id, user_id, anonymous_id, session_id, request_id,
	name, message, http_method, endpoint, http_status, duration_ms, error_type, error_code,
	fingerprint, retry_attempt, attr_keys, attr_values, toInt64(bitOr(bitOr(bitShiftLeft(seq, 32), bitShiftLeft(toUInt64(writer), 24)), seq_row)) AS row_order FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND (TRUE) AND (trace_hi = toUInt64(?) AND trace_lo = toUInt64(?)) ORDER BY ts, row_order LIMIT ?) UNION ALL (SELECT project_id, ts, received_at, kind, level, service, env, release, host,
	trace_hi, trace_lo, span_id, parent_span_id, user_id, anonymous_id, session_id, request_id,
	name, message, http_method, endpoint, http_status, duration_ms, error_type, error_code,
	fingerprint, retry_attempt, attr_keys, attr_values, toInt64(bitOr(bitOr(bitShiftLeft(seq, 32), bitShiftLeft(toUInt64(writer), 24)), seq_row)) AS row_order FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND (TRUE) AND (trace_hi = toUInt64(?) AND trace_lo = toUInt64(?)) ORDER BY ts, row_order LIMIT ?))) AS j ORDER BY ts, row_order LIMIT ?;

-- events.journey [7 1000000 1000010 s-1 10 7 1999990 2000000 s-1 10 10]
SELECT * FROM (((SELECT project_id, ts, received_at, kind, level, service, env, release, host,
	trace_hi, trace_lo, span_id, parent_span_id, user_id, anonymous_id, session_id, request_id,
	name, message, http_method, endpoint, http_status, duration_ms, error_type, error_code,
	fingerprint, retry_attempt, attr_keys, attr_values, toInt64(bitOr(bitOr(bitShiftLeft(seq, 32), bitShiftLeft(toUInt64(writer), 24)), seq_row)) AS row_order FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND (TRUE) AND (session_id = ?) ORDER BY ts, row_order LIMIT ?) UNION ALL (SELECT project_id, ts, received_at, kind, level, service, env, release, host,
	trace_hi, trace_lo, span_id, parent_span_id, user_id, anonymous_id, session_id, request_id,
	name, message, http_method, endpoint, http_status, duration_ms, error_type, error_code,
	fingerprint, retry_attempt, attr_keys, attr_values, toInt64(bitOr(bitOr(bitShiftLeft(seq, 32), bitShiftLeft(toUInt64(writer), 24)), seq_row)) AS row_order FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND (TRUE) AND (session_id = ?) ORDER BY ts, row_order LIMIT ?))) AS j ORDER BY ts, row_order LIMIT ?;

-- events.person_ids [alice 7 alice 7 101]
WITH users AS (SELECT ? AS u UNION ALL SELECT user_id AS u FROM idents WHERE project_id = ? AND anonymous_id = ?) SELECT DISTINCT u FROM (SELECT u FROM users UNION ALL SELECT anonymous_id AS u FROM idents WHERE project_id = ? AND user_id IN (SELECT u FROM users)) AS ids ORDER BY u LIMIT ?;

-- events.journey [7 1000000 1000010 alice 5000 7 1999990 2000000 alice 5000 7 1000000 1000010 alice 5000 7 1999990 2000000 alice 5000 5000]
SELECT * FROM (((SELECT project_id, ts, received_at, kind, level, service, env, release, host,
	trace_hi, trace_lo, span_id, parent_span_id, user_id, anonymous_id, session_id, request_id,
	name, message, http_method, endpoint, http_status, duration_ms, error_type, error_code,
	fingerprint, retry_attempt, attr_keys, attr_values, toInt64(bitOr(bitOr(bitShiftLeft(seq, 32), bitShiftLeft(toUInt64(writer), 24)), seq_row)) AS row_order FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND (TRUE) AND (user_id = ?) ORDER BY ts, row_order LIMIT ?) UNION ALL (SELECT project_id, ts, received_at, kind, level, service, env, release, host,
	trace_hi, trace_lo, span_id, parent_span_id, user_id, anonymous_id, session_id, request_id,
	name, message, http_method, endpoint, http_status, duration_ms, error_type, error_code,
	fingerprint, retry_attempt, attr_keys, attr_values, toInt64(bitOr(bitOr(bitShiftLeft(seq, 32), bitShiftLeft(toUInt64(writer), 24)), seq_row)) AS row_order FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND (TRUE) AND (user_id = ?) ORDER BY ts, row_order LIMIT ?)) UNION ALL ((SELECT project_id, ts, received_at, kind, level, service, env, release, host,
	trace_hi, trace_lo, span_id, parent_span_id, user_id, anonymous_id, session_id, request_id,
	name, message, http_method, endpoint, http_status, duration_ms, error_type, error_code,
	fingerprint, retry_attempt, attr_keys, attr_values, toInt64(bitOr(bitOr(bitShiftLeft(seq, 32), bitShiftLeft(toUInt64(writer), 24)), seq_row)) AS row_order FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND (TRUE) AND (anonymous_id = ? AND user_id = '') ORDER BY ts, row_order LIMIT ?) UNION ALL (SELECT project_id, ts, received_at, kind, level, service, env, release, host,
	trace_hi, trace_lo, span_id, parent_span_id, user_id, anonymous_id, session_id, request_id,
	name, message, http_method, endpoint, http_status, duration_ms, error_type, error_code,
	fingerprint, retry_attempt, attr_keys, attr_values, toInt64(bitOr(bitOr(bitShiftLeft(seq, 32), bitShiftLeft(toUInt64(writer), 24)), seq_row)) AS row_order FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND (TRUE) AND (anonymous_id = ? AND user_id = '') ORDER BY ts, row_order LIMIT ?))) AS j ORDER BY ts, row_order LIMIT ?;


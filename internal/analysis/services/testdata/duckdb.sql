-- services.releases [7 500000 2000000]
SELECT service, release, min(ts) AS first_ts FROM events
		WHERE project_id = ? AND ts >= ? AND ts < ? AND release <> '' AND service <> ''
		GROUP BY service, release ORDER BY first_ts, service, release;

-- services.errors [7 500000 2000000 7 500000 2000000 7 500000 2000000 1000000 1000000 1000000 1000000 200]
WITH e AS (SELECT ts, service, error_type, endpoint, release, message, trace_hi, trace_lo,
			CASE WHEN fingerprint <> '' THEN fingerprint ELSE error_type || '|' || coalesce(attr_values[list_position(attr_keys, 'pattern_id')], message) END AS k FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND kind = 'error' UNION ALL SELECT ts, service, error_type, endpoint, release, message, trace_hi, trace_lo,
			CASE WHEN fingerprint <> '' THEN fingerprint ELSE error_type || '|' || coalesce(attr_values[list_position(attr_keys, 'pattern_id')], message) END AS k FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND kind <> 'span' AND kind <> 'error' AND level = 'error' UNION ALL SELECT ts, service, error_type, endpoint, release, message, trace_hi, trace_lo,
			CASE WHEN fingerprint <> '' THEN fingerprint ELSE error_type || '|' || coalesce(attr_values[list_position(attr_keys, 'pattern_id')], message) END AS k FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND kind <> 'span' AND kind <> 'error' AND level = 'fatal') SELECT service, error_type, k, any_value(message), coalesce(mode(endpoint) FILTER (WHERE endpoint <> ''), ''), count(*) FILTER (WHERE ts >= ?) AS n, min(ts), coalesce(list_sort(list(DISTINCT release) FILTER (WHERE release <> '' AND ts >= ?)), []), coalesce(arg_min(lpad(lower(hex(trace_hi)), 16, '0') || lpad(lower(hex(trace_lo)), 16, '0'), ts, 3) FILTER (WHERE ts >= ? AND (trace_hi <> 0 OR trace_lo <> 0)), []) FROM e GROUP BY service, error_type, k HAVING count(*) FILTER (WHERE ts >= ?) > 0 ORDER BY n DESC, service, k LIMIT ?;


-- services.releases [7 500000 2000000]
SELECT service, release, min(ts) AS first_ts FROM events
		WHERE project_id = ? AND ts >= ? AND ts < ? AND release <> '' AND service <> ''
		GROUP BY service, release ORDER BY first_ts, service, release;

-- services.errors [7 500000 2000000 7 500000 2000000 7 500000 2000000 1000000 1000000 1000000 1000000 200]
WITH e AS (SELECT ts, service, error_type, endpoint, release, message, trace_hi, trace_lo,
			CASE WHEN fingerprint <> '' THEN fingerprint ELSE error_type || '|' || coalesce(if(has(attr_keys, 'pattern_id'), attr_values[indexOf(attr_keys, 'pattern_id')], NULL), message) END AS k FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND kind = 'error' UNION ALL SELECT ts, service, error_type, endpoint, release, message, trace_hi, trace_lo,
			CASE WHEN fingerprint <> '' THEN fingerprint ELSE error_type || '|' || coalesce(if(has(attr_keys, 'pattern_id'), attr_values[indexOf(attr_keys, 'pattern_id')], NULL), message) END AS k FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND kind <> 'span' AND kind <> 'error' AND level = 'error' UNION ALL SELECT ts, service, error_type, endpoint, release, message, trace_hi, trace_lo,
			CASE WHEN fingerprint <> '' THEN fingerprint ELSE error_type || '|' || coalesce(if(has(attr_keys, 'pattern_id'), attr_values[indexOf(attr_keys, 'pattern_id')], NULL), message) END AS k FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND kind <> 'span' AND kind <> 'error' AND level = 'fatal') SELECT service, error_type, k, any(message), coalesce(topKIf(1)(endpoint, endpoint <> '')[1], ''), countIf(ts >= ?) AS n, min(ts), arraySort(groupUniqArrayIf(release, release <> '' AND ts >= ?)), arrayMap(x -> x.2, arraySlice(arraySort(groupArrayIf((ts, concat(substring(concat('0000000000000000', lower(hex(trace_hi))), length(hex(trace_hi)) + 1, 16), substring(concat('0000000000000000', lower(hex(trace_lo))), length(hex(trace_lo)) + 1, 16))), ts >= ? AND (trace_hi <> 0 OR trace_lo <> 0))), 1, 3)) FROM e GROUP BY service, error_type, k HAVING countIf(ts >= ?) > 0 ORDER BY n DESC, service, k LIMIT ?;


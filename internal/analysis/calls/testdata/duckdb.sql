-- calls.throttled.bounds [7 1000000 2000000 7 1000000 2000500]
WITH hits AS (SELECT DISTINCT trace_hi, trace_lo FROM events
		WHERE project_id = ? AND ts >= ? AND ts < ? AND http_status = 429 AND kind = 'span' AND list_contains(attr_keys, 'peer.service') AND (trace_hi <> 0 OR trace_lo <> 0))
	SELECT min(e.ts), max(e.ts) FROM events e SEMI JOIN hits h ON e.trace_hi = h.trace_hi AND e.trace_lo = h.trace_lo
	WHERE e.project_id = ? AND e.ts >= ? AND e.ts < ?;

-- calls.throttled [7 1000000 2000000 7 1000000 2000100]
WITH hits AS (
		SELECT attr_values[list_position(attr_keys, 'peer.service')] AS dep, trace_hi, trace_lo, any_value(service) AS caller,
			count(*) AS n, min(ts) AS f, max(ts) AS l
		FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND http_status = 429 AND kind = 'span' AND list_contains(attr_keys, 'peer.service')
		GROUP BY dep, trace_hi, trace_lo),
	tr AS (
		SELECT e.trace_hi, e.trace_lo, e.ts, e.kind, e.level, e.retry_attempt, e.http_status,
			CASE WHEN kind = 'span' AND list_contains(attr_keys, 'peer.service') THEN attr_values[list_position(attr_keys, 'peer.service')] END AS dep,
			CASE WHEN e.name = '$rageclick' THEN e.session_id END AS rage_session,
			CASE WHEN e.name = '$rageclick' THEN attr_values[list_position(attr_keys, '$el_text')] END AS rage_text
		FROM events e SEMI JOIN (SELECT DISTINCT trace_hi, trace_lo FROM hits WHERE trace_hi <> 0 OR trace_lo <> 0) h ON e.trace_hi = h.trace_hi AND e.trace_lo = h.trace_lo
		WHERE e.project_id = ? AND e.ts >= ? AND e.ts < ?)
	SELECT h.dep, h.caller, CASE WHEN h.trace_hi = 0 AND h.trace_lo = 0 THEN '' ELSE lpad(lower(hex(h.trace_hi)), 16, '0') || lpad(lower(hex(h.trace_lo)), 16, '0') END,
		h.n, h.f, h.l,
		CAST(coalesce(max(t.retry_attempt), 0) AS BIGINT),
		coalesce(min(t.ts) FILTER (WHERE t.dep = h.dep AND t.http_status BETWEEN 200 AND 399), 0),
		coalesce(min(t.ts) FILTER (WHERE t.kind IN ('log', 'error') AND t.level IN ('error', 'fatal') AND t.ts >= h.l), 0),
		coalesce(max(t.ts) FILTER (WHERE t.kind IN ('event', 'pageview')), 0),
		CAST(count(*) FILTER (WHERE t.rage_session IS NOT NULL) AS BIGINT),
		coalesce(max(t.rage_text), ''),
		coalesce(max(t.rage_session), '')
	FROM hits h LEFT JOIN tr t ON t.trace_hi = h.trace_hi AND t.trace_lo = h.trace_lo
	GROUP BY h.dep, h.caller, h.trace_hi, h.trace_lo, h.n, h.f, h.l
	ORDER BY h.f;

-- calls.throttled.bounds [7 1000000 2000000 7 1000000 2000500]
WITH hits AS (SELECT DISTINCT trace_hi, trace_lo FROM events
		WHERE project_id = ? AND ts >= ? AND ts < ? AND http_status = 429 AND kind IN ('log', 'error') AND http_status IS NOT NULL AND (trace_hi <> 0 OR trace_lo <> 0))
	SELECT min(e.ts), max(e.ts) FROM events e SEMI JOIN hits h ON e.trace_hi = h.trace_hi AND e.trace_lo = h.trace_lo
	WHERE e.project_id = ? AND e.ts >= ? AND e.ts < ?;

-- calls.throttled [7 1000000 2000000 7 1000000 2000100]
WITH hits AS (
		SELECT coalesce(attr_values[list_position(attr_keys, 'peer.service')], coalesce(attr_values[list_position(attr_keys, 'server.address')], service)) AS dep, trace_hi, trace_lo, any_value(service) AS caller,
			count(*) AS n, min(ts) AS f, max(ts) AS l
		FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND http_status = 429 AND kind IN ('log', 'error') AND http_status IS NOT NULL
		GROUP BY dep, trace_hi, trace_lo),
	tr AS (
		SELECT e.trace_hi, e.trace_lo, e.ts, e.kind, e.level, e.retry_attempt, e.http_status,
			CASE WHEN kind IN ('log', 'error') AND http_status IS NOT NULL THEN coalesce(attr_values[list_position(attr_keys, 'peer.service')], coalesce(attr_values[list_position(attr_keys, 'server.address')], service)) END AS dep,
			CASE WHEN e.name = '$rageclick' THEN e.session_id END AS rage_session,
			CASE WHEN e.name = '$rageclick' THEN attr_values[list_position(attr_keys, '$el_text')] END AS rage_text
		FROM events e SEMI JOIN (SELECT DISTINCT trace_hi, trace_lo FROM hits WHERE trace_hi <> 0 OR trace_lo <> 0) h ON e.trace_hi = h.trace_hi AND e.trace_lo = h.trace_lo
		WHERE e.project_id = ? AND e.ts >= ? AND e.ts < ?)
	SELECT h.dep, h.caller, CASE WHEN h.trace_hi = 0 AND h.trace_lo = 0 THEN '' ELSE lpad(lower(hex(h.trace_hi)), 16, '0') || lpad(lower(hex(h.trace_lo)), 16, '0') END,
		h.n, h.f, h.l,
		CAST(coalesce(max(t.retry_attempt), 0) AS BIGINT),
		coalesce(min(t.ts) FILTER (WHERE t.dep = h.dep AND t.http_status BETWEEN 200 AND 399), 0),
		coalesce(min(t.ts) FILTER (WHERE t.kind IN ('log', 'error') AND t.level IN ('error', 'fatal') AND t.ts >= h.l), 0),
		coalesce(max(t.ts) FILTER (WHERE t.kind IN ('event', 'pageview')), 0),
		CAST(count(*) FILTER (WHERE t.rage_session IS NOT NULL) AS BIGINT),
		coalesce(max(t.rage_text), ''),
		coalesce(max(t.rage_session), '')
	FROM hits h LEFT JOIN tr t ON t.trace_hi = h.trace_hi AND t.trace_lo = h.trace_lo
	GROUP BY h.dep, h.caller, h.trace_hi, h.trace_lo, h.n, h.f, h.l
	ORDER BY h.f;

-- calls.retries [7 1000000 2000000 4 1000 7 1000000 3602000000]
WITH seq AS (
		SELECT trace_hi, trace_lo, max(retry_attempt) AS n, min(ts) AS f, max(ts) AS l, arg_max(service, retry_attempt) AS caller
		FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND retry_attempt >= 1 AND (trace_hi <> 0 OR trace_lo <> 0)
		GROUP BY trace_hi, trace_lo HAVING max(retry_attempt) >= ? ORDER BY n DESC, f LIMIT ?),
	calls AS (
		SELECT e.trace_hi, e.trace_lo, e.ts, e.http_status,
			CASE WHEN kind = 'span' AND list_contains(attr_keys, 'peer.service') THEN attr_values[list_position(attr_keys, 'peer.service')] END AS sdep,
			CASE WHEN kind IN ('log', 'error') AND http_status IS NOT NULL THEN coalesce(attr_values[list_position(attr_keys, 'peer.service')], coalesce(attr_values[list_position(attr_keys, 'server.address')], service)) END AS ldep
		FROM events e SEMI JOIN seq ON e.trace_hi = seq.trace_hi AND e.trace_lo = seq.trace_lo
		WHERE e.project_id = ? AND e.ts >= ? AND e.ts < ? AND e.http_status IS NOT NULL)
	SELECT coalesce(mode(c.sdep) FILTER (WHERE c.http_status >= 400), mode(c.ldep) FILTER (WHERE c.http_status >= 400), ''),
		seq.caller, lpad(lower(hex(seq.trace_hi)), 16, '0') || lpad(lower(hex(seq.trace_lo)), 16, '0'),
		CAST(seq.n AS BIGINT), seq.f, seq.l,
		coalesce(arg_max(c.http_status, c.ts) BETWEEN 200 AND 399, false)
	FROM seq LEFT JOIN calls c ON c.trace_hi = seq.trace_hi AND c.trace_lo = seq.trace_lo
	GROUP BY seq.trace_hi, seq.trace_lo, seq.caller, seq.n, seq.f, seq.l
	ORDER BY seq.n DESC, seq.f;


-- calls.throttled.bounds [7 1000000 2000000 7 1000000 2000500]
WITH hits AS (SELECT DISTINCT trace_hi, trace_lo FROM events
		WHERE project_id = ? AND ts >= ? AND ts < ? AND http_status = 429 AND kind = 'span' AND has(attr_keys, 'peer.service') AND (trace_hi <> 0 OR trace_lo <> 0))
	SELECT min(e.ts), max(e.ts) FROM events e LEFT SEMI JOIN hits h ON e.trace_hi = h.trace_hi AND e.trace_lo = h.trace_lo
	WHERE e.project_id = ? AND e.ts >= ? AND e.ts < ?;

-- calls.throttled [7 1000000 2000000 7 1000000 2000100]
WITH hits AS (
		SELECT if(has(attr_keys, 'peer.service'), attr_values[indexOf(attr_keys, 'peer.service')], NULL) AS dep, trace_hi, trace_lo, any(service) AS caller,
			count() AS n, min(ts) AS f, max(ts) AS l
		FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND http_status = 429 AND kind = 'span' AND has(attr_keys, 'peer.service')
		GROUP BY dep, trace_hi, trace_lo),
	tr AS (
		SELECT e.trace_hi, e.trace_lo, e.ts, e.kind, e.level, e.retry_attempt, e.http_status,
			CASE WHEN kind = 'span' AND has(attr_keys, 'peer.service') THEN if(has(attr_keys, 'peer.service'), attr_values[indexOf(attr_keys, 'peer.service')], NULL) END AS dep,
			CASE WHEN e.name = '$rageclick' THEN e.session_id END AS rage_session,
			CASE WHEN e.name = '$rageclick' THEN if(has(attr_keys, '$el_text'), attr_values[indexOf(attr_keys, '$el_text')], NULL) END AS rage_text
		FROM events e LEFT SEMI JOIN (SELECT DISTINCT trace_hi, trace_lo FROM hits WHERE trace_hi <> 0 OR trace_lo <> 0) h ON e.trace_hi = h.trace_hi AND e.trace_lo = h.trace_lo
		WHERE e.project_id = ? AND e.ts >= ? AND e.ts < ?)
	SELECT h.dep, h.caller, CASE WHEN h.trace_hi = 0 AND h.trace_lo = 0 THEN '' ELSE concat(substring(concat('0000000000000000', lower(hex(h.trace_hi))), length(hex(h.trace_hi)) + 1, 16), substring(concat('0000000000000000', lower(hex(h.trace_lo))), length(hex(h.trace_lo)) + 1, 16)) END,
		h.n, h.f, h.l,
		toInt64(coalesce(max(t.retry_attempt), 0)),
		coalesce(minIf(t.ts, t.dep = h.dep AND t.http_status BETWEEN 200 AND 399), 0),
		coalesce(minIf(t.ts, t.kind IN ('log', 'error') AND t.level IN ('error', 'fatal') AND t.ts >= h.l), 0),
		coalesce(maxIf(t.ts, t.kind IN ('event', 'pageview')), 0),
		toInt64(countIf(ifNull(t.rage_session IS NOT NULL, 0))),
		coalesce(max(t.rage_text), ''),
		coalesce(max(t.rage_session), '')
	FROM hits h LEFT JOIN tr t ON t.trace_hi = h.trace_hi AND t.trace_lo = h.trace_lo
	GROUP BY h.dep, h.caller, h.trace_hi, h.trace_lo, h.n, h.f, h.l
	ORDER BY h.f;

-- calls.throttled.bounds [7 1000000 2000000 7 1000000 2000500]
WITH hits AS (SELECT DISTINCT trace_hi, trace_lo FROM events
		WHERE project_id = ? AND ts >= ? AND ts < ? AND http_status = 429 AND kind IN ('log', 'error') AND http_status IS NOT NULL AND (trace_hi <> 0 OR trace_lo <> 0))
	SELECT min(e.ts), max(e.ts) FROM events e LEFT SEMI JOIN hits h ON e.trace_hi = h.trace_hi AND e.trace_lo = h.trace_lo
	WHERE e.project_id = ? AND e.ts >= ? AND e.ts < ?;

-- calls.throttled [7 1000000 2000000 7 1000000 2000100]
WITH hits AS (
		SELECT if(has(attr_keys, 'peer.service'), attr_values[indexOf(attr_keys, 'peer.service')], if(has(attr_keys, 'server.address'), attr_values[indexOf(attr_keys, 'server.address')], service)) AS dep, trace_hi, trace_lo, any(service) AS caller,
			count() AS n, min(ts) AS f, max(ts) AS l
		FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND http_status = 429 AND kind IN ('log', 'error') AND http_status IS NOT NULL
		GROUP BY dep, trace_hi, trace_lo),
	tr AS (
		SELECT e.trace_hi, e.trace_lo, e.ts, e.kind, e.level, e.retry_attempt, e.http_status,
			CASE WHEN kind IN ('log', 'error') AND http_status IS NOT NULL THEN if(has(attr_keys, 'peer.service'), attr_values[indexOf(attr_keys, 'peer.service')], if(has(attr_keys, 'server.address'), attr_values[indexOf(attr_keys, 'server.address')], service)) END AS dep,
			CASE WHEN e.name = '$rageclick' THEN e.session_id END AS rage_session,
			CASE WHEN e.name = '$rageclick' THEN if(has(attr_keys, '$el_text'), attr_values[indexOf(attr_keys, '$el_text')], NULL) END AS rage_text
		FROM events e LEFT SEMI JOIN (SELECT DISTINCT trace_hi, trace_lo FROM hits WHERE trace_hi <> 0 OR trace_lo <> 0) h ON e.trace_hi = h.trace_hi AND e.trace_lo = h.trace_lo
		WHERE e.project_id = ? AND e.ts >= ? AND e.ts < ?)
	SELECT h.dep, h.caller, CASE WHEN h.trace_hi = 0 AND h.trace_lo = 0 THEN '' ELSE concat(substring(concat('0000000000000000', lower(hex(h.trace_hi))), length(hex(h.trace_hi)) + 1, 16), substring(concat('0000000000000000', lower(hex(h.trace_lo))), length(hex(h.trace_lo)) + 1, 16)) END,
		h.n, h.f, h.l,
		toInt64(coalesce(max(t.retry_attempt), 0)),
		coalesce(minIf(t.ts, t.dep = h.dep AND t.http_status BETWEEN 200 AND 399), 0),
		coalesce(minIf(t.ts, t.kind IN ('log', 'error') AND t.level IN ('error', 'fatal') AND t.ts >= h.l), 0),
		coalesce(maxIf(t.ts, t.kind IN ('event', 'pageview')), 0),
		toInt64(countIf(ifNull(t.rage_session IS NOT NULL, 0))),
		coalesce(max(t.rage_text), ''),
		coalesce(max(t.rage_session), '')
	FROM hits h LEFT JOIN tr t ON t.trace_hi = h.trace_hi AND t.trace_lo = h.trace_lo
	GROUP BY h.dep, h.caller, h.trace_hi, h.trace_lo, h.n, h.f, h.l
	ORDER BY h.f;

-- calls.retries [7 1000000 2000000 4 1000 7 1000000 3602000000]
WITH seq AS (
		SELECT trace_hi, trace_lo, max(retry_attempt) AS n, min(ts) AS f, max(ts) AS l, argMax(service, retry_attempt) AS caller
		FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND retry_attempt >= 1 AND (trace_hi <> 0 OR trace_lo <> 0)
		GROUP BY trace_hi, trace_lo HAVING max(retry_attempt) >= ? ORDER BY n DESC, f LIMIT ?),
	calls AS (
		SELECT e.trace_hi, e.trace_lo, e.ts, e.http_status,
			CASE WHEN kind = 'span' AND has(attr_keys, 'peer.service') THEN if(has(attr_keys, 'peer.service'), attr_values[indexOf(attr_keys, 'peer.service')], NULL) END AS sdep,
			CASE WHEN kind IN ('log', 'error') AND http_status IS NOT NULL THEN if(has(attr_keys, 'peer.service'), attr_values[indexOf(attr_keys, 'peer.service')], if(has(attr_keys, 'server.address'), attr_values[indexOf(attr_keys, 'server.address')], service)) END AS ldep
		FROM events e LEFT SEMI JOIN seq ON e.trace_hi = seq.trace_hi AND e.trace_lo = seq.trace_lo
		WHERE e.project_id = ? AND e.ts >= ? AND e.ts < ? AND e.http_status IS NOT NULL)
	SELECT coalesce(arrayMap(v -> v[indexOf(arrayEnumerateUniq(v), arrayReduce('max', arrayEnumerateUniq(v)))], [arraySort(groupArrayIf(c.sdep, c.http_status >= 400))])[1], arrayMap(v -> v[indexOf(arrayEnumerateUniq(v), arrayReduce('max', arrayEnumerateUniq(v)))], [arraySort(groupArrayIf(c.ldep, c.http_status >= 400))])[1], ''),
		seq.caller, concat(substring(concat('0000000000000000', lower(hex(seq.trace_hi))), length(hex(seq.trace_hi)) + 1, 16), substring(concat('0000000000000000', lower(hex(seq.trace_lo))), length(hex(seq.trace_lo)) + 1, 16)),
		toInt64(seq.n), seq.f, seq.l,
		coalesce(argMax(c.http_status, c.ts) BETWEEN 200 AND 399, false)
	FROM seq LEFT JOIN calls c ON c.trace_hi = seq.trace_hi AND c.trace_lo = seq.trace_lo
	GROUP BY seq.trace_hi, seq.trace_lo, seq.caller, seq.n, seq.f, seq.l
	ORDER BY seq.n DESC, seq.f;


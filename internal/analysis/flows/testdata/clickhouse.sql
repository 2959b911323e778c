-- flows.failed [7 -3599000000 2000000 1000000 10000]
WITH ev0 AS (
		SELECT session_id, trace_hi, trace_lo, ts, kind, level, name, service, error_type, retry_attempt, endpoint
		FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND (session_id <> '' OR trace_hi <> 0 OR trace_lo <> 0)),
	tsess AS (
		SELECT trace_hi, trace_lo, max(session_id) AS sid FROM ev0
		WHERE session_id <> '' AND (trace_hi <> 0 OR trace_lo <> 0) GROUP BY trace_hi, trace_lo),
	ev AS (
		SELECT CASE WHEN ev0.session_id <> '' THEN 's:' || ev0.session_id
			WHEN tsess.sid IS NOT NULL THEN 's:' || tsess.sid
			ELSE 't:' || concat(substring(concat('0000000000000000', lower(hex(ev0.trace_hi))), length(hex(ev0.trace_hi)) + 1, 16), substring(concat('0000000000000000', lower(hex(ev0.trace_lo))), length(hex(ev0.trace_lo)) + 1, 16)) END AS k,
			ts, kind, level, name, service, error_type, retry_attempt, endpoint
		FROM ev0 LEFT JOIN tsess ON ev0.trace_hi = tsess.trace_hi AND ev0.trace_lo = tsess.trace_lo),
	fe AS (
		SELECT k, min(ts) AS ets,
			argMin(service || ' ' || CASE WHEN error_type <> '' THEN error_type ELSE name END, ts) AS elabel
		FROM ev WHERE (kind = 'error' OR (kind <> 'span' AND level IN ('error', 'fatal')))
		GROUP BY k HAVING min(ts) >= ? ORDER BY ets LIMIT ?)
	SELECT fe.k, min(ev.ts), fe.ets, fe.elabel,
		coalesce(maxIf(ev.retry_attempt, ev.ts <= fe.ets), 0) >= 1,
		arrayMap(x -> tupleElement(x, 2), arraySort(groupArrayIf(tuple((ev.ts), ev.name), ev.ts < fe.ets AND ev.kind = 'event' AND ev.name <> '' AND NOT startsWith(ev.name, '$')))),
		arrayMap(x -> tupleElement(x, 2), arraySort(groupArrayIf(tuple((ev.ts), ev.endpoint), ev.ts < fe.ets AND ev.kind = 'pageview' AND ev.endpoint <> '')))
	FROM fe JOIN ev ON ev.k = fe.k
	GROUP BY fe.k, fe.ets, fe.elabel ORDER BY fe.ets;

-- flows.sessions [7 1000000 2000000 7 1000000 2000000 7 1000000 2000000 7 1000000 2000000 7 1000000 2000000 7 1000000 2000000 10]
WITH ev0 AS (
		SELECT session_id, trace_hi, trace_lo, ts, kind, level, name FROM events
		WHERE project_id = ? AND ts >= ? AND ts < ? AND kind = 'event' AND name <> '' AND NOT startsWith(name, '$')
			AND (session_id <> '' OR trace_hi <> 0 OR trace_lo <> 0)
		UNION ALL SELECT session_id, trace_hi, trace_lo, ts, kind, level, name FROM events
		WHERE project_id = ? AND ts >= ? AND ts < ? AND kind = 'error' AND (session_id <> '' OR trace_hi <> 0 OR trace_lo <> 0)
		UNION ALL SELECT session_id, trace_hi, trace_lo, ts, kind, level, name FROM events
		WHERE project_id = ? AND ts >= ? AND ts < ? AND kind <> 'span' AND kind <> 'error' AND kind <> 'event' AND level = 'error'
			AND (session_id <> '' OR trace_hi <> 0 OR trace_lo <> 0)
		UNION ALL SELECT session_id, trace_hi, trace_lo, ts, kind, level, name FROM events
		WHERE project_id = ? AND ts >= ? AND ts < ? AND kind <> 'span' AND kind <> 'error' AND kind <> 'event' AND level = 'fatal'
			AND (session_id <> '' OR trace_hi <> 0 OR trace_lo <> 0)
		UNION ALL SELECT session_id, trace_hi, trace_lo, ts, kind, level, name FROM events
		WHERE project_id = ? AND ts >= ? AND ts < ? AND kind = 'event' AND level IN ('error', 'fatal')
			AND NOT (name <> '' AND NOT startsWith(name, '$')) AND (session_id <> '' OR trace_hi <> 0 OR trace_lo <> 0)),
	orphans AS (SELECT DISTINCT trace_hi, trace_lo FROM ev0 WHERE session_id = ''),
	tsess AS (
		SELECT e.trace_hi, e.trace_lo, max(e.session_id) AS sid
		FROM events e LEFT SEMI JOIN orphans o ON e.trace_hi = o.trace_hi AND e.trace_lo = o.trace_lo
		WHERE e.project_id = ? AND e.ts >= ? AND e.ts < ? AND e.session_id <> ''
		GROUP BY e.trace_hi, e.trace_lo),
	ev AS (
		SELECT coalesce(nullif(ev0.session_id, ''), tsess.sid) AS k, ts, kind, level, name
		FROM ev0 LEFT JOIN tsess ON ev0.trace_hi = tsess.trace_hi AND ev0.trace_lo = tsess.trace_lo),
	keys AS (
		SELECT k FROM ev WHERE k IS NOT NULL AND kind = 'event' AND name <> '' AND NOT startsWith(name, '$')
		GROUP BY k ORDER BY k LIMIT ?)
	SELECT ev.k, arrayMap(x -> tupleElement(x, 2), arraySort(groupArrayIf(tuple((ev.ts), ev.name), ev.kind = 'event' AND ev.name <> '' AND NOT startsWith(ev.name, '$')))),
		arrayMap(x -> tupleElement(x, 2), arraySort(groupArrayIf(tuple((ev.ts), ev.ts), ev.kind = 'event' AND ev.name <> '' AND NOT startsWith(ev.name, '$')))),
		arrayMap(x -> tupleElement(x, 2), arraySort(groupArrayIf(tuple((ev.ts), ev.ts), (ev.kind = 'error' OR (ev.kind <> 'span' AND ev.level IN ('error', 'fatal'))))))
	FROM ev LEFT SEMI JOIN keys ON ev.k = keys.k
	GROUP BY ev.k ORDER BY ev.k;


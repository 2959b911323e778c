package rollup

import "github.com/lore-dev/lore/internal/store"

// Two more per-minute rollups, maintained like narrative_minutes (each
// touched minute recomputed from the events in the append's transaction):
// narrative_errors, the error rows per minute and group (service, error
// type, key) split by endpoint and release, with each part's first row,
// its first message (the least of the rows at that time) and first three
// traces; and narrative_releases, each service's releases
// per minute with their first row. ErrorGroups and ReleaseStarts read them
// when their bounds fall on minutes: the error groups of a day with a
// week's lookback, and the deploys, without scanning the events.

const errorsSchema = `
CREATE TABLE IF NOT EXISTS narrative_errors (
	project_id INTEGER NOT NULL,
	minute BIGINT NOT NULL,
	service VARCHAR NOT NULL,
	error_type VARCHAR NOT NULL,
	k VARCHAR NOT NULL,
	endpoint VARCHAR NOT NULL,
	release VARCHAR NOT NULL,
	n BIGINT NOT NULL,
	first_ts BIGINT NOT NULL,
	message VARCHAR NOT NULL,
	traces VARCHAR[] NOT NULL,
	trace_ts BIGINT[] NOT NULL
);
CREATE TABLE IF NOT EXISTS narrative_releases (
	project_id INTEGER NOT NULL,
	minute BIGINT NOT NULL,
	service VARCHAR NOT NULL,
	release VARCHAR NOT NULL,
	first_ts BIGINT NOT NULL
);
`

// errorsInsert recomputes the error minutes of the events matching the
// condition it is completed with (three times, as
// internal/analysis/services.ErrorGroups reads the events).
func errorsInsert(cond string) string {
	cols := `SELECT project_id, ts, service, error_type, endpoint, release, message, trace_hi, trace_lo,
			CASE WHEN fingerprint <> '' THEN fingerprint
				ELSE error_type || '|' || coalesce(attr_values[list_position(attr_keys, '` + store.PatternAttr + `')], message) END AS k
		FROM events WHERE ts >= 0 AND ` + cond
	return `INSERT INTO narrative_errors
	WITH e AS (` + cols + ` AND kind = 'error'
		UNION ALL ` + cols + ` AND kind <> 'span' AND kind <> 'error' AND level = 'error'
		UNION ALL ` + cols + ` AND kind <> 'span' AND kind <> 'error' AND level = 'fatal')
	SELECT project_id, ts // 60000000 * 60000000 AS minute, service, error_type, k, endpoint, release,
		count(*), min(ts), arg_min(message, (ts, message)),
		coalesce(arg_min(` + traceHex + `, ts, 3) FILTER (WHERE trace_hi <> 0 OR trace_lo <> 0), []),
		coalesce(arg_min(ts, ts, 3) FILTER (WHERE trace_hi <> 0 OR trace_lo <> 0), [])
	FROM e GROUP BY ALL`
}

// releasesInsert recomputes the release minutes of the events matching
// the condition it is completed with.
const releasesInsert = `INSERT INTO narrative_releases
	SELECT project_id, ts // 60000000 * 60000000 AS minute, service, release, min(ts)
	FROM events WHERE ts >= 0 AND release <> '' AND service <> '' AND `

// errorRollupServes reports whether ErrorGroups can read its range and
// lookback from narrative_errors.
func errorRollupServes(r store.Range, since int64) bool {
	return since >= 0 && since%Minute == 0 && r.From%Minute == 0 && r.To%Minute == 0
}

// errorGroupsRollup is services.ErrorGroups over narrative_errors (the same
// figures; ties of the most common endpoint and of the sample traces'
// times may break otherwise). Arguments: project, since, to, from four
// times, limit.
const errorGroupsRollup = `WITH g AS (
		SELECT * FROM narrative_errors WHERE project_id = ? AND minute >= ? AND minute < ?),
	ep AS (
		SELECT service, error_type, k, arg_max(endpoint, n) AS endpoint FROM (
			SELECT service, error_type, k, endpoint, sum(n) AS n FROM g WHERE endpoint <> '' GROUP BY ALL)
		GROUP BY ALL),
	tr AS (
		SELECT service, error_type, k, arg_min(id, tts, 3) AS traces FROM (
			SELECT service, error_type, k, unnest(traces) AS id, unnest(trace_ts) AS tts FROM g WHERE minute >= ?)
		GROUP BY ALL),
	agg AS (
		SELECT service, error_type, k, arg_min(message, (first_ts, message)) AS message,
			(sum(n) FILTER (WHERE minute >= ?))::BIGINT AS n, min(first_ts) AS first_ts,
			list_sort(list(DISTINCT release) FILTER (WHERE release <> '' AND minute >= ?)) AS releases
		FROM g GROUP BY service, error_type, k
		HAVING sum(n) FILTER (WHERE minute >= ?) > 0)
	SELECT agg.service, agg.error_type, agg.k, agg.message, coalesce(ep.endpoint, ''), agg.n, agg.first_ts,
		agg.releases, coalesce(tr.traces, [])
	FROM agg LEFT JOIN ep USING (service, error_type, k) LEFT JOIN tr USING (service, error_type, k)
	ORDER BY 6 DESC, 1, 3 LIMIT ?`

// releaseRollupServes reports whether ReleaseStarts can read [since, to)
// from narrative_releases.
func releaseRollupServes(since, to int64) bool {
	return since >= 0 && since%Minute == 0 && to%Minute == 0
}

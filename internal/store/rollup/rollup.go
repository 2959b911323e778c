// Package rollup is the DuckDB store's narrative rollups, an accelerator
// of the story detectors, the service series and the call graph: per
// minute, each service's signals (narrative_minutes), its error rows by
// group (narrative_errors) and its releases (narrative_releases); per
// hour, the calls between services (narrative_edges). The store feeds it
// — Append inside each batch's transaction, Erased after a deletion,
// Rebuild at Open when the tables lag the events — and shows its readers
// (Rollups: store.ServiceSeriesRollup, store.ErrorGroupsRollup,
// store.ReleaseRollup, store.CallGraphReader) to the analyses of
// internal/analysis/services, which find them by type assertion and read
// the events with the same answer without them. Its SQL is DuckDB's: the
// tables live beside the events table in the store's database.
package rollup

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// The narrative engine reads each service's signals per minute over whole
// days (cascades, hidden coupling, latency regressions, the timeline).
// Re-aggregating a day of events per request costs seconds at 10M events a
// day, so the minutes are kept in narrative_minutes, maintained by Append
// in the same transaction as the events: for every (project, minute) a
// batch touches, the minute's rows are recomputed from the events table
// (the batch's rows and the earlier ones), so each row is exactly what
// aggregating the raw events gives — p95s included, which no running
// aggregate could merge exactly. A replayed batch is refused with its
// events, so the rollup stays exactly-once; rollup_state records the seq
// it was maintained up to, and Open rebuilds the table when that differs
// from the events' (a store written before the rollup existed, or by a
// binary without it).

// Minute is the rollup's bucket width, µs.
const Minute = int64(time.Minute / time.Microsecond)

const minutesSchema = `
CREATE TABLE IF NOT EXISTS narrative_minutes (
	project_id INTEGER NOT NULL,
	minute BIGINT NOT NULL,
	service VARCHAR NOT NULL,
	sreq BIGINT NOT NULL,
	serr BIGINT NOT NULL,
	sp95 DOUBLE NOT NULL,
	lreq BIGINT NOT NULL,
	lerr BIGINT NOT NULL,
	lp95 DOUBLE NOT NULL,
	retries BIGINT NOT NULL,
	logs BIGINT NOT NULL,
	elogs BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS rollup_state (
	id INTEGER PRIMARY KEY,
	seq UBIGINT NOT NULL
);
INSERT OR IGNORE INTO rollup_state VALUES (1, 0);
INSERT OR IGNORE INTO rollup_state VALUES (2, 0);
`

// Schema creates the rollups' tables (and their state) when missing.
const Schema = minutesSchema + edgesSchema + errorsSchema

// Version is the rollups' definition, recorded as rollup_state row 2: a
// store whose rollups were built by another definition rebuilds them at
// Open.
const Version = 5

// minuteAggregates are services.Series' signals of one service and
// minute (internal/analysis/services.Aggregates, which the store may not
// import: TestRollupAggregatesAreTheAnalysis keeps them equal), over the
// events selected by the query's WHERE.
const minuteAggregates = `count(*) FILTER (WHERE kind = 'span') AS sreq,
		count(*) FILTER (WHERE kind = 'span' AND ` + errRow + `) AS serr,
		coalesce(quantile_cont(duration_ms, 0.95) FILTER (WHERE kind = 'span'), 0) AS sp95,
		count(*) FILTER (WHERE kind <> 'span' AND (duration_ms IS NOT NULL OR http_status IS NOT NULL)) AS lreq,
		count(*) FILTER (WHERE kind <> 'span' AND (duration_ms IS NOT NULL OR http_status IS NOT NULL) AND ` + errRow + `) AS lerr,
		coalesce(quantile_cont(duration_ms, 0.95) FILTER (WHERE kind <> 'span'), 0) AS lp95,
		count(*) FILTER (WHERE retry_attempt >= 1) AS retries,
		count(*) FILTER (WHERE kind IN ('log', 'error')) AS logs,
		count(*) FILTER (WHERE kind IN ('log', 'error') AND level IN ('error', 'fatal')) AS elogs`

// rollupInsert recomputes minutes from the events matching the WHERE
// clause it is completed with.
const rollupInsert = `INSERT INTO narrative_minutes
	SELECT project_id, ts // 60000000 * 60000000 AS minute, service, ` + minuteAggregates + `
	FROM events WHERE ts >= 0 AND service <> '' AND `

// Tx is a connection or transaction of the store's database, on which
// the rollups are maintained (the batch's transaction in Append).
type Tx interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// Fresh reports whether the rollups reflect every batch up to seq (the
// events' last committed batch) under this Version; Open rebuilds them
// otherwise. The tables must exist (Schema).
func Fresh(ctx context.Context, tx Tx, seq uint64) (bool, error) {
	var rolled, version uint64
	err := eachRow(ctx, tx, `SELECT r.seq, v.seq FROM rollup_state r, rollup_state v WHERE r.id = 1 AND v.id = 2`, nil, func(rows *sql.Rows) error {
		return rows.Scan(&rolled, &version)
	})
	if err != nil {
		return false, fmt.Errorf("read rollup state: %w", err)
	}
	return rolled == seq && version == Version, nil
}

// Rebuild recomputes every minute and hour from the events, inside tx,
// and records seq as the batch they reflect.
func Rebuild(ctx context.Context, tx Tx, seq uint64) error {
	for _, q := range []string{
		`DELETE FROM narrative_minutes`, `DELETE FROM narrative_errors`, `DELETE FROM narrative_releases`,
		rollupInsert + `true GROUP BY project_id, minute, service`,
		errorsInsert(`true`),
		releasesInsert + `true GROUP BY ALL`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	if err := rebuildEdges(ctx, tx); err != nil {
		return fmt.Errorf("seal hours: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE rollup_state SET seq = CASE id WHEN 1 THEN ? ELSE ? END`, seq, uint64(Version)); err != nil {
		return err
	}
	return nil
}

// Runs are minutes of projects: runs of [from, to) of one project each,
// sorted by project, then minute. MinutesOf finds them before a deletion,
// for Erased to recompute after it.
type Runs []minuteRun

// minuteRun is the minutes [from, to) of one project a batch touched.
type minuteRun struct {
	project  int64
	from, to int64
}

// rollupGap is how far apart two touched minutes of a batch may be and
// still be recomputed in one statement (the minutes between are
// recomputed for nothing, which is cheaper than another statement).
const rollupGap = 10 * Minute

// touchedMinutes lists the minutes the events (sorted by project and time
// through order) touch, merged into runs.
func touchedMinutes(evs []event.Event, order []int32) []minuteRun {
	var runs []minuteRun
	for _, i := range order {
		e := &evs[i]
		if e.TS < 0 {
			continue
		}
		runs = addMinute(runs, e.ProjectID, e.TS-e.TS%Minute)
	}
	return runs
}

// addMinute adds minute m of project to runs (sorted by project, then
// minute), extending the last run when m is within rollupGap of it.
func addMinute(runs []minuteRun, project, m int64) []minuteRun {
	if n := len(runs); n > 0 && runs[n-1].project == project && m <= runs[n-1].to+rollupGap {
		runs[n-1].to = max(runs[n-1].to, m+Minute)
		return runs
	}
	return append(runs, minuteRun{project, m, m + Minute})
}

// rollMinutes recomputes the rollups' minutes of runs (minutes, errors,
// releases) from the events as they are now: Append's after its batch is
// in, ErasePerson's after a person's rows left.
func rollMinutes(ctx context.Context, tx Tx, runs []minuteRun) error {
	const in = `project_id = ? AND ts >= ? AND ts < ?`
	for _, r := range runs {
		args := []any{r.project, r.from, r.to}
		for _, x := range []struct {
			q    string
			args []any
		}{
			{`DELETE FROM narrative_minutes WHERE project_id = ? AND minute >= ? AND minute < ?`, args},
			{`DELETE FROM narrative_errors WHERE project_id = ? AND minute >= ? AND minute < ?`, args},
			{`DELETE FROM narrative_releases WHERE project_id = ? AND minute >= ? AND minute < ?`, args},
			{rollupInsert + in + ` GROUP BY project_id, minute, service`, args},
			{errorsInsert(in), append(append(append([]any{}, args...), args...), args...)},
			{releasesInsert + in + ` GROUP BY ALL`, args},
		} {
			if _, err := tx.ExecContext(ctx, x.q, x.args...); err != nil {
				return fmt.Errorf("roll up minutes [%d, %d) of project %d: %w", r.from, r.to, r.project, err)
			}
		}
	}
	return nil
}

// Append recomputes the minutes the batch evs (in the order order: by
// project, then time) touched, inside the append's transaction tx after
// the batch's events are in, seals the hours they complete, and records
// seq.
func Append(ctx context.Context, tx Tx, seq uint64, evs []event.Event, order []int32) error {
	runs := touchedMinutes(evs, order)
	if err := rollMinutes(ctx, tx, runs); err != nil {
		return err
	}
	maxTS := map[int64]int64{}
	for _, r := range runs {
		maxTS[r.project] = max(maxTS[r.project], r.to)
	}
	if err := sealHours(ctx, tx, runs, maxTS); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE rollup_state SET seq = ? WHERE id = 1`, seq); err != nil {
		return fmt.Errorf("record rollup seq %d: %w", seq, err)
	}
	return nil
}

// rollupServes reports whether ServiceSeries can read r from the rollup:
// minute steps on minute boundaries (a range ending inside a minute reads
// that minute's events raw).
func rollupServes(r store.ServiceSeriesRequest) bool {
	return r.Step == Minute && r.Range.From >= 0 && r.Range.From%Minute == 0
}

// seriesRollup reads ServiceSeries' whole minutes from the rollup and the
// last, partial minute (if the range ends inside one) from the events.
func seriesRollup(r store.ServiceSeriesRequest) (string, []any) {
	whole := r.Range.To - r.Range.To%Minute
	if r.Range.To < 0 {
		whole = r.Range.From
	}
	whole = max(whole, r.Range.From)
	q := `WITH g AS (
		SELECT service, (minute - ?) // ? AS b, sreq, serr, sp95, lreq, lerr, lp95, retries, logs, elogs
		FROM narrative_minutes WHERE project_id = ? AND minute >= ? AND minute < ?
		UNION ALL
		SELECT service, (ts - ?) // ? AS b, ` + minuteAggregates + `
		FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND service <> ''
		GROUP BY service, b)
	SELECT service, b, sum(sreq) OVER (PARTITION BY service) > 0 AS spans, sreq, serr, sp95, lreq, lerr, lp95, retries, logs, elogs
	FROM g ORDER BY service, b`
	return q, []any{r.Range.From, r.Step, r.ProjectID, r.Range.From, whole,
		r.Range.From, r.Step, r.ProjectID, whole, r.Range.To}
}

// MinutesOf lists the minutes of project the events matching cond (a
// condition on the events table, completed with args) fall in. The store
// reads them before it deletes rows (a person's, retention's), to roll
// those minutes up again after (Erased).
func MinutesOf(ctx context.Context, tx Tx, project int64, cond string, args ...any) (Runs, error) {
	var runs Runs
	err := eachRow(ctx, tx, `SELECT DISTINCT ts - ts % 60000000 AS m FROM events WHERE ts >= 0 AND `+cond+` ORDER BY m`, args, func(rows *sql.Rows) error {
		var m int64
		err := rows.Scan(&m)
		runs = addMinute(runs, project, m)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find the minutes of the rows to delete: %w", err)
	}
	return runs, nil
}

// Erased recomputes the minutes runs of project after rows of them were
// deleted (their counts, and the error groups' messages and sample
// traces, must not tell the deleted rows), and seals again the hours of
// the call graph they touch.
func Erased(ctx context.Context, tx Tx, project int64, runs Runs) error {
	if len(runs) == 0 {
		return nil
	}
	if err := rollMinutes(ctx, tx, runs); err != nil {
		return err
	}
	last := runs[len(runs)-1].to
	err := eachRow(ctx, tx, `SELECT max(minute) + 60000000 FROM narrative_minutes WHERE project_id = ?`, []any{project}, func(rows *sql.Rows) error {
		var m sql.NullInt64
		err := rows.Scan(&m)
		if m.Valid {
			last = max(last, m.Int64)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("find the last rolled-up minute of project %d: %w", project, err)
	}
	return sealHours(ctx, tx, runs, map[int64]int64{project: last})
}

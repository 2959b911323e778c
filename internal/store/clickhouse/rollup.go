package clickhouse

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// The narrative rollups: the ClickHouse store's counterpart of the
// DuckDB store's (internal/store/rollup), which the story detectors, the
// incident timeline and the service series read instead of the events
// (store.ServiceSeriesRollup, store.ErrorGroupsRollup,
// store.ReleaseRollup), and the sampled days, which tell the counts
// (facets, histograms, stats) when they need not read the attributes to
// weight events (SampleWeight). Per minute, partitioned by day as the
// events:
//
//   - rollup_minutes: each (service, kind, level, status)'s rows, those
//     with a duration, those retried, and their durations (a groupArray
//     state: the series' p95 is exact, as DuckDB's quantile_cont);
//   - rollup_errors: the error rows of each (service, error type, key,
//     endpoint, release, kind), their first time, their first message
//     (the least (ts, message)) and their traces with times;
//   - rollup_releases: each (service, release, kind)'s first row;
//   - sampled_days: the (project, day)s holding an event sampling kept.
//
// Each is an AggregatingMergeTree (sampled_days a ReplacingMergeTree)
// fed by a materialized view of the events table on every INSERT
// (whichever writer or node sends it; on a cluster, a view of each
// shard's local events table into its local rollup tables, read through
// Distributed tables as the events are). A rollup row of a minute may be
// several until merged: every read merges their states.
//
// What a view cannot follow is a deletion of events: an erasure, the
// recovery of an unrecorded batch, the part of a retention run that is
// not a whole day. For those the store recomputes the minutes concerned
// (reroll: the rollup rows deleted by a mutation, inserted again from
// the events left, then checked against the events' counts and done
// again when a row appended meanwhile was counted twice), marking their
// days stale first (rollup_stale): a read whose days are stale reads the
// events, with the same answer, until the recomputation ends. The
// migration fills the rollups from the events already stored the same
// way, a day at a time, after creating the views.

// minuteMicros is the rollups' bucket, µs.
const minuteMicros = 60000000

// rollupTables are the per-minute rollups that reroll recomputes (their
// rows are counts, which a view appends and a deletion of events does not
// take back); sampled_days is a set, left wider than the rows at worst.
var rollupTables = []string{"rollup_minutes", "rollup_errors", "rollup_releases"}

// minuteOf is the minute (µs) of the ts column's rows, ts >= 0.
const minuteOf = "intDiv(ts, 60000000) * 60000000"

// errorRowCond is an error row as internal/analysis/services.ErrorGroups
// reads them: an error, or a row of another kind but span at level error
// or fatal.
const errorRowCond = "(kind = 'error' OR (kind != 'span' AND level IN ('error', 'fatal')))"

// rollupSelect is the SELECT of table's rollup rows over the rows of the
// events table from that match where: the materialized view's (where
// "true") and reroll's.
func rollupSelect(table, from, where string) string {
	d := sqlq.ClickHouse{}
	switch table {
	case "rollup_minutes":
		return "SELECT project_id, " + minuteOf + " AS minute, service, kind, level, ifNull(http_status, toInt16(-1)) AS status," +
			" countState() AS n, sumState(toUInt64(isNotNull(duration_ms))) AS timed, sumState(toUInt64(ifNull(retry_attempt >= 1, 0))) AS retries," +
			" groupArrayStateIf(assumeNotNull(duration_ms), isNotNull(duration_ms)) AS durations" +
			" FROM " + from + " WHERE ts >= 0 AND (" + where + ") GROUP BY project_id, minute, service, kind, level, status"
	case "rollup_errors":
		// The key k as the analysis spells it (the store may not import
		// it; TestSameAnswers compares the two).
		k := "CASE WHEN fingerprint != '' THEN fingerprint ELSE concat(error_type, '|', coalesce(" + d.Attr(store.PatternAttr) + ", message)) END"
		return "SELECT project_id, " + minuteOf + " AS minute, service, error_type, " + k + " AS k, endpoint, release, kind," +
			" countState() AS n, minState(ts) AS first_ts, minState((ts, message)) AS first_message," +
			" groupArrayStateIf((ts, trace_hi, trace_lo), trace_hi != 0 OR trace_lo != 0) AS traces" +
			" FROM " + from + " WHERE ts >= 0 AND " + errorRowCond + " AND (" + where + ")" +
			" GROUP BY project_id, minute, service, error_type, k, endpoint, release, kind"
	case "rollup_releases":
		return "SELECT project_id, " + minuteOf + " AS minute, service, release, kind, minState(ts) AS first_ts" +
			" FROM " + from + " WHERE ts >= 0 AND release != '' AND service != '' AND (" + where + ") GROUP BY project_id, minute, service, release, kind"
	case "sampled_days":
		return "SELECT DISTINCT project_id, intDiv(ts, " + strconv.Itoa(dayMicros) + ") AS day FROM " + from +
			" WHERE " + d.HasAttr(store.AttrSampleRate) + " AND (" + where + ")"
	}
	panic("clickhouse: no rollup " + table)
}

// rollupMigration creates the rollups, their views and the stale marks,
// and fills them from the events already stored.
func rollupMigration(version int) migration {
	day := " PARTITION BY intDiv(minute, " + strconv.Itoa(dayMicros) + ")"
	return migration{version: version, name: "narrative rollups", stmts: []string{
		`CREATE TABLE IF NOT EXISTS rollup_minutes (
	project_id Int32,
	minute Int64,
	service String,
	kind String,
	level String,
	status Int16,
	n AggregateFunction(count),
	timed AggregateFunction(sum, UInt64),
	retries AggregateFunction(sum, UInt64),
	durations AggregateFunction(groupArray, Float64)
) ENGINE = AggregatingMergeTree()` + day + ` ORDER BY (project_id, minute, service, kind, level, status)`,
		`CREATE TABLE IF NOT EXISTS rollup_errors (
	project_id Int32,
	minute Int64,
	service String,
	error_type String,
	k String,
	endpoint String,
	release String,
	kind String,
	n AggregateFunction(count),
	first_ts AggregateFunction(min, Int64),
	first_message AggregateFunction(min, Tuple(Int64, String)),
	traces AggregateFunction(groupArray, Tuple(Int64, UInt64, UInt64))
) ENGINE = AggregatingMergeTree()` + day + ` ORDER BY (project_id, minute, service, error_type, k, endpoint, release, kind)`,
		`CREATE TABLE IF NOT EXISTS rollup_releases (
	project_id Int32,
	minute Int64,
	service String,
	release String,
	kind String,
	first_ts AggregateFunction(min, Int64)
) ENGINE = AggregatingMergeTree()` + day + ` ORDER BY (project_id, minute, service, release, kind)`,
		`CREATE TABLE IF NOT EXISTS sampled_days (
	project_id Int32,
	day Int64
) ENGINE = ReplacingMergeTree() PARTITION BY day ORDER BY (project_id, day)`,
		// A mark a row (project -1: every project) a recomputation
		// writes before it starts and again, with stale 0, when it is
		// done: a day is stale while a token of it has no end.
		`CREATE TABLE IF NOT EXISTS rollup_stale (
	project_id Int32,
	day Int64,
	token UInt64,
	stale UInt8,
	at DateTime
) ENGINE = MergeTree() ORDER BY (project_id, day, token)`,
	}, backfill: backfillRollups}
}

// rollupViews are the rollups fed by a view of the events table.
var rollupViews = []string{"rollup_minutes", "rollup_errors", "rollup_releases", "sampled_days"}

// createRollupViews creates the views of the events into the rollups:
// on a cluster, on each shard from its local events into its local
// rollups (on every replica of a replicated one: a view sees the
// inserts its server takes, not the parts it fetches).
func (s *Store) createRollupViews(ctx context.Context) error {
	for _, t := range s.viewTables("events") {
		local := t.table != "events"
		for _, r := range rollupViews {
			target := r
			if local {
				target += localSuffix
			}
			sql := "CREATE MATERIALIZED VIEW IF NOT EXISTS " + r + "_view TO " + target + " AS " + rollupSelect(r, t.table, "1")
			if err := t.s.exec(ctx, t.s.db, sql); err != nil {
				return fmt.Errorf("create the view of %s: %w", r, err)
			}
		}
	}
	return nil
}

// backfillRollups creates the views, then fills the rollups from the
// events stored before them, a day at a time, each marked stale until it
// is done: a row appended meanwhile is counted once (reroll checks).
func backfillRollups(ctx context.Context, s *Store) error {
	if err := s.createRollupViews(ctx); err != nil {
		return err
	}
	days, err := s.eventDays(ctx)
	if err != nil {
		return err
	}
	if len(days) == 0 {
		return nil
	}
	var spans []minuteSpan
	for _, d := range days {
		if (d+1)*dayMicros > 0 {
			spans = append(spans, minuteSpan{max(d*dayMicros, 0), (d + 1) * dayMicros})
		}
	}
	// sampled_days is a set: inserting a day twice is harmless.
	for _, t := range s.rowTables("events") {
		target := "sampled_days"
		if t.table != "events" {
			target += localSuffix
		}
		if err := t.s.do(ctx, request{db: t.s.db, sql: "INSERT INTO " + target + " " + rollupSelect("sampled_days", t.table, "1"), timeout: backfillTimeout}); err != nil {
			return fmt.Errorf("backfill the sampled days: %w", err)
		}
	}
	for _, sp := range spans {
		if err := s.reroll(ctx, -1, []minuteSpan{sp}); err != nil {
			return fmt.Errorf("backfill the rollups of day %d: %w", sp.from/dayMicros, err)
		}
	}
	s.log.Info("clickhouse: rollups backfilled", "days", len(days))
	return nil
}

// eventDays are the days (partitions) of every table that holds events
// rows (each shard's on a cluster), in order.
func (s *Store) eventDays(ctx context.Context) ([]int64, error) {
	var days []int64
	for _, t := range s.rowTables("events") {
		ds, err := t.s.texts(ctx, "SELECT DISTINCT partition FROM system.parts WHERE active AND database = "+quote(t.s.db)+" AND table = "+quote(t.table))
		if err != nil {
			return nil, fmt.Errorf("list the days of events: %w", err)
		}
		for _, p := range ds {
			d, err := strconv.ParseInt(p, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("events partition %q: not a day number", p)
			}
			days = append(days, d)
		}
	}
	slices.Sort(days)
	return slices.Compact(days), nil
}

// minuteSpan is the minutes [from, to) (µs, on minute bounds).
type minuteSpan struct{ from, to int64 }

// spanGap is how far apart two minutes may be and still be recomputed
// as one span (the minutes between are recomputed for nothing, which
// costs less than a longer statement).
const spanGap = 60 * minuteMicros

// spansOf joins minutes (sorted) into spans.
func spansOf(minutes []int64) []minuteSpan {
	var out []minuteSpan
	for _, m := range minutes {
		if n := len(out); n > 0 && m <= out[n-1].to+spanGap {
			out[n-1].to = max(out[n-1].to, m+minuteMicros)
			continue
		}
		out = append(out, minuteSpan{m, m + minuteMicros})
	}
	return out
}

// spansCond is the condition of col (minute or ts) in spans, and of the
// project unless it is -1 (every project).
func spansCond(project int64, col string, spans []minuteSpan) string {
	var b strings.Builder
	if project >= 0 {
		b.WriteString("project_id = " + strconv.FormatInt(project, 10) + " AND ")
	}
	b.WriteString("(")
	for i, sp := range spans {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString(col + " >= " + strconv.FormatInt(sp.from, 10) + " AND " + col + " < " + strconv.FormatInt(sp.to, 10))
	}
	b.WriteString(")")
	return b.String()
}

// daysOf are the days spans touch.
func daysOf(spans []minuteSpan) []int64 {
	var out []int64
	for _, sp := range spans {
		for d := sp.from / dayMicros; d <= (sp.to-1)/dayMicros; d++ {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// touchedMinutes lists the minutes of project's events matching where,
// for reroll after they are deleted.
func (s *Store) touchedMinutes(ctx context.Context, where string) ([]int64, error) {
	var out []int64
	err := s.each(ctx, s.db, "SELECT DISTINCT "+minuteOf+" AS m FROM events WHERE ts >= 0 AND ("+where+") ORDER BY m", func(r *rows) error {
		var m int64
		err := r.Scan(&m)
		out = append(out, m)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list the minutes of the rows to delete: %w", err)
	}
	return out, nil
}

// markStale marks the days of spans stale for project (-1: every
// project) under a new token, which unmark ends.
func (s *Store) markStale(ctx context.Context, project int64, spans []minuteSpan) (uint64, error) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	token := binary.LittleEndian.Uint64(b[:])
	return token, s.writeMarks(ctx, project, daysOf(spans), token, 1)
}

// unmark ends the marks of token.
func (s *Store) unmark(ctx context.Context, project int64, spans []minuteSpan, token uint64) error {
	return s.writeMarks(ctx, project, daysOf(spans), token, 0)
}

func (s *Store) writeMarks(ctx context.Context, project int64, days []int64, token uint64, stale int) error {
	if len(days) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("INSERT INTO rollup_stale (project_id, day, token, stale, at) VALUES ")
	for i, d := range days {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "(%d, %d, %d, %d, now())", project, d, token, stale)
	}
	if err := s.exec(ctx, s.db, b.String()); err != nil {
		return fmt.Errorf("mark the rollups' days stale: %w", err)
	}
	return nil
}

// staleSQL counts the stale days of project in [from, to).
func staleSQL(project, from, to int64) string {
	return "SELECT count() FROM (SELECT token FROM rollup_stale WHERE project_id IN (-1, " + strconv.FormatInt(project, 10) + ")" +
		" AND day >= " + strconv.FormatInt(from/dayMicros, 10) + " AND day <= " + strconv.FormatInt((to-1)/dayMicros, 10) +
		" GROUP BY project_id, day, token HAVING min(stale) = 1)"
}

// staleAfter is how long a stale mark may stay unended before Open
// takes it for a recomputation whose process died, and does it again.
const staleAfter = "INTERVAL 10 MINUTE"

// repairStale recomputes the days of the stale marks that were never
// ended (a node died in a recomputation — an erasure, a recovery, a
// retention run — or rows kept arriving in its minutes), whole days of
// the mark's project, and ends the marks: at Open, and in the background
// when a read meets a stale day (repairLater). Until then reads of those
// days read the events. On a replicated cluster it waits for every
// replica to be up and caught up (replicasCaughtUp).
func (s *Store) repairStale(ctx context.Context) error {
	if ok, err := s.replicasCaughtUp(ctx); !ok || err != nil {
		return err
	}
	type mark struct {
		project int64
		token   uint64
		days    []int64
	}
	var marks []mark
	err := s.each(ctx, s.db, "SELECT project_id, token, arraySort(groupArray(day)) FROM (SELECT project_id, day, token FROM rollup_stale"+
		" GROUP BY project_id, day, token HAVING min(stale) = 1 AND max(at) < now() - "+staleAfter+") GROUP BY project_id, token", func(r *rows) error {
		var m mark
		var days any
		if err := r.Scan(&m.project, &m.token, &days); err != nil {
			return err
		}
		m.days = sqlq.Int64s(days)
		marks = append(marks, m)
		return nil
	})
	if err != nil {
		return fmt.Errorf("clickhouse: read the rollups' stale marks: %w", err)
	}
	for _, m := range marks {
		var spans []minuteSpan
		for _, d := range m.days {
			if (d+1)*dayMicros > 0 {
				spans = append(spans, minuteSpan{max(d*dayMicros, 0), (d + 1) * dayMicros})
			}
		}
		s.log.Warn("clickhouse: recomputing the rollups of days a recomputation left stale", "project", m.project, "days", len(m.days))
		if err := s.finishReroll(ctx, m.project, spans, m.token); err != nil {
			return fmt.Errorf("clickhouse: recompute the rollups' stale days of project %d: %w", m.project, err)
		}
	}
	return nil
}

// rerollAttempts is how often reroll recomputes minutes whose counts
// disagree with the events (a row appended into them meanwhile) before
// it leaves them stale (read from the events).
const rerollAttempts = 4

// reroll recomputes the rollups' minutes spans of project (-1: every
// project) from the events as they are now, each shard's from its own
// rows: their days marked stale, the rollup rows deleted (a mutation,
// which does not touch rows a view inserts after it is sent), inserted
// again from the events, then each minute's count compared with the
// events': a row appended between the deletion and the insert is in both
// and counted twice, so minutes that disagree are recomputed again. The
// mark ends when every minute agrees; minutes that still disagree after
// rerollAttempts stay stale (read from the events).
func (s *Store) reroll(ctx context.Context, project int64, spans []minuteSpan) error {
	if len(spans) == 0 {
		return nil
	}
	token, err := s.markStale(ctx, project, spans)
	if err != nil {
		return err
	}
	return s.finishReroll(ctx, project, spans, token)
}

// finishReroll is reroll after markStale gave token: a deletion of
// events marks their minutes stale before it deletes them, so that no
// read takes the rollups' figures of rows already gone.
func (s *Store) finishReroll(ctx context.Context, project int64, spans []minuteSpan, token uint64) error {
	var left []minuteSpan
	for _, t := range s.rowTables("events") {
		l, err := t.s.rerollShard(ctx, t.table != "events", project, spans)
		if err != nil {
			return err
		}
		left = append(left, l...)
	}
	// The days of minutes that still disagree stay marked: their reads
	// read the events until a repair (repairStale) recomputes them.
	stuck := daysOf(left)
	var done []int64
	for _, d := range daysOf(spans) {
		if _, found := slices.BinarySearch(stuck, d); !found {
			done = append(done, d)
		}
	}
	if len(stuck) > 0 {
		s.log.Warn("clickhouse: rollup minutes still disagree with the events after recomputing them (rows appended into them meanwhile): their days stay stale until repaired",
			"project", project, "days", len(stuck), "attempts", rerollAttempts)
	}
	return s.writeMarks(ctx, project, done, token, 0)
}

// rerollShard is reroll on one server's tables (local: a shard's): it
// answers the minutes that still disagree after rerollAttempts.
func (s *Store) rerollShard(ctx context.Context, local bool, project int64, spans []minuteSpan) ([]minuteSpan, error) {
	name := func(t string) string {
		if local {
			return t + localSuffix
		}
		return t
	}
	for attempt := 1; len(spans) > 0; attempt++ {
		if attempt > rerollAttempts {
			return spans, nil
		}
		byMinute := spansCond(project, "minute", spans)
		for _, t := range rollupTables {
			var n int64
			if err := s.queryOne(ctx, s.db, "SELECT count() FROM "+name(t)+" WHERE "+byMinute, &n); err != nil {
				return nil, fmt.Errorf("recompute %s: %w", t, err)
			}
			if n == 0 {
				continue
			}
			before, err := s.lastMutation(ctx, name(t))
			if err != nil {
				return nil, fmt.Errorf("recompute %s: %w", t, err)
			}
			if err := s.exec(ctx, s.db, "ALTER TABLE "+name(t)+" DELETE WHERE "+byMinute); err != nil {
				return nil, fmt.Errorf("recompute %s: %w", t, err)
			}
			if err := s.awaitMutations(ctx, name(t), before); err != nil {
				return nil, fmt.Errorf("recompute %s: %w", t, err)
			}
		}
		byTS := spansCond(project, "ts", spans)
		for _, t := range rollupTables {
			if err := s.do(ctx, request{db: s.db, sql: "INSERT INTO " + name(t) + " " + rollupSelect(t, name("events"), byTS), timeout: backfillTimeout}); err != nil {
				return nil, fmt.Errorf("recompute %s: %w", t, err)
			}
		}
		// The minutes whose counts disagree.
		var bad []int64
		err := s.each(ctx, s.db, "SELECT minute FROM (SELECT minute, toInt64(countMerge(n)) AS c FROM "+name("rollup_minutes")+" WHERE "+byMinute+" GROUP BY minute"+
			" UNION ALL SELECT "+minuteOf+" AS minute, -toInt64(count()) AS c FROM "+name("events")+" WHERE ts >= 0 AND "+byTS+" GROUP BY minute)"+
			" GROUP BY minute HAVING sum(c) != 0 ORDER BY minute", func(r *rows) error {
			var m int64
			err := r.Scan(&m)
			bad = append(bad, m)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("check the recomputed rollups: %w", err)
		}
		if len(bad) > 0 {
			s.log.Info("clickhouse: rollup minutes disagree with the events after a recomputation (rows appended meanwhile): again", "minutes", len(bad), "attempt", attempt)
		}
		spans = spansOf(bad)
	}
	return nil, nil
}

// dropRollupDays drops the rollups' partitions of whole days of events
// that retention dropped (a day's rollup rows are all of that day's
// events).
func (s *Store) dropRollupDays(ctx context.Context, parts []string) error {
	for _, p := range parts {
		for _, t := range append(slices.Clone(rollupTables), "sampled_days") {
			if err := s.exec(ctx, s.db, "ALTER TABLE "+t+" DROP PARTITION "+p); err != nil {
				return fmt.Errorf("drop the day %s of %s: %w", p, t, err)
			}
		}
	}
	return nil
}

// pruneRollups deletes the rollup rows of a project's events of one kind
// before before (µs), which retention deleted: the whole minutes by a
// mutation, and the minute before falls in recomputed when split (it
// held some of them).
func (s *Store) pruneRollups(ctx context.Context, project int64, kind string, before int64, split bool) error {
	if before <= 0 {
		return nil
	}
	whole := before - before%minuteMicros
	where, err := interpolate("project_id = ? AND kind = ? AND minute < ?", []any{project, kind, whole})
	if err != nil {
		return err
	}
	for _, t := range rollupTables {
		if err := s.mutate(ctx, t, "DELETE", where); err != nil {
			return fmt.Errorf("delete the rollups of the deleted events: %w", err)
		}
	}
	// The project's stale marks of whole days before before (two rows a
	// recomputation): once a day, as the days pass.
	marks := "project_id = " + strconv.FormatInt(project, 10) + " AND day < " + strconv.FormatInt(before/dayMicros, 10)
	if err := s.mutate(ctx, "rollup_stale", "DELETE", marks); err != nil {
		return fmt.Errorf("delete the stale marks of the deleted days: %w", err)
	}
	if split {
		return s.reroll(ctx, project, []minuteSpan{{whole, whole + minuteMicros}})
	}
	return nil
}

// rollupServes says whether the rollups hold [from, to) of project:
// bounds on minutes, and no day of it stale.
func (s *Store) rollupServes(ctx context.Context, project, from, to int64) (bool, error) {
	if from < 0 || to <= from || from%minuteMicros != 0 || to%minuteMicros != 0 {
		return false, nil
	}
	var n int64
	if err := s.queryOne(ctx, s.db, staleSQL(project, from, to), &n); err != nil {
		return false, fmt.Errorf("clickhouse: read the rollups' stale days: %w", err)
	}
	if n > 0 {
		s.repairLater()
	}
	return n == 0, nil
}

// repairInterval is how often a store starts a repair of stale days its
// reads met (repairLater).
const repairInterval = 60 // seconds

// repairLater runs repairStale in the background, one at a time and at
// most once a repairInterval, until Close: the days a recomputation left
// stale (minutes that rows kept arriving in, or a node that died) are
// recomputed once their marks are staleAfter old, without waiting for
// the next Open.
func (s *Store) repairLater() {
	now := time.Now().Unix()
	last := s.repairAt.Load()
	if now-last < repairInterval || !s.repairAt.CompareAndSwap(last, now) || !s.repairing.CompareAndSwap(false, true) {
		return
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer s.repairing.Store(false)
		if err := s.repairStale(s.bgCtx); err != nil && s.bgCtx.Err() == nil {
			s.log.Warn("clickhouse: repair the rollups", "err", err)
		}
	}()
}

var (
	_ store.ServiceSeriesRollup = (*Store)(nil)
	_ store.ErrorGroupsRollup   = (*Store)(nil)
	_ store.ReleaseRollup       = (*Store)(nil)
)

// seriesErr is internal/analysis/services' error row (an error, a row at
// level error or fatal, a status >= 500) over rollup_minutes' keys.
const seriesErr = "(kind = 'error' OR level IN ('error', 'fatal') OR status >= 500)"

// RolledServiceSeries implements store.ServiceSeriesRollup from
// rollup_minutes when the range and step fall on its minutes (and no
// day of the range is being recomputed): exactly the points the events
// give, p95s included (the minutes' durations are merged, then sorted).
func (s *Store) RolledServiceSeries(ctx context.Context, r store.ServiceSeriesRequest) ([]store.ServicePoint, bool, error) {
	if r.Step <= 0 || r.Step%minuteMicros != 0 || (r.Range.To-r.Range.From)/r.Step > 10000 {
		return nil, false, nil
	}
	if ok, err := s.rollupServes(ctx, r.ProjectID, r.Range.From, r.Range.To); !ok || err != nil {
		return nil, false, err
	}
	d := sqlq.ClickHouse{}
	// One level of states merged under conditions on the keys (a row
	// without a span is a request when it has a status, or else when it
	// has a duration: timed).
	count := func(cond string) string { return "toInt64(countMergeIf(n, " + cond + "))" }
	timed := func(cond string) string {
		return count("kind != 'span' AND status != -1"+cond) + " + toInt64(sumMergeIf(timed, kind != 'span' AND status = -1" + cond + "))"
	}
	q := sqlq.Query{Name: "rollup.series", SQL: "SELECT service, " + d.TimeBucket("minute", "?", "?") + " AS b," +
		" " + count("kind = 'span'") + " AS sreq, " + count("kind = 'span' AND "+seriesErr) + " AS serr," +
		" ifNull(" + chQuantileOf("groupArrayMergeIf(durations, kind = 'span')") + ", 0) AS sp95," +
		" " + timed("") + " AS lreq, " + timed(" AND "+seriesErr) + " AS lerr," +
		" ifNull(" + chQuantileOf("groupArrayMergeIf(durations, kind != 'span')") + ", 0) AS lp95," +
		" toInt64(sumMerge(retries)) AS retries, " + count("kind IN ('log', 'error')") + " AS logs," +
		" " + count("kind IN ('log', 'error') AND level IN ('error', 'fatal')") + " AS elogs" +
		" FROM rollup_minutes WHERE project_id = ? AND minute >= ? AND minute < ? AND service != ''" +
		" GROUP BY service, b ORDER BY service, b",
		Args: []any{r.Range.From, r.Step, r.ProjectID, r.Range.From, r.Range.To}}
	var rows []store.SeriesRow
	err := s.Run(ctx, q, func(sc sqlq.Scanner) error {
		x, err := store.ScanSeriesRow(sc, r.Range.From, r.Step)
		rows = append(rows, x)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("clickhouse: service series from the rollup: %w", err)
	}
	return store.ServicePoints(rows), true, nil
}

// chQuantileOf is the dialect's 0.95 quantile of the values an array
// expression gathers: sqlq.ClickHouse.QuantileIf, which spells them
// groupArrayIf(expr, cond), with the gathered array in their place.
func chQuantileOf(vals string) string {
	const gather = "groupArrayIf(X, C)"
	q := sqlq.ClickHouse{}.QuantileIf("X", 0.95, "C")
	if !strings.Contains(q, gather) {
		panic("clickhouse: the dialect's quantile no longer gathers by " + gather + ": " + q)
	}
	return strings.Replace(q, gather, vals, 1)
}

// RolledErrorGroups implements store.ErrorGroupsRollup from
// rollup_errors when the bounds fall on its minutes: the figures of
// internal/analysis/services.ErrorGroups, each group's message its
// earliest row's (the least message of rows at that time), its endpoint
// the most common (of those tied, the least), its traces the earliest.
func (s *Store) RolledErrorGroups(ctx context.Context, project int64, r store.Range, since int64, limit int) ([]store.ErrorGroup, bool, error) {
	if since > r.From || r.From%minuteMicros != 0 {
		return nil, false, nil
	}
	if ok, err := s.rollupServes(ctx, project, since, r.To); !ok || err != nil {
		return nil, false, err
	}
	d := sqlq.ClickHouse{}
	trace := d.TraceHex("x.2", "x.3")
	q := sqlq.Query{Name: "rollup.error_groups", SQL: "SELECT service, error_type, k, tupleElement(min(em), 2) AS message," +
		" argMinIf(endpoint, (-ec, endpoint), endpoint != '') AS endpoint, sum(en) AS n, min(ef) AS first_ts," +
		" arraySort(groupUniqArrayArray(rels)) AS releases," +
		" arrayMap(x -> " + trace + ", arraySlice(arraySort(groupArrayArray(etr)), 1, 3)) AS traces" +
		" FROM (SELECT service, error_type, k, endpoint, sum(c) AS ec, sumIf(c, cur) AS en, min(m) AS em, min(f) AS ef," +
		" groupUniqArrayIf(release, cur AND release != '') AS rels, groupArrayArrayIf(tr, cur) AS etr" +
		" FROM (SELECT service, error_type, k, endpoint, release, minute >= ? AS cur," +
		" toInt64(countMerge(n)) AS c, minMerge(first_message) AS m, minMerge(first_ts) AS f, groupArrayMerge(traces) AS tr" +
		" FROM rollup_errors WHERE project_id = ? AND minute >= ? AND minute < ?" +
		" GROUP BY service, error_type, k, endpoint, release, cur)" +
		" GROUP BY service, error_type, k, endpoint)" +
		" GROUP BY service, error_type, k HAVING n > 0 ORDER BY n DESC, service, k LIMIT ?",
		Args: []any{r.From, project, since, r.To, limit}}
	var out []store.ErrorGroup
	err := s.Run(ctx, q, func(sc sqlq.Scanner) error {
		g, err := store.ScanErrorGroup(sc)
		out = append(out, g)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("clickhouse: error groups from the rollup: %w", err)
	}
	return out, true, nil
}

// RolledReleaseStarts implements store.ReleaseRollup from
// rollup_releases when r's bounds fall on its minutes.
func (s *Store) RolledReleaseStarts(ctx context.Context, project int64, r store.Range) ([]store.ReleaseStart, bool, error) {
	if ok, err := s.rollupServes(ctx, project, r.From, r.To); !ok || err != nil {
		return nil, false, err
	}
	q := sqlq.Query{Name: "rollup.release_starts", SQL: "SELECT service, release, minMerge(first_ts) AS first FROM rollup_releases" +
		" WHERE project_id = ? AND minute >= ? AND minute < ? GROUP BY service, release ORDER BY first, service, release",
		Args: []any{project, r.From, r.To}}
	var out []store.ReleaseStart
	err := s.Run(ctx, q, func(sc sqlq.Scanner) error {
		var x store.ReleaseStart
		if err := sc.Scan(&x.Service, &x.Release, &x.FirstTS); err != nil {
			return err
		}
		out = append(out, x)
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("clickhouse: release starts from the rollup: %w", err)
	}
	return out, true, nil
}

// sampleWeight is an event's weight in an estimated count (1/rate for an
// event sampling kept, NULL for any other), as the DuckDB store's.
var sampleWeight = func() string {
	d := sqlq.ClickHouse{}
	return "CASE WHEN " + d.HasAttr(store.AttrSampleRate) + " THEN 1.0 / greatest(coalesce(" +
		d.ToDouble(d.Attr(store.AttrSampleRate)) + ", 1), 0.0001) END"
}()

// SampleWeight gives the counts (facets, histograms, pipes' stats) the
// weight of an event in an estimated count when a day of [from, to) may
// hold events of project that sampling kept (sampled_days), else "": the
// plain count, which does not read every row's attributes. When the
// table cannot be read it answers the weight (a right count, slower).
func (s *Store) SampleWeight(ctx context.Context, project, from, to int64) string {
	if to <= from {
		return ""
	}
	var n int64
	err := s.queryOne(ctx, s.db, "SELECT count() FROM sampled_days WHERE project_id = "+strconv.FormatInt(project, 10)+
		" AND day >= "+strconv.FormatInt(from/dayMicros, 10)+" AND day <= "+strconv.FormatInt((to-1)/dayMicros, 10), &n)
	if err != nil {
		s.log.Warn("clickhouse: read the sampled days", "project", project, "err", err)
		return sampleWeight
	}
	if n == 0 {
		return ""
	}
	return sampleWeight
}

var _ store.FacetsRollup = (*Store)(nil)

// facetColumns are the fields rollup_minutes keys, as it spells them and
// as the events do (internal/analysis/events' field expressions).
var facetColumns = map[string][2]string{
	"service":     {"service", "service"},
	"kind":        {"kind", "kind"},
	"level":       {"level", "level"},
	"http_status": {"if(status = -1, '', toString(status))", "coalesce(toString(http_status), '')"},
}

// keyedOnly reports whether a query names only fields rollup_minutes
// keys (service, kind, level, http_status), no words or attributes.
func keyedOnly(n query.Node) bool {
	switch n := n.(type) {
	case *query.And:
		return !slices.ContainsFunc(n.Children, func(c query.Node) bool { return !keyedOnly(c) })
	case *query.Or:
		return !slices.ContainsFunc(n.Children, func(c query.Node) bool { return !keyedOnly(c) })
	case *query.Not:
		return keyedOnly(n.Child)
	case *query.Field:
		_, keyed := facetColumns[n.Name]
		return keyed && !n.Attr
	}
	return false
}

// RolledFacets implements store.FacetsRollup: the facets of a service,
// kind, level or status over a range, without a query or with one that
// names only those fields (level:error service:api), the whole minutes
// from rollup_minutes and the parts of minutes at its ends from the
// events, when no day of the range holds sampled events (whose counts
// are estimates the rollup does not keep) or is stale. Values are ordered
// by count, then value, at most limit; the empty value is counted in
// Total, not listed.
func (s *Store) RolledFacets(ctx context.Context, r store.FacetsRequest, limit int) (store.FacetsResult, bool, error) {
	res := store.FacetsResult{Field: r.Field}
	cols, ok := facetColumns[r.Field]
	if !ok || (r.Query != nil && r.Query.Root != nil && !keyedOnly(r.Query.Root)) || r.Range.From < 0 || r.Range.To <= r.Range.From {
		return res, false, nil
	}
	// The query's condition, on the rollup's keys spelled as the events'
	// columns (a row without a status has none).
	where, wargs, err := query.Compile(r.Query, sqlq.ClickHouse{})
	if err != nil {
		return res, false, err
	}
	from := r.Range.From + (minuteMicros-r.Range.From%minuteMicros)%minuteMicros
	to := r.Range.To - r.Range.To%minuteMicros
	if to <= from || s.SampleWeight(ctx, r.ProjectID, r.Range.From, r.Range.To) != "" {
		return res, false, nil
	}
	if ok, err := s.rollupServes(ctx, r.ProjectID, from, to); !ok || err != nil {
		return res, false, err
	}
	q := sqlq.Query{Name: "rollup.facets", SQL: "SELECT v, sum(c) AS c FROM (" +
		"SELECT " + cols[0] + " AS v, toInt64(countMerge(n)) AS c FROM (SELECT service, kind, level, status, if(status = -1, NULL, toNullable(status)) AS http_status, n" +
		" FROM rollup_minutes WHERE project_id = ? AND minute >= ? AND minute < ?) WHERE " + where + " GROUP BY v" +
		" UNION ALL SELECT " + cols[1] + " AS v, toInt64(count()) AS c FROM events" +
		" WHERE project_id = ? AND (ts >= ? AND ts < ? OR ts >= ? AND ts < ?) AND (" + where + ") GROUP BY v)" +
		" GROUP BY v ORDER BY v = '', c DESC, v",
		Args: slices.Concat([]any{r.ProjectID, from, to}, wargs, []any{r.ProjectID, r.Range.From, from, to, r.Range.To}, wargs)}
	err = s.Run(ctx, q, func(sc sqlq.Scanner) error {
		var fv store.FacetValue
		if err := sc.Scan(&fv.Value, &fv.Count); err != nil {
			return err
		}
		res.Total += fv.Count
		if fv.Value != "" {
			res.Distinct++
			if len(res.Values) < limit {
				res.Values = append(res.Values, fv)
			}
		}
		return nil
	})
	if err != nil {
		return res, false, fmt.Errorf("clickhouse: facets of %q from the rollup: %w", r.Field, err)
	}
	return res, true, nil
}

package clickhouse

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// The id ranges: the ClickHouse store's id filter (store.IDRangeReader).
// The events table is sorted by (project_id, ts), so a journey's equality
// on a trace, user, anonymous or session id reads the whole project over
// the journey's range. The id_ranges table holds, for each id (its
// 64-bit hash), event kind and hour it occurs in, the first and last ts
// of its events there (AggregatingMergeTree, minState and maxState, one
// row per key once merged), sorted by (project_id, key, id, hour): a
// journey reads its id's rows first and then only the parts of the range
// they name. Two ids of one hash share their rows: their ranges are
// wider, never narrower.
//
// The table is filled by a materialized view of events on every INSERT
// into events (whichever writer or path sends it: one view, so one new
// part a day an insert), and for the rows a database held before it by
// the migration's backfill. A deletion of events does not reach it: a
// range may stay wider than the rows left (still a right answer, a
// little more read), never narrower. Retention and erasure, which must
// not keep what they delete forever or keep a person's ids, delete its
// rows too (pruneIDRanges, reindexIDs), each in an order that never
// leaves an event without its range.

// hourMicros is an hour in µs: a range row's hour is intDiv(ts, hourMicros).
const hourMicros = 3600000000

// maxIDRanges is the most ranges ReadIDRanges answers: more are joined
// across their shortest gaps, so that a journey of a user seen over many
// hours is one query of a few branches (events.maxJourneyBranches).
const maxIDRanges = 8

// backfillTimeout bounds each statement of the migration's backfill (a
// day of events) when the context has no deadline.
const backfillTimeout = time.Hour

// idKey is one id column the table holds: its number in the key column
// (stored: never renumber), the condition of an events row that has one
// and the hash of its id there.
type idKey struct {
	kind       store.IDKind
	no         int
	name       string
	cond, hash string
}

// idKeys are the ids the table holds. An anonymous id is looked up only
// on rows without a user id (a visitor's events before identifying:
// events.Reader.Journey), so only those are kept. The hashes are part of
// migration 7's view: never change them.
func idKeys() []idKey {
	return []idKey{
		{store.IDTrace, 1, "trace", "trace_hi != 0 OR trace_lo != 0", "cityHash64(trace_hi, trace_lo)"},
		{store.IDUser, 2, "user", "user_id != ''", "cityHash64(user_id)"},
		{store.IDAnonymous, 3, "anonymous", "anonymous_id != '' AND user_id = ''", "cityHash64(anonymous_id)"},
		{store.IDSession, 4, "session", "session_id != ''", "cityHash64(session_id)"},
	}
}

// idKeyOf is the key of kind.
func idKeyOf(kind store.IDKind) (idKey, bool) {
	keys := idKeys()
	i := slices.IndexFunc(keys, func(k idKey) bool { return k.kind == kind })
	if i < 0 {
		return idKey{}, false
	}
	return keys[i], true
}

// rangesSelect is the SELECT of the id_ranges rows of the events rows
// that match where ("" for every row): every key at once, each row
// joined with the (key, hash) pairs of the ids it has.
func rangesSelect(where string) string {
	pairs := ""
	for i, k := range idKeys() {
		if i > 0 {
			pairs += ", "
		}
		pairs += "(if(" + k.cond + ", " + strconv.Itoa(k.no) + ", 0), " + k.hash + ")"
	}
	sql := "SELECT project_id, k.1 AS key, k.2 AS id, kind, intDiv(ts, " + strconv.Itoa(hourMicros) + ") AS hour," +
		" minState(ts) AS min_ts, maxState(ts) AS max_ts FROM events ARRAY JOIN arrayFilter(x -> x.1 != 0, [" + pairs + "]) AS k"
	if where != "" {
		sql += " WHERE " + where
	}
	return sql + " GROUP BY project_id, key, id, kind, hour"
}

// idRangesMigration creates the id_ranges table and its view, and fills
// it from the events already stored.
func idRangesMigration(version int) migration {
	return migration{version: version, name: "id ranges", stmts: []string{
		// Partitioned by day, as events; kind is kept so that retention,
		// which deletes one kind's events at a time, deletes the ranges
		// of exactly those. A lookup reads a granule of each part it
		// may be in: granules of 1,024 rows instead of 8,192 (parts
		// not yet merged: a few ms less a lookup over 20 parts).
		`CREATE TABLE IF NOT EXISTS id_ranges (
	project_id Int32,
	key UInt8,
	id UInt64,
	kind String,
	hour Int64,
	min_ts AggregateFunction(min, Int64),
	max_ts AggregateFunction(max, Int64)
) ENGINE = AggregatingMergeTree() PARTITION BY intDiv(hour, 24) ORDER BY (project_id, key, id, hour, kind)
SETTINGS index_granularity = 1024`,
		// The view before the backfill: a row appended meanwhile is in
		// one or both (the same min and max either way), never in neither.
		"CREATE MATERIALIZED VIEW IF NOT EXISTS id_ranges_view TO id_ranges AS " + rangesSelect(""),
	}, backfill: backfillIDRanges}
}

// backfillIDRanges inserts the ranges of the events stored before the
// view, a day (a partition of events) a statement, so that each reads
// and groups a bounded part. Run again, it inserts the same minima and
// maxima again, which merge away.
func backfillIDRanges(ctx context.Context, s *Store) error {
	days, err := s.eventDays(ctx)
	if err != nil {
		return err
	}
	// A day's GROUP BY holds a row per id, kind and hour (at a billion
	// events a day, more memory than a query may take): past half the
	// memory a query may use, it spills to disk.
	var limit int64
	if err := s.queryOne(ctx, "", "SELECT toInt64(value) FROM system.settings WHERE name = 'max_memory_usage'", &limit); err != nil {
		return fmt.Errorf("read max_memory_usage: %w", err)
	}
	if limit <= 0 {
		limit = 8 << 30
	}
	spill := url.Values{"max_bytes_before_external_group_by": {strconv.FormatInt(limit/2, 10)}}
	for _, day := range days {
		where := "ts >= " + strconv.FormatInt(day*dayMicros, 10) + " AND ts < " + strconv.FormatInt((day+1)*dayMicros, 10)
		if err := s.do(ctx, request{db: s.db, sql: "INSERT INTO id_ranges " + rangesSelect(where), params: spill, timeout: backfillTimeout}); err != nil {
			return fmt.Errorf("backfill the id ranges of day %d: %w", day, err)
		}
	}
	if len(days) > 0 {
		s.log.Info("clickhouse: id ranges backfilled", "days", len(days))
	}
	return nil
}

var _ store.IDRangeReader = (*Store)(nil)

// ReadIDRanges implements store.IDRangeReader from the id_ranges table:
// the parts of r between the first and last time of id in each hour it
// occurs in, at most maxIDRanges (the nearest joined). ok is false for an
// id the table does not hold (the zero trace id, which the rows without
// a trace have, or an empty one).
func (s *Store) ReadIDRanges(ctx context.Context, project int64, r store.Range, kind store.IDKind, id string) ([]store.Range, bool, error) {
	if r.To <= r.From || id == "" {
		return nil, false, nil
	}
	k, ok := idKeyOf(kind)
	if !ok {
		return nil, false, nil
	}
	hash, args := "cityHash64(?)", []any{id}
	if kind == store.IDTrace {
		t, _ := event.ParseTraceID(id)
		if t.IsZero() {
			return nil, false, nil
		}
		hash, args = "cityHash64(toUInt64(?), toUInt64(?))", []any{t.Hi(), t.Lo()}
	}
	// Go's integer division truncates as intDiv does, so every hour of
	// a ts in r is within these.
	sql, err := interpolate("SELECT minMerge(min_ts) AS lo, maxMerge(max_ts) AS hi FROM id_ranges"+
		" WHERE project_id = ? AND key = ? AND id = "+hash+" AND hour >= ? AND hour <= ? GROUP BY hour ORDER BY lo",
		slices.Concat([]any{project, k.no}, args, []any{r.From / hourMicros, (r.To - 1) / hourMicros}))
	if err != nil {
		return nil, false, err
	}
	var out []store.Range
	err = s.each(ctx, s.db, sql, func(row *rows) error {
		var lo, hi int64
		if err := row.Scan(&lo, &hi); err != nil {
			return err
		}
		if lo, hi = max(lo, r.From), min(hi+1, r.To); lo < hi {
			out = append(out, store.Range{From: lo, To: hi})
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("clickhouse: the ranges of %s id %q in project %d: %w", k.name, id, project, err)
	}
	return joinNearest(out, maxIDRanges), true, nil
}

// joinNearest joins the ranges rs (in order, apart) across their shortest
// gaps until at most n are left.
func joinNearest(rs []store.Range, n int) []store.Range {
	if len(rs) <= n {
		return rs
	}
	// The gaps to keep: the n-1 longest (the earlier of equal ones).
	gaps := make([]int, len(rs)-1)
	for i := range gaps {
		gaps[i] = i
	}
	slices.SortStableFunc(gaps, func(a, b int) int {
		ga, gb := rs[a+1].From-rs[a].To, rs[b+1].From-rs[b].To
		switch {
		case ga > gb:
			return -1
		case ga < gb:
			return 1
		}
		return 0
	})
	keep := make([]bool, len(rs)-1)
	for _, g := range gaps[:n-1] {
		keep[g] = true
	}
	out := []store.Range{rs[0]}
	for i := 1; i < len(rs); i++ {
		if keep[i-1] {
			out = append(out, rs[i])
		} else {
			out[len(out)-1].To = rs[i].To
		}
	}
	return out
}

// pruneIDRanges deletes the ranges of a project's events of one kind in
// the days wholly before before (µs), which retention is about to delete
// (DeleteEvents): a day's granularity, so that an hourly retention run
// sends a mutation once a day, not every hour. It runs before the
// events' deletion: an event appended meanwhile either had its range
// deleted and is deleted itself, or keeps its range.
func (s *Store) pruneIDRanges(ctx context.Context, project int64, kind string, before int64) error {
	where, err := interpolate("project_id = ? AND kind = ? AND hour < ?", []any{project, kind, before / dayMicros * 24})
	if err != nil {
		return err
	}
	if err := s.mutate(ctx, "id_ranges", "DELETE", where); err != nil {
		return fmt.Errorf("delete the id ranges: %w", err)
	}
	return nil
}

// reindexIDs deletes the ranges of ids of the key kind in a project and
// inserts them again from the events left: after an erasure deleted a
// person's events, so that no id of theirs stays in the table, while the
// events of those ids it kept (a session's events without the person's
// ids), and of other ids of the same hashes, keep theirs. The deletion
// is a mutation, which does not touch rows inserted after it is sent,
// and the insert reads the events after it ends: an event appended
// meanwhile keeps a range either way.
func (s *Store) reindexIDs(ctx context.Context, project int64, kind store.IDKind, ids []string) error {
	k, ok := idKeyOf(kind)
	if len(ids) == 0 {
		return nil
	}
	if !ok || kind == store.IDTrace {
		return fmt.Errorf("reindex the ids of key %d: not a key of text ids", kind)
	}
	hashes, err := interpolate("arrayMap(x -> cityHash64(x), ?)", []any{ids})
	if err != nil {
		return err
	}
	project32 := strconv.FormatInt(project, 10)
	if err := s.mutate(ctx, "id_ranges", "DELETE", "project_id = "+project32+" AND key = "+strconv.Itoa(k.no)+" AND has("+hashes+", id)"); err != nil {
		return fmt.Errorf("delete the %s ranges: %w", k.name, err)
	}
	if err := s.exec(ctx, s.db, "INSERT INTO id_ranges "+rangesSelect("project_id = "+project32+" AND k.1 = "+strconv.Itoa(k.no)+" AND has("+hashes+", k.2)")); err != nil {
		return fmt.Errorf("insert the %s ranges of the events left: %w", k.name, err)
	}
	return nil
}

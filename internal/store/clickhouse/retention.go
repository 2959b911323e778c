package clickhouse

import (
	"context"
	"fmt"
	"strconv"

	"github.com/lore-dev/lore/internal/lifecycle"
)

var _ lifecycle.Events = (*Store)(nil)

// dayMicros is a UTC day in µs: the events table's partition key is
// intDiv(ts, dayMicros).
const dayMicros = 86400000000

// DeleteEvents deletes a project's events of one kind older than before
// (µs) and returns how many it deleted. A day (a partition of the events
// table) whose every row is one of them goes whole (DROP PARTITION: a
// file removal); the rest by one mutation (ALTER TABLE … DELETE), which
// DeleteEvents waits for, so that what it returns is gone. Nothing is
// sent when no event is that old. The events table's partitions hold
// every project and kind, so a partition is dropped only when its rows,
// as the server counts its active parts, are all the project's expired
// ones (and its whole day is before the cutoff). An event dated that day
// appended between the count and the drop would go with it: a backfill
// of another project's events that old while retention runs. The id
// ranges of the days it deletes go first (pruneIDRanges); the rollups'
// rows of the deleted events after (pruneRollups), their days marked
// stale meanwhile.
func (s *Store) DeleteEvents(ctx context.Context, project int64, kind string, before int64) (int64, error) {
	n, err := s.deleteEvents(ctx, project, kind, before)
	if err != nil {
		return n, fmt.Errorf("clickhouse: delete %s events of project %d before %d: %w", kind, project, before, err)
	}
	if n > 0 {
		s.log.Info("clickhouse: retention deleted events", "project", project, "kind", kind, "events", n)
	}
	return n, nil
}

func (s *Store) deleteEvents(ctx context.Context, project int64, kind string, before int64) (int64, error) {
	if err := s.pruneIDRanges(ctx, project, kind, before); err != nil {
		return 0, err
	}
	doomed, err := interpolate("project_id = ? AND kind = ? AND ts < ?", []any{project, kind, before})
	if err != nil {
		return 0, err
	}
	byDay := map[int64]int64{}
	total := int64(0)
	err = s.each(ctx, s.db, "SELECT intDiv(ts, "+strconv.Itoa(dayMicros)+") AS day, count() FROM events WHERE "+doomed+" GROUP BY day", func(r *rows) error {
		var day, n int64
		if err := r.Scan(&day, &n); err != nil {
			return err
		}
		byDay[day] = n
		total += n
		return nil
	})
	if err != nil || total == 0 {
		return 0, err
	}
	// The rollups' days of the rows, stale from before the deletion
	// until their rollup rows are gone too.
	first := before
	for d := range byDay {
		first = min(first, max(d*dayMicros, 0))
	}
	expired := []minuteSpan{{first - first%minuteMicros, before + (minuteMicros-before%minuteMicros)%minuteMicros}}
	if expired[0].to <= expired[0].from {
		expired = nil
	}
	// Whether the minute before falls in holds some of them (its rollup
	// rows are recomputed, the earlier ones deleted).
	var split int64
	if before%minuteMicros != 0 {
		if err := s.queryOne(ctx, s.db, "SELECT count() FROM events WHERE "+doomed+" AND ts >= "+strconv.FormatInt(before-before%minuteMicros, 10), &split); err != nil {
			return 0, err
		}
	}
	token, err := s.markStale(ctx, project, expired)
	if err != nil {
		return 0, err
	}
	if err := s.deleteExpired(ctx, project, kind, before, doomed, total, byDay); err != nil {
		return 0, err
	}
	if err := s.pruneRollups(ctx, project, kind, before, split > 0); err != nil {
		return total, err
	}
	return total, s.unmark(ctx, project, expired, token)
}

// deleteExpired deletes the total rows doomed names, byDay their count
// in each day: whole days by dropping them (and their rollups' days),
// the rest by a mutation.
func (s *Store) deleteExpired(ctx context.Context, project int64, kind string, before int64, doomed string, total int64, byDay map[int64]int64) error {
	// The days whose rows are all doomed, as the active parts count them.
	type day struct {
		part string
		rows int64
	}
	var whole []day
	left := total
	if s.cluster != "" {
		// A shard's parts hold some of a day's rows: no day is
		// dropped whole, the mutation below deletes on each shard.
		return s.alterRows(ctx, "events", "DELETE", doomed)
	}
	err := s.each(ctx, "", "SELECT partition, toInt64(sum(rows)) FROM system.parts WHERE active AND database = "+quote(s.db)+" AND table = 'events' GROUP BY partition", func(r *rows) error {
		var part string
		var n int64
		if err := r.Scan(&part, &n); err != nil {
			return err
		}
		d, err := strconv.ParseInt(part, 10, 64)
		if err == nil && n > 0 && byDay[d] == n && (d+1)*dayMicros <= before {
			whole = append(whole, day{part, n})
			left -= n
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the days' rows: %w", err)
	}
	for _, d := range whole {
		if err := s.exec(ctx, s.db, "ALTER TABLE events DROP PARTITION "+d.part); err != nil {
			return fmt.Errorf("drop the day %s: %w", d.part, err)
		}
		if err := s.dropRollupDays(ctx, []string{d.part}); err != nil {
			return err
		}
	}
	if left > 0 {
		if err := s.exec(ctx, s.db, "ALTER TABLE events DELETE WHERE "+doomed); err != nil {
			return err
		}
		if err := s.awaitMutations(ctx, "events", ""); err != nil {
			return err
		}
	}
	return nil
}

// DeleteSideBefore deletes what the field catalogue holds of a project's
// time before before (µs): its hours (field_seen) and days (field_values,
// with their examples), by awaited mutations, sent only when there are
// such rows; it returns how many rows there were (0: none, no mutation).
// emptyBefore is the DuckDB store's (the token filters of
// emptied blocks), which ClickHouse has no counterpart of. The identity
// pairs (idents) stay, as on DuckDB: they map a returning visitor's
// anonymous id to their person; erasing the person removes them.
func (s *Store) DeleteSideBefore(ctx context.Context, project int64, emptyBefore, before int64) (int64, error) {
	var deleted int64
	for _, t := range []struct{ table, col string }{{"field_seen", "hour"}, {"field_values", "day"}} {
		where, err := interpolate("project_id = ? AND "+t.col+" < ?", []any{project, before})
		if err != nil {
			return deleted, err
		}
		n, err := s.mutated(ctx, t.table, "DELETE", where)
		deleted += n
		if err != nil {
			return deleted, fmt.Errorf("clickhouse: delete the field catalogue of project %d before %d: %w", project, before, err)
		}
	}
	return deleted, nil
}

// mutate runs the mutation "ALTER TABLE table command WHERE where"
// (DELETE, or UPDATE col = …) when some row matches where, and waits for
// it to finish: a mutation rewrites every part it touches, so none is
// sent for nothing.
func (s *Store) mutate(ctx context.Context, table, command, where string) error {
	_, err := s.mutated(ctx, table, command, where)
	return err
}

// mutated is mutate, returning how many rows matched where.
func (s *Store) mutated(ctx context.Context, table, command, where string) (int64, error) {
	var n int64
	if err := s.queryOne(ctx, s.db, "SELECT count() FROM "+table+" WHERE "+where, &n); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	return n, s.alterRows(ctx, table, command, where)
}

// batchRecordsKept is how long the batches table keeps the records of
// batches older than each writer's last (which recovery reads).
const batchRecordsKept = "INTERVAL 7 DAY"

// Reindex ends a retention run that deleted events. The ClickHouse store
// keeps no index of the events in memory (every analysis reads the
// tables), so there is nothing to rebuild; it prunes the batches table
// instead, a row per appended batch: the records older than a week go,
// but each writer's last, which LastSeq and recovery read.
func (s *Store) Reindex(ctx context.Context) error {
	if err := s.mutate(ctx, "batches", "DELETE", "committed_at < now() - "+batchRecordsKept+
		" AND (writer, seq) NOT IN (SELECT writer, max(seq) FROM batches GROUP BY writer)"); err != nil {
		return fmt.Errorf("clickhouse: prune the batches' records: %w", err)
	}
	return nil
}

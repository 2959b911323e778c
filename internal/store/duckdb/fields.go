package duckdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

var _ store.FieldRecorder = (*Store)(nil)

// fieldSchema is the field catalogue: one row per project, hour, field,
// type and service, and one per project, day and field for the values. It
// grows with the number of distinct fields, not with the events.
const fieldSchema = `
CREATE TABLE IF NOT EXISTS field_seen (
	project_id INTEGER NOT NULL,
	hour BIGINT NOT NULL,
	field VARCHAR NOT NULL,
	type VARCHAR NOT NULL,
	service VARCHAR NOT NULL,
	count BIGINT NOT NULL,
	first_ts BIGINT NOT NULL,
	last_ts BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS field_values (
	project_id INTEGER NOT NULL,
	day BIGINT NOT NULL,
	field VARCHAR NOT NULL,
	sketch BLOB NOT NULL,
	examples VARCHAR[] NOT NULL
);`

// MigrateFields creates the field catalogue's tables; the fields feature
// calls it once when it is wired.
func (s *Store) MigrateFields(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, fieldSchema); err != nil {
		return fmt.Errorf("create field catalogue in %q: %w", s.path, err)
	}
	return nil
}

// RecordFields implements store.FieldRecorder. The rows of the hours and
// days a flush touches are read, merged with the new ones in Go, deleted
// and written back in bulk, in one transaction: no per-row upserts, which
// DuckDB pays for dearly, and no index to maintain. Retention and erasure
// change the same rows without the catalogue's lock; a transaction that
// meets one of them conflicts and is read, merged and written again.
func (s *Store) RecordFields(ctx context.Context, seen []store.FieldSeen, values []store.FieldValues) error {
	if len(seen) == 0 && len(values) == 0 {
		return nil
	}
	seen, values = validFields(seen, values)
	return retryConflicts(ctx, func() error { return s.recordFieldsTx(ctx, seen, values) })
}

// recordFieldsTx is RecordFields' transaction.
func (s *Store) recordFieldsTx(ctx context.Context, seen []store.FieldSeen, values []store.FieldValues) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record fields: %w", err)
	}
	defer tx.Rollback()
	if err := mergeSeen(ctx, tx, seen); err != nil {
		return err
	}
	if err := mergeValues(ctx, tx, values); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record fields: %w", err)
	}
	return nil
}

// validFields is the rows with their strings as they will be stored
// (event.ValidText), so that new rows merge with stored ones by equal keys.
func validFields(seen []store.FieldSeen, values []store.FieldValues) ([]store.FieldSeen, []store.FieldValues) {
	seen, values = slices.Clone(seen), slices.Clone(values)
	for i := range seen {
		r := &seen[i]
		r.Field, r.Type, r.Service = event.ValidText(r.Field), event.ValidText(r.Type), event.ValidText(r.Service)
	}
	for i := range values {
		v := &values[i]
		v.Field, v.Examples = event.ValidText(v.Field), validTexts(v.Examples)
	}
	return seen, values
}

type seenKey struct {
	project, hour       int64
	field, typ, service string
}

func mergeSeen(ctx context.Context, tx sqlTx, seen []store.FieldSeen) error {
	if len(seen) == 0 {
		return nil
	}
	merged := map[seenKey]store.FieldSeen{}
	hours := map[int64][]int64{} // project → touched hours
	add := func(r store.FieldSeen) {
		k := seenKey{r.ProjectID, r.Hour, r.Field, r.Type, r.Service}
		if m, ok := merged[k]; ok {
			r.Count += m.Count
			r.FirstTS = min(r.FirstTS, m.FirstTS)
			r.LastTS = max(r.LastTS, m.LastTS)
		}
		merged[k] = r
	}
	touched := map[[2]int64]bool{}
	for _, r := range seen {
		if k := [2]int64{r.ProjectID, r.Hour}; !touched[k] {
			touched[k] = true
			hours[r.ProjectID] = append(hours[r.ProjectID], r.Hour)
		}
	}
	for p, hs := range hours {
		rows, err := tx.QueryContext(ctx, `SELECT hour, field, type, service, count, first_ts, last_ts FROM field_seen
			WHERE project_id = ? AND hour IN (SELECT unnest(?::BIGINT[]))`, p, hs)
		if err != nil {
			return fmt.Errorf("read field catalogue of project %d: %w", p, err)
		}
		for rows.Next() {
			r := store.FieldSeen{ProjectID: p}
			if err := rows.Scan(&r.Hour, &r.Field, &r.Type, &r.Service, &r.Count, &r.FirstTS, &r.LastTS); err != nil {
				rows.Close()
				return fmt.Errorf("read field catalogue of project %d: %w", p, err)
			}
			add(r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read field catalogue of project %d: %w", p, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM field_seen WHERE project_id = ? AND hour IN (SELECT unnest(?::BIGINT[]))`, p, hs); err != nil {
			return fmt.Errorf("rewrite field catalogue of project %d: %w", p, err)
		}
	}
	for _, r := range seen {
		add(r)
	}
	var (
		projects, hrs, counts, firsts, lasts []int64
		fieldNames, types, services          []string
	)
	for _, r := range merged {
		projects, hrs, counts, firsts, lasts = append(projects, r.ProjectID), append(hrs, r.Hour), append(counts, r.Count), append(firsts, r.FirstTS), append(lasts, r.LastTS)
		fieldNames, types, services = append(fieldNames, r.Field), append(types, r.Type), append(services, r.Service)
	}
	// The columns travel as JSON arrays, one text each: duckdb-go binds a
	// list value by value, several cgo calls each, and a flush of a
	// catalogue with days of history rewrites ~100,000 rows (a tenth of
	// the server's CPU while loading such a history).
	cols := make([]any, 0, 8)
	for _, col := range []any{projects, hrs, fieldNames, types, services, counts, firsts, lasts} {
		b, err := json.Marshal(col)
		if err != nil {
			return fmt.Errorf("write field catalogue (%d rows): %w", len(projects), err)
		}
		cols = append(cols, string(b))
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO field_seen SELECT unnest(?::JSON::BIGINT[]), unnest(?::JSON::BIGINT[]), unnest(?::JSON::VARCHAR[]),
		unnest(?::JSON::VARCHAR[]), unnest(?::JSON::VARCHAR[]), unnest(?::JSON::BIGINT[]), unnest(?::JSON::BIGINT[]), unnest(?::JSON::BIGINT[])`,
		cols...); err != nil {
		return fmt.Errorf("write field catalogue (%d rows): %w", len(projects), err)
	}
	return nil
}

func mergeValues(ctx context.Context, tx sqlTx, values []store.FieldValues) error {
	for _, v := range values {
		var sketch []byte
		var ex []any
		err := tx.QueryRowContext(ctx, `SELECT sketch, examples FROM field_values WHERE project_id = ? AND day = ? AND field = ?`,
			v.ProjectID, v.Day, v.Field).Scan(&sketch, &ex)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("read values of field %q: %w", v.Field, err)
		default:
			if _, err := tx.ExecContext(ctx, `DELETE FROM field_values WHERE project_id = ? AND day = ? AND field = ?`, v.ProjectID, v.Day, v.Field); err != nil {
				return fmt.Errorf("rewrite values of field %q: %w", v.Field, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO field_values VALUES (?, ?, ?, ?, ?)`,
			v.ProjectID, v.Day, v.Field, store.MergeSketch(sketch, v.Sketch), store.MergeExamples(anyStrings(ex), v.Examples)); err != nil {
			return fmt.Errorf("record values of field %q: %w", v.Field, err)
		}
	}
	return nil
}

func anyStrings(xs []any) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// FieldBackfillBound says whether the field catalogue should be filled
// from the events already stored — it is empty and there are events, as
// after an upgrade — and, if so, the last rowid to read: events stored
// after this call reach the catalogue through the ingest processor.
func (s *Store) FieldBackfillBound(ctx context.Context) (upTo int64, ok bool, err error) {
	var rows int64
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM field_seen`).Scan(&rows); err != nil {
		return 0, false, fmt.Errorf("count field catalogue rows: %w", err)
	}
	if rows > 0 {
		return 0, false, nil
	}
	var last sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT max(rowid) FROM events`).Scan(&last); err != nil {
		return 0, false, fmt.Errorf("find the last event: %w", err)
	}
	return last.Int64, last.Valid, nil
}

// ScanEvents streams the events up to rowid upTo (every project) to fn in
// batches of about batch events, in storage order; it stops at fn's first
// error. It reads everything once: for one-off jobs such as the field
// catalogue's backfill, never for requests.
func (s *Store) ScanEvents(ctx context.Context, upTo int64, batch int, fn func([]event.Event) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT `+eventCols+` FROM events WHERE rowid <= ?`, upTo)
	if err != nil {
		return fmt.Errorf("scan events: %w", err)
	}
	defer rows.Close()
	buf := make([]event.Event, 0, batch)
	for rows.Next() {
		e, _, err := scanEvent(rows)
		if err != nil {
			return err
		}
		if buf = append(buf, e); len(buf) >= batch {
			if err := fn(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scan events: %w", err)
	}
	if len(buf) > 0 {
		return fn(buf)
	}
	return nil
}

package clickhouse

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

var _ store.FieldRecorder = (*Store)(nil)

// fieldRowsPerInsert bounds the rows of one INSERT of the catalogue (a
// flush holds a few thousand rows at most).
const fieldRowsPerInsert = 2000

// RecordFields implements store.FieldRecorder: the rows are appended
// (INSERT … VALUES, the sketches' bytes spelled in hex: a query's text
// holds no NUL) and the reads
// of internal/analysis/fieldstats add up the rows of a key. Text is made
// valid UTF-8 without NUL (event.ValidText), as the DuckDB store does. An insert that
// fails may be retried whole by the caller: a row written twice counts
// twice, as the catalogue's counts are a guide, not a measurement.
func (s *Store) RecordFields(ctx context.Context, seen []store.FieldSeen, values []store.FieldValues) error {
	err := s.insertRows(ctx, "INSERT INTO field_seen (project_id, hour, field, type, service, count, first_ts, last_ts) VALUES ",
		"(?, ?, ?, ?, ?, ?, ?, ?)", len(seen), func(i int) []any {
			r := seen[i]
			return []any{r.ProjectID, r.Hour, event.ValidText(r.Field), event.ValidText(r.Type), event.ValidText(r.Service), r.Count, r.FirstTS, r.LastTS}
		})
	if err != nil {
		return err
	}
	return s.insertRows(ctx, "INSERT INTO field_values (project_id, day, field, sketch, examples) VALUES ",
		"(?, ?, ?, unhex(?), ?)", len(values), func(i int) []any {
			r := values[i]
			ex := make([]string, len(r.Examples))
			for j, e := range r.Examples {
				ex[j] = event.ValidText(e)
			}
			return []any{r.ProjectID, r.Day, event.ValidText(r.Field), hex.EncodeToString(r.Sketch), ex}
		})
}

// insertRows inserts n rows, fieldRowsPerInsert an INSERT: head, then
// tuple (its placeholders bound by row(i)) once a row.
func (s *Store) insertRows(ctx context.Context, head, tuple string, n int, row func(i int) []any) error {
	for start := 0; start < n; start += fieldRowsPerInsert {
		var b strings.Builder
		var args []any
		b.WriteString(head)
		for i := start; i < min(n, start+fieldRowsPerInsert); i++ {
			if i > start {
				b.WriteString(", ")
			}
			b.WriteString(tuple)
			args = append(args, row(i)...)
		}
		if err := s.insertValues(ctx, b.String(), args); err != nil {
			return err
		}
	}
	return nil
}

// insertValues runs an INSERT … VALUES whose placeholders args bind.
func (s *Store) insertValues(ctx context.Context, sql string, args []any) error {
	text, err := interpolate(sql, args)
	if err != nil {
		return fmt.Errorf("clickhouse: field catalogue: %w", err)
	}
	if err := s.exec(ctx, s.db, text); err != nil {
		return fmt.Errorf("clickhouse: field catalogue: %w", err)
	}
	return nil
}

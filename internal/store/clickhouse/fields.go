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
	if values, err = s.afterEarlierExamples(ctx, values); err != nil {
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

// afterEarlierExamples returns values with each row's examples put after
// those the catalogue already holds for its key (merged as the reads
// merge them, store.MergeExamples), so that every row of a key starts
// with the examples of the rows written before it. The reads unite a
// key's rows in the order the server returns them, which for rows of
// equal keys is no set order (26.5 returns the later flush first where
// 18.16 happened to keep the insertion order): with each row a prefix of
// the next, every order unites to the same examples, the first seen
// first.
func (s *Store) afterEarlierExamples(ctx context.Context, values []store.FieldValues) ([]store.FieldValues, error) {
	if len(values) == 0 {
		return values, nil
	}
	type key struct {
		project, day int64
		field        string
	}
	want := map[key]bool{}
	var projects, days, fields []any
	for _, v := range values {
		k := key{v.ProjectID, v.Day, event.ValidText(v.Field)}
		if !want[k] {
			want[k] = true
			projects, days, fields = append(projects, k.project), append(days, k.day), append(fields, k.field)
		}
	}
	sql, err := interpolate("SELECT project_id, day, field, examples FROM field_values WHERE has(?, project_id) AND has(?, day) AND has(?, field)",
		[]any{projects, days, fields})
	if err != nil {
		return nil, fmt.Errorf("clickhouse: field catalogue: %w", err)
	}
	earlier := map[key][]string{}
	err = s.each(ctx, s.db, sql, func(r *rows) error {
		var k key
		var ex []string
		if err := r.Scan(&k.project, &k.day, &k.field, &ex); err != nil {
			return err
		}
		if want[k] {
			earlier[k] = store.MergeExamples(earlier[k], ex)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("clickhouse: field catalogue: read the examples already recorded: %w", err)
	}
	out := make([]store.FieldValues, len(values))
	for i, v := range values {
		out[i] = v
		if ex, ok := earlier[key{v.ProjectID, v.Day, event.ValidText(v.Field)}]; ok {
			valid := make([]string, len(v.Examples))
			for j, e := range v.Examples {
				valid[j] = event.ValidText(e)
			}
			out[i].Examples = store.MergeExamples(ex, valid)
		}
	}
	return out, nil
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

package fieldstats

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/sqlq/sqlqtest"
	"github.com/lore-dev/lore/internal/store"
)

// TestQueriesGolden shows the SQL each query compiles to in each engine
// (testdata/<engine>.sql). What they mean is checked by the store
// conformance suite (storetest.RunFields).
func TestQueriesGolden(t *testing.T) {
	sqlqtest.Golden(t, func(d sqlq.Dialect, add func(sqlq.Query, error)) {
		add(Usage{ProjectID: 7, From: 10 * hour, To: 20 * hour}.Query(d))
		add(FirstSeen{ProjectID: 7}.Query(d))
		add(ValueDays{ProjectID: 7, From: 10 * day, To: 12 * day}.Query(d))
	})
}

// TestKeys: every argument of a query is in its key, and queries of
// different kinds never share one.
func TestKeys(t *testing.T) {
	keys := []string{
		Usage{ProjectID: 1, From: 2, To: 3}.Key(), Usage{ProjectID: 2, From: 2, To: 3}.Key(),
		Usage{ProjectID: 1, From: 1, To: 3}.Key(), Usage{ProjectID: 1, From: 2, To: 4}.Key(),
		ValueDays{ProjectID: 1, From: 2, To: 3}.Key(), FirstSeen{ProjectID: 1}.Key(), FirstSeen{ProjectID: 2}.Key(),
	}
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k] {
			t.Errorf("key %q given to two queries", k)
		}
		seen[k] = true
	}
}

// rows is an executor answering every query with its rows.
type rows struct {
	d    sqlq.Dialect
	rows [][]any
}

func (r rows) Dialect() sqlq.Dialect { return r.d }

func (r rows) Run(_ context.Context, _ sqlq.Query, fn func(sqlq.Scanner) error) error {
	for _, row := range r.rows {
		if err := fn(scanner(row)); err != nil {
			return err
		}
	}
	return nil
}

type scanner []any

func (s scanner) Scan(dest ...any) error {
	for i, d := range dest {
		reflect.ValueOf(d).Elem().Set(reflect.ValueOf(s[i]))
	}
	return nil
}

// TestValueDaysMergesRowsOfOneKey: an engine that appends each flush
// (ClickHouse: a list of strings, the sketch as a string) keeps several
// rows of one day and field; the reader merges them as the DuckDB store
// merges at write: sketches by the larger byte, examples in order up to
// the limit.
func TestValueDaysMergesRowsOfOneKey(t *testing.T) {
	ex := rows{d: sqlq.ClickHouse{}, rows: [][]any{
		{int64(0), "a", any(string([]byte{1, 5, 0})), any([]string{"pro", "free"})},
		{int64(0), "a", any(string([]byte{3, 2, 1})), any([]string{"free", "team", "x", "y", "z"})},
		{day, "a", any([]byte{9}), any([]any{"w"})},
		{int64(0), "b", any([]byte{1}), any([]string{})},
	}}
	got, err := ValueDays{ProjectID: 4, From: 0, To: 2 * day}.Run(t.Context(), ex)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.FieldValues{
		{ProjectID: 4, Day: 0, Field: "a", Sketch: []byte{3, 5, 1}, Examples: []string{"pro", "free", "team", "x", "y"}},
		{ProjectID: 4, Day: day, Field: "a", Sketch: []byte{9}, Examples: []string{"w"}},
		{ProjectID: 4, Day: 0, Field: "b", Sketch: []byte{1}, Examples: []string{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ValueDays = %+v\nwant %+v", got, want)
	}
	if !slices.Equal(store.MergeSketch(nil, []byte{2}), []byte{2}) {
		t.Error("a missing sketch does not yield to the other")
	}
}

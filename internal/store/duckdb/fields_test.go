package duckdb

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/lore-dev/lore/internal/analysis/fieldstats"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/storetest"
)

func TestFieldsConformance(t *testing.T) {
	storetest.RunFields(t, func(t *testing.T) storetest.FieldsStore {
		s := openTest(t, t.TempDir())
		if err := s.MigrateFields(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestRecordFieldsBesideRetention: the catalogue's flush and retention's
// deletion of the same hours run at once (as they do when a day being
// ingested is past its retention); neither fails, whichever commits
// first. A conflict used to fail the flush ("Conflict on tuple
// deletion"), which the server logged as an error.
func TestRecordFieldsBesideRetention(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	defer s.Close()
	if err := s.MigrateFields(ctx); err != nil {
		t.Fatal(err)
	}
	const hour = int64(3_600_000_000)
	rows := func(round int) []store.FieldSeen {
		var out []store.FieldSeen
		for h := range int64(24) {
			for f := range 20 {
				out = append(out, store.FieldSeen{ProjectID: 1, Hour: h * hour, Field: fmt.Sprintf("f%d", f), Type: "string",
					Service: "svc", Count: int64(round + 1), FirstTS: h * hour, LastTS: h*hour + 1})
			}
		}
		return out
	}
	for round := range 40 {
		var wg sync.WaitGroup
		var flushErr, deleteErr error
		wg.Go(func() { flushErr = s.RecordFields(ctx, rows(round), nil) })
		wg.Go(func() { _, deleteErr = s.DeleteSideBefore(ctx, 1, 0, 24*hour) })
		wg.Wait()
		if flushErr != nil {
			t.Fatalf("round %d: flush beside retention: %v", round, flushErr)
		}
		if deleteErr != nil {
			t.Fatalf("round %d: retention beside a flush: %v", round, deleteErr)
		}
	}
}

// TestRecordFieldsKeepsEveryText: the catalogue's rows travel to DuckDB
// as JSON arrays; names with quotes, backslashes, commas, brackets,
// control characters and non-ASCII letters, and counts and times at the
// ends of BIGINT, come back as they were sent.
func TestRecordFieldsKeepsEveryText(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	defer s.Close()
	if err := s.MigrateFields(ctx); err != nil {
		t.Fatal(err)
	}
	const hour = int64(3_600_000_000)
	names := []string{`a"b`, `c\d`, "e,f", "[g]", "h\x01i\tj", "ünï ✓", "null", "", "<&>"}
	var rows []store.FieldSeen
	for i, n := range names {
		rows = append(rows, store.FieldSeen{ProjectID: 1, Hour: hour, Field: n, Type: "t" + n, Service: "s" + n,
			Count: 1<<62 + int64(i), FirstTS: hour, LastTS: 2*hour - 1})
	}
	if err := s.RecordFields(ctx, rows, nil); err != nil {
		t.Fatal(err)
	}
	got, err := fieldstats.Usage{ProjectID: 1, From: 0, To: 3 * hour}.Run(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]store.FieldSeen{}
	for _, r := range rows {
		want[r.Field] = r
	}
	if len(got) != len(rows) {
		t.Fatalf("%d rows back, want %d: %+v", len(got), len(rows), got)
	}
	for _, g := range got {
		w, ok := want[g.Field]
		if !ok || g.Type != w.Type || g.Service != w.Service || g.Count != w.Count || g.FirstTS != w.FirstTS || g.LastTS != w.LastTS {
			t.Errorf("got %+v, want %+v", g, w)
		}
	}
}

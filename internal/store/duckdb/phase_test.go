package duckdb

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPhases(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	g := newGen(1, 1767225600000000, 1000)
	evs := g.batch(50000)
	order := make([]int32, len(evs))
	for i := range order {
		order[i] = int32(i)
	}
	p := filepath.Join(dir, "x.ndjson")
	writeSpool(p, evs, order)
	fi, _ := os.Stat(p)
	t.Logf("spool bytes %d", fi.Size())
	sel := strings.Replace(loadSQL, "INSERT INTO events SELECT * FROM", "SELECT count(*) FROM", 1)
	if _, err := s.db.ExecContext(ctx, "CREATE TEMP TABLE tev AS SELECT * FROM events LIMIT 0"); err != nil {
		t.Fatal(err)
	}
	variants := map[string]string{
		"temp": strings.Replace(loadSQL, "INSERT INTO events", "INSERT INTO tev", 1),
		"selall": strings.Replace(loadSQL, "INSERT INTO events SELECT * FROM", "SELECT max(message), max(attr_keys), max(user_id), max(attr_values) FROM", 1),
		"count":       sel,
		"count-small": strings.Replace(sel, "maximum_object_size = 16777216", "maximum_object_size = 1048576", 1),
		"insert":      loadSQL,
		"insert-small": strings.Replace(loadSQL, "maximum_object_size = 16777216", "maximum_object_size = 1048576", 1),
	}
	for round := 0; round < 2; round++ {
		for name, q := range variants {
			t0 := time.Now()
			if _, err := s.db.ExecContext(ctx, q, p); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s %v", name, time.Since(t0))
		}
	}
}

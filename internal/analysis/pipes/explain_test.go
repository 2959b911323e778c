package pipes_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/pipes"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store/duckdb"
)

// TestExplainPipes prints DuckDB's EXPLAIN ANALYZE and the time of each
// pipeline of LORE_PIPES_EXPLAIN_Q (one a line; default: the benchmark's)
// over every event of a loaded data directory (a `lore bench --data DIR`
// run's, or any `lore serve --data DIR`, stopped): set
// LORE_PIPES_EXPLAIN_DIR to it. LORE_PIPES_EXPLAIN_MEMORY sets DuckDB's
// memory limit (default the server's 256MB), LORE_PIPES_EXPLAIN_THREADS
// its threads (default 2); LORE_PIPES_EXPLAIN_SQL times raw statements
// instead. A tool, not a check.
func TestExplainPipes(t *testing.T) {
	dir := os.Getenv("LORE_PIPES_EXPLAIN_DIR")
	if dir == "" {
		t.Skip("set LORE_PIPES_EXPLAIN_DIR to a loaded data directory")
	}
	mem := os.Getenv("LORE_PIPES_EXPLAIN_MEMORY")
	if mem == "" {
		mem = "256MB"
	}
	threads, _ := strconv.Atoi(os.Getenv("LORE_PIPES_EXPLAIN_THREADS"))
	ctx := context.Background()
	s, err := duckdb.Open(ctx, filepath.Join(dir, "events"), duckdb.Options{MemoryLimit: mem, Threads: threads, QueryTimeout: 10 * time.Minute}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	queries := []string{
		`| stats count() as n, p95(duration_ms) as p95, uniq(user_id) as users by service, endpoint | sort n desc | limit 20`,
		`level:error | stats count() as n, p95(duration_ms), uniq(user_id) by service`,
		`| stats count() as n, p95(duration_ms) by bin(5m)`,
	}
	if q := os.Getenv("LORE_PIPES_EXPLAIN_Q"); q != "" {
		queries = strings.Split(strings.TrimSpace(q), "\n")
	}
	// LORE_PIPES_EXPLAIN_SQL: statements to time as they are, one a line.
	// LORE_PIPES_EXPLAIN_COLS: print their first rows, of that many columns.
	if raw := os.Getenv("LORE_PIPES_EXPLAIN_SQL"); raw != "" {
		cols, _ := strconv.Atoi(os.Getenv("LORE_PIPES_EXPLAIN_COLS"))
		for _, sql := range strings.Split(strings.TrimSpace(raw), "\n") {
			for range 2 {
				start, n := time.Now(), 0
				err := s.Run(ctx, sqlq.Query{Name: "explain", SQL: sql}, func(sc sqlq.Scanner) error {
					if n++; n <= 3 && cols > 0 { // the first rows, for a statement that measures something
						vals := make([]any, cols)
						ptrs := make([]any, len(vals))
						for i := range vals {
							ptrs[i] = &vals[i]
						}
						if err := sc.Scan(ptrs...); err != nil {
							return err
						}
						t.Logf("%v", vals)
					}
					return nil
				})
				if err != nil {
					t.Logf("%s: failed after %v: %.200v", sql, time.Since(start), err) // out of memory, say
					continue
				}
				t.Logf("%s: %d rows in %v", sql, n, time.Since(start))
			}
		}
		return
	}
	to := time.Now().Add(time.Hour).UnixMicro()
	for _, text := range queries {
		p, err := pipes.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		c, err := pipes.Compile(p, sqlq.DuckDB{}, 1, 0, to)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			start := time.Now()
			res, err := pipes.Query{Pipeline: p, ProjectID: 1, From: 0, To: to}.Run(ctx, s)
			if err != nil {
				t.Fatalf("%s: %v", text, err)
			}
			t.Logf("%s: %d rows in %v", text, len(res.Rows), time.Since(start))
			if len(res.Rows) <= 3 {
				t.Logf("%v", res.Rows)
			}
		}
		q := c.Query
		q.SQL = "EXPLAIN ANALYZE " + q.SQL
		var plan strings.Builder
		err = s.Run(ctx, q, func(sc sqlq.Scanner) error {
			var k, v string
			if err := sc.Scan(&k, &v); err != nil {
				return err
			}
			fmt.Fprintln(&plan, v)
			return nil
		})
		if err != nil {
			t.Fatalf("explain %s: %v", text, err)
		}
		t.Logf("%s\n%s", text, plan.String())
	}
}

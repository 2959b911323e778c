package duckdb

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/flows"
	"github.com/lore-dev/lore/internal/analysis/services"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// TestExplainNarrative prints DuckDB's EXPLAIN ANALYZE of the narrative's
// heaviest queries over a data directory loaded by TestNarrativeLatency
// (internal/e2e): set LORE_EXPLAIN_DIR to it. A tool, not a check.
func TestExplainNarrative(t *testing.T) {
	dir := os.Getenv("LORE_EXPLAIN_DIR")
	if dir == "" {
		t.Skip("set LORE_EXPLAIN_DIR to a loaded data directory")
	}
	s := openTest(t, filepath.Join(dir, "events"))
	defer s.Close()
	day := time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC).UnixMicro()
	args := []any{int64(1), day, day + 24*3600e6}
	flowsQ, err := flows.Sessions{ProjectID: 1, Range: store.Range{From: day, To: day + 24*3600e6}, Limit: 50000}.Query(s.Dialect())
	if err != nil {
		t.Fatal(err)
	}
	groupsQ, err := services.ErrorGroups{ProjectID: 1, Range: store.Range{From: day, To: day + 24*3600e6}, Since: day - 7*24*3600e6,
		Limit: 200}.Query(s.Dialect())
	if err != nil {
		t.Fatal(err)
	}
	for name, q := range map[string]struct {
		sql  string
		args []any
	}{
		"service edges": {services.Edges(sqlq.DuckDB{}), append(append([]any{}, args...), args...)},
		"error groups":  {groupsQ.SQL, groupsQ.Args},
		"session flows": {flowsQ.SQL, flowsQ.Args},
		"span pairs": {`WITH sp AS (SELECT trace_lo, trace_hi, span_id, parent_span_id, service FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND kind = 'span')
			SELECT DISTINCT p.service, c.service FROM sp c JOIN sp p ON c.trace_lo = p.trace_lo AND c.trace_hi = p.trace_hi AND c.parent_span_id = p.span_id
			WHERE c.parent_span_id <> 0 AND c.service <> p.service`, args},
	} {
		if os.Getenv("LORE_EXPLAIN_ONLY") != "" && os.Getenv("LORE_EXPLAIN_ONLY") != name {
			continue
		}
		rows, err := s.db.QueryContext(context.Background(), "EXPLAIN ANALYZE "+q.sql, q.args...)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s:\n%s", name, v)
		}
		rows.Close()
	}
}

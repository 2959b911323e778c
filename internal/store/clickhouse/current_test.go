package clickhouse_test

import (
	"context"
	"testing"

	"github.com/lore-dev/lore/internal/chtest"
	"github.com/lore-dev/lore/internal/store/clickhouse"
)

// TestCurrentRelease runs the store on a current ClickHouse release (chDB
// 26.5, ClickHouse's engine as a library, behind chtest's test-only HTTP
// front), where the SQL runs as the analyses build it, with no rewrite
// for an old server: the conformance cases, the same answers as DuckDB,
// and the analyses DuckDB answers with window functions, each within
// the store's default query limit (30 s; the funnel of 20 steps takes
// about 3 s, logged, in its own spelling for a current release:
// sqlq.ClickHouse.Windows).
func TestCurrentRelease(t *testing.T) {
	t.Parallel() // beside the other current-release test: each engine runs queries on one thread
	srv := chtest.StartCurrent(t)
	dbURL := func(db string) string { return "clickhouse://" + srv.Addr + "/" + db }
	s, err := clickhouse.Open(context.Background(), dbURL("probe"), nil)
	if err != nil {
		t.Fatal(err)
	}
	rewrites := s.RewritesForOldServer()
	s.Close()
	if rewrites {
		t.Fatalf("the store rewrites its SQL for an old server on chDB %s", chtest.ChDBVersion)
	}
	t.Run("Conformance", func(t *testing.T) { conformance(t, dbURL) })
	t.Run("SameAnswers", func(t *testing.T) { sameAnswers(t, dbURL("same")) })
	t.Run("WindowAnalyses", func(t *testing.T) { windowAnalyses(t, dbURL) })
}

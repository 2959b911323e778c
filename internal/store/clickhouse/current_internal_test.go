package clickhouse

import (
	"testing"

	"github.com/lore-dev/lore/internal/chtest"
)

// TestCurrentReleaseServer runs TestServer's, TestIDRanges' and
// TestLifecycle's checks on a current ClickHouse release (chDB behind
// chtest's front, TestCurrentRelease), each in a database of its own:
// migrations, exactly-once appends and their recovery (mutations),
// literals and types, errors, cancelling, writers, the id ranges
// (a materialized view), retention and erasure. The rollups' run there
// in TestRollupsCurrentRelease.
func TestCurrentReleaseServer(t *testing.T) {
	t.Parallel() // beside the other current-release test: each engine runs queries on one thread
	srv := chtest.StartCurrent(t)
	dbURL := func(db string) string { return "clickhouse://" + srv.Addr + "/" + db }
	serverChecks(t, srv, dbURL)
	t.Run("IDJourneys", func(t *testing.T) { testIDJourneys(t, dbURL("id_journeys")) })
	t.Run("IDLifecycle", func(t *testing.T) { testIDLifecycle(t, dbURL("id_lifecycle")) })
	t.Run("IDBackfill", func(t *testing.T) { testIDBackfill(t, dbURL("id_backfill")) })
	t.Run("Retention", func(t *testing.T) { testRetention(t, dbURL("retention")) })
	t.Run("Erase", func(t *testing.T) { testErase(t, dbURL("erase")) })
}

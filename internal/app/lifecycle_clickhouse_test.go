package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/chtest"
	"github.com/lore-dev/lore/internal/lifecycle"
	"github.com/lore-dev/lore/internal/pgtest"
	"github.com/lore-dev/lore/internal/store/clickhouse"
)

// TestClickHouseRetentionRunsOnceAcrossNodes: two nodes on one
// PostgreSQL metadata database and one ClickHouse events database (which
// says it is shared) run the events' retention on one of them, under the
// retention lease: by each project's settings and each kind's days, old
// events go and recent ones stay, and the deletions are counted once, by
// the node that holds the lease.
func TestClickHouseRetentionRunsOnceAcrossNodes(t *testing.T) {
	ch := chtest.Start(t)
	dbURL := pgtest.Start(t).NewDatabase(t)
	const db = "lore_nodes"
	storeURL := "clickhouse://" + ch.Addr + "/" + db
	start := func(name string) *App {
		a, _ := serve(t, Config{DataDir: t.TempDir(), Meta: dbURL, StoreURL: storeURL, NodeID: name, LeaseTTL: 2 * time.Second,
			Addr: "127.0.0.1:0", Retention: lifecycle.RetentionConfig{Every: time.Second}})
		return a
	}
	a, b := start("node-a"), start("node-b")
	if !sharedEvents(a.engine) {
		t.Fatalf("the ClickHouse store (%T) does not say it is shared", a.engine)
	}
	if _, ok := a.engine.(*clickhouse.Store); !ok {
		t.Fatalf("the engine is %T, want the ClickHouse store", a.engine)
	}
	ctx := context.Background()
	p2, err := a.meta.CreateProject(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.meta.SetProjectSettings(ctx, p2.ID, lifecycle.RetentionName, []byte(`{"logs_days":365}`)); err != nil {
		t.Fatal(err)
	}
	// Project 1 (defaults: logs 30 days, errors 90): 5 logs of 100 days
	// ago go, 3 of yesterday and 2 errors of 60 days ago stay. Project 2
	// (logs 365 days, spans 14): its 4 logs of 100 days ago stay, its 2
	// spans of 20 days ago go. Rows of seq 0: no batch of a node's.
	now := time.Now()
	var rows []string
	add := func(project int64, kind string, age time.Duration, n int) {
		for i := range n {
			rows = append(rows, fmt.Sprintf("(%d, %d, %d, '%s', 'm%d', 0)", project, now.Add(-age).UnixMicro()+int64(i), now.UnixMicro(), kind, i))
		}
	}
	day := 24 * time.Hour
	add(1, "log", 100*day, 5)
	add(1, "log", day, 3)
	add(1, "error", 60*day, 2)
	add(p2.ID, "log", 100*day, 4)
	add(p2.ID, "span", 20*day, 2)
	ch.Post(t, "INSERT INTO "+db+".events (project_id, ts, received_at, kind, message, seq) VALUES "+strings.Join(rows, ", "))
	left := func() string {
		return strings.TrimSpace(string(ch.Post(t, "SELECT project_id, kind, count() FROM "+db+".events GROUP BY project_id, kind ORDER BY project_id, kind FORMAT CSV")))
	}
	want := fmt.Sprintf("1,\"error\",2\n1,\"log\",3\n%d,\"log\",4", p2.ID)
	end := time.Now().Add(30 * time.Second)
	for left() != want {
		if time.Now().After(end) {
			t.Fatalf("events by project and kind:\n%s\nwant:\n%s", left(), want)
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // more runs, which find nothing to delete
	l, ok, err := a.meta.LeaseHolder(ctx, leaseRetention)
	if err != nil || !ok {
		t.Fatalf("the retention lease: %+v %v %v, want held", l, ok, err)
	}
	holder, other := a, b
	if l.Holder == "node-b" {
		holder, other = b, a
	} else if l.Holder != "node-a" {
		t.Fatalf("the retention lease is held by %q", l.Holder)
	}
	metrics := func(a *App) string {
		var m strings.Builder
		a.metrics.Write(&m)
		var out []string
		for line := range strings.Lines(m.String()) {
			if strings.HasPrefix(line, "lore_retention_deleted_total{") || strings.HasPrefix(line, `lore_lease_held{lease="retention"}`) {
				out = append(out, strings.TrimSpace(line))
			}
		}
		slices.Sort(out)
		return strings.Join(out, "; ")
	}
	if got, want := metrics(holder), `lore_lease_held{lease="retention"} 1; lore_retention_deleted_total{kind="log"} 5; lore_retention_deleted_total{kind="span"} 2`; got != want {
		t.Errorf("the holder %s's metrics: %s\nwant %s", l.Holder, got, want)
	}
	if got, want := metrics(other), `lore_lease_held{lease="retention"} 0`; got != want {
		t.Errorf("the other node's metrics: %s\nwant %s (it deleted nothing)", got, want)
	}
}

package app

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/product"
	"github.com/lore-dev/lore/internal/chtest"
	"github.com/lore-dev/lore/internal/lifecycle"
	"github.com/lore-dev/lore/internal/pgtest"
)

// TestErasureForgottenOnEveryNode: two nodes on one PostgreSQL metadata
// database and one ClickHouse events database; node B answers a trend
// over settled days (an answer it keeps for 5 minutes) that counts a
// person's purchases, node A erases the person, and within a few seconds
// (B reads the other nodes' deletions every 2 s) B's answer no longer
// counts them: B computed it again, it did not serve what it kept, while
// B's answer of another project, where nothing was deleted, is still the
// one it kept. The same when node A's retention deletes the other
// purchases.
func TestErasureForgottenOnEveryNode(t *testing.T) {
	ch := chtest.Start(t)
	dbURL := pgtest.Start(t).NewDatabase(t)
	const db = "lore_forget"
	storeURL := "clickhouse://" + ch.Addr + "/" + db
	manual := lifecycle.RetentionConfig{Manual: true}
	a, _ := serve(t, Config{DataDir: t.TempDir(), Meta: dbURL, StoreURL: storeURL, NodeID: "node-a", Addr: "127.0.0.1:0", Retention: manual})
	b, _ := serve(t, Config{DataDir: t.TempDir(), Meta: dbURL, StoreURL: storeURL, NodeID: "node-b", Addr: "127.0.0.1:0", Retention: manual})

	// Three purchases of alice's and two of bob's, three days ago.
	day := 24 * time.Hour
	at := time.Now().UTC().Truncate(day).Add(-3 * day)
	var rows []string
	for i, user := range []string{"alice", "alice", "alice", "bob", "bob"} {
		ts := at.Add(time.Duration(i) * time.Hour).UnixMicro()
		rows = append(rows, fmt.Sprintf("(1, %d, %d, 'event', 'purchase', '%s', 0)", ts, ts, user))
	}
	// And one of carol's in project 2.
	rows = append(rows, fmt.Sprintf("(2, %d, %d, 'event', 'purchase', 'carol', 0)", at.UnixMicro(), at.UnixMicro()))
	ch.Post(t, "INSERT INTO "+db+".events (project_id, ts, received_at, kind, name, user_id, seq) VALUES "+strings.Join(rows, ", "))

	ctx := context.Background()
	q, err := product.TrendsRequest{Event: "purchase", Interval: "1d",
		From: at.Add(-day).Format(time.RFC3339), To: at.Add(day).Format(time.RFC3339)}.Query(1, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r := b.resolver()
	purchases := func() float64 { t.Helper(); return trendTotal(t, r, q, nil) }
	if got := purchases(); got != 5 {
		t.Fatalf("node-b counts %v purchases before the erasure, want 5", got)
	}
	q2, err := product.TrendsRequest{Event: "purchase", Interval: "1d",
		From: at.Add(-day).Format(time.RFC3339), To: at.Add(day).Format(time.RFC3339)}.Query(2, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var computed2 atomic.Int32
	if got := trendTotal(t, r, q2, &computed2); got != 1 || computed2.Load() != 1 {
		t.Fatalf("node-b counts %v purchases in project 2 (%d computations), want 1 (1)", got, computed2.Load())
	}
	if e, err := a.ErasePerson(ctx, 1, "alice"); err != nil || e.Events != 3 {
		t.Fatalf("node-a erased %+v, %v; want alice's 3 events", e, err)
	}
	erased := time.Now()
	waitUntil(t, changesEvery+3*time.Second, "node-b forgets the erased purchases", func() bool { return purchases() == 2 })
	t.Logf("node-b answered without the erased person %v after the erasure", time.Since(erased).Round(10*time.Millisecond))
	if got := trendTotal(t, r, q2, &computed2); got != 1 || computed2.Load() != 1 {
		t.Errorf("node-b's answer in project 2 after an erasure in project 1: %v purchases, %d computations; want 1 purchase, the answer kept (1)", got, computed2.Load())
	}

	if got := purchases(); got != 2 {
		t.Fatalf("node-b counts %v purchases before retention, want 2", got)
	}
	if err := a.meta.SetProjectSettings(ctx, 1, lifecycle.RetentionName, []byte(`{"events_days":2}`)); err != nil {
		t.Fatal(err)
	}
	if del, err := a.RunRetention(ctx); err != nil || del[1]["event"] != 2 {
		t.Fatalf("node-a's retention deleted %v, %v; want bob's 2 events", del, err)
	}
	deleted := time.Now()
	waitUntil(t, changesEvery+3*time.Second, "node-b forgets the purchases retention deleted", func() bool { return purchases() == 0 })
	t.Logf("node-b answered without the deleted events %v after retention", time.Since(deleted).Round(10*time.Millisecond))
}

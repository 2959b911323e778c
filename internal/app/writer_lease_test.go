package app

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/chtest"
	"github.com/lore-dev/lore/internal/lifecycle"
	"github.com/lore-dev/lore/internal/pgtest"
)

// TestWriterLeaseOneProcessPerNodeID: on one PostgreSQL metadata database
// and one ClickHouse events database, a node holds its writer's lease
// while it runs, so a second process started under the same --node-id
// (or, like it, without one: the default writer) refuses to start, naming
// the id, the holder and until when it holds the lease, instead of
// deleting the first one's rows in flight. When the holder dies (its
// database connection gone: no renewal, no release) it stops loading into
// ClickHouse and is no longer ready, and a replacement under its id
// starts once the lease expires, within the TTL; a replacement of a node
// stopped cleanly starts at once.
func TestWriterLeaseOneProcessPerNodeID(t *testing.T) {
	ch := chtest.Start(t)
	dbURL := pgtest.Start(t).NewDatabase(t)
	storeURL := "clickhouse://" + ch.Addr + "/lore_writer_lease"
	const ttl = 2 * time.Second
	config := func(node string) Config {
		return Config{DataDir: t.TempDir(), Meta: dbURL, StoreURL: storeURL, NodeID: node, LeaseTTL: ttl, Addr: "127.0.0.1:0",
			Retention: lifecycle.RetentionConfig{Manual: true}}
	}
	open := func(node string) (time.Duration, error) {
		t.Helper()
		cfg := config(node)
		cfg.Log = slog.New(slog.DiscardHandler)
		began := time.Now()
		a, err := Open(context.Background(), cfg)
		took := time.Since(began)
		if err == nil {
			a.closeAll(context.Background())
		}
		return took, err
	}

	var first *App
	for _, c := range []struct{ node, names string }{{"node-a", `node id "node-a"`}, {"", "the default writer (no --node-id)"}} {
		first, _ = serve(t, config(c.node))
		took, err := open(c.node)
		if err == nil {
			t.Fatalf("a second process under %s started while the first runs", c.names)
		}
		for _, want := range []string{c.names, "another live node", first.writerLease.holder, "holds its writer lease until " + time.Now().UTC().Format("2006-01-02T15")} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("the refusal of a second process under %s does not say %q: %v", c.names, want, err)
			}
		}
		if took > ttl {
			t.Errorf("the refusal took %v, want less than the TTL %v (the holder renews every third of it)", took, ttl)
		}
		if err := first.ready(context.Background()); err != nil {
			t.Errorf("the first process under %s is not ready after the refused start: %v", c.names, err)
		}
	}

	// node-b dies: its lease is neither renewed nor released.
	dead, _ := serve(t, config("node-b"))
	dead.meta.Close()
	died := time.Now()
	took, err := open("node-b")
	if err != nil {
		t.Fatalf("a replacement of a dead node-b: %v", err)
	}
	if waited := time.Since(died); waited > ttl+time.Second || took < ttl/4 {
		t.Errorf("the replacement of a dead node-b started %v after its death (its own start took %v), want after its lease expired, within the TTL %v", waited, took, ttl)
	}
	if err := dead.writerLease.held(); err == nil {
		t.Error("the dead node-b still holds its writer lease by its own clock after the TTL")
	}
	if err := dead.ready(context.Background()); err == nil {
		t.Error("the dead node-b is still ready")
	}
	for n, want := range map[*App]string{dead: `lore_lease_held{lease="writer"} 0`, first: `lore_lease_held{lease="writer"} 1`} {
		var m strings.Builder
		n.metrics.Write(&m)
		if !strings.Contains(m.String(), want) {
			t.Errorf("the metrics of %s do not say %s", n.cfg.NodeID, want)
		}
	}

	// node-c stops cleanly: its lease is released, a replacement starts at once.
	_, stop := serve(t, config("node-c"))
	stop()
	if took, err := open("node-c"); err != nil || took > ttl/2 {
		t.Errorf("a replacement of node-c stopped cleanly: %v after %v, want a start at once", err, took)
	}
}

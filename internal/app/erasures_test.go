package app

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/chtest"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/lifecycle"
	"github.com/lore-dev/lore/internal/pgtest"
	"github.com/lore-dev/lore/internal/pipeline"
	"github.com/lore-dev/lore/internal/replay"
	"github.com/lore-dev/lore/internal/sqlq"
)

// TestErasureReachesEveryNode: two nodes on one PostgreSQL metadata
// database and one ClickHouse events database. Node B acknowledged erin's
// events but has not loaded them into ClickHouse yet (its loader waits),
// its field catalogue holds her ids as examples, not flushed yet, and it
// holds recordings of her sessions in its replay.db: one of a session her
// events name, one of an anonymous id she was known by. Erasing erin
// through node A first makes B load her events, which the erasure then
// deletes, and removes, within a few seconds, B's recordings of her
// (bob's stays), and B's next catalogue flush writes none of her ids
// back into ClickHouse's examples (bob's are written). A node down while a
// person is erased erases its recordings of them when it starts again.
func TestErasureReachesEveryNode(t *testing.T) {
	ch := chtest.Start(t)
	dbURL := pgtest.Start(t).NewDatabase(t)
	const db = "lore_erase_nodes"
	storeURL := "clickhouse://" + ch.Addr + "/" + db
	manual := lifecycle.RetentionConfig{Manual: true}
	a, _ := serve(t, Config{DataDir: t.TempDir(), Meta: dbURL, StoreURL: storeURL, NodeID: "node-a", Addr: "127.0.0.1:0", Retention: manual})
	configB := Config{DataDir: t.TempDir(), Meta: dbURL, StoreURL: storeURL, NodeID: "node-b", Addr: "127.0.0.1:0", Retention: manual,
		Pipeline: pipeline.Options{LoadInterval: time.Hour}} // B loads its events only when asked
	b, stopB := serve(t, configB)
	ctx := context.Background()

	now := time.Now().UTC()
	evs := []event.Event{
		{ProjectID: 1, TS: now.UnixMicro(), Kind: event.KindEvent, Name: "signup", UserID: "erin", AnonymousID: "anon-erin", SessionID: "sess-erin"},
		{ProjectID: 1, TS: now.UnixMicro(), Kind: event.KindEvent, Name: "signup", UserID: "bob", SessionID: "sess-bob"},
	}
	if err := b.submit(ctx, "test", evs); err != nil {
		t.Fatal(err)
	}
	ms := now.UnixMilli()
	var chunks []replay.Chunk
	for _, c := range []struct{ session, user, anon string }{{"sess-erin", "", ""}, {"sess-erin-before", "", "anon-erin"}, {"sess-bob", "bob", ""}, {"sess-frank", "frank", ""}} {
		chunks = append(chunks, replay.Chunk{ProjectID: 1, SessionID: c.session, PageID: "p", Seq: 1, UserID: c.user, AnonymousID: c.anon,
			First: ms, Last: ms, Events: 1, Full: true, RawBytes: 1, ReceivedAt: ms, Data: []byte("x")})
	}
	if err := b.replayBlobs.PutChunks(ctx, chunks); err != nil {
		t.Fatal(err)
	}
	recorded := func() []string {
		t.Helper()
		got, err := b.replayBlobs.Sessions(ctx, 1, []string{"sess-erin", "sess-erin-before", "sess-bob", "sess-frank"})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range got {
			ids = append(ids, s.SessionID)
		}
		slices.Sort(ids)
		return ids
	}
	if got := recorded(); len(got) != 4 {
		t.Fatalf("node-b's recordings before the erasure: %v", got)
	}

	if n := strings.TrimSpace(string(ch.Post(t, "SELECT count() FROM "+db+".events"))); n != "0" {
		t.Fatalf("%s events in ClickHouse before the erasure, want node-b's not loaded yet", n)
	}
	if e, err := a.ErasePerson(ctx, 1, "erin"); err != nil || e.Events != 1 {
		t.Fatalf("node-a erased %+v, %v; want erin's event, which node-b acknowledged", e, err)
	}
	erased := time.Now()
	waitUntil(t, erasuresEvery+3*time.Second, "node-b erases its recordings of erin", func() bool { return slices.Equal(recorded(), []string{"sess-bob", "sess-frank"}) })
	t.Logf("node-b erased its recordings %v after the erasure", time.Since(erased).Round(10*time.Millisecond))

	if err := b.Flush(ctx); err != nil { // B's field catalogue into ClickHouse
		t.Fatal(err)
	}
	examples := strings.Fields(string(ch.Post(t, "SELECT DISTINCT arrayJoin(examples) FROM "+db+".field_values WHERE project_id = 1 FORMAT TSV")))
	for _, id := range []string{"erin", "anon-erin", "sess-erin"} {
		if slices.Contains(examples, id) {
			t.Errorf("node-b's catalogue flushed %q back into the examples: %v", id, examples)
		}
	}
	if !slices.Contains(examples, "bob") || !slices.Contains(examples, "sess-bob") {
		t.Errorf("the examples after node-b's flush miss bob's ids: %v", examples)
	}
	if got := strings.TrimSpace(string(ch.Post(t, "SELECT user_id, count() FROM "+db+".events GROUP BY user_id ORDER BY user_id FORMAT TSV"))); got != "bob\t1" {
		t.Errorf("events in ClickHouse after the erasure, by user: %q, want bob's one", got)
	}

	// node-b is down while frank is erased through node-a; started again
	// on its data directory, it erases its recording of frank.
	stopB()
	if _, err := a.ErasePerson(ctx, 1, "frank"); err != nil {
		t.Fatal(err)
	}
	b, _ = serve(t, configB)
	waitUntil(t, erasuresEvery+3*time.Second, "node-b, started again, erases its recording of frank", func() bool { return slices.Equal(recorded(), []string{"sess-bob"}) })
}

// TestErasureReachesEveryNodeOwnStore: two nodes on one PostgreSQL
// metadata database, each with its own DuckDB events store. Erasing erin
// through node A erases her events from node B's own store too (and her
// recordings there), within a few seconds; bob's stay.
func TestErasureReachesEveryNodeOwnStore(t *testing.T) {
	dbURL := pgtest.Start(t).NewDatabase(t)
	manual := lifecycle.RetentionConfig{Manual: true}
	a, _ := serve(t, Config{DataDir: t.TempDir(), Meta: dbURL, NodeID: "node-a", Addr: "127.0.0.1:0", Retention: manual})
	b, _ := serve(t, Config{DataDir: t.TempDir(), Meta: dbURL, NodeID: "node-b", Addr: "127.0.0.1:0", Retention: manual})
	ctx := context.Background()
	now := time.Now().UTC()
	evs := []event.Event{
		{ProjectID: 1, TS: now.UnixMicro(), Kind: event.KindEvent, Name: "signup", UserID: "erin", AnonymousID: "anon-erin", SessionID: "sess-erin"},
		{ProjectID: 1, TS: now.UnixMicro(), Kind: event.KindEvent, Name: "signup", UserID: "bob", SessionID: "sess-bob"},
	}
	if err := b.submit(ctx, "test", evs); err != nil {
		t.Fatal(err)
	}
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	ms := now.UnixMilli()
	if err := b.replayBlobs.PutChunks(ctx, []replay.Chunk{{ProjectID: 1, SessionID: "sess-erin", PageID: "p", Seq: 1,
		First: ms, Last: ms, Events: 1, Full: true, RawBytes: 1, ReceivedAt: ms, Data: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	users := func() string {
		t.Helper()
		var got []string
		err := b.engine.Run(ctx, sqlq.Query{Name: "users", SQL: "SELECT user_id FROM events WHERE project_id = 1 ORDER BY user_id"}, func(r sqlq.Scanner) error {
			var u string
			if err := r.Scan(&u); err != nil {
				return err
			}
			got = append(got, u)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(got, ",")
	}
	if got := users(); got != "bob,erin" {
		t.Fatalf("node-b's events before the erasure: %s", got)
	}
	if e, err := a.ErasePerson(ctx, 1, "erin"); err != nil || e.Events != 0 {
		t.Fatalf("node-a erased %+v, %v; want none of its own events", e, err)
	}
	recorded := func() int {
		t.Helper()
		got, err := b.replayBlobs.Sessions(ctx, 1, []string{"sess-erin"})
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	waitUntil(t, erasuresEvery+5*time.Second, "node-b erases erin from its own events store and recordings", func() bool { return users() == "bob" && recorded() == 0 })
}

package app

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/narrative"
	"github.com/lore-dev/lore/internal/chtest"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/lifecycle"
	"github.com/lore-dev/lore/internal/pgtest"
	"github.com/lore-dev/lore/internal/store"
)

// TestStoriesRefreshOnceAcrossNodes: two nodes on one PostgreSQL
// metadata database and one ClickHouse events database. Only the node
// holding the stories lease keeps the Overview's windows fresh (it
// computes them; the other computes nothing), and the other answers the
// Overview from the holder's answer; a window that ends now asked on the
// other node is then kept fresh by the holder. A past range one node
// computed is answered by the other from its answer. Erasing a person on
// one node makes both forget at once (the holder) or within a few seconds
// (the other), which then answers from the answer computed after the
// erasure. When the holder dies, the other takes the refresh over.
func TestStoriesRefreshOnceAcrossNodes(t *testing.T) {
	ch := chtest.Start(t)
	dbURL := pgtest.Start(t).NewDatabase(t)
	storeURL := "clickhouse://" + ch.Addr + "/lore_stories"
	const ttl = 2 * time.Second
	start := func(name string) *App {
		a, _ := serve(t, Config{DataDir: t.TempDir(), Meta: dbURL, StoreURL: storeURL, NodeID: name, LeaseTTL: ttl, Addr: "127.0.0.1:0",
			Retention: lifecycle.RetentionConfig{Manual: true}, storiesEvery: 200 * time.Millisecond})
		return a
	}
	a, b := start("node-a"), start("node-b")
	nodes := map[string]*App{"node-a": a, "node-b": b}
	ctx := context.Background()
	holderName := func() string {
		t.Helper()
		l, ok, err := a.meta.LeaseHolder(ctx, leaseStories)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return ""
		}
		return l.Holder
	}
	waitUntil(t, 10*time.Second, "a node holds the stories lease and computed the Overview", func() bool {
		h := nodes[holderName()]
		return h != nil && h.stories.computed.Load() >= 1
	})
	h := nodes[holderName()]
	o := a
	if h == a {
		o = b
	}
	time.Sleep(time.Second) // five ticks on each node
	if n := o.stories.computed.Load(); n != 0 {
		t.Fatalf("the node without the lease computed %d stories, want none", n)
	}
	ask := func(n *App, q narrative.Stories) string {
		t.Helper()
		res, err := n.stories.Stories(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := json.Marshal(res)
		return string(doc)
	}
	now := time.Now()
	last := func(d time.Duration, sev string) narrative.Stories {
		return narrative.Stories{ProjectID: 1, Range: store.Range{From: now.Add(-d).UnixMicro(), To: now.UnixMicro()}, MinSeverity: sev}
	}
	if got := ask(o, last(24*time.Hour, "")); o.stories.computed.Load() != 0 || !strings.Contains(got, `"stories":`) {
		t.Errorf("the other node computed the Overview (%d) or answered %s; want the holder's answer", o.stories.computed.Load(), got)
	}

	// A window that ends now asked on the other node: it computes it
	// once (no one had), and the holder keeps it fresh from then on.
	held := h.stories.computed.Load()
	ask(o, last(6*time.Hour, narrative.SeverityWarning))
	if n := o.stories.computed.Load(); n != 1 {
		t.Errorf("the other node computed %d stories for a new window, want 1", n)
	}
	waitUntil(t, 3*time.Second, "the holder refreshes the window asked on the other node", func() bool { return h.stories.computed.Load() > held })

	// A past range: computed on the other node, answered by the holder
	// from its answer.
	at := time.Now().UTC().Truncate(time.Minute).Add(-40 * time.Minute)
	aliceTrace, _ := event.ParseTraceID("a11ce000000000000000000000000001")
	var evs []event.Event
	for i := range 3 {
		ts := at.Add(time.Duration(i) * time.Second)
		evs = append(evs,
			event.Event{ProjectID: 1, TS: ts.UnixMicro(), Kind: event.KindLog, Level: event.LevelError, Service: "checkout",
				ErrorType: "CardDeclined", Message: "card declined for alice@example.com", UserID: "alice", TraceID: aliceTrace},
			event.Event{ProjectID: 1, TS: ts.Add(time.Minute).UnixMicro(), Kind: event.KindLog, Level: event.LevelError, Service: "search",
				ErrorType: "Timeout", Message: "index timed out", UserID: "bob"})
	}
	if err := o.submit(ctx, "test", evs); err != nil {
		t.Fatal(err)
	}
	if err := o.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	past := narrative.Stories{ProjectID: 1, Range: store.Range{From: at.Add(-20 * time.Minute).UnixMicro(), To: at.Add(30 * time.Minute).UnixMicro()}}
	computedO, computedH := o.stories.computed.Load(), h.stories.computed.Load()
	before := ask(o, past)
	if !strings.Contains(before, "alice@example.com") || !strings.Contains(before, "index timed out") {
		t.Fatalf("the stories do not tell both errors:\n%s", before)
	}
	if got := ask(h, past); got != before || h.stories.computed.Load() != computedH {
		t.Errorf("the holder computed the past range again (%d → %d) or answered otherwise:\n%s\nwant:\n%s", computedH, h.stories.computed.Load(), got, before)
	}
	if n := o.stories.computed.Load(); n != computedO+1 {
		t.Errorf("the other node computed the past range %d times, want once", n-computedO)
	}

	// Erasing alice on the holder: it forgets at once, the other within
	// a few seconds, and answers from what the holder computed since.
	if e, err := h.ErasePerson(ctx, 1, "alice"); err != nil || e.Events != 3 {
		t.Fatalf("erased %+v, %v; want alice's 3 events", e, err)
	}
	computedH = h.stories.computed.Load()
	if got := ask(h, past); strings.Contains(got, "alice") || !strings.Contains(got, "index timed out") {
		t.Errorf("after erasing alice, the holder's stories:\n%s", got)
	}
	if h.stories.computed.Load() == computedH {
		t.Error("after the erasure, the holder answered the past range without computing it")
	}
	computedO = o.stories.computed.Load()
	erased := time.Now()
	waitUntil(t, changesEvery+3*time.Second, "the other node forgets alice", func() bool { return !strings.Contains(ask(o, past), "alice") })
	t.Logf("the other node answered without alice %v after the erasure", time.Since(erased).Round(10*time.Millisecond))
	if got := ask(o, past); !strings.Contains(got, "index timed out") || o.stories.computed.Load() != computedO {
		t.Errorf("after the erasure, the other node computed %d stories (want none: the holder's answer) and answered:\n%s", o.stories.computed.Load()-computedO, got)
	}

	// The holder dies (its database connection gone, its lease never
	// released): the other takes the lease, and refreshes its windows,
	// which it kept from before the erasure.
	computedO = o.stories.computed.Load()
	h.meta.Close()
	waitUntil(t, 2*ttl+3*time.Second, "the other node takes the stories lease", func() bool {
		l, ok, err := o.meta.LeaseHolder(ctx, leaseStories)
		return err == nil && ok && nodes[l.Holder] == o
	})
	waitUntil(t, 3*time.Second, "the new holder refreshes the windows", func() bool { return o.stories.computed.Load() > computedO })
}

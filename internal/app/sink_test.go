package app

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/fieldstats"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest"
	"github.com/lore-dev/lore/internal/store"
)

// refuse is a backlog that is always full.
type refuse struct{}

func (refuse) Reserve(context.Context, []event.Event) (ingest.Reservation, error) {
	return nil, &errs.Error{Kind: errs.Overloaded, Msg: "full", RetryAfter: 3}
}

// TestRefusedRequestLeavesNoTrace: the sink admits a request before any
// processor sees it, so a request refused for a full backlog (429) counts
// no field, opens no issue and learns no pattern, and its retry is
// counted once. The processors are the app's own (patterns, issues, the
// field catalogue), in the app's order; only the backlog is made full.
func TestRefusedRequestLeavesNoTrace(t *testing.T) {
	ctx := context.Background()
	l, err := OpenLocal(ctx, t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(ctx)
	a := l.app
	now := time.Now().UTC()
	batch := func() []event.Event {
		return []event.Event{
			{ProjectID: 1, TS: now.UnixMicro(), Kind: event.KindLog, Level: event.LevelError, Service: "cart",
				Message: "cart 7 locked", ErrorType: "IllegalStateException",
				Attributes: []event.Attr{{Key: "stack", Value: "java.lang.IllegalStateException: cart 7 locked\n\tat com.shop.Cart.lock(Cart.java:40)"}}},
			{ProjectID: 1, TS: now.UnixMicro(), Kind: event.KindLog, Level: event.LevelInfo, Service: "cart",
				Message: "user 42 upgraded to pro", Attributes: []event.Attr{{Key: "plan.tier", Value: "pro"}}},
		}
	}
	full := ingest.NewSink(ingest.SinkConfig{Admitter: refuse{}, Processors: a.chain()})
	for range 3 { // a client retrying while the backlog stays full
		if _, err := full.Write(ctx, ingest.Request{Route: "/api/v1/ingest", Events: batch()}); !errs.Is(err, errs.Overloaded) {
			t.Fatalf("write into a full backlog: %v, want errs.Overloaded", err)
		}
	}
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	from, to := now.Add(-time.Hour).UnixMicro(), now.Add(time.Hour).UnixMicro()
	if seen, err := (fieldstats.Usage{ProjectID: 1, From: from, To: to}).Run(ctx, a.store); err != nil || len(seen) != 0 {
		t.Fatalf("refused requests counted fields: %+v (%v)", seen, err)
	}
	if iss, err := a.meta.Issues(ctx, 1); err != nil || len(iss) != 0 {
		t.Fatalf("refused requests opened issues: %+v (%v)", iss, err)
	}
	if g := a.patterns.Groups(1); len(g) != 0 {
		t.Fatalf("refused requests taught the pattern miner %d templates", len(g))
	}

	// Once there is room, the retry is stored and counted once.
	rcpt, err := a.sink.Write(ctx, ingest.Request{Route: "/api/v1/ingest", Events: batch()})
	if err != nil || rcpt.Stored != 2 {
		t.Fatalf("write with room: %+v %v", rcpt, err)
	}
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	seen, err := fieldstats.Usage{ProjectID: 1, From: from, To: to}.Run(ctx, a.store)
	if err != nil {
		t.Fatal(err)
	}
	counted := false
	for _, f := range seen {
		if f.Field == "plan.tier" {
			counted = true
			if f.Count != 1 {
				t.Errorf("plan.tier counted %d times, want 1", f.Count)
			}
		}
	}
	if !counted {
		t.Errorf("the stored request's field is not in the catalogue: %+v", seen)
	}
	if iss, err := a.meta.Issues(ctx, 1); err != nil || len(iss) != 1 {
		t.Errorf("issues after the stored request: %+v (%v), want one", iss, err)
	}
	res, err := eventStore{a.store}.Search(ctx, store.SearchRequest{ProjectID: 1, Range: store.Range{From: from, To: to}, Limit: 10})
	if err != nil || len(res.Events) != 2 {
		t.Errorf("stored events: %d (%v), want 2", len(res.Events), err)
	}
	if len(a.patterns.Groups(1)) == 0 {
		t.Error("the stored request taught the miner nothing")
	}
}

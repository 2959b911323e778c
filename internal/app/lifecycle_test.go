package app

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/product"
	"github.com/lore-dev/lore/internal/analysis/resolve"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/lifecycle"
)

// TestRetentionForgetsOnlyWhatItDeleted: a retention run that deletes
// nothing (most of the hourly runs, and the one at start) keeps the
// node's remembered answers, so the same question over settled days is
// still answered from them; a run that deletes events drops them, and the
// question is computed again, without the deleted events.
func TestRetentionForgetsOnlyWhatItDeleted(t *testing.T) {
	ctx := context.Background()
	l, err := OpenLocal(ctx, t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(ctx)
	a := l.app
	day := 24 * time.Hour
	now := time.Now().UTC()
	at := now.Truncate(day).Add(-3 * day)
	purchase := func(ts time.Time) event.Event {
		return event.Event{ProjectID: 1, TS: ts.UnixMicro(), Kind: event.KindEvent, Name: "purchase", UserID: "alice"}
	}
	// Two purchases three days ago (events are kept two years) and logs of
	// yesterday (logs are kept 30 days).
	evs := []event.Event{purchase(at), purchase(at.Add(time.Hour))}
	for i := range 3 {
		evs = append(evs, event.Event{ProjectID: 1, TS: now.Add(-day + time.Duration(i)*time.Minute).UnixMicro(), Kind: event.KindLog, Message: "ok"})
	}
	if err := l.Submit(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	q, err := product.TrendsRequest{Event: "purchase", Interval: "1d",
		From: at.Add(-200 * day).Format(time.RFC3339), To: at.Add(day).Format(time.RFC3339)}.Query(1, now)
	if err != nil {
		t.Fatal(err)
	}
	r := a.resolver()
	var computed atomic.Int32
	purchases := func() float64 { t.Helper(); return trendTotal(t, r, q, &computed) }
	if got := purchases(); got != 2 || computed.Load() != 1 {
		t.Fatalf("%v purchases, computed %d times; want 2, once", got, computed.Load())
	}

	// Nothing is old enough to go: the answer stays remembered.
	for range 2 {
		if del, err := a.RunRetention(ctx); err != nil || len(del) != 0 {
			t.Fatalf("retention deleted %v, %v; want nothing", del, err)
		}
	}
	if got := purchases(); got != 2 || computed.Load() != 1 {
		t.Errorf("after retention runs that deleted nothing: %v purchases, computed %d times; want 2, still once (the remembered answer)", got, computed.Load())
	}

	// A purchase of 100 days ago, which a project keeping events 30 days
	// no longer keeps: retention deletes it and the answer is computed
	// again.
	if err := l.Submit(ctx, []event.Event{purchase(at.Add(-97 * day))}); err != nil {
		t.Fatal(err)
	}
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := purchases(); got != 3 || computed.Load() != 2 {
		t.Fatalf("with the old purchase: %v purchases, computed %d times; want 3, twice", got, computed.Load())
	}
	if err := a.meta.SetProjectSettings(ctx, 1, lifecycle.RetentionName, []byte(`{"events_days":30}`)); err != nil {
		t.Fatal(err)
	}
	if del, err := a.RunRetention(ctx); err != nil || del[1][event.KindEvent] != 1 {
		t.Fatalf("retention deleted %v, %v; want the old purchase", del, err)
	}
	if got := purchases(); got != 2 || computed.Load() != 3 {
		t.Errorf("after retention deleted the old purchase: %v purchases, computed %d times; want 2, three times", got, computed.Load())
	}
}

// trendTotal answers q through r (remembered by its key) and sums its
// series; computed, when set, counts the answers computed, not remembered.
func trendTotal(t *testing.T, r *resolve.Resolver, q product.Trends, computed *atomic.Int32) float64 {
	t.Helper()
	res, err := resolve.Do(t.Context(), r, q, func(ctx context.Context) (product.TrendsResult, error) {
		if computed != nil {
			computed.Add(1)
		}
		return q.Resolve(ctx, r.Analytics())
	})
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, s := range res.Series {
		total += s.Total
	}
	return total
}

package app

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/narrative"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// fakeStories counts the computations and answers each with its window.
type fakeStories struct {
	mu    sync.Mutex
	calls []narrative.Stories
	fail  bool
	block chan struct{} // when set, each computation waits for it
}

func (f *fakeStories) resolve(ctx context.Context, q narrative.Stories) (narrative.StoriesResult, error) {
	if f.block != nil {
		<-f.block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, q)
	if f.fail {
		return narrative.StoriesResult{}, errors.New("store down")
	}
	return narrative.StoriesResult{From: event.FormatMicros(q.Range.From), To: event.FormatMicros(q.Range.To)}, nil
}

func (f *fakeStories) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func TestStoryCache(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 21, 9, 0, 20, 0, time.UTC)
	now := func() time.Time { return clock }
	f := &fakeStories{}
	c := newStoryCache(f.resolve, nil, now, time.Minute, slog.New(slog.DiscardHandler))
	defer c.close(ctx)
	last24h := func() narrative.Stories {
		to := clock.UnixMicro()
		return narrative.Stories{ProjectID: 1, Range: store.Range{From: to - (24 * time.Hour).Microseconds(), To: to}}
	}
	wait := func(n int) {
		t.Helper()
		for i := 0; i < 200 && f.count() < n; i++ {
			time.Sleep(5 * time.Millisecond)
		}
		if got := f.count(); got != n {
			t.Fatalf("%d computations, want %d", got, n)
		}
	}

	// The first Overview computes; a reload in the same minute does not.
	res, err := c.Stories(ctx, last24h())
	if err != nil || res.To != "2026-11-21T09:01:00.000000Z" {
		t.Fatalf("first = %+v, %v", res, err)
	}
	clock = clock.Add(30 * time.Second)
	if res, _ = c.Stories(ctx, last24h()); f.count() != 1 || res.To != "2026-11-21T09:01:00.000000Z" {
		t.Fatalf("a reload within the minute computed again (%d) or answered %s", f.count(), res.To)
	}
	// The next minute: the last result answers at once, the new window is
	// computed in the background and answers the next reload.
	clock = clock.Add(40 * time.Second) // 09:01:30
	if res, _ = c.Stories(ctx, last24h()); res.To != "2026-11-21T09:01:00.000000Z" {
		t.Fatalf("the next minute answered %s, want the last result (09:01)", res.To)
	}
	wait(2)
	if res, _ = c.Stories(ctx, last24h()); res.To != "2026-11-21T09:02:00.000000Z" || f.count() != 2 {
		t.Fatalf("after the refresh: %s (%d computations)", res.To, f.count())
	}
	// A minute's tick keeps the window fresh while someone looks.
	clock = clock.Add(time.Minute) // 09:02:30
	c.tick()
	wait(3)
	if res, _ = c.Stories(ctx, last24h()); res.To != "2026-11-21T09:03:00.000000Z" || f.count() != 3 {
		t.Fatalf("after a tick: %s (%d computations)", res.To, f.count())
	}
	// A result older than a minute is never served: ten minutes on, the
	// window is computed again before answering.
	clock = clock.Add(10 * time.Minute)
	if res, _ = c.Stories(ctx, last24h()); res.To != "2026-11-21T09:13:00.000000Z" || f.count() != 4 {
		t.Fatalf("ten minutes later: %s (%d computations)", res.To, f.count())
	}
	// A past window is computed for itself, once a minute at most.
	past := narrative.Stories{ProjectID: 1, Range: store.Range{From: clock.Add(-72 * time.Hour).UnixMicro(), To: clock.Add(-48 * time.Hour).UnixMicro()}}
	c.Stories(ctx, past)
	c.Stories(ctx, past)
	if f.count() != 5 {
		t.Fatalf("a past window twice: %d computations, want 5", f.count())
	}
	// Another project or severity is another window.
	other := last24h()
	other.MinSeverity = narrative.SeverityWarning
	c.Stories(ctx, other)
	if f.count() != 6 {
		t.Fatalf("another severity: %d computations", f.count())
	}
	// Nobody asked for an hour: the tick forgets the window.
	clock = clock.Add(2 * time.Hour)
	c.tick()
	time.Sleep(20 * time.Millisecond)
	if f.count() != 6 {
		t.Fatalf("a window nobody asked for in an hour was refreshed (%d)", f.count())
	}
}

func TestStoryCacheKeepsNoFailure(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 21, 9, 0, 20, 0, time.UTC)
	f := &fakeStories{fail: true}
	c := newStoryCache(f.resolve, nil, func() time.Time { return clock }, time.Minute, slog.New(slog.DiscardHandler))
	defer c.close(ctx)
	q := narrative.Stories{ProjectID: 1, Range: store.Range{From: clock.Add(-time.Hour).UnixMicro(), To: clock.UnixMicro()}}
	for range 2 {
		if _, err := c.Stories(ctx, q); err == nil {
			t.Fatal("the failure was not returned")
		}
	}
	if f.count() != 2 {
		t.Fatalf("a failed computation was kept: %d computations for 2 requests", f.count())
	}
}

func TestStoryCacheComputesOnceForConcurrentRequests(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 21, 9, 0, 20, 0, time.UTC)
	f := &fakeStories{block: make(chan struct{})}
	c := newStoryCache(f.resolve, nil, func() time.Time { return clock }, time.Minute, slog.New(slog.DiscardHandler))
	defer c.close(ctx)
	q := narrative.Stories{ProjectID: 1, Range: store.Range{From: clock.Add(-time.Hour).UnixMicro(), To: clock.UnixMicro()}}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := c.Stories(ctx, q); err != nil {
				t.Error(err)
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	close(f.block)
	wg.Wait()
	if f.count() != 1 {
		t.Fatalf("4 concurrent requests computed %d times", f.count())
	}
}

func TestStoryCacheKeepsTheOverviewFresh(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 21, 9, 0, 20, 0, time.UTC)
	f := &fakeStories{}
	c := newStoryCache(f.resolve, nil, func() time.Time { return clock }, time.Minute, slog.New(slog.DiscardHandler))
	defer c.close(ctx)
	c.keepFresh(1, 24*time.Hour+time.Minute)
	for i := 0; i < 200 && f.count() < 1; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	// The Overview's first open is answered from what was computed at start.
	to := clock.UnixMicro()
	q := narrative.Stories{ProjectID: 1, Range: store.Range{From: to - (24 * time.Hour).Microseconds(), To: to}}
	if res, err := c.Stories(ctx, q); err != nil || f.count() != 1 || res.To != "2026-11-21T09:01:00.000000Z" {
		t.Fatalf("first open: %+v %v (%d computations)", res, err, f.count())
	}
	// Nobody looks for hours; it is still kept fresh.
	clock = clock.Add(3 * time.Hour)
	c.tick()
	for i := 0; i < 200 && f.count() < 2; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	to = clock.UnixMicro()
	q.Range = store.Range{From: to - (24 * time.Hour).Microseconds(), To: to}
	if res, _ := c.Stories(ctx, q); f.count() != 2 || res.To != "2026-11-21T12:01:00.000000Z" {
		t.Fatalf("three idle hours later: %s (%d computations)", res.To, f.count())
	}
}

// TestStoryCacheBounded: asking for many distinct windows that end now
// keeps at most maxRolling of them fresh (the pinned Overview window
// among them) and at most maxKept results; a range past
// narrative.MaxStoriesRange is refused before anything is computed.
func TestStoryCacheBounded(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 21, 9, 0, 20, 0, time.UTC)
	f := &fakeStories{}
	c := newStoryCache(f.resolve, nil, func() time.Time { return clock }, time.Minute, slog.New(slog.DiscardHandler))
	defer c.close(ctx)
	c.keepFresh(1, 24*time.Hour+time.Minute)
	to := clock.UnixMicro()
	for i := range 100 {
		q := narrative.Stories{ProjectID: 1, Range: store.Range{From: to - int64(i+2)*time.Hour.Microseconds(), To: to}}
		if _, err := c.Stories(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	c.mu.Lock()
	rolling, kept, pinned := len(c.rolling), len(c.byQuery), c.rolling[rollingKey{project: 1, span: (24*time.Hour + time.Minute).Microseconds()}]
	c.mu.Unlock()
	if rolling > maxRolling || kept > maxKept {
		t.Errorf("after 100 distinct windows: %d rolling windows (max %d), %d results (max %d)", rolling, maxRolling, kept, maxKept)
	}
	if pinned == nil || !pinned.pinned {
		t.Error("the Overview's pinned window was evicted")
	}
	long := narrative.Stories{ProjectID: 1, Range: store.Range{From: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro(), To: to}}
	if _, err := c.Stories(ctx, long); !errs.Is(err, errs.Invalid) {
		t.Errorf("stories from year 1: err %v, want errs.Invalid", err)
	}
	// The background refresher may compute the pinned window meanwhile;
	// what must never be computed is the refused range.
	f.mu.Lock()
	for _, q := range f.calls {
		if q.Range == long.Range {
			t.Error("a refused range was computed")
		}
	}
	f.mu.Unlock()
}

// TestStoryCacheForgetsDeletedData: once data of a project was deleted
// (its generation moved), no result of it computed before is served —
// neither a past window's nor the latest of a window that ends now — and
// a result whose computation the deletion overtook is not kept; another
// project's results are still served.
func TestStoryCacheForgetsDeletedData(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 21, 9, 0, 20, 0, time.UTC)
	var mu sync.Mutex
	gens := map[int64]uint64{}
	generation := func(project int64) uint64 { mu.Lock(); defer mu.Unlock(); return gens[project] }
	forget := func() { mu.Lock(); gens[1]++; mu.Unlock() }
	f := &fakeStories{}
	c := newStoryCache(f.resolve, generation, func() time.Time { return clock }, time.Minute, slog.New(slog.DiscardHandler))
	defer c.close(ctx)
	past := narrative.Stories{ProjectID: 1, Range: store.Range{From: clock.Add(-3 * time.Hour).UnixMicro(), To: clock.Add(-2 * time.Hour).UnixMicro()}}
	now := narrative.Stories{ProjectID: 1, Range: store.Range{From: clock.Add(-time.Hour).UnixMicro(), To: clock.UnixMicro()}}
	other := past
	other.ProjectID = 2
	for _, q := range []narrative.Stories{past, now, other, past, now} {
		if _, err := c.Stories(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if f.count() != 3 {
		t.Fatalf("%d computations for three windows, two asked twice, want 3", f.count())
	}
	forget()
	for _, q := range []narrative.Stories{past, now, other} {
		if _, err := c.Stories(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if f.count() != 5 {
		t.Fatalf("after a deletion in project 1, %d computations, want 5: a result of project 1 from before it was served, or project 2's was not", f.count())
	}
	// Kept again in the new generation.
	c.Stories(ctx, past)
	c.Stories(ctx, now)
	if f.count() != 5 {
		t.Fatalf("%d computations, want 5: results of the new generation were not kept", f.count())
	}
	// A deletion while a window is computed: its result is answered but
	// not kept.
	f2 := &fakeStories{block: make(chan struct{})}
	c2 := newStoryCache(f2.resolve, generation, func() time.Time { return clock }, time.Minute, slog.New(slog.DiscardHandler))
	defer c2.close(ctx)
	done := make(chan error)
	go func() { _, err := c2.Stories(ctx, past); done <- err }()
	for c2.busyCount() == 0 {
		time.Sleep(time.Millisecond)
	}
	forget()
	close(f2.block)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	c2.Stories(ctx, past)
	if f2.count() != 2 {
		t.Fatalf("%d computations, want 2: a result computed across a deletion was kept", f2.count())
	}
}

// busyCount is the number of computations in flight.
func (c *storyCache) busyCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.busy)
}

// TestSharedStoriesReadBack: an answer kept for the other nodes (JSON)
// reads back as the same JSON — numbers as written, not float64 — and a
// story monitor finds the service of a card read back, whose list of
// services JSON made a []any.
func TestSharedStoriesReadBack(t *testing.T) {
	in := narrative.StoriesResult{From: "a", To: "b", Stories: []narrative.Card{{Type: "cascade", Title: "t",
		Facts: map[string]any{"services": []string{"db", "api"}, "count": int64(9007199254740993)}}}}
	doc, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := decodeStories(doc)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(out)
	if string(again) != string(doc) {
		t.Errorf("read back:\n%s\nwant:\n%s", again, doc)
	}
	if svc := cardService(out.Stories[0]); svc != "db" {
		t.Errorf("the service of a card read back: %q, want db", svc)
	}
}

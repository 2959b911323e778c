package app

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/lore-dev/lore/internal/analysis/narrative"
)

// storyCache keeps the answers of GET /api/v1/stories, which reads a whole
// day of summaries and takes seconds on a large store, so that the
// Overview opens at once:
//
//   - an identical query (ranges are widened to whole minutes, so every
//     request within a minute is identical) is answered from a result at
//     most maxAge old;
//   - a window that ends now (the Overview's "last 24 hours") is answered
//     from the latest result of the same length and severity if it ends at
//     most maxAge before the one asked, while the new window is computed
//     in the background; such windows, once asked, are recomputed every
//     minute for an hour, so they stay fresh while anyone looks; the
//     Overview's default window (the last 24 hours, widened by the minute
//     it starts in) is kept fresh from the start.
//
// Deleting data (erasing a person, retention) must not leave it in a
// kept story: each result is kept with the generation (the resolver's
// count of Forgets) it was computed in, and none of an earlier
// generation is served, nor kept when the generation moved while it was
// computed. A result with failed detectors is not kept. The cache is bounded: at
// most maxRolling windows are kept fresh (the least recently asked goes
// first; the pinned default stays) and at most maxKept results are kept,
// so that asking for many distinct ranges cannot grow the work or the
// memory. A background computation runs under the query timeout.
type storyCache struct {
	resolve func(context.Context, narrative.Stories) (narrative.StoriesResult, error)
	gen     func() uint64 // the data's generation: moves when data was deleted
	now     func() time.Time
	log     *slog.Logger
	maxAge  time.Duration
	keepFor time.Duration
	timeout time.Duration // of a background computation

	mu      sync.Mutex
	byQuery map[narrative.Stories]storyResult
	rolling map[rollingKey]*rollingWindow
	busy    map[narrative.Stories]chan struct{} // computations in flight

	ctx    context.Context // the background work's; canceled by close
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type storyResult struct {
	res narrative.StoriesResult
	at  time.Time
	gen uint64 // computed in
}

// rollingKey names a window that ends now: its length and what it keeps.
type rollingKey struct {
	project int64
	span    int64
	minSev  string
}

type rollingWindow struct {
	pinned   bool              // kept fresh whether asked or not (the Overview's default)
	latest   narrative.Stories // the newest computed query
	res      narrative.StoriesResult
	askedAt  time.Time // the last request
	computed time.Time
	gen      uint64 // res was computed in
}

// Bounds of the cache.
const (
	maxRolling = 8  // windows that end now, kept fresh
	maxKept    = 32 // results kept
)

// newStoryCache returns a cache over resolve; gen is the data's
// generation (nil: it never moves).
func newStoryCache(resolve func(context.Context, narrative.Stories) (narrative.StoriesResult, error), gen func() uint64, now func() time.Time, timeout time.Duration, log *slog.Logger) *storyCache {
	if gen == nil {
		gen = func() uint64 { return 0 }
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &storyCache{resolve: resolve, gen: gen, now: now, log: log, maxAge: time.Minute, keepFor: time.Hour, timeout: timeout,
		byQuery: map[narrative.Stories]storyResult{}, rolling: map[rollingKey]*rollingWindow{},
		busy: map[narrative.Stories]chan struct{}{}, ctx: ctx, cancel: cancel}
}

// endsNow reports whether a window's end is within two minutes of now.
func (c *storyCache) endsNow(q narrative.Stories) bool {
	d := c.now().UnixMicro() - q.Range.To
	return d < (2*time.Minute).Microseconds() && d > -(2*time.Minute).Microseconds()
}

// Stories answers q from the cache or computes it.
func (c *storyCache) Stories(ctx context.Context, q narrative.Stories) (narrative.StoriesResult, error) {
	if err := q.Validate(); err != nil {
		return narrative.StoriesResult{}, err
	}
	q = q.Widened()
	now, gen := c.now(), c.gen()
	rk := rollingKey{q.ProjectID, q.Range.To - q.Range.From, q.MinSeverity}
	c.mu.Lock()
	if r, ok := c.byQuery[q]; ok && now.Sub(r.at) < c.maxAge && r.gen == gen {
		c.mu.Unlock()
		return r.res, nil
	}
	if c.endsNow(q) {
		w := c.rollingLocked(rk)
		w.askedAt = now
		if w.computed != (time.Time{}) && w.gen == gen && w.latest.Range.To <= q.Range.To &&
			q.Range.To-w.latest.Range.To <= c.maxAge.Microseconds() {
			res := w.res
			if w.latest != q {
				c.refreshLocked(q)
			}
			c.mu.Unlock()
			return res, nil
		}
	}
	c.mu.Unlock()
	return c.compute(ctx, q)
}

// compute resolves q once however many ask at the same time, and keeps it.
func (c *storyCache) compute(ctx context.Context, q narrative.Stories) (narrative.StoriesResult, error) {
	c.mu.Lock()
	if done, ok := c.busy[q]; ok {
		c.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return narrative.StoriesResult{}, ctx.Err()
		}
		gen := c.gen()
		c.mu.Lock()
		r, ok := c.byQuery[q]
		c.mu.Unlock()
		if ok && r.gen == gen {
			return r.res, nil
		}
		return c.resolve(ctx, q) // the other computation failed: try ours
	}
	done := make(chan struct{})
	c.busy[q] = done
	c.mu.Unlock()
	gen := c.gen()
	res, err := c.resolve(ctx, q)
	for _, f := range res.Failures() {
		c.log.Warn("story detector failed", "project", q.ProjectID, "from", q.Range.From, "to", q.Range.To, "err", f)
	}
	c.mu.Lock()
	delete(c.busy, q)
	close(done)
	if err == nil && len(res.Errors) == 0 && c.gen() == gen {
		c.keepLocked(q, res, gen)
	}
	c.mu.Unlock()
	return res, err
}

// keepLocked stores a result and drops the stale ones.
func (c *storyCache) keepLocked(q narrative.Stories, res narrative.StoriesResult, gen uint64) {
	now := c.now()
	var oldest narrative.Stories
	for k, r := range c.byQuery {
		if now.Sub(r.at) >= c.maxAge {
			delete(c.byQuery, k)
		} else if o, ok := c.byQuery[oldest]; !ok || r.at.Before(o.at) {
			oldest = k
		}
	}
	if len(c.byQuery) >= maxKept {
		delete(c.byQuery, oldest)
	}
	c.byQuery[q] = storyResult{res, now, gen}
	if !c.endsNow(q) {
		return
	}
	rk := rollingKey{q.ProjectID, q.Range.To - q.Range.From, q.MinSeverity}
	w := c.rollingLocked(rk)
	if w.askedAt.IsZero() {
		w.askedAt = now
	}
	if q.Range.To >= w.latest.Range.To || w.gen != gen {
		w.latest, w.res, w.computed, w.gen = q, res, now, gen
	}
}

// rollingLocked returns the window of rk, adding it (and, at maxRolling,
// dropping the least recently asked window that is not pinned).
func (c *storyCache) rollingLocked(rk rollingKey) *rollingWindow {
	if w := c.rolling[rk]; w != nil {
		return w
	}
	if len(c.rolling) >= maxRolling {
		var victim *rollingKey
		for k, w := range c.rolling {
			if !w.pinned && (victim == nil || w.askedAt.Before(c.rolling[*victim].askedAt)) {
				victim = &k
			}
		}
		if victim != nil {
			delete(c.rolling, *victim)
		}
	}
	w := &rollingWindow{}
	c.rolling[rk] = w
	return w
}

// refreshLocked computes q in the background unless that is under way.
func (c *storyCache) refreshLocked(q narrative.Stories) {
	if _, ok := c.busy[q]; ok || c.ctx.Err() != nil {
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		ctx, cancel := context.WithTimeout(c.ctx, c.timeout)
		defer cancel()
		if _, err := c.compute(ctx, q); err != nil && c.ctx.Err() == nil {
			c.log.Warn("refresh stories", "project", q.ProjectID, "err", err)
		}
	}()
}

// tick recomputes, for the window that ends now, every rolling window
// asked within keepFor (and the window whose result was computed before
// data was deleted), and forgets the others.
func (c *storyCache) tick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tickLocked()
}

func (c *storyCache) tickLocked() {
	now, gen := c.now(), c.gen()
	for rk, w := range c.rolling {
		if !w.pinned && now.Sub(w.askedAt) > c.keepFor {
			delete(c.rolling, rk)
			continue
		}
		// The window of the same length that ends at the end of this minute.
		const minute = int64(time.Minute / time.Microsecond)
		to := (now.UnixMicro() + minute - 1) / minute * minute
		q := narrative.Stories{ProjectID: rk.project, MinSeverity: rk.minSev}
		q.Range.From, q.Range.To = to-rk.span, to
		if q != w.latest || w.gen != gen {
			c.refreshLocked(q)
		}
	}
}

// keepFresh computes the window of span that ends now for a project, and
// keeps it fresh from then on, asked or not: the Overview's default, so
// that its first open does not wait either.
func (c *storyCache) keepFresh(project int64, span time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rk := rollingKey{project: project, span: span.Microseconds()}
	w := c.rollingLocked(rk)
	if w.askedAt.IsZero() {
		w.askedAt = c.now()
	}
	w.pinned = true
	c.tickLocked()
}

// run ticks every interval until close.
func (c *storyCache) run(interval time.Duration) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-c.ctx.Done():
				return
			case <-t.C:
				c.tick()
			}
		}
	}()
}

// close stops the background work and waits for it.
func (c *storyCache) close(context.Context) error {
	c.cancel()
	c.wg.Wait()
	return nil
}

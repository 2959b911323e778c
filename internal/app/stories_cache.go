package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lore-dev/lore/internal/analysis/narrative"
	"github.com/lore-dev/lore/internal/meta"
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
// kept story: each result is kept with its project's generation (the
// resolver's count of forgets of the project) it was computed in, and none of an earlier
// generation is served, nor kept when the generation moved while it was
// computed. A result with failed detectors is not kept. The cache is bounded: at
// most maxRolling windows are kept fresh (the least recently asked goes
// first; the pinned default stays) and at most maxKept results are kept,
// so that asking for many distinct ranges cannot grow the work or the
// memory. A background computation runs under the query timeout.
//
// Nodes that share their metadata (PostgreSQL) and their events store
// (ClickHouse) share the answers too (share, meta's story_answers): every
// answer a node computes is kept there with the deletions counted in
// store_changes before it was computed, and a node that has no fresh
// answer of its own reads one from there (an identical query's at most
// maxAge old, or the latest of a window that ends now, by the same rules
// as above) before computing; none of before a deletion on any node is
// read. Only the node that holds the stories lease keeps the windows that
// end now fresh (runOn): the windows asked on any node (story_windows)
// and the pinned default; the others never refresh in the background, so
// N nodes compute the Overview once a minute, not N times.
type storyCache struct {
	resolve func(context.Context, narrative.Stories) (narrative.StoriesResult, error)
	gen     func(project int64) uint64 // the project's data's generation: moves when its data was deleted
	now     func() time.Time
	log     *slog.Logger
	maxAge  time.Duration
	keepFor time.Duration
	timeout time.Duration // of a background computation
	// share keeps the answers for every node sharing the metadata and
	// the events; nil on a node alone.
	share *meta.Store
	// computed counts the computations (lore_stories_computed_total).
	computed atomic.Int64

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
	gen      uint64    // res was computed in
	noted    time.Time // the last request noted in share (story_windows)
}

// Bounds of the cache.
const (
	maxRolling = 8  // windows that end now, kept fresh
	maxKept    = 32 // results kept
)

// newStoryCache returns a cache over resolve; gen is a project's data's
// generation (nil: it never moves).
func newStoryCache(resolve func(context.Context, narrative.Stories) (narrative.StoriesResult, error), gen func(project int64) uint64, now func() time.Time, timeout time.Duration, log *slog.Logger) *storyCache {
	if gen == nil {
		gen = func(int64) uint64 { return 0 }
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
	now, gen := c.now(), c.gen(q.ProjectID)
	rk := rollingKey{q.ProjectID, q.Range.To - q.Range.From, q.MinSeverity}
	c.mu.Lock()
	if r, ok := c.byQuery[q]; ok && now.Sub(r.at) < c.maxAge && r.gen == gen {
		c.mu.Unlock()
		return r.res, nil
	}
	var older *narrative.StoriesResult // the latest of the window, to answer with when share has no newer
	note := false
	if c.endsNow(q) {
		w := c.rollingLocked(rk)
		w.askedAt = now
		if c.share != nil && now.Sub(w.noted) >= c.maxAge {
			w.noted, note = now, true
		}
		if w.computed != (time.Time{}) && w.gen == gen && w.latest.Range.To <= q.Range.To &&
			q.Range.To-w.latest.Range.To <= c.maxAge.Microseconds() {
			res := w.res
			if w.latest == q {
				c.mu.Unlock()
				return res, nil
			}
			if c.share == nil {
				c.refreshLocked(q)
				c.mu.Unlock()
				return res, nil
			}
			older = &res
		}
	}
	c.mu.Unlock()
	if c.share != nil {
		if res, ok := c.shared(ctx, q, gen, note); ok {
			return res, nil
		}
		if older != nil {
			return *older, nil
		}
	}
	return c.compute(ctx, q)
}

// storyKey is q's name in share.
func storyKey(q narrative.Stories) meta.StoryKey {
	return meta.StoryKey{ProjectID: q.ProjectID, MinSeverity: q.MinSeverity, Span: q.Range.To - q.Range.From, To: q.Range.To}
}

// shared answers q from share: an identical query's answer at most maxAge
// old, else, for a window that ends now, the latest of its length and
// severity that ends at most maxAge before it. What it finds is kept here
// as computed in gen (this node's generation when q was asked). A window
// that ends now is first noted as asked (note), so that the holder of the
// stories lease keeps it fresh. A failure to read is logged: q is then
// computed here.
func (c *storyCache) shared(ctx context.Context, q narrative.Stories, gen uint64, note bool) (narrative.StoriesResult, bool) {
	k := storyKey(q)
	if note {
		if err := c.share.AskStoryWindow(ctx, k); err != nil {
			c.log.Warn("note a request for the stories", "project", q.ProjectID, "err", err)
		}
	}
	kept, ok, err := c.share.StoryAnswer(ctx, k, c.maxAge)
	if err == nil && !ok && c.endsNow(q) {
		kept, ok, err = c.share.LatestStoryAnswer(ctx, k, q.Range.To-c.maxAge.Microseconds())
	}
	if err != nil {
		c.log.Warn("read the stories other nodes computed", "project", q.ProjectID, "err", err)
		return narrative.StoriesResult{}, false
	}
	if !ok {
		return narrative.StoriesResult{}, false
	}
	res, err := decodeStories(kept.Answer)
	if err != nil {
		c.log.Warn("read the stories other nodes computed", "project", q.ProjectID, "err", err)
		return narrative.StoriesResult{}, false
	}
	found := q
	found.Range.From, found.Range.To = kept.To-kept.Span, kept.To
	c.mu.Lock()
	if c.gen(q.ProjectID) == gen {
		c.keepLocked(found, res, gen, c.now().Add(-kept.Age))
	}
	c.mu.Unlock()
	return res, true
}

// decodeStories reads an answer kept in share; numbers in the cards'
// facts stay as they were written (json.Number), not float64.
func decodeStories(doc []byte) (narrative.StoriesResult, error) {
	var res narrative.StoriesResult
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	if err := d.Decode(&res); err != nil {
		return res, fmt.Errorf("decode the stories kept: %w", err)
	}
	return res, nil
}

// publish keeps res, computed after the deletions gen counts, in share,
// even when the request that computed it has gone.
func (c *storyCache) publish(ctx context.Context, q narrative.Stories, res narrative.StoriesResult, gen int64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	doc, err := json.Marshal(res)
	if err == nil {
		err = c.share.SaveStoryAnswer(ctx, storyKey(q), gen, doc)
	}
	if err != nil {
		c.log.Warn("keep the stories for the other nodes", "project", q.ProjectID, "err", err)
	}
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
		gen := c.gen(q.ProjectID)
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
	gen := c.gen(q.ProjectID)
	var shareGen int64
	shareOK := false
	if c.share != nil {
		var err error
		if shareGen, err = c.share.DataGeneration(ctx, q.ProjectID); err != nil && ctx.Err() == nil {
			c.log.Warn("the stories computed are not kept for the other nodes", "project", q.ProjectID, "err", err)
		}
		shareOK = err == nil
	}
	c.computed.Add(1)
	res, err := c.resolve(ctx, q)
	for _, f := range res.Failures() {
		c.log.Warn("story detector failed", "project", q.ProjectID, "from", q.Range.From, "to", q.Range.To, "err", f)
	}
	keep := err == nil && len(res.Errors) == 0
	c.mu.Lock()
	delete(c.busy, q)
	close(done)
	if keep && c.gen(q.ProjectID) == gen {
		c.keepLocked(q, res, gen, c.now())
	}
	c.mu.Unlock()
	if keep && shareOK {
		c.publish(ctx, q, res, shareGen)
	}
	return res, err
}

// keepLocked stores a result computed at and drops the stale ones.
func (c *storyCache) keepLocked(q narrative.Stories, res narrative.StoriesResult, gen uint64, at time.Time) {
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
	c.byQuery[q] = storyResult{res, at, gen}
	if !c.endsNow(q) {
		return
	}
	rk := rollingKey{q.ProjectID, q.Range.To - q.Range.From, q.MinSeverity}
	w := c.rollingLocked(rk)
	if w.askedAt.IsZero() {
		w.askedAt = now
	}
	if q.Range.To >= w.latest.Range.To || w.gen != gen {
		w.latest, w.res, w.computed, w.gen = q, res, at, gen
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
// data was deleted), and forgets the others. With share, the windows are
// also those asked on the other nodes, and the answers and windows too
// old to serve are pruned.
func (c *storyCache) tick() {
	var asked []meta.StoryWindow
	if c.share != nil {
		ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
		var err error
		if asked, err = c.share.StoryWindows(ctx, c.keepFor); err != nil {
			c.log.Warn("read the stories' windows asked on the other nodes", "err", err)
		}
		// An answer serves for maxAge, the latest of a window while the
		// next is computed: what is older serves no one.
		if err := c.share.PruneStories(ctx, 10*c.maxAge, c.keepFor); err != nil {
			c.log.Warn("prune the stories kept for the other nodes", "err", err)
		}
		cancel()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for _, a := range asked {
		w := c.rollingLocked(rollingKey{a.ProjectID, a.Span, a.MinSeverity})
		if at := now.Add(-a.Age); at.After(w.askedAt) {
			w.askedAt = at
		}
	}
	c.tickLocked()
}

func (c *storyCache) tickLocked() {
	now := c.now()
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
		if q != w.latest || w.gen != c.gen(rk.project) {
			c.refreshLocked(q)
		}
	}
}

// keepFresh computes the window of span that ends now for a project, and
// keeps it fresh from then on, asked or not: the Overview's default, so
// that its first open does not wait either. With share it only pins the
// window: the holder of the stories lease computes it (runOn).
func (c *storyCache) keepFresh(project int64, span time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rk := rollingKey{project: project, span: span.Microseconds()}
	w := c.rollingLocked(rk)
	if w.askedAt.IsZero() {
		w.askedAt = c.now()
	}
	w.pinned = true
	if c.share == nil {
		c.tickLocked()
	}
}

// run ticks every interval until close.
func (c *storyCache) run(interval time.Duration) {
	c.wg.Go(func() { c.loop(c.ctx, interval) })
}

// runOn ticks at once and then every interval while cluster runs the
// work it is given, until close: cluster is the app's onCluster under the
// stories lease, so that one node keeps the windows fresh for all, and
// another takes over when it dies.
func (c *storyCache) runOn(cluster func(ctx context.Context, work func(context.Context)), interval time.Duration) {
	c.wg.Go(func() {
		cluster(c.ctx, func(ctx context.Context) {
			c.tick()
			c.loop(ctx, interval)
		})
	})
}

// loop ticks every interval until ctx ends.
func (c *storyCache) loop(ctx context.Context, interval time.Duration) {
	every(ctx, interval, c.tick)
}

// close stops the background work and waits for it.
func (c *storyCache) close(context.Context) error {
	c.cancel()
	c.wg.Wait()
	return nil
}

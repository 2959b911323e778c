package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lore-dev/lore/internal/meta"
)

// An erasure (ErasePerson) runs on one node, but each node keeps state of
// its own that may hold the person: the session recordings in its
// replay.db, and the field catalogue's examples it has not flushed yet
// (which its next flush would write back to a shared store). On a
// metadata database several nodes share, the erasing node records the
// erasure in meta's erasures table, and every node reads the new ones
// every erasuresEvery and erases the person from its own state
// (applyErasure). The last erasure a node applied is kept in its data
// directory (erasuresFile), beside the state it erased, so that a node
// down during an erasure applies it when it starts again.
//
// Before the erasure itself, on a shared ClickHouse store, the erasing
// node asks every writer to load what it acknowledged (meta's
// erasure_requests), each node's watch loads and answers, and the
// erasing node waits for every live writer (the holders of the writer
// leases) up to erasureFlushWait (flushWriters): an event of the person
// another node acknowledged but had not loaded would land after the
// erasure.

const (
	// erasuresEvery is how often a node reads the erasures the other
	// nodes recorded.
	erasuresEvery = time.Second
	// erasuresRecent: the erasures recorded this recently are read again
	// at each read (one may commit after one with a larger id); those
	// applied already are skipped.
	erasuresRecent = 30 * time.Second
	// erasuresKept is how long a recorded erasure is kept (it holds the
	// person's ids): a node down longer misses those recorded meanwhile,
	// and the default retention of recordings has expired theirs.
	erasuresKept = 30 * 24 * time.Hour
	// erasuresFile, in the data directory, holds the id of the last
	// erasure the node applied.
	erasuresFile = "erasures-applied"
	// erasureFlushWait bounds the wait for the other writers to load what
	// they acknowledged before an erasure (and each one's load).
	erasureFlushWait = 10 * time.Second
)

// flushWriters asks every writer of the shared events store to load what
// it acknowledged, and waits until every live one but this node did, at
// most erasureFlushWait: a node that does not answer in time (one that
// died a moment ago, whose lease has not expired) is named in a warning,
// and the events it acknowledged of the person may land after the
// erasure. Nothing without a writer lease (metadata or events not
// shared).
func (a *App) flushWriters(ctx context.Context) {
	if a.writerLease == nil {
		return
	}
	log := a.log.With("component", "erasures")
	id, err := a.meta.RequestFlush(ctx)
	if err != nil {
		log.Warn("erasing without asking the other nodes to load what they acknowledged first", "err", err)
		if id == 0 {
			return
		}
	}
	deadline := time.Now().Add(erasureFlushWait)
	for {
		missing, err := a.unflushed(ctx, id)
		switch {
		case err != nil:
			log.Warn("erasing without knowing whether the other nodes loaded what they acknowledged", "err", err)
			return
		case len(missing) == 0:
			return
		case time.Now().After(deadline):
			log.Warn("erasing before these nodes loaded what they acknowledged: the person's events among those may land after the erasure",
				"nodes", missing, "waited", erasureFlushWait)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// unflushed returns the holders of live writer leases, but this node's,
// that have not answered the flush request id.
func (a *App) unflushed(ctx context.Context, id int64) ([]string, error) {
	live, err := a.meta.LeaseHolders(ctx, writerLeaseName(""))
	if err != nil {
		return nil, err
	}
	done, err := a.meta.FlushedBy(ctx, id)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, l := range live {
		if l.Holder != a.writerLease.holder && !slices.Contains(done, l.Holder) {
			missing = append(missing, l.Holder)
		}
	}
	return missing, nil
}

// recordErasure tells the other nodes sharing the metadata database that
// project's person userID was erased from the events store, with the ids
// their events named, and prunes the erasures older than erasuresKept.
func (a *App) recordErasure(ctx context.Context, project int64, userID string, anonymous, sessions []string) error {
	if !a.meta.Shared() {
		return nil
	}
	id, err := a.meta.RecordErasure(ctx, project, userID, anonymous, sessions)
	if err != nil {
		return fmt.Errorf("erase person %q: erased from the events store, but the other nodes were not told to erase their recordings and field examples (erase again): %w", userID, err)
	}
	a.ownErasures.Store(id, true)
	if err := a.meta.PruneErasures(ctx, erasuresKept); err != nil {
		a.log.Warn("prune the erasures", "err", err)
	}
	return nil
}

// applyErasure erases a person erased on some node from this node's own
// state (nothing when this process erased them): on a node with its own
// events store (DuckDB), everything ErasePerson erases but on the other
// nodes; on a shared one, its field catalogue's examples not yet flushed
// (waiting for a flush under way, then erasing from a ClickHouse
// catalogue what such a flush wrote after the erasure), and its session
// recordings.
func (a *App) applyErasure(ctx context.Context, e meta.Erasure) error {
	if _, own := a.ownErasures.Load(e.ID); own {
		return nil // this process erased the person from its own state
	}
	if a.store != nil {
		// The node's own events store (DuckDB): the person leaves it as
		// it left the erasing node's, with the field examples, and the
		// recordings of the ids either node's events named.
		out, err := a.eraseHere(ctx, e.ProjectID, e.UserID, false, e.AnonymousIDs, e.Sessions)
		if err != nil {
			return fmt.Errorf("erasure %d of person %q: %w", e.ID, e.UserID, err)
		}
		a.resolver().ForgetProject(e.ProjectID)
		a.log.Info("erased a person erased on another node from this node's events store", "project", e.ProjectID, "erasure", e.ID,
			"events", out.Events, "recordings", out.Recordings)
		return nil
	}
	ids := slices.Concat([]string{e.UserID}, e.AnonymousIDs, e.Sessions)
	var examples, recordings int64
	if a.catalogue != nil {
		examples = int64(a.catalogue.Forget(e.ProjectID, ids))
	}
	if ch := a.clickhouse(); ch != nil && a.catalogue != nil {
		if err := ch.EraseExamples(ctx, e.ProjectID, ids); err != nil {
			return fmt.Errorf("erasure %d of person %q: %w", e.ID, e.UserID, err)
		}
	}
	if a.replayBlobs != nil {
		var err error
		if recordings, err = a.replayBlobs.Erase(ctx, e.ProjectID, e.UserID, e.AnonymousIDs, e.Sessions); err != nil {
			return fmt.Errorf("erasure %d of person %q: %w", e.ID, e.UserID, err)
		}
	}
	if examples > 0 || recordings > 0 {
		a.log.Info("erased a person erased on another node from this node's state", "project", e.ProjectID, "erasure", e.ID,
			"recordings", recordings, "field_examples", examples)
	}
	return nil
}

// watchErasures starts, on a metadata database several nodes share, the
// read of the erasures recorded since the last one this node applied,
// every erasuresEvery, applying each (applyErasure), and, for a writer of
// a shared events store, of the requests to load what it acknowledged
// (answered after its pipeline's Flush). It stops with the app. Nothing
// on SQLite, which one node alone uses.
func (a *App) watchErasures(ctx context.Context) error {
	if !a.meta.Shared() {
		return nil
	}
	w := &erasureWatch{meta: a.meta, apply: a.applyErasure, path: filepath.Join(a.cfg.DataDir, erasuresFile),
		applied: map[int64]time.Time{}, answered: map[int64]time.Time{}, log: a.log.With("component", "erasures")}
	if a.writerLease != nil {
		w.flush, w.holder = a.pipe.Flush, a.writerLease.holder
	}
	if err := w.load(); err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { w.loop(runCtx, erasuresEvery) })
	a.closers = append(a.closers, func(context.Context) error {
		cancel()
		wg.Wait()
		return nil
	})
	return nil
}

// erasureWatch follows the erasures table for one node.
type erasureWatch struct {
	meta    *meta.Store
	apply   func(context.Context, meta.Erasure) error
	path    string // erasuresFile
	log     *slog.Logger
	last    int64               // the largest id applied
	applied map[int64]time.Time // ids applied within about erasuresRecent, when
	// flush loads what the node acknowledged, answering the flush
	// requests as holder (its writer lease's); nil for a node that writes
	// to no shared store.
	flush    func(context.Context) error
	holder   string
	lastReq  int64               // the largest flush request answered
	answered map[int64]time.Time // requests answered within about erasuresRecent
}

// load reads the last erasure applied from the data directory: none when
// the file is missing (a new node applies every erasure still kept).
func (w *erasureWatch) load() error {
	b, err := os.ReadFile(w.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("read the last erasure applied: %w", err)
	}
	if w.last, err = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err != nil {
		return fmt.Errorf("read the last erasure applied from %s: %q: %w", w.path, b, err)
	}
	return nil
}

func (w *erasureWatch) loop(ctx context.Context, d time.Duration) {
	check := func() {
		if err := w.check(ctx); err != nil && ctx.Err() == nil {
			w.log.Warn("apply the erasures of other nodes", "err", err)
		}
	}
	check()
	every(ctx, d, check)
}

// check answers the flush requests not answered yet, then applies, in
// order, the erasures not applied yet; it stops at the first that fails,
// to try it again at the next read.
func (w *erasureWatch) check(ctx context.Context) error {
	if w.flush != nil {
		if err := w.answer(ctx); err != nil && ctx.Err() == nil {
			w.log.Warn("answer the other nodes' requests to load what this node acknowledged before an erasure", "err", err)
		}
	}
	got, err := w.meta.ErasuresSince(ctx, w.last, erasuresRecent)
	if err != nil {
		return err
	}
	last := w.last
	defer func() {
		if w.last != last {
			w.save()
		}
	}()
	now := time.Now()
	forgetOld(w.applied, now)
	for _, e := range got {
		if _, done := w.applied[e.ID]; done {
			continue
		}
		if err := w.apply(ctx, e); err != nil {
			return err
		}
		w.applied[e.ID] = now
		w.last = max(w.last, e.ID)
	}
	return nil
}

// answer loads what the node acknowledged and answers the flush requests
// not answered yet (one load for all of them).
func (w *erasureWatch) answer(ctx context.Context) error {
	reqs, err := w.meta.FlushRequests(ctx, w.lastReq, erasuresRecent)
	if err != nil {
		return err
	}
	now := time.Now()
	forgetOld(w.answered, now)
	reqs = slices.DeleteFunc(reqs, func(id int64) bool { _, done := w.answered[id]; return done })
	if len(reqs) == 0 {
		return nil
	}
	fctx, cancel := context.WithTimeout(ctx, erasureFlushWait)
	err = w.flush(fctx)
	cancel()
	if err != nil {
		return fmt.Errorf("load what this node acknowledged, asked before an erasure: %w", err)
	}
	for _, id := range reqs {
		if err := w.meta.AckFlush(ctx, id, w.holder); err != nil {
			return err
		}
		w.answered[id] = now
		w.lastReq = max(w.lastReq, id)
	}
	return nil
}

// forgetOld drops the ids seen more than twice erasuresRecent ago: rows
// that old are not read again.
func forgetOld(seen map[int64]time.Time, now time.Time) {
	for id, at := range seen {
		if now.Sub(at) > 2*erasuresRecent {
			delete(seen, id)
		}
	}
}

// save writes the last erasure applied to the data directory.
func (w *erasureWatch) save() {
	tmp := w.path + ".tmp"
	err := os.WriteFile(tmp, []byte(strconv.FormatInt(w.last, 10)), 0o600)
	if err == nil {
		err = os.Rename(tmp, w.path)
	}
	if err != nil {
		w.log.Warn("record the last erasure applied: a restart applies the later ones again", "err", err)
	}
}

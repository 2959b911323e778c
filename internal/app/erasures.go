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
)

// recordErasure tells the other nodes sharing the metadata database that
// project's person userID was erased from the events store, with the ids
// their events named, and prunes the erasures older than erasuresKept.
func (a *App) recordErasure(ctx context.Context, project int64, userID string, anonymous, sessions []string) error {
	if !a.meta.Shared() {
		return nil
	}
	if _, err := a.meta.RecordErasure(ctx, project, userID, anonymous, sessions); err != nil {
		return fmt.Errorf("erase person %q: erased from the events store, but the other nodes were not told to erase their recordings and field examples (erase again): %w", userID, err)
	}
	if err := a.meta.PruneErasures(ctx, erasuresKept); err != nil {
		a.log.Warn("prune the erasures", "err", err)
	}
	return nil
}

// applyErasure erases a person erased on some node from this node's own
// state: its field catalogue's examples not yet flushed (waiting for a
// flush under way, then erasing from a ClickHouse catalogue what such a
// flush wrote after the erasure), and its session recordings.
func (a *App) applyErasure(ctx context.Context, e meta.Erasure) error {
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
// every erasuresEvery, applying each (applyErasure). It stops with the
// app. Nothing on SQLite, which one node alone uses.
func (a *App) watchErasures(ctx context.Context) error {
	if !a.meta.Shared() || a.cfg.NoListen {
		return nil
	}
	w := &erasureWatch{meta: a.meta, apply: a.applyErasure, path: filepath.Join(a.cfg.DataDir, erasuresFile),
		applied: map[int64]time.Time{}, log: a.log.With("component", "erasures")}
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

func (w *erasureWatch) loop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := w.check(ctx); err != nil && ctx.Err() == nil {
			w.log.Warn("apply the erasures of other nodes", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// check applies, in order, the erasures not applied yet; it stops at the
// first that fails, to try it again at the next read.
func (w *erasureWatch) check(ctx context.Context) error {
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
	for id, at := range w.applied {
		if now.Sub(at) > 2*erasuresRecent {
			delete(w.applied, id)
		}
	}
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

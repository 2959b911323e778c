package app

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/lore-dev/lore/internal/meta"
)

// changesEvery is how often a node sharing its metadata database reads
// the other nodes' deletions (store_changes): the longest a node serves
// an answer remembered over data another node deleted, but for the
// read's own time.
const changesEvery = 2 * time.Second

// forgetDeleted is called after events of project were deleted (an
// erasure, retention): the resolver drops its remembered answers of the
// project (and the story cache those of before, through the resolver's
// generation of the project; every project's for project 0),
// and, on a metadata database several nodes share, the deletion is
// counted in store_changes, so that the other nodes drop theirs at their
// next read of the counts (watchChanges); this node's own next read
// drops the project's answers once more, which is harmless.
func (a *App) forgetDeleted(ctx context.Context, project int64) {
	if a.meta.Shared() {
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if err := a.meta.BumpStoreChanges(bctx, project); err != nil {
			a.log.Warn("the other nodes may serve answers over deleted data for up to 5 minutes", "project", project, "err", err)
		}
		cancel()
	}
	a.resolver().ForgetProject(project)
}

// watchChanges starts, on a metadata database several nodes share, the
// read of every project's deletion count every changesEvery, one query for
// all projects: when a project's count moved since the last read
// (another node deleted data of that project), the resolver drops its
// remembered answers of that project. It stops with the app. Nothing on SQLite, which one node
// alone uses: its own deletions drop its answers directly.
func (a *App) watchChanges(ctx context.Context) error {
	if !a.meta.Shared() || a.cfg.NoListen {
		return nil
	}
	w := &changeWatch{meta: a.meta, forget: a.resolver().ForgetProject, log: a.log.With("component", "store-changes")}
	seen, err := a.meta.StoreChanges(ctx)
	if err != nil {
		return err
	}
	w.seen = seen
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { w.loop(runCtx, changesEvery) })
	a.closers = append(a.closers, func(context.Context) error {
		cancel()
		wg.Wait()
		return nil
	})
	return nil
}

// changeWatch follows store_changes for one node.
type changeWatch struct {
	meta   *meta.Store
	forget func(project int64)
	log    *slog.Logger
	seen   map[int64]int64 // the counts at the last read
}

func (w *changeWatch) loop(ctx context.Context, d time.Duration) {
	every(ctx, d, func() {
		if err := w.check(ctx); err != nil && ctx.Err() == nil {
			w.log.Warn("read the deletions of other nodes", "err", err)
		}
	})
}

// check reads the counts once and forgets the answers of each project
// whose count moved (every project's when project 0's did).
func (w *changeWatch) check(ctx context.Context) error {
	got, err := w.meta.StoreChanges(ctx)
	if err != nil {
		return err
	}
	var moved []int64
	for p, n := range got {
		if w.seen[p] != n {
			moved = append(moved, p)
		}
	}
	w.seen = got
	if len(moved) > 0 {
		w.log.Debug("data was deleted on another node: dropping the remembered answers", "projects", moved)
		for _, p := range moved {
			w.forget(p)
		}
	}
	return nil
}

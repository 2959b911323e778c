package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lore-dev/lore/internal/lifecycle"
	"github.com/lore-dev/lore/internal/server"
)

// Deleting a project (DELETE /api/v1/projects/{id}, lore projects delete)
// is done in two parts. Its metadata goes at once, in one transaction
// (meta.Store.DeleteProject): its keys stop working, its members lose it,
// its monitors, channels, dashboards, issues, settings and audit log go,
// and a deleted_projects row keeps its id from being given again. Then,
// in the same request (with its context, up to projectPurgeDeadline), the
// events store forgets it (purgeProject): its events and side indexes,
// its archived days and its session recordings; every node drops its
// remembered answers of it (forgetDeleted). A purge that fails or is cut
// short, and the deletions lore projects delete makes beside a running
// server (which cannot open the events store), are finished by
// purgeDeleted, at start and every projectPurgeEvery; so are, with several
// nodes sharing the metadata, the other nodes' own stores (a DuckDB
// events store each, their recordings).

const (
	// projectPurgeDeadline bounds the deletion of a project's events.
	projectPurgeDeadline = 10 * time.Minute
	// projectPurgeEvery is how often a node looks for deleted projects
	// whose events are still to be deleted.
	projectPurgeEvery = 5 * time.Second
)

// DeleteProject deletes a project (see above): confirm must be its name;
// the default project is refused. The metadata's deletion stands even
// when the events' fails (the answer then says they are pending, and
// purgeDeleted tries again).
func (a *App) DeleteProject(ctx context.Context, id int64, confirm string) (server.ProjectDeletion, error) {
	p, err := a.meta.DeleteProject(ctx, id, confirm)
	out := server.ProjectDeletion{ID: id, Name: p.Name}
	if err != nil {
		return out, err
	}
	a.log.Info("deleted a project's metadata", "project", id, "name", p.Name)
	a.purging.Store(id, true)
	defer a.purging.Delete(id)
	pctx, cancel := context.WithTimeout(ctx, projectPurgeDeadline)
	defer cancel()
	n, err := a.purgeProject(pctx, id, true, true)
	out.Events = n
	if err != nil {
		a.log.Warn("a deleted project's events are still to be deleted: tried again in the background", "project", id, "err", err)
		out.EventsPending = true
		return out, nil
	}
	return out, nil
}

// purgeProject deletes what the stores hold of a deleted project, after
// storing what was acknowledged (so none of it lands afterwards): when
// local, what this node keeps of its own (its DuckDB events store, with
// the archive, and its session recordings; then noted in purgedFile),
// when shared, the shared ClickHouse store's events (then recorded in
// meta). It drops every node's remembered answers of the project. It
// returns the events deleted from a DuckDB store.
func (a *App) purgeProject(ctx context.Context, id int64, local, shared bool) (int64, error) {
	defer a.forgetDeleted(ctx, id)
	if a.store == nil && a.clickhouse() == nil {
		return 0, a.unsupported("deleting a project's events")
	}
	a.flushWriters(ctx) // the other nodes' acknowledged events first (erasures.go)
	if err := a.Flush(ctx); err != nil {
		return 0, fmt.Errorf("delete project %d's events: flush: %w", id, err)
	}
	var n int64
	if shared && a.clickhouse() != nil {
		if _, err := deleteAllEvents(ctx, a.clickhouse(), id); err != nil {
			return 0, err
		}
		if err := a.meta.ProjectEventsDeleted(ctx, id); err != nil {
			return 0, err
		}
	}
	if !local {
		return 0, nil
	}
	if a.store != nil {
		var err error
		if n, err = a.store.DeleteProject(ctx, id); err != nil {
			return n, err
		}
	} else if ch := a.clickhouse(); ch != nil && !shared {
		// This node's field catalogue, flushed above, may have written
		// rows of the project to the shared store after its deletion.
		if _, err := ch.DeleteSideBefore(ctx, id, math.MaxInt64, math.MaxInt64); err != nil {
			return 0, fmt.Errorf("delete project %d's field catalogue: %w", id, err)
		}
	}
	if a.replayBlobs != nil {
		if _, _, err := a.replayBlobs.ExpireProject(ctx, id, math.MaxInt64); err != nil {
			return n, fmt.Errorf("delete project %d's recordings: %w", id, err)
		}
	}
	// The ingest log's segments still hold the project's events: they are
	// closed and, once everything in them is stored, deleted.
	if err := a.pipe.Rotate(ctx); err != nil {
		return n, fmt.Errorf("delete project %d's events: %w", id, err)
	}
	if err := a.notePurged(id); err != nil {
		return n, err
	}
	if a.store != nil {
		return n, a.meta.ProjectEventsDeleted(ctx, id)
	}
	return n, nil
}

// purgedFile, in the data directory, lists the deleted projects whose
// data this node deleted from its own stores (purgeProject's local part):
// with several nodes sharing the metadata, each deletes its own.
const purgedFile = "projects-purged"

// purged reads purgedFile: none when it is missing.
func (a *App) purged() (map[int64]bool, error) {
	out := map[int64]bool{}
	b, err := os.ReadFile(filepath.Join(a.cfg.DataDir, purgedFile))
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the deleted projects purged here: %w", err)
	}
	for _, f := range strings.Fields(string(b)) {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("read the deleted projects purged here from %s: %q: %w", purgedFile, f, err)
		}
		out[id] = true
	}
	return out, nil
}

// notePurged adds id to purgedFile.
func (a *App) notePurged(id int64) error {
	a.purgedMu.Lock()
	defer a.purgedMu.Unlock()
	done, err := a.purged()
	if err != nil {
		return err
	}
	done[id] = true
	ids := make([]string, 0, len(done))
	for _, k := range slices.Sorted(maps.Keys(done)) {
		ids = append(ids, strconv.FormatInt(k, 10))
	}
	path := filepath.Join(a.cfg.DataDir, purgedFile)
	if err := os.WriteFile(path+".tmp", []byte(strings.Join(ids, "\n")+"\n"), 0o600); err != nil {
		return fmt.Errorf("note project %d purged: %w", id, err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return fmt.Errorf("note project %d purged: %w", id, err)
	}
	return nil
}

// deleteAllEvents deletes a project's events of every kind, and its side
// indexes, through the retention's deletions with no time kept.
func deleteAllEvents(ctx context.Context, events lifecycle.Events, id int64) (int64, error) {
	kinds := make([]string, 0, 8)
	for k := range (lifecycle.Retention{}).Days() {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	var total int64
	for _, k := range kinds {
		n, err := events.DeleteEvents(ctx, id, k, math.MaxInt64)
		total += n
		if err != nil {
			return total, fmt.Errorf("delete project %d's events: %w", id, err)
		}
	}
	if _, err := events.DeleteSideBefore(ctx, id, math.MaxInt64, math.MaxInt64); err != nil {
		return total, fmt.Errorf("delete project %d's side indexes: %w", id, err)
	}
	return total, nil
}

// purgeDeleted finishes the deletion of the deleted projects: this
// node's own part of those it has not purged (purgedFile: a purge that
// failed, a deletion by lore projects delete or by another node sharing
// the metadata), and the shared ClickHouse store's part of those whose
// events are not recorded deleted; but those a request is deleting now.
func (a *App) purgeDeleted(ctx context.Context) error {
	ds, err := a.meta.DeletedProjects(ctx)
	if err != nil {
		return err
	}
	local, err := a.purged()
	if err != nil {
		return err
	}
	var errs []error
	for _, d := range ds {
		ownPart := !local[d.ID]
		sharedPart := a.clickhouse() != nil && d.EventsDeletedAt.IsZero()
		if _, busy := a.purging.Load(d.ID); busy || (!ownPart && !sharedPart) {
			continue
		}
		n, err := a.purgeProject(ctx, d.ID, ownPart, sharedPart)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		a.log.Info("deleted a deleted project's data", "project", d.ID, "name", d.Name, "events", n)
	}
	return errors.Join(errs...)
}

// watchDeletedProjects runs purgeDeleted at start and every
// projectPurgeEvery, until the app closes. Nothing without an events
// store of its own or without a listener (tests, lore commands).
func (a *App) watchDeletedProjects(ctx context.Context) {
	if (a.store == nil && a.clickhouse() == nil) || a.cfg.NoListen {
		return
	}
	log := a.log.With("component", "projects")
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	check := func() {
		pctx, done := context.WithTimeout(runCtx, projectPurgeDeadline)
		defer done()
		if err := a.purgeDeleted(pctx); err != nil && runCtx.Err() == nil {
			log.Warn("delete the deleted projects' events", "err", err)
		}
	}
	wg.Go(func() {
		check()
		every(runCtx, projectPurgeEvery, check)
	})
	a.closers = append(a.closers, func(context.Context) error {
		cancel()
		wg.Wait()
		return nil
	})
}

package app

import (
	"context"
	"sync"
	"time"

	"github.com/lore-dev/lore/internal/fields"
	"github.com/lore-dev/lore/internal/server"
	"github.com/lore-dev/lore/internal/store"
)

// fieldsFlushEvery is how often the field catalogue is written to the
// store; the dictionary flushes before it reads, so this only bounds what
// a crash loses of the catalogue (the events themselves are in the WAL).
const fieldsFlushEvery = 10 * time.Second

// openFields wires the data dictionary — the field catalogue kept at
// ingest (last in the processor chain, so it sees the fields the other
// processors add) and flushed to the events store — and the dashboards and
// saved searches kept in the metadata database.
func (a *App) openFields(ctx context.Context, deps *server.Deps) error {
	if err := a.meta.MigrateDashboards(ctx); err != nil {
		return err
	}
	deps.Dashboards = a.meta
	deps.Project = a.meta
	rec, ok := a.engine.(store.FieldRecorder)
	if !ok { // a store without the catalogue's tables (engine.go)
		deps.Fields = noFields{a}
		return nil
	}
	var upTo int64
	var backfill bool
	if a.store != nil { // the ClickHouse store's tables come with its migrations; nothing there predates them
		if err := a.store.MigrateFields(ctx); err != nil {
			return err
		}
		// Decided before ingest starts, so that the backfill reads only
		// events the processor never saw.
		var err error
		if upTo, backfill, err = a.store.FieldBackfillBound(ctx); err != nil {
			return err
		}
	}
	log := a.log.With("component", "fields")
	c := fields.NewCatalogue(rec, log)
	a.catalogue = c
	a.addProcessor(stageFields, c)
	a.flushers = append(a.flushers, c.Flush)
	runCtx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { c.Run(runCtx, fieldsFlushEvery) })
	if backfill {
		// Events stored before the catalogue existed (an upgraded data
		// directory): read once in the background. An interrupted backfill
		// is not resumed.
		wg.Go(func() {
			start := time.Now()
			n, err := c.Backfill(runCtx, a.store, upTo)
			if err != nil && runCtx.Err() == nil {
				log.Warn("backfill field catalogue", "events", n, "err", err)
				return
			}
			log.Info("field catalogue backfilled from stored events", "events", n, "took", time.Since(start).Round(time.Millisecond))
		})
	}
	a.closers = append(a.closers, func(ctx context.Context) error {
		cancel()
		wg.Wait()
		return c.Flush(ctx)
	})
	deps.Fields = fields.Reader{Store: a.engine, Catalogue: c}
	return nil
}

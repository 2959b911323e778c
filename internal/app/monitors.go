package app

import (
	"context"
	"sync"
	"time"

	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/monitor"
	"github.com/lore-dev/lore/internal/server"
)

// monitorsTick is how often the evaluator looks for monitors whose
// interval has passed (monitors' intervals are 10s or more).
const monitorsTick = 5 * time.Second

// openMonitors wires alerting: the monitors tables in the metadata
// database, the evaluator goroutine (stopped on shutdown, before the store
// closes) and the monitors API. Webhook deliveries are counted in
// lore_monitor_webhooks_total by result.
func (a *App) openMonitors(ctx context.Context, deps *server.Deps) error {
	if err := a.meta.MigrateMonitors(ctx); err != nil {
		return err
	}
	hooks := a.metrics.Counter("lore_monitor_webhooks_total", "Monitor webhook notifications, by result (ok or failed).", "result")
	ev := monitor.New(monitor.Config{
		Monitors: a.meta, Events: a.store, Signals: a.meta,
		Log: a.log.With("component", "monitors"),
		Delivered: func(ok bool) {
			if ok {
				hooks.Add(1, "ok")
			} else {
				hooks.Add(1, "failed")
			}
		},
	})
	runCtx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	if !a.cfg.NoListen { // an import (lore ingest --data) evaluates nothing and notifies nobody
		wg.Go(func() { ev.Run(runCtx, monitorsTick) })
	}
	a.closers = append(a.closers, func(context.Context) error {
		cancel()
		wg.Wait()
		return nil
	})
	deps.Monitors = monitors{Store: a.meta, Evaluator: ev}
	return nil
}

// monitors serves the monitors API: the rules and history from the
// metadata store, evaluation on demand from the evaluator.
type monitors struct {
	*meta.Store
	*monitor.Evaluator
}

var _ server.MonitorsService = monitors{}

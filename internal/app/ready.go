package app

import (
	"context"
	"errors"
	"time"

	"github.com/lore-dev/lore/internal/sqlq"
)

// readyTimeout bounds each store's answer to a readiness probe.
const readyTimeout = 2 * time.Second

// ready is GET /readyz: whether this node can serve, that is whether the
// events store answers a query and the metadata database answers one, each
// within readyTimeout. A load balancer stops sending to a node that is not
// ready (a ClickHouse or PostgreSQL it cannot reach). An embedded DuckDB
// that met an internal error is invalidated until the process restarts
// ("database has been invalidated because of a previous fatal error"), so
// its node stays not ready: an orchestrator that restarts a node whose
// /readyz fails for long brings it back, and the write-ahead log keeps
// every acknowledged event across the restart. The cause is logged; the
// probe's answer names only the store, since /readyz needs no key.
func (a *App) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	q := sqlq.Query{Name: "ready", SQL: "SELECT 1"}
	if err := a.engine.Run(ctx, q, func(sqlq.Scanner) error { return nil }); err != nil {
		a.log.Warn("not ready: the events store does not answer", "err", err)
		return errors.New("the events store does not answer")
	}
	if a.writerLease != nil {
		if err := a.writerLease.held(); err != nil {
			a.log.Warn("not ready: this node does not hold its writer lease", "err", err)
			return errors.New("this node does not hold its writer lease")
		}
	}
	if err := a.meta.Ping(ctx); err != nil {
		a.log.Warn("not ready: the metadata database does not answer", "err", err)
		return errors.New("the metadata database does not answer")
	}
	return nil
}

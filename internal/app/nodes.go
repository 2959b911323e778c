package app

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/lore-dev/lore/internal/meta"
)

// defaultLeaseTTL is how long a lease outlives its holder's last renewal
// (renewed every third of it): the longest a node's death leaves its
// scheduled work undone before another node takes it.
const defaultLeaseTTL = 20 * time.Second

// Lease names: each names one piece of work that runs on one node at a
// time across the nodes sharing a PostgreSQL metadata database (see
// docs/scaling.md, "Several nodes").
const (
	// leaseAlerts: the monitor evaluator and the uptime check runner,
	// together, since a check whose status changed makes its monitors
	// due at once on the same node.
	leaseAlerts = "alerts"
	// leaseNotify: the notification outbox's delivery and pruning.
	leaseNotify = "notifications"
	// leaseRetention: the events' retention, when the events store is
	// shared by the nodes.
	leaseRetention = "retention"
	// leaseStories: the story cache's refresh of the windows that end
	// now, when the events store is shared by the nodes (which share the
	// answers).
	leaseStories = "stories"
)

// nodeID is this node's name as a lease holder: --node-id, else the host
// name and the process id (unique on a host, new after a restart).
func (a *App) nodeID() string {
	if a.cfg.NodeID != "" {
		return a.cfg.NodeID
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "lore"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// onCluster runs work once across the nodes sharing the metadata
// database, until ctx ends: on PostgreSQL under the lease name
// (meta.RunExclusive), so that one node runs it at a time and another
// takes it over within the lease's TTL when that node dies; work's
// context ends when the lease is lost, and work runs anew when the lease
// comes back. On SQLite, which one node alone uses, work just runs.
func (a *App) onCluster(ctx context.Context, name string, work func(context.Context)) {
	if !a.meta.Shared() {
		work(ctx)
		return
	}
	node := a.nodeID()
	log := a.log.With("component", "lease", "lease", name, "node", node)
	err := a.meta.RunExclusive(ctx, name, node, cmp.Or(a.cfg.LeaseTTL, defaultLeaseTTL), log, func(ctx context.Context, l meta.Lease) {
		log.Info("this node runs the lease's work", "token", l.Token)
		work(ctx)
	})
	if err != nil {
		log.Warn("lease", "err", err)
	}
}

// registerLeaseMetrics exposes lore_lease_held{lease}: 1 on the node
// that holds the lease (and runs its work), 0 on the others, read from the
// database at each scrape; and, on a node writing to a shared ClickHouse
// store, lease="writer": 1 while it holds its writer's lease (and loads),
// by its own clock. Nothing on SQLite, where no lease is taken.
func (a *App) registerLeaseMetrics() {
	if !a.meta.Shared() {
		return
	}
	node := a.nodeID()
	a.metrics.Collect(func(w io.Writer) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		fmt.Fprint(w, "# HELP lore_lease_held 1 when this node holds the lease of the named work, and runs it; else 0.\n# TYPE lore_lease_held gauge\n")
		for _, name := range []string{leaseAlerts, leaseNotify, leaseRetention, leaseStories} {
			l, ok, err := a.meta.LeaseHolder(ctx, name)
			if err != nil {
				continue
			}
			held := 0
			if ok && l.Holder == node {
				held = 1
			}
			fmt.Fprintf(w, "lore_lease_held{lease=%q} %d\n", name, held)
		}
		if a.writerLease != nil { // by this process's clock, as it loads (writer_lease.go)
			held := 0
			if a.writerLease.held() == nil {
				held = 1
			}
			fmt.Fprintf(w, "lore_lease_held{lease=\"writer\"} %d\n", held)
		}
	})
}

// sharedEvents reports whether other nodes write and read the same events
// store, which says so with a Shared method (a ClickHouse cluster would);
// work on the events (retention) then runs once across the nodes. Each
// node's own DuckDB has its own.
func sharedEvents(s any) bool {
	sh, ok := s.(interface{ Shared() bool })
	return ok && sh.Shared()
}

package app

import (
	"context"

	"github.com/lore-dev/lore/internal/issue"
	"github.com/lore-dev/lore/internal/server"
)

// openIssues wires error tracking: the issue tables in the metadata
// database, the ingest processor that detects, groups, filters and tracks
// errors (its drops counted in lore_errors_dropped_total), and the issues
// API's service.
func (a *App) openIssues(ctx context.Context, deps *server.Deps) error {
	if err := a.meta.MigrateIssues(ctx); err != nil {
		return err
	}
	dropped := a.metrics.Counter("lore_errors_dropped_total",
		"Error events dropped at ingest by inbound filters and per-fingerprint rate limits, by reason.", "reason")
	t := issue.NewTracker(a.meta, a.log.With("component", "issues"), func(reason string, n int) {
		dropped.Add(float64(n), reason)
	})
	if a.patterns != nil && !a.meta.Shared() {
		// Patterns run first (stagePatterns before stageIssues): errors
		// without a stack group by their log pattern's family. Nodes
		// sharing the metadata database do not: a family is the first
		// group of the variants a node saw, so it depends on the order
		// the node saw them in, and the same error would get another
		// fingerprint on another node. They group by the normalized
		// message, the same everywhere (docs/scaling.md, "Identifiers
		// computed at ingest").
		t.UsePatterns(a.patterns)
	}
	a.addProcessor(stageIssues, t)
	svc := issue.NewService(a.meta, a.reader(), t, nil)
	// The aggregates of settled ranges are remembered with the other
	// analyses' answers (and forgotten with them after a deletion).
	svc.UseResolver(a.resolver())
	deps.Issues = svc
	return nil
}

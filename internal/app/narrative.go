package app

import (
	"context"
	"path/filepath"
	"time"

	"github.com/lore-dev/lore/internal/analysis"
	"github.com/lore-dev/lore/internal/analysis/resolve"
	"github.com/lore-dev/lore/internal/patterns"
	"github.com/lore-dev/lore/internal/server"
	"github.com/lore-dev/lore/internal/store"
)

// openNarrative starts the log pattern miner (an ingest processor whose
// templates live in DataDir/patterns) and serves patterns, stories, the
// service map and incident timelines.
func (a *App) openNarrative(ctx context.Context, deps *server.Deps) error {
	miner, err := patterns.Open(filepath.Join(a.cfg.DataDir, "patterns"), patterns.Config{}, a.log.With("component", "patterns"))
	if err != nil {
		return err
	}
	a.closers = append(a.closers, miner.Close)
	a.addProcessor(stagePatterns, miner)
	a.patterns = miner
	n := &narrative{store: a.store, reader: a.store, miner: miner, resolver: a.resolver()}
	n.stories = newStoryCache(func(ctx context.Context, q analysis.Stories) (analysis.StoriesResult, error) {
		return q.Resolve(ctx, a.store)
	}, time.Now, a.cfg.Limits.QueryTimeout, a.log.With("component", "stories"))
	if !a.cfg.NoListen { // an import (lore ingest --data) serves no Overview
		n.stories.run(time.Minute)
		// GET /api/v1/stories?from=now-24h asks for 24 hours and the
		// minute "now-24h" falls in.
		n.stories.keepFresh(1, 24*time.Hour+time.Minute)
	}
	a.closers = append(a.closers, n.stories.close)
	deps.Narrative = n
	return nil
}

// narrative resolves the narrative query objects.
type narrative struct {
	store   store.Narrative
	reader  store.Reader
	miner   *patterns.Processor
	stories *storyCache
	// resolver remembers the answers of the query objects it resolves.
	resolver *resolve.Resolver
}

var _ server.NarrativeService = (*narrative)(nil)

func (n *narrative) Patterns(ctx context.Context, q analysis.Patterns) (analysis.PatternsResult, error) {
	return q.Resolve(ctx, n.store, n.miner)
}

func (n *narrative) Stories(ctx context.Context, q analysis.Stories) (analysis.StoriesResult, error) {
	return n.stories.Stories(ctx, q)
}

func (n *narrative) ServiceMap(ctx context.Context, q analysis.ServiceMap) (analysis.ServiceMapResult, error) {
	return resolve.Do(ctx, n.resolver, q, func(ctx context.Context) (analysis.ServiceMapResult, error) {
		return q.Resolve(ctx, n.resolver.Narrative())
	})
}

func (n *narrative) Timeline(ctx context.Context, q analysis.Timeline) (analysis.TimelineResult, error) {
	return q.Resolve(ctx, n.store, n.miner)
}

func (n *narrative) JourneyFailures(ctx context.Context, q analysis.JourneyFailures) (analysis.JourneyFailuresResult, error) {
	return resolve.Do(ctx, n.resolver, q, func(ctx context.Context) (analysis.JourneyFailuresResult, error) {
		return q.Resolve(ctx, n.resolver.Narrative())
	})
}

func (n *narrative) TraceBreakdown(ctx context.Context, q analysis.TraceBreakdown) (analysis.TraceBreakdownResult, error) {
	return q.Resolve(ctx, n.reader)
}

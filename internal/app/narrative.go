package app

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/lore-dev/lore/internal/analysis/narrative"
	"github.com/lore-dev/lore/internal/analysis/resolve"
	"github.com/lore-dev/lore/internal/patterns"
	"github.com/lore-dev/lore/internal/server"
	"github.com/lore-dev/lore/internal/store"
)

// openNarrative starts the log pattern miner (an ingest processor whose
// templates live in DataDir/patterns, and whose ids are claimed in the
// metadata database when nodes share it) and serves patterns, stories, the
// service map and incident timelines.
func (a *App) openNarrative(ctx context.Context, deps *server.Deps) error {
	miner, err := patterns.Open(filepath.Join(a.cfg.DataDir, "patterns"), patterns.Config{}, a.log.With("component", "patterns"))
	if err != nil {
		return err
	}
	if a.meta.Shared() {
		// Nodes sharing the metadata database share the pattern ids:
		// one per service and template across nodes.
		miner.UseRegistry(a.meta)
	}
	a.closers = append(a.closers, miner.Close)
	a.addProcessor(stagePatterns, miner)
	a.patterns = miner
	n := &narrativeService{reader: a.reader(), miner: miner, resolver: a.resolver()}
	n.stories = newStoryCache(func(ctx context.Context, q narrative.Stories) (narrative.StoriesResult, error) {
		return q.Resolve(ctx, n.resolver)
	}, n.resolver.Generation, time.Now, a.cfg.Limits.QueryTimeout, a.log.With("component", "stories"))
	// Nodes sharing the metadata and the events answer the same stories:
	// they share the answers, and one of them keeps the Overview fresh.
	shared := a.meta.Shared() && sharedEvents(a.engine)
	if shared {
		n.stories.share = a.meta
	}
	if !a.cfg.NoListen { // an import (lore ingest --data) serves no Overview
		// GET /api/v1/stories?from=now-24h asks for 24 hours and the
		// minute "now-24h" falls in.
		n.stories.keepFresh(1, 24*time.Hour+time.Minute)
		every := cmp.Or(a.cfg.storiesEvery, time.Minute)
		if shared {
			n.stories.runOn(func(ctx context.Context, work func(context.Context)) { a.onCluster(ctx, leaseStories, work) }, every)
		} else {
			n.stories.run(every)
		}
	}
	a.stories = n.stories
	a.metrics.Collect(func(w io.Writer) {
		fmt.Fprint(w, "# HELP lore_stories_computed_total Stories computed by this node (requests and the Overview's refresh), not answered from a kept answer.\n# TYPE lore_stories_computed_total counter\n")
		fmt.Fprintf(w, "lore_stories_computed_total %d\n", n.stories.computed.Load())
	})
	a.closers = append(a.closers, n.stories.close)
	deps.Narrative = n
	return nil
}

// narrativeService resolves the narrative query objects through the
// app's resolver: the stories' detectors, the timeline and the patterns
// share the answers of the query objects they read (series, maps, error
// groups, pattern counts), remembered by Key().
type narrativeService struct {
	reader  store.Reader
	miner   *patterns.Processor
	stories *storyCache
	// resolver remembers the answers of the query objects it resolves.
	resolver *resolve.Resolver
}

var _ server.NarrativeService = (*narrativeService)(nil)

func (n *narrativeService) Patterns(ctx context.Context, q narrative.Patterns) (narrative.PatternsResult, error) {
	return q.Resolve(ctx, n.resolver, n.miner)
}

func (n *narrativeService) Stories(ctx context.Context, q narrative.Stories) (narrative.StoriesResult, error) {
	return n.stories.Stories(ctx, q)
}

func (n *narrativeService) ServiceMap(ctx context.Context, q narrative.ServiceMap) (narrative.ServiceMapResult, error) {
	return resolve.Do(ctx, n.resolver, q, func(ctx context.Context) (narrative.ServiceMapResult, error) {
		return q.Resolve(ctx, n.resolver.Narrative())
	})
}

func (n *narrativeService) Timeline(ctx context.Context, q narrative.Timeline) (narrative.TimelineResult, error) {
	return q.Resolve(ctx, n.resolver, n.miner)
}

func (n *narrativeService) JourneyFailures(ctx context.Context, q narrative.JourneyFailures) (narrative.JourneyFailuresResult, error) {
	return resolve.Do(ctx, n.resolver, q, func(ctx context.Context) (narrative.JourneyFailuresResult, error) {
		return q.Resolve(ctx, n.resolver.Narrative())
	})
}

func (n *narrativeService) TraceBreakdown(ctx context.Context, q narrative.TraceBreakdown) (narrative.TraceBreakdownResult, error) {
	return q.Resolve(ctx, n.reader)
}

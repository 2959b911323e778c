package narrative

import (
	"context"

	"github.com/lore-dev/lore/internal/analysis/patternstats"
	"github.com/lore-dev/lore/internal/analysis/resolve"
	"github.com/lore-dev/lore/internal/analysis/services"
	"github.com/lore-dev/lore/internal/store"
)

// resolved is the narrative role as this package's query objects read it
// when the app's resolver is at hand: the query objects several of them
// ask with the same arguments — service series, maps and call graphs,
// release starts, error groups; cascade and hidden coupling read the same
// minutes and calls, the three release detectors the same deploys, the
// timeline what the detectors read — are answered through the resolver
// (resolve.Do): remembered by their Key() in the one cache every analysis
// shares, forgotten with it after a deletion, and run on the store itself,
// so that its accelerators are found by type assertion.
type resolved struct {
	store.Narrative
	res *resolve.Resolver
}

// on is res's narrative role with res beside it. res must hold the role.
func on(res *resolve.Resolver) store.Narrative {
	return &resolved{Narrative: res.Narrative(), res: res}
}

// storeOf is the store behind st.
func storeOf(st store.Narrative) store.Narrative {
	if m, ok := st.(*resolved); ok {
		return m.Narrative
	}
	return st
}

// remembered answers q through the resolver when st carries one, running
// run on the store itself; it runs run on st otherwise.
func remembered[T any](ctx context.Context, st store.Narrative, q resolve.Query, run func(ctx context.Context, ex store.Narrative) (T, error)) (T, error) {
	m, ok := st.(*resolved)
	if !ok {
		return run(ctx, st)
	}
	return resolve.Do(ctx, m.res, q, func(ctx context.Context) (T, error) { return run(ctx, m.Narrative) })
}

// releaseStarts reads services.ReleaseStarts, remembered by the resolver.
func releaseStarts(ctx context.Context, st store.Narrative, project int64, r store.Range, since int64) ([]store.ReleaseStart, error) {
	q := services.ReleaseStarts{ProjectID: project, Range: r, Since: since}
	return remembered(ctx, st, q, func(ctx context.Context, ex store.Narrative) ([]store.ReleaseStart, error) { return q.Run(ctx, ex) })
}

// serviceSeries reads services.Series, remembered by the resolver.
func serviceSeries(ctx context.Context, st store.Narrative, r store.ServiceSeriesRequest) ([]store.ServicePoint, error) {
	q := services.Series{ProjectID: r.ProjectID, Range: r.Range, Step: r.Step}
	return remembered(ctx, st, q, func(ctx context.Context, ex store.Narrative) ([]store.ServicePoint, error) { return q.Run(ctx, ex) })
}

// errorGroups reads services.ErrorGroups, remembered by the resolver.
func errorGroups(ctx context.Context, st store.Narrative, project int64, r store.Range, since int64, limit int) ([]store.ErrorGroup, error) {
	q := services.ErrorGroups{ProjectID: project, Range: r, Since: since, Limit: limit}
	return remembered(ctx, st, q, func(ctx context.Context, ex store.Narrative) ([]store.ErrorGroup, error) { return q.Run(ctx, ex) })
}

// serviceMap reads services.Map, remembered by the resolver.
func serviceMap(ctx context.Context, st store.Narrative, project int64, r store.Range) ([]store.ServiceNode, []store.CallEdge, error) {
	type answer struct {
		nodes []store.ServiceNode
		edges []store.CallEdge
	}
	q := services.Map{ProjectID: project, Range: r}
	a, err := remembered(ctx, st, q, func(ctx context.Context, ex store.Narrative) (answer, error) {
		nodes, edges, err := q.Run(ctx, ex)
		return answer{nodes, edges}, err
	})
	return a.nodes, a.edges, err
}

// callGraph reads services.CallGraph (the store's precomputed graph when
// it keeps one), remembered by the resolver.
func callGraph(ctx context.Context, st store.Narrative, project int64, r store.Range) ([]store.CallEdge, error) {
	q := services.CallGraph{ProjectID: project, Range: r}
	return remembered(ctx, st, q, func(ctx context.Context, ex store.Narrative) ([]store.CallEdge, error) { return q.Run(ctx, ex) })
}

// patternStats reads patternstats.Query, remembered by the resolver.
func patternStats(ctx context.Context, st store.Narrative, q patternstats.Query) (patternstats.Result, error) {
	return remembered(ctx, st, q, func(ctx context.Context, ex store.Narrative) (patternstats.Result, error) { return q.Run(ctx, ex) })
}

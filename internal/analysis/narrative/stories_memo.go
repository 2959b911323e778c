package narrative

import (
	"context"
	"sync"

	"github.com/lore-dev/lore/internal/analysis/services"
	"github.com/lore-dev/lore/internal/store"
)

// memoNarrative remembers the answers of query objects (service series,
// maps and call graphs, release starts, error groups, by Key()) that
// several detectors of one Stories.Resolve ask for with the same
// arguments (cascade and hidden coupling read the same minutes and calls;
// the three release detectors the same deploys).
type memoNarrative struct {
	store.Narrative
	mu    sync.Mutex
	byKey map[string]any // query objects' answers by Key()
}

func newMemo(st store.Narrative) *memoNarrative {
	return &memoNarrative{Narrative: st, byKey: map[string]any{}}
}

// remember answers from m (under mu) or calls read and remembers its
// answer.
func remember[K comparable, V any](mu *sync.Mutex, m map[K]V, k K, read func() (V, error)) (V, error) {
	mu.Lock()
	v, ok := m[k]
	mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := read()
	if err != nil {
		return v, err
	}
	mu.Lock()
	m[k] = v
	mu.Unlock()
	return v, nil
}

// memoRun answers a query object (whose Key is key) from m's memory when
// st is a memo, running it once on the memo's store — which keeps its
// accelerators, found by type assertion —, and runs it on st otherwise.
func memoRun[T any](st store.Narrative, key string, run func(ex store.Narrative) (T, error)) (T, error) {
	m, ok := st.(*memoNarrative)
	if !ok {
		return run(st)
	}
	v, err := remember(&m.mu, m.byKey, key, func() (any, error) { return run(m.Narrative) })
	if err != nil {
		var zero T
		return zero, err
	}
	return v.(T), nil
}

// releaseStarts reads services.ReleaseStarts, remembered by a memo.
func releaseStarts(ctx context.Context, st store.Narrative, project int64, r store.Range, since int64) ([]store.ReleaseStart, error) {
	q := services.ReleaseStarts{ProjectID: project, Range: r, Since: since}
	return memoRun(st, q.Key(), func(ex store.Narrative) ([]store.ReleaseStart, error) { return q.Run(ctx, ex) })
}

// serviceSeries reads services.Series, remembered by a memo.
func serviceSeries(ctx context.Context, st store.Narrative, r store.ServiceSeriesRequest) ([]store.ServicePoint, error) {
	q := services.Series{ProjectID: r.ProjectID, Range: r.Range, Step: r.Step}
	return memoRun(st, q.Key(), func(ex store.Narrative) ([]store.ServicePoint, error) { return q.Run(ctx, ex) })
}

// errorGroups reads services.ErrorGroups, remembered by a memo.
func errorGroups(ctx context.Context, st store.Narrative, project int64, r store.Range, since int64, limit int) ([]store.ErrorGroup, error) {
	q := services.ErrorGroups{ProjectID: project, Range: r, Since: since, Limit: limit}
	return memoRun(st, q.Key(), func(ex store.Narrative) ([]store.ErrorGroup, error) { return q.Run(ctx, ex) })
}

// serviceMap reads services.Map, remembered by a memo.
func serviceMap(ctx context.Context, st store.Narrative, project int64, r store.Range) ([]store.ServiceNode, []store.CallEdge, error) {
	type answer struct {
		nodes []store.ServiceNode
		edges []store.CallEdge
	}
	q := services.Map{ProjectID: project, Range: r}
	a, err := memoRun(st, q.Key(), func(ex store.Narrative) (answer, error) {
		nodes, edges, err := q.Run(ctx, ex)
		return answer{nodes, edges}, err
	})
	return a.nodes, a.edges, err
}

// callGraph reads services.CallGraph (the store's precomputed graph when
// it keeps one), remembered by a memo.
func callGraph(ctx context.Context, st store.Narrative, project int64, r store.Range) ([]store.CallEdge, error) {
	q := services.CallGraph{ProjectID: project, Range: r}
	return memoRun(st, q.Key(), func(ex store.Narrative) ([]store.CallEdge, error) { return q.Run(ctx, ex) })
}

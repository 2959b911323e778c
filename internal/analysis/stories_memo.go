package analysis

import (
	"context"
	"sync"

	"github.com/lore-dev/lore/internal/store"
)

// memoNarrative remembers the service series, maps, release starts and
// error groups that several detectors of one Stories.Resolve ask for with
// the same arguments (cascade and hidden coupling read the same minutes
// and calls; the three release detectors the same deploys).
type memoNarrative struct {
	store.Narrative
	mu       sync.Mutex
	series   map[store.ServiceSeriesRequest][]store.ServicePoint
	maps     map[[3]int64]memoMap
	releases map[[4]int64][]store.ReleaseStart
	groups   map[[5]int64][]store.ErrorGroup
	graphs   map[[3]int64][]store.CallEdge
}

type memoMap struct {
	nodes []store.ServiceNode
	edges []store.CallEdge
}

func newMemo(st store.Narrative) *memoNarrative {
	return &memoNarrative{Narrative: st, series: map[store.ServiceSeriesRequest][]store.ServicePoint{}, maps: map[[3]int64]memoMap{},
		releases: map[[4]int64][]store.ReleaseStart{}, groups: map[[5]int64][]store.ErrorGroup{},
		graphs: map[[3]int64][]store.CallEdge{}}
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

func (m *memoNarrative) ReleaseStarts(ctx context.Context, project int64, r store.Range, since int64) ([]store.ReleaseStart, error) {
	return remember(&m.mu, m.releases, [4]int64{project, r.From, r.To, since}, func() ([]store.ReleaseStart, error) {
		return m.Narrative.ReleaseStarts(ctx, project, r, since)
	})
}

func (m *memoNarrative) ErrorGroups(ctx context.Context, project int64, r store.Range, since int64, limit int) ([]store.ErrorGroup, error) {
	return remember(&m.mu, m.groups, [5]int64{project, r.From, r.To, since, int64(limit)}, func() ([]store.ErrorGroup, error) {
		return m.Narrative.ErrorGroups(ctx, project, r, since, limit)
	})
}

func (m *memoNarrative) ServiceSeries(ctx context.Context, r store.ServiceSeriesRequest) ([]store.ServicePoint, error) {
	m.mu.Lock()
	pts, ok := m.series[r]
	m.mu.Unlock()
	if ok {
		return pts, nil
	}
	pts, err := m.Narrative.ServiceSeries(ctx, r)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.series[r] = pts
	m.mu.Unlock()
	return pts, nil
}

func (m *memoNarrative) ServiceMap(ctx context.Context, project int64, r store.Range) ([]store.ServiceNode, []store.CallEdge, error) {
	k := [3]int64{project, r.From, r.To}
	m.mu.Lock()
	x, ok := m.maps[k]
	m.mu.Unlock()
	if ok {
		return x.nodes, x.edges, nil
	}
	nodes, edges, err := m.Narrative.ServiceMap(ctx, project, r)
	if err != nil {
		return nil, nil, err
	}
	m.mu.Lock()
	m.maps[k] = memoMap{nodes, edges}
	m.mu.Unlock()
	return nodes, edges, nil
}

var _ store.CallGraphReader = (*memoNarrative)(nil)

// CallGraph reads the store's precomputed call graph when it keeps one,
// else the service map's edges.
func (m *memoNarrative) CallGraph(ctx context.Context, project int64, r store.Range) ([]store.CallEdge, error) {
	return remember(&m.mu, m.graphs, [3]int64{project, r.From, r.To}, func() ([]store.CallEdge, error) {
		return callGraph(ctx, m.Narrative, project, r)
	})
}

// callGraph is the calls between services in r, for detectors that need
// only the graph's shape: from the store's CallGraph when it has one.
func callGraph(ctx context.Context, st store.Narrative, project int64, r store.Range) ([]store.CallEdge, error) {
	if g, ok := st.(store.CallGraphReader); ok {
		return g.CallGraph(ctx, project, r)
	}
	_, edges, err := st.ServiceMap(ctx, project, r)
	return edges, err
}

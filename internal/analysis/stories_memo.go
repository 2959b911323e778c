package analysis

import (
	"context"
	"sync"

	"github.com/lore-dev/lore/internal/store"
)

// memoNarrative remembers the service series and maps that several
// detectors of one Stories.Resolve ask for with the same arguments
// (cascade and hidden coupling read the same minutes and calls).
type memoNarrative struct {
	store.Narrative
	mu     sync.Mutex
	series map[store.ServiceSeriesRequest][]store.ServicePoint
	maps   map[[3]int64]memoMap
}

type memoMap struct {
	nodes []store.ServiceNode
	edges []store.CallEdge
}

func newMemo(st store.Narrative) *memoNarrative {
	return &memoNarrative{Narrative: st, series: map[store.ServiceSeriesRequest][]store.ServicePoint{}, maps: map[[3]int64]memoMap{}}
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

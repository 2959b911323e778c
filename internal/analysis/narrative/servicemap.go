package narrative

import (
	"context"
	"fmt"
	"sort"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// ServiceMap is a query object: the services and external dependencies of
// a project as nodes, their calls as edges, with volume, error rate and
// latency. Calls come from spans: a span whose parent belongs to another
// service is a call from the parent's service; a client span whose
// peer.service sends no spans itself is a call to an external dependency;
// services that send only logs are linked through shared trace ids (see
// store.CallEdge).
type ServiceMap struct {
	ProjectID int64
	Range     store.Range
}

// ServiceMapResult answers GET /api/v1/services/map.
type ServiceMapResult struct {
	From  string    `json:"from"`
	To    string    `json:"to"`
	Nodes []MapNode `json:"nodes"`
	Edges []MapEdge `json:"edges"`
}

// MapNode is a service (Kind "service") or an external dependency
// (Kind "external", measured by its callers' client spans).
type MapNode struct {
	ID        string  `json:"id"`
	Kind      string  `json:"kind"`
	Requests  int64   `json:"requests"`
	Events    int64   `json:"events"`
	ErrorRate float64 `json:"error_rate"`
	P50MS     float64 `json:"p50_ms"`
	P95MS     float64 `json:"p95_ms"`
}

// MapEdge is the calls from one node to another.
type MapEdge struct {
	From      string  `json:"from"`
	To        string  `json:"to"`
	Inferred  bool    `json:"inferred,omitempty"` // from shared trace ids, not spans (services sending only logs)
	Calls     int64   `json:"calls"`
	Errors    int64   `json:"errors"`
	ErrorRate float64 `json:"error_rate"`
	P50MS     float64 `json:"p50_ms"`
	P95MS     float64 `json:"p95_ms"`
}

// Scope is what the service map reads.
func (m ServiceMap) Scope() sqlq.Scope {
	return sqlq.Scope{ProjectID: m.ProjectID, From: m.Range.From, To: m.Range.To}
}

// Key identifies the query, for caching results.
func (m ServiceMap) Key() string {
	return fmt.Sprintf("servicemap:%d:%d:%d", m.ProjectID, m.Range.From, m.Range.To)
}

// Resolve reads the map from st.
func (m ServiceMap) Resolve(ctx context.Context, st store.Narrative) (ServiceMapResult, error) {
	nodes, edges, err := serviceMap(ctx, st, m.ProjectID, m.Range)
	if err != nil {
		return ServiceMapResult{}, fmt.Errorf("cannot draw the service map: %w", err)
	}
	out := ServiceMapResult{From: event.FormatMicros(m.Range.From), To: event.FormatMicros(m.Range.To), Nodes: []MapNode{}, Edges: []MapEdge{}}
	for _, n := range nodes {
		out.Nodes = append(out.Nodes, MapNode{ID: n.Service, Kind: "service", Requests: n.Requests, Events: n.Events,
			ErrorRate: rate3(n.Errors, n.Requests), P50MS: round3(n.P50MS), P95MS: round3(n.P95MS)})
	}
	external := map[string]*MapNode{}
	busiest := map[string]int64{}
	for _, e := range edges {
		out.Edges = append(out.Edges, MapEdge{From: e.From, To: e.To, Inferred: e.Inferred, Calls: e.Calls, Errors: e.Errors,
			ErrorRate: rate3(e.Errors, e.Calls), P50MS: round3(e.P50MS), P95MS: round3(e.P95MS)})
		if !e.External {
			continue
		}
		// An external node's figures are its callers' client spans; with
		// several callers the latencies are the busiest caller's.
		x := external[e.To]
		if x == nil {
			x = &MapNode{ID: e.To, Kind: "external"}
			external[e.To] = x
		}
		if e.Calls > busiest[e.To] {
			busiest[e.To] = e.Calls
			x.P50MS, x.P95MS = round3(e.P50MS), round3(e.P95MS)
		}
		x.Events += e.Calls
		x.ErrorRate += float64(e.Errors)
	}
	for _, x := range external {
		errs := x.ErrorRate
		x.Requests = x.Events
		x.ErrorRate = round3(errs / float64(max(x.Requests, 1)))
		out.Nodes = append(out.Nodes, *x)
	}
	sort.Slice(out.Nodes, func(i, j int) bool { return out.Nodes[i].ID < out.Nodes[j].ID })
	return out, nil
}

// ratio is a/b rounded to three decimals, 0 when b is 0.
func rate3(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return round3(float64(a) / float64(b))
}

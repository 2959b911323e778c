package services

import (
	"context"
	"fmt"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// Map is a query object: the services of a project in a range, measured
// by their spans (or, for a service that sends none, by its rows with a
// duration or an http_status), and the calls between them
// (store.ServiceNode and store.CallEdge say what each figure is). Calls
// are parent→child spans of different services; client spans whose
// peer.service sends no spans itself (an external dependency); and,
// between services that send no spans, edges inferred from the order in
// which they first appear in each shared trace.
type Map struct {
	ProjectID int64
	Range     store.Range
}

// Key identifies the query, for caching its answer.
func (q Map) Key() string {
	return fmt.Sprintf("services.map:%d:%d:%d", q.ProjectID, q.Range.From, q.Range.To)
}

// Scope is what the query reads.
func (q Map) Scope() sqlq.Scope {
	return sqlq.Scope{ProjectID: q.ProjectID, From: q.Range.From, To: q.Range.To}
}

func (q Map) validate() error {
	if q.Range.To <= q.Range.From {
		return fmt.Errorf("service map: empty time range [%d, %d)", q.Range.From, q.Range.To)
	}
	return nil
}

// NodesQuery compiles the services' figures: one row per service, by
// name, with both sets (by spans, by other rows) for Run to pick from,
// and the count of all its rows.
func (q Map) NodesQuery(d sqlq.Dialect) (sqlq.Query, error) {
	const rowReq = "kind <> 'span' AND (duration_ms IS NOT NULL OR http_status IS NOT NULL)"
	count := func(cond string) string { return d.AggIf(sqlq.AggCount, "", cond) }
	var b sqlq.Builder
	b.Add("SELECT service, "+
		count("kind = 'span'")+" AS sreq, "+
		count("kind = 'span' AND "+errRow)+" AS serr, "+
		"coalesce("+d.QuantileIf("duration_ms", 0.5, "kind = 'span'")+", 0) AS sp50, "+
		"coalesce("+d.QuantileIf("duration_ms", 0.95, "kind = 'span'")+", 0) AS sp95, "+
		count(rowReq)+" AS lreq, "+
		count(rowReq+" AND "+errRow)+" AS lerr, "+
		"coalesce("+d.QuantileIf("duration_ms", 0.5, "kind <> 'span'")+", 0) AS lp50, "+
		"coalesce("+d.QuantileIf("duration_ms", 0.95, "kind <> 'span'")+", 0) AS lp95, "+
		d.AggOf(sqlq.AggCount, "")+" AS events"+
		" FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND service <> ''"+
		" GROUP BY service ORDER BY service", q.ProjectID, q.Range.From, q.Range.To)
	return b.Query("services.map.nodes", q.Scope())
}

// Edges is the SQL of the calls between services over the events of one
// project in [from, to), bound by five placeholders in that order twice
// (project, from, to; project, from, to): one row per edge with columns
// caller, callee, external, inferred, calls, errors, p50, p95, ordered by
// caller and callee. A store that materializes the call graph (the DuckDB
// store's hourly narrative_edges) keeps a copy of it, checked equal by its
// tests.
func Edges(d sqlq.Dialect) string {
	failed := "http_status >= 500 OR http_status = 429 OR level IN ('error', 'fatal')"
	count := func(cond string) string { return d.AggIf(sqlq.AggCount, "", cond) }
	quantiles := func(col string) string {
		return "coalesce(" + d.Quantile(col, 0.5) + ", 0), coalesce(" + d.Quantile(col, 0.95) + ", 0)"
	}
	return "WITH " + d.MaterializedCTE("sp", "SELECT trace_hi, trace_lo, span_id, parent_span_id, service, duration_ms, http_status, level, kind, "+
		d.Attr("peer.service")+" AS peer FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND kind = 'span'") +
		" SELECT caller, callee, external, inferred, calls, errors, p50, p95 FROM (" +
		// Parent → child spans of different services.
		"SELECT p.service AS caller, c.service AS callee, false AS external, false AS inferred, " + d.AggOf(sqlq.AggCount, "") + " AS calls, " +
		count("c.http_status >= 500 OR c.http_status = 429 OR c.level IN ('error', 'fatal')") + " AS errors, " +
		"coalesce(" + d.Quantile("c.duration_ms", 0.5) + ", 0) AS p50, coalesce(" + d.Quantile("c.duration_ms", 0.95) + ", 0) AS p95" +
		" FROM sp c JOIN sp p ON c.trace_hi = p.trace_hi AND c.trace_lo = p.trace_lo AND c.parent_span_id = p.span_id" +
		" WHERE c.parent_span_id <> 0 AND c.service <> p.service GROUP BY p.service, c.service" +
		// Client spans to a dependency that sends no spans.
		" UNION ALL SELECT service, peer, true, false, " + d.AggOf(sqlq.AggCount, "") + ", " + count(failed) + ", " + quantiles("duration_ms") +
		" FROM sp WHERE peer IS NOT NULL AND peer NOT IN (SELECT DISTINCT service FROM sp) GROUP BY service, peer" +
		// Services without spans, in the order they first appear in a trace.
		" UNION ALL SELECT prev, service, false, true, " + d.AggOf(sqlq.AggCount, "") + ", " + count("err") + ", 0, 0 FROM (" +
		d.PrevRows("(SELECT trace_hi, trace_lo, service, min(ts) AS f, "+count("kind = 'error' OR level IN ('error', 'fatal')")+" > 0 AS err"+
			" FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND kind <> 'span' AND service <> ''"+
			" AND (trace_hi <> 0 OR trace_lo <> 0) AND service NOT IN (SELECT DISTINCT service FROM sp)"+
			" GROUP BY trace_hi, trace_lo, service) AS firsts", "trace_hi, trace_lo", []string{"f", "service"}, []string{"service", "err"}, "service") +
		") AS follows" +
		" WHERE prev IS NOT NULL GROUP BY prev, service" +
		") AS edges ORDER BY caller, callee, external, inferred"
}

// EdgesQuery compiles Edges for the query's project and range.
func (q Map) EdgesQuery(d sqlq.Dialect) (sqlq.Query, error) {
	var b sqlq.Builder
	b.Add(Edges(d), q.ProjectID, q.Range.From, q.Range.To, q.ProjectID, q.Range.From, q.Range.To)
	return b.Query("services.map.edges", q.Scope())
}

// Run reads the nodes and the edges.
func (q Map) Run(ctx context.Context, ex sqlq.Executor) ([]store.ServiceNode, []store.CallEdge, error) {
	if err := q.validate(); err != nil {
		return nil, nil, err
	}
	nq, err := q.NodesQuery(ex.Dialect())
	if err != nil {
		return nil, nil, fmt.Errorf("service map: %w", err)
	}
	var nodes []store.ServiceNode
	if err := ex.Run(ctx, nq, func(s sqlq.Scanner) error {
		var (
			n                  store.ServiceNode
			sr, se, lr, le     int64
			s50, s95, l50, l95 float64
		)
		if err := s.Scan(&n.Service, &sr, &se, &s50, &s95, &lr, &le, &l50, &l95, &n.Events); err != nil {
			return err
		}
		if sr > 0 {
			n.Requests, n.Errors, n.P50MS, n.P95MS = sr, se, s50, s95
		} else {
			n.Requests, n.Errors, n.P50MS, n.P95MS = lr, le, l50, l95
		}
		nodes = append(nodes, n)
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("service map: nodes: %w", err)
	}
	eq, err := q.EdgesQuery(ex.Dialect())
	if err != nil {
		return nil, nil, fmt.Errorf("service map: %w", err)
	}
	edges, err := scanEdges(ctx, ex, eq)
	if err != nil {
		return nil, nil, fmt.Errorf("service map: edges: %w", err)
	}
	return nodes, edges, nil
}

func scanEdges(ctx context.Context, ex sqlq.Executor, q sqlq.Query) ([]store.CallEdge, error) {
	var edges []store.CallEdge
	err := ex.Run(ctx, q, func(s sqlq.Scanner) error {
		var e store.CallEdge
		if err := s.Scan(&e.From, &e.To, &e.External, &e.Inferred, &e.Calls, &e.Errors, &e.P50MS, &e.P95MS); err != nil {
			return err
		}
		edges = append(edges, e)
		return nil
	})
	return edges, err
}

// CallGraph is a query object: the calls between services in a range, for
// the story detectors that need only the graph's shape — Map's edges
// without latencies. A store that keeps the graph precomputed
// (store.CallGraphReader) answers it, possibly missing a call whose two
// sides fall in different parts of its precomputation; otherwise it is
// Map's edges.
type CallGraph struct {
	ProjectID int64
	Range     store.Range
}

// Key identifies the query, for caching its answer.
func (q CallGraph) Key() string {
	return fmt.Sprintf("services.callgraph:%d:%d:%d", q.ProjectID, q.Range.From, q.Range.To)
}

// Scope is what the query reads.
func (q CallGraph) Scope() sqlq.Scope { return Map(q).Scope() }

// Run reads the graph from the store's accelerator when it has one, else
// the service map's edges.
func (q CallGraph) Run(ctx context.Context, ex sqlq.Executor) ([]store.CallEdge, error) {
	m := Map(q)
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("call graph: %w", err)
	}
	if g, ok := ex.(store.CallGraphReader); ok {
		return g.CallGraph(ctx, q.ProjectID, q.Range)
	}
	eq, err := m.EdgesQuery(ex.Dialect())
	if err != nil {
		return nil, fmt.Errorf("call graph: %w", err)
	}
	edges, err := scanEdges(ctx, ex, eq)
	if err != nil {
		return nil, fmt.Errorf("call graph: %w", err)
	}
	return edges, nil
}

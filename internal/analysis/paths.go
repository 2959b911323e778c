package analysis

import (
	"context"
	"fmt"
	"github.com/lore-dev/lore/internal/analysis/product"
	"time"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// PathsRequest is POST /api/v1/paths as sent: exactly one of StartEvent
// and EndEvent ("$error" ends at any error: "top journeys that end in an
// error").
type PathsRequest struct {
	StartEvent string `json:"start_event,omitempty"`
	EndEvent   string `json:"end_event,omitempty"`
	Where      string `json:"where,omitempty"` // filter on the start or end event
	Depth      int    `json:"depth"`           // default 5, at most 20
	Limit      int    `json:"limit"`           // default 20, at most 1000
	From       string `json:"from"`            // default now-7d
	To         string `json:"to"`
}

// Query validates r and builds the query object.
func (r PathsRequest) Query(project int64, now time.Time) (Paths, error) {
	if (r.StartEvent == "") == (r.EndEvent == "") {
		return Paths{}, badf("give exactly one of start_event and end_event")
	}
	if r.Depth == 0 {
		r.Depth = 5
	}
	if r.Depth < 1 || r.Depth > 20 {
		return Paths{}, badf("depth %d: want 1 to 20", r.Depth)
	}
	if r.Limit <= 0 {
		r.Limit = 20
	}
	r.Limit = min(r.Limit, 1000)
	rng, err := parseRange(r.From, r.To, now, 7*24*time.Hour)
	if err != nil {
		return Paths{}, err
	}
	p := Paths{ProjectID: project, Range: rng, Depth: r.Depth, Limit: r.Limit, req: r}
	if r.StartEvent != "" {
		st, err := StepSpec{r.StartEvent, r.Where}.step("start_event")
		if err != nil {
			return Paths{}, err
		}
		p.Start = &st
	} else {
		st, err := StepSpec{r.EndEvent, r.Where}.step("end_event")
		if err != nil {
			return Paths{}, err
		}
		p.End = &st
	}
	return p, nil
}

// Paths is a query object: the most common sequences after a start or
// before an end event.
type Paths struct {
	ProjectID  int64
	Range      store.Range
	Start, End *store.Step
	Depth      int
	Limit      int
	req        PathsRequest
}

// Key identifies the query, for caching results.
func (p Paths) Key() string {
	return fmt.Sprintf("paths:%d:%d:%d:%+v", p.ProjectID, p.Range.From, p.Range.To, p.req)
}

// Scope is what the paths read.
func (p Paths) Scope() sqlq.Scope {
	return sqlq.Scope{ProjectID: p.ProjectID, From: p.Range.From, To: p.Range.To}
}

// PathsResult is the answer of POST /api/v1/paths, most followed first.
type PathsResult struct {
	Paths []PathResult `json:"paths"`
	Range timeRange    `json:"range"`
}

// PathResult is one sequence.
type PathResult struct {
	Steps   []string `json:"steps"`
	Persons int64    `json:"persons"`
}

// Resolve computes the paths on a.
func (p Paths) Resolve(ctx context.Context, a store.Analytics) (PathsResult, error) {
	res, err := product.Paths{ProjectID: p.ProjectID, Range: p.Range, Start: p.Start, End: p.End, Depth: p.Depth, Limit: p.Limit}.Run(ctx, a)
	if err != nil {
		return PathsResult{}, fmt.Errorf("cannot compute paths: %w", err)
	}
	out := PathsResult{Paths: make([]PathResult, 0, len(res)), Range: echoRange(p.Range)}
	for _, pc := range res {
		out.Paths = append(out.Paths, PathResult{Steps: pc.Steps, Persons: pc.Persons})
	}
	return out, nil
}

package narrative

import (
	"context"
	"fmt"
	"sort"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// TraceBreakdown is a query object: where one trace's time went, by
// service. Each span's self time is its duration minus the time of its
// child spans (clamped at zero, as children may overlap or run past their
// parent); a service's self time is the sum over its spans.
type TraceBreakdown struct {
	ProjectID int64
	TraceID   string
	Range     store.Range
}

// TraceBreakdownResult answers GET /api/v1/services/map?trace_id=.
type TraceBreakdownResult struct {
	TraceID    string        `json:"trace_id"`
	DurationMS float64       `json:"duration_ms"` // first span start to last span end
	Services   []ServiceTime `json:"services"`    // most self time first
	Edges      []MapEdge     `json:"edges"`       // the trace's calls between services
}

// ServiceTime is one service's share of a trace.
type ServiceTime struct {
	Service string  `json:"service"`
	Spans   int     `json:"spans"`
	SelfMS  float64 `json:"self_ms"`
	Share   float64 `json:"share"` // of the trace's summed self time
}

// Resolve reads the trace's events from r.
func (q TraceBreakdown) Resolve(ctx context.Context, r store.Reader) (TraceBreakdownResult, error) {
	evs, err := r.Journey(ctx, store.JourneyRequest{ProjectID: q.ProjectID, By: store.ByTrace, ID: q.TraceID, Range: q.Range})
	if err != nil {
		return TraceBreakdownResult{}, fmt.Errorf("cannot read trace %q: %w", q.TraceID, err)
	}
	var spans []event.Event
	for _, e := range evs {
		if e.Kind == event.KindSpan && !e.SpanID.IsZero() {
			spans = append(spans, e)
		}
	}
	if len(spans) == 0 {
		return TraceBreakdownResult{}, fmt.Errorf("trace %q has no spans: %w", q.TraceID, ErrNotFound)
	}
	return breakdown(q.TraceID, spans), nil
}

func breakdown(trace string, spans []event.Event) TraceBreakdownResult {
	byID := map[event.SpanID]*event.Event{}
	childMS := map[event.SpanID]float64{}
	for i := range spans {
		byID[spans[i].SpanID] = &spans[i]
	}
	var start, end int64
	for i, s := range spans {
		if !s.ParentSpanID.IsZero() {
			childMS[s.ParentSpanID] += s.DurationMS
		}
		e := s.TS + int64(s.DurationMS*1000)
		if i == 0 || s.TS < start {
			start = s.TS
		}
		end = max(end, e)
	}
	self := map[string]*ServiceTime{}
	edges := map[[2]string]*MapEdge{}
	var total float64
	for _, s := range spans {
		st := self[s.Service]
		if st == nil {
			st = &ServiceTime{Service: s.Service}
			self[s.Service] = st
		}
		st.Spans++
		v := max(s.DurationMS-childMS[s.SpanID], 0)
		st.SelfMS += v
		total += v
		if p, ok := byID[s.ParentSpanID]; ok && p.Service != s.Service {
			k := [2]string{p.Service, s.Service}
			e := edges[k]
			if e == nil {
				e = &MapEdge{From: p.Service, To: s.Service}
				edges[k] = e
			}
			e.Calls++
			if s.HTTPStatus >= 500 || s.HTTPStatus == 429 || s.Level == event.LevelError {
				e.Errors++
			}
			e.P95MS = max(e.P95MS, s.DurationMS) // with a handful of calls: the slowest
		}
	}
	out := TraceBreakdownResult{TraceID: trace, DurationMS: round3(float64(end-start) / 1000), Services: []ServiceTime{}, Edges: []MapEdge{}}
	for _, st := range self {
		st.SelfMS = round3(st.SelfMS)
		if total > 0 {
			st.Share = round3(st.SelfMS / total)
		}
		out.Services = append(out.Services, *st)
	}
	sort.Slice(out.Services, func(i, j int) bool {
		if out.Services[i].SelfMS != out.Services[j].SelfMS {
			return out.Services[i].SelfMS > out.Services[j].SelfMS
		}
		return out.Services[i].Service < out.Services[j].Service
	})
	for _, e := range edges {
		e.ErrorRate = rate3(e.Errors, e.Calls)
		out.Edges = append(out.Edges, *e)
	}
	sort.Slice(out.Edges, func(i, j int) bool {
		if out.Edges[i].From != out.Edges[j].From {
			return out.Edges[i].From < out.Edges[j].From
		}
		return out.Edges[i].To < out.Edges[j].To
	})
	return out
}

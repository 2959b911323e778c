package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/lore-dev/lore/internal/analysis/narrative"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/query"
)

// NarrativeService is what the narrative routes need: the query objects of
// internal/analysis resolved against the store and the pattern miner.
type NarrativeService interface {
	Patterns(ctx context.Context, q narrative.Patterns) (narrative.PatternsResult, error)
	Stories(ctx context.Context, q narrative.Stories) (narrative.StoriesResult, error)
	ServiceMap(ctx context.Context, q narrative.ServiceMap) (narrative.ServiceMapResult, error)
	TraceBreakdown(ctx context.Context, q narrative.TraceBreakdown) (narrative.TraceBreakdownResult, error)
	Timeline(ctx context.Context, q narrative.Timeline) (narrative.TimelineResult, error)
	JourneyFailures(ctx context.Context, q narrative.JourneyFailures) (narrative.JourneyFailuresResult, error)
}

// narrativeRoutes registers the narrative feature's routes.
func (s *Server) narrativeRoutes(mux *routeMux, ingest, read route) {
	if s.d.Narrative == nil {
		return
	}
	read("GET /api/v1/patterns", s.handlePatterns)
	read("GET /api/v1/stories", s.handleStories)
	read("GET /api/v1/services/map", s.handleServiceMap)
	read("GET /api/v1/incidents/timeline", s.handleTimeline)
	read("GET /api/v1/journeys/failures", s.handleJourneyFailures)
}

func (s *Server) handleJourneyFailures(w http.ResponseWriter, r *http.Request) (any, error) {
	p, err := s.readParamsAt(r, 24*time.Hour, s.d.Resolver.Snap(s.now()))
	if err != nil {
		return nil, err
	}
	limit, err := intParam(r, "limit", 10, 100)
	if err != nil {
		return nil, err
	}
	res, err := s.d.Narrative.JourneyFailures(r.Context(), narrative.JourneyFailures{ProjectID: p.project, Range: p.rng, Limit: limit})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (s *Server) handlePatterns(w http.ResponseWriter, r *http.Request) (any, error) {
	// "now" moved up to the minute, as the resolver that remembers the
	// pattern counts keys them by range (resolve.Resolver.Snap).
	p, err := s.readParamsAt(r, time.Hour, s.d.Resolver.Snap(s.now()))
	if err != nil {
		return nil, err
	}
	limit, err := intParam(r, "limit", 50, 1000)
	if err != nil {
		return nil, err
	}
	var step int64
	if st := r.URL.Query().Get("step"); st != "" {
		if step, err = query.ParseStep(st); err != nil {
			return nil, errs.Invalidf("bad step %q: %v", st, err)
		}
		if (p.rng.To-p.rng.From)/step > 10_000 {
			return nil, errs.Invalidf("step %s gives too many buckets over this range (max 10000)", st)
		}
	}
	res, err := s.d.Narrative.Patterns(r.Context(), narrative.Patterns{ProjectID: p.project, Range: p.rng, Query: p.q, Step: step, Limit: limit})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (s *Server) handleStories(w http.ResponseWriter, r *http.Request) (any, error) {
	p, err := s.readParams(r, 24*time.Hour)
	if err != nil {
		return nil, err
	}
	min := r.URL.Query().Get("min_severity")
	switch min {
	case "", narrative.SeverityInfo, narrative.SeverityWarning, narrative.SeverityCritical:
	default:
		return nil, errs.Invalidf("min_severity must be info, warning or critical, got %q", min)
	}
	res, err := s.d.Narrative.Stories(r.Context(), narrative.Stories{ProjectID: p.project, Range: p.rng, MinSeverity: min})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (s *Server) handleServiceMap(w http.ResponseWriter, r *http.Request) (any, error) {
	now := s.now()
	if r.URL.Query().Get("trace_id") == "" { // the map is remembered, a trace's breakdown is not
		now = s.d.Resolver.Snap(now)
	}
	p, err := s.readParamsAt(r, time.Hour, now)
	if err != nil {
		return nil, err
	}
	if id := r.URL.Query().Get("trace_id"); id != "" {
		if _, rangeGiven := r.URL.Query()["from"]; !rangeGiven {
			p.rng.From = p.rng.To - (7 * 24 * time.Hour).Microseconds()
		}
		res, err := s.d.Narrative.TraceBreakdown(r.Context(), narrative.TraceBreakdown{ProjectID: p.project, TraceID: id, Range: p.rng})
		if errors.Is(err, narrative.ErrNotFound) {
			return nil, errs.New(errs.NotFound, "no spans of trace %q in this time range", id)
		}
		if err != nil {
			return nil, err
		}
		return res, nil
	}
	res, err := s.d.Narrative.ServiceMap(r.Context(), narrative.ServiceMap{ProjectID: p.project, Range: p.rng})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (s *Server) handleTimeline(w http.ResponseWriter, r *http.Request) (any, error) {
	v := r.URL.Query()
	// "now" moved up to the minute, as the other routes read it, so that
	// requests within one minute ask for the same window, share the
	// resolver's answers of its series, maps and error groups (remembered
	// by range), and agree with each other.
	now := s.d.Resolver.Snap(s.now())
	at := now
	if v.Get("at") != "" {
		us, err := query.ParseTime(v.Get("at"), now)
		if err != nil {
			return nil, errs.Invalidf("bad at %q: %v", v.Get("at"), err)
		}
		at = time.UnixMicro(us)
	}
	before := 15 * time.Minute
	if b := v.Get("before"); b != "" {
		d, err := time.ParseDuration(b)
		if err != nil || d <= 0 || d > 24*time.Hour {
			return nil, errs.Invalidf("before must be a duration between 1s and 24h, got %q", b)
		}
		before = d
	}
	res, err := s.d.Narrative.Timeline(r.Context(), narrative.Timeline{ProjectID: principal(r).ProjectID, At: at.UnixMicro(), Before: before.Microseconds()})
	if err != nil {
		return nil, err
	}
	return res, nil
}

package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/lore-dev/lore/internal/analysis/journey"
	"github.com/lore-dev/lore/internal/analysis/latency"
	"github.com/lore-dev/lore/internal/analysis/resolve"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// readParams are the parameters every read endpoint shares.
type readParams struct {
	project int64
	rng     store.Range
	q       *query.Query
}

func (s *Server) readParams(r *http.Request, defaultFrom time.Duration) (readParams, error) {
	return s.readParamsAt(r, defaultFrom, s.now())
}

// readParamsAt reads the parameters with relative times counted from now
// (the resolver's snapped now on the routes it remembers).
func (s *Server) readParamsAt(r *http.Request, defaultFrom time.Duration, now time.Time) (readParams, error) {
	v := r.URL.Query()
	from, to, err := query.ParseRange(v.Get("from"), v.Get("to"), now, defaultFrom)
	if err != nil {
		return readParams{}, &errs.Error{Kind: errs.Invalid, Msg: "bad time range: " + err.Error(), Detail: map[string]string{"from": v.Get("from"), "to": v.Get("to")}}
	}
	q, err := query.Parse(v.Get("q"))
	if err != nil {
		return readParams{}, &errs.Error{Kind: errs.Invalid, Msg: fmt.Sprintf("bad query %q: %v", v.Get("q"), err), Detail: map[string]string{"q": v.Get("q")}}
	}
	return readParams{project: principal(r).ProjectID, rng: store.Range{From: from, To: to}, q: q}, nil
}

func intParam(r *http.Request, name string, def, max int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, errs.Invalidf("%s must be a positive integer, got %q", name, s)
	}
	if n > max {
		n = max
	}
	return n, nil
}

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) (any, error) {
	p, err := s.readParams(r, time.Hour)
	if err != nil {
		return nil, err
	}
	limit, err := intParam(r, "limit", 100, 1000)
	if err != nil {
		return nil, err
	}
	res, err := s.d.Reader.Search(r.Context(), store.SearchRequest{
		ProjectID: p.project, Range: p.rng, Query: p.q, Limit: limit, Cursor: r.URL.Query().Get("cursor"),
	})
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 512*len(res.Events)+64)
	b = append(b, `{"events":`...)
	b = appendEvents(b, res.Events)
	b = append(b, `,"next_cursor":`...)
	b = event.AppendJSONString(b, res.NextCursor)
	b = append(b, "}\n"...)
	return rawJSON(b), nil
}

// HistogramResponse is the answer of GET /api/v1/histogram.
type HistogramResponse struct {
	Step    string            `json:"step"`
	StepMS  int64             `json:"step_ms"`
	From    string            `json:"from"`
	To      string            `json:"to"`
	By      string            `json:"by,omitempty"`
	Buckets []histogramBucket `json:"buckets"`
	// Sampled is set when some counted events were kept by the project's
	// sampling: the counts are of stored events, the estimates weight
	// each sampled one by 1/lore.sample_rate.
	Sampled *sampledSummary `json:"sampled,omitempty"`
}

type histogramBucket struct {
	TS    string           `json:"ts"`
	Count int64            `json:"count"`
	By    map[string]int64 `json:"by,omitempty"`
	// Estimate is the count before sampling, when some of the bucket's
	// events were kept by sampling; ByEstimate the same per split value.
	Estimate   int64            `json:"estimate,omitempty"`
	ByEstimate map[string]int64 `json:"by_estimate,omitempty"`
}

// sampledSummary says how much of a histogram's or facet's counts is
// estimated.
type sampledSummary struct {
	Kept           int64 `json:"kept"`            // stored events of a sampled class
	Total          int64 `json:"total"`           // every stored event counted
	EstimatedTotal int64 `json:"estimated_total"` // the total before sampling
}

// summarise is the sampled summary of counts: nil when none of the
// total were kept by sampling.
func summarise(kept, total int64, estimated float64) *sampledSummary {
	if kept == 0 {
		return nil
	}
	return &sampledSummary{Kept: kept, Total: total, EstimatedTotal: int64(math.Round(estimated))}
}

func (s *Server) handleHistogram(w http.ResponseWriter, r *http.Request) (any, error) {
	p, err := s.readParams(r, time.Hour)
	if err != nil {
		return nil, err
	}
	v := r.URL.Query()
	var step int64
	if st := v.Get("step"); st != "" {
		if step, err = query.ParseStep(st); err != nil {
			return nil, errs.Invalidf("bad step: %v", err)
		}
	} else {
		step = query.AutoStep(p.rng.From, p.rng.To, 60)
	}
	if n := (p.rng.To - p.rng.From) / step; n > 10_000 {
		return nil, errs.Invalidf("step %s gives %d buckets over this range (max 10000); use a larger step", v.Get("step"), n)
	}
	by := v.Get("by")
	if by != "" {
		by, _ = query.ResolveField(by)
	}
	res, err := s.d.Reader.Histogram(r.Context(), store.HistogramRequest{
		ProjectID: p.project, Range: p.rng, Query: p.q, Step: step, SplitBy: by,
	})
	if err != nil {
		return nil, err
	}
	out := HistogramResponse{
		Step: (time.Duration(res.Step) * time.Microsecond).String(), StepMS: res.Step / 1000,
		From: event.FormatMicros(p.rng.From), To: event.FormatMicros(p.rng.To), By: by,
		Buckets: make([]histogramBucket, len(res.Buckets)),
	}
	var kept, total int64
	estimated := 0.0
	for i, b := range res.Buckets {
		hb := histogramBucket{TS: event.FormatMicros(b.Start), Count: b.Count, By: b.By}
		total += b.Count
		estimated += float64(b.Count)
		if b.Sampled > 0 {
			kept += b.Sampled
			estimated += b.Estimate - float64(b.Count)
			hb.Estimate = int64(math.Round(b.Estimate))
			if len(b.ByEstimate) > 0 {
				hb.ByEstimate = make(map[string]int64, len(b.ByEstimate))
				for k, e := range b.ByEstimate {
					hb.ByEstimate[k] = int64(math.Round(e))
				}
			}
		}
		out.Buckets[i] = hb
	}
	out.Sampled = summarise(kept, total, estimated)
	return out, nil
}

// FacetsResponse is the answer of GET /api/v1/facets.
type FacetsResponse struct {
	Field    string       `json:"field"`
	Total    int64        `json:"total"`
	Distinct int64        `json:"distinct"`
	Values   []facetValue `json:"values"`
	// Sampled is set when some counted events were kept by the project's
	// sampling (as in HistogramResponse).
	Sampled *sampledSummary `json:"sampled,omitempty"`
}

type facetValue struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
	// Estimate is the count before sampling, when some of the value's
	// events were kept by sampling.
	Estimate int64 `json:"estimate,omitempty"`
}

func (s *Server) handleFacets(w http.ResponseWriter, r *http.Request) (any, error) {
	p, err := s.readParams(r, time.Hour)
	if err != nil {
		return nil, err
	}
	field := r.URL.Query().Get("field")
	if field == "" {
		return nil, errs.Invalidf("missing field: ask for example /api/v1/facets?field=service")
	}
	field, _ = query.ResolveField(field)
	limit, err := intParam(r, "limit", 10, 1000)
	if err != nil {
		return nil, err
	}
	res, err := s.d.Reader.Facets(r.Context(), store.FacetsRequest{
		ProjectID: p.project, Range: p.rng, Query: p.q, Field: field, Limit: limit,
	})
	if err != nil {
		return nil, err
	}
	out := FacetsResponse{Field: res.Field, Total: res.Total, Distinct: res.Distinct, Values: make([]facetValue, len(res.Values))}
	for i, v := range res.Values {
		out.Values[i] = facetValue{Value: v.Value, Count: v.Count}
		if v.Sampled > 0 {
			out.Values[i].Estimate = int64(math.Round(v.Estimate))
		}
	}
	out.Sampled = summarise(res.Sampled, res.Total, res.EstimatedTotal)
	return out, nil
}

func (s *Server) handleJourney(w http.ResponseWriter, r *http.Request) (any, error) {
	by := store.JourneyBy(r.PathValue("by"))
	switch by {
	case store.ByTrace, store.ByUser, store.BySession:
	default:
		return nil, errs.New(errs.NotFound, "no journey kind %q: use trace, user or session", by)
	}
	v := r.URL.Query()
	// A journey may still be happening: by default it reads a little into
	// the future too (clients' clocks drift), and 31 days back.
	toParam := v.Get("to")
	if toParam == "" {
		toParam = "now+1h"
	}
	from, to, err := query.ParseRange(v.Get("from"), toParam, s.now(), 31*24*time.Hour)
	if err != nil {
		return nil, errs.Invalidf("bad time range: %v", err)
	}
	limit, err := intParam(r, "limit", 5000, 5000)
	if err != nil {
		return nil, err
	}
	res, err := journey.Journey{
		ProjectID: principal(r).ProjectID, By: by, ID: r.PathValue("id"),
		Range: store.Range{From: from, To: to}, Limit: limit,
	}.Resolve(r.Context(), s.d.Reader)
	if errors.Is(err, journey.ErrNotFound) {
		return nil, errs.New(errs.NotFound, "no events with %s id %q in this time range", by, r.PathValue("id"))
	}
	if err != nil {
		return nil, err
	}
	return renderJourney(res)
}

func renderJourney(res journey.Result) (rawJSON, error) {
	story, err := json.Marshal(res.Story)
	if err != nil {
		return nil, err
	}
	summary, err := json.Marshal(res.Summary)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 512*len(res.Events)+len(story)+len(summary)+64)
	b = append(b, `{"events":`...)
	b = appendEvents(b, res.Events)
	b = append(b, `,"story":`...)
	b = append(b, story...)
	b = append(b, `,"summary":`...)
	b = append(b, summary...)
	b = append(b, "}\n"...)
	return rawJSON(b), nil
}

// LatencyResponse is the answer of GET /api/v1/latency.
type LatencyResponse struct {
	From  string  `json:"from"`
	To    string  `json:"to"`
	Spans int64   `json:"spans"`
	P50MS float64 `json:"p50_ms"`
	P95MS float64 `json:"p95_ms"`
	P99MS float64 `json:"p99_ms"`
}

// handleLatency answers the duration percentiles of the matching spans
// (remembered by the resolver, as the product answers are).
func (s *Server) handleLatency(w http.ResponseWriter, r *http.Request) (any, error) {
	ex, ok := s.d.Reader.(sqlq.Executor)
	if !ok {
		return nil, errs.New(errs.Unsupported, "this store cannot compute latency percentiles")
	}
	p, err := s.readParamsAt(r, time.Hour, s.d.Resolver.Snap(s.now()))
	if err != nil {
		return nil, err
	}
	q := latency.Query{ProjectID: p.project, Range: p.rng, Query: p.q}
	res, err := resolve.Do(r.Context(), s.d.Resolver, q, func(ctx context.Context) (latency.Result, error) { return q.Run(ctx, ex) })
	if err != nil {
		return nil, err
	}
	return LatencyResponse{From: event.FormatMicros(p.rng.From), To: event.FormatMicros(p.rng.To), Spans: res.Spans,
		P50MS: res.P50, P95MS: res.P95, P99MS: res.P99}, nil
}

package lifecycle

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/lore-dev/lore/internal/cache"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest"
	"github.com/lore-dev/lore/internal/store"
)

// SamplingName is the name of the projects' sampling settings document.
const SamplingName = "sampling"

// AttrSampleRate is set on a kept event of a sampled class: the share of
// its class that was kept (0.1), so a count is estimated by weighting each
// event by 1/rate (the store's counts do: store.Bucket.Estimate).
const AttrSampleRate = store.AttrSampleRate

// Sampling is a project's sampling settings: the share (0 to 1) of each
// class of event kept. 0 is the default, which keeps everything (1).
// Warnings, errors and fatal logs, error events, product events, page
// views and checks are always kept.
type Sampling struct {
	DebugLogs float64 `json:"debug_logs"` // share of debug logs kept
	InfoLogs  float64 `json:"info_logs"`  // share of info logs (and logs without a level) kept
	// Traces is the share of traces kept: spans, and logs of a trace at
	// the levels above, are kept or dropped by their trace id, so a kept
	// trace is whole on every service; spans that failed (an error status
	// or HTTP 5xx) are always kept.
	Traces float64 `json:"traces"`
}

// Validate checks every rate is 0 (everything) to 1.
func (s Sampling) Validate() error {
	for name, r := range map[string]float64{"debug_logs": s.DebugLogs, "info_logs": s.InfoLogs, "traces": s.Traces} {
		if r < 0 || r > 1 || math.IsNaN(r) {
			return fmt.Errorf("%s %v: want a share from 0 (keep all, the default) to 1", name, r)
		}
	}
	return nil
}

func rate(r float64) float64 {
	if r <= 0 || r >= 1 {
		return 1
	}
	return r
}

// Sampler is the ingest processor that samples a project's debug and info
// logs and its traces by its settings, records the kept share on each kept
// event of a sampled class, and counts what it dropped. It runs after the
// scrubber, before patterns, issues and the field catalogue, so dropped
// events cost nothing more. Safe for concurrent use.
type Sampler struct {
	src     Store
	log     *slog.Logger
	dropped func(kind string, n int)

	settings *cache.TTL[int64, Sampling] // for cache.Staleness: another node may change them
}

var _ ingest.Processor = (*Sampler)(nil)

// NewSampler builds a Sampler; dropped, when not nil, counts dropped
// events by kind.
func NewSampler(src Store, log *slog.Logger, dropped func(kind string, n int)) *Sampler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sampler{src: src, log: log, dropped: dropped, settings: cache.New[int64, Sampling](cache.Staleness, nil)}
}

// Invalidate forgets a project's cached settings.
func (s *Sampler) Invalidate(project int64) {
	s.settings.Delete(func(p int64) bool { return p == project })
}

func (s *Sampler) project(ctx context.Context, id int64) (Sampling, error) {
	if st, ok := s.settings.Get(id); ok {
		return st, nil
	}
	var st Sampling
	doc, err := s.src.ProjectSettings(ctx, id, SamplingName)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(doc, &st); err != nil || st.Validate() != nil {
		s.log.Warn("sampling settings unreadable; keeping everything", "project", id, "err", err)
		st = Sampling{}
	}
	s.settings.Put(id, st)
	return st, nil
}

// Process drops the events its projects sample out.
func (s *Sampler) Process(ctx context.Context, events []event.Event) ([]event.Event, error) {
	out := events[:0]
	for i := range events {
		e := &events[i]
		st, err := s.project(ctx, e.ProjectID)
		if err != nil {
			return nil, err
		}
		r, u := s.decide(st, e)
		if r < 1 {
			if u >= r {
				if s.dropped != nil {
					s.dropped(e.Kind, 1)
				}
				continue
			}
			e.Attributes = append(e.Attributes, event.Attr{Key: AttrSampleRate, Value: strconv.FormatFloat(r, 'g', 6, 64)})
		}
		out = append(out, *e)
	}
	return out, nil
}

// decide returns the rate of e's class (1: not sampled) and the number in
// [0, 1) that must fall below it for e to be kept: the trace id's hash
// when e has one (the same for every event of the trace), else a random
// one.
func (s *Sampler) decide(st Sampling, e *event.Event) (float64, float64) {
	r := 1.0
	switch e.Kind {
	case event.KindSpan:
		if e.HTTPStatus >= 500 || e.Level == event.LevelError || e.Level == event.LevelFatal || e.ErrorType != "" {
			return 1, 0
		}
		r = rate(st.Traces)
	case event.KindLog:
		switch e.Level {
		case event.LevelDebug:
			r = rate(st.DebugLogs)
		case event.LevelInfo, "":
			r = rate(st.InfoLogs)
		default:
			return 1, 0
		}
		if !e.TraceID.IsZero() {
			r = min(r, rate(st.Traces))
		}
	default:
		return 1, 0
	}
	if r >= 1 {
		return 1, 0
	}
	if e.TraceID.IsZero() {
		return r, rand.Float64()
	}
	// W3C trace ids are random: their low half is a uniform number, the
	// same on every service and server, across restarts.
	return r, float64(e.TraceID.Lo()>>11) / (1 << 53)
}

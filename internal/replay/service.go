// Package replay keeps session recordings — rrweb streams from Lore's
// browser SDK (POST /api/v1/replay) and posthog-js (/s/) — and joins them
// to the rest of a session's story. A chunk is acknowledged once it is in
// the ingest pipeline's write-ahead log (the same durable path as every
// event); the pipeline's loader then hands it to Writer, which puts it in
// the blob store (Blobs, an SQLite file of its own) instead of the events
// table. When a session has been quiet for a while it is sealed: its
// recording is read back and analysed (Analyze: pages, clicks, errors,
// rage clicks, dead clicks, errors right after a click), and a
// `kind:replay` event with that summary, plus one event per detection,
// goes through the ingest sink, so replays are searchable and the
// detectors and funnels see what frustrated people.
package replay

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// Policy is a project's recording settings, as the SDK is told them.
type Policy struct {
	Enabled        bool     `json:"enabled"`         // record sessions at all
	SampleRate     float64  `json:"sample_rate"`     // share of sessions recorded from their start (0–1)
	OnError        bool     `json:"on_error"`        // also keep the sessions not sampled that hit an error, from a minute before it
	AllowedOrigins []string `json:"allowed_origins"` // pages allowed to send; empty: any
}

// AllowsOrigin reports whether a page at origin may send recordings. A
// request without an Origin header (not from a browser) is allowed.
func (p Policy) AllowsOrigin(origin string) bool {
	if origin == "" || len(p.AllowedOrigins) == 0 {
		return true
	}
	return slices.ContainsFunc(p.AllowedOrigins, func(o string) bool { return strings.EqualFold(strings.TrimRight(o, "/"), origin) })
}

// Policies reads a project's recording settings.
type Policies interface {
	ReplayPolicy(ctx context.Context, project int64) (Policy, error)
}

// WAL is the ingest pipeline's durable log: Submit returns once the
// events are on disk.
type WAL interface {
	Submit(ctx context.Context, events []event.Event) error
}

// Sink takes the events of sealed sessions through ingest — limits,
// processing, the durable submit — as any protocol's (ingest.Sink).
type Sink interface {
	Submit(ctx context.Context, path string, events []event.Event) error
}

// Options configure a Service. Zero values take the defaults.
type Options struct {
	Limits Limits
	// Idle: a session is sealed once its last recorded moment is this far
	// in the past (default 30 minutes, the SDKs' session timeout) …
	Idle time.Duration
	// … and its last chunk came at least Grace ago (default 1 minute).
	Grace time.Duration
	// JourneyWait: a session whose events are not in the store yet (the
	// pipeline's loader behind, as during a backfill) waits for them this
	// long after its last chunk before it is sealed without them (default
	// 10 minutes): the seal joins the recording to them (the service's
	// name, the clicks' text and traces, the backend's errors) once only.
	JourneyWait time.Duration
	// Retention: recordings are deleted this long after their last moment
	// (default 30 days).
	Retention time.Duration
	// Tick: how often sealing and retention run (default 10 s).
	Tick time.Duration
	Now  func() time.Time
}

func (o *Options) setDefaults() {
	o.Limits.setDefaults()
	if o.Idle <= 0 {
		o.Idle = 30 * time.Minute
	}
	if o.Grace <= 0 {
		o.Grace = time.Minute
	}
	if o.JourneyWait <= 0 {
		o.JourneyWait = 10 * time.Minute
	}
	if o.Retention <= 0 {
		o.Retention = 30 * 24 * time.Hour
	}
	if o.Tick <= 0 {
		o.Tick = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Service takes recordings in, serves them back and seals sessions. Its
// methods are safe for concurrent use.
type Service struct {
	opts     Options
	blobs    Blobs
	wal      WAL
	policies Policies
	reader   store.Reader
	log      *slog.Logger

	mu      sync.Mutex
	pending map[sessionKey]int64 // bytes acknowledged but not yet in blobs
	sink    Sink

	stats stats
}

type sessionKey struct {
	project int64
	session string
}

// New builds a Service over blobs. wal takes chunks (nil until SetWAL:
// the pipeline is opened with the service's Writer); reader reads the
// sessions' journeys when they are sealed.
func New(opts Options, blobs Blobs, wal WAL, policies Policies, reader store.Reader, log *slog.Logger) *Service {
	opts.setDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{opts: opts, blobs: blobs, wal: wal, policies: policies, reader: reader, log: log.With("component", "replay"),
		pending: map[sessionKey]int64{}}
}

// Writer wraps the events store for the pipeline's loader: chunks go to
// this service's blobs.
func (s *Service) Writer(next store.Writer) *Writer {
	w := NewWriter(next, s.blobs)
	w.loaded = s.loaded
	return w
}

// SetWAL names the log chunks are written to.
func (s *Service) SetWAL(wal WAL) {
	s.mu.Lock()
	s.wal = wal
	s.mu.Unlock()
}

// SetSink names where the sessions' kind:replay events go (the ingest
// sink, which processes them like any event); until then none is written.
func (s *Service) SetSink(sink Sink) {
	s.mu.Lock()
	s.sink = sink
	s.mu.Unlock()
}

// Policy is the project's recording settings.
func (s *Service) Policy(ctx context.Context, project int64) (Policy, error) {
	if s.policies == nil {
		return Policy{}, nil
	}
	return s.policies.ReplayPolicy(ctx, project)
}

// Accepted is the answer to a chunk.
type Accepted struct {
	SessionID string `json:"session_id"`
	Events    int    `json:"events"`
	Bytes     int    `json:"bytes"` // stored, compressed
}

// Accept takes one chunk as sent by the SDK, from a page at origin (""
// when not from a browser), into the write-ahead log. It returns once the
// chunk is durable.
func (s *Service) Accept(ctx context.Context, project int64, origin string, body []byte) (Accepted, error) {
	pol, err := s.Policy(ctx, project)
	if err != nil {
		return Accepted{}, err
	}
	if !pol.Enabled {
		s.stats.refused.Add(1)
		return Accepted{}, forbiddenf(ErrDisabled, "turn it on in the project's capture settings (session_recording)")
	}
	if !pol.AllowsOrigin(origin) {
		s.stats.refused.Add(1)
		return Accepted{}, forbiddenf(ErrOrigin, "%q is not among the project's allowed origins", origin)
	}
	now := s.opts.Now()
	c, err := DecodeChunk(body, now, s.opts.Limits)
	if err != nil {
		s.stats.refused.Add(1)
		return Accepted{}, err
	}
	c.ProjectID = project
	if err := s.submit(ctx, []Chunk{c}, now); err != nil {
		return Accepted{}, err
	}
	return Accepted{SessionID: c.SessionID, Events: c.Events, Bytes: len(c.Data)}, nil
}

// submit admits chunks against their sessions' limits and logs them.
func (s *Service) submit(ctx context.Context, chunks []Chunk, now time.Time) error {
	add := map[sessionKey]int64{}
	for _, c := range chunks {
		add[sessionKey{c.ProjectID, c.SessionID}] += int64(len(c.Data))
	}
	for k, n := range add {
		stored := int64(0)
		got, err := s.blobs.Sessions(ctx, k.project, []string{k.session})
		if err != nil {
			return err
		}
		if len(got) > 0 {
			stored = got[0].Bytes
		}
		s.mu.Lock()
		total := stored + s.pending[k] + n
		s.mu.Unlock()
		if total > s.opts.Limits.MaxSessionBytes {
			s.stats.refused.Add(1)
			return tooLargef("session %q would hold %d bytes of recording, over the %d-byte limit per session: the rest of it is not recorded",
				k.session, total, s.opts.Limits.MaxSessionBytes)
		}
	}
	recs := make([]event.Event, len(chunks))
	for i := range chunks {
		recs[i] = chunks[i].record(now.UnixMicro())
	}
	s.mu.Lock()
	for k, n := range add {
		s.pending[k] += n
	}
	s.mu.Unlock()
	s.mu.Lock()
	wal := s.wal
	s.mu.Unlock()
	if wal == nil {
		err := errors.New("replay: no write-ahead log to write chunks to")
		s.unpend(add)
		return err
	}
	if err := wal.Submit(ctx, recs); err != nil {
		s.unpend(add)
		return err
	}
	for _, c := range chunks {
		s.stats.chunks.Add(1)
		s.stats.bytes.Add(int64(len(c.Data)))
	}
	return nil
}

// unpend takes back what submit counted for chunks it could not log.
func (s *Service) unpend(add map[sessionKey]int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, n := range add {
		if s.pending[k] -= n; s.pending[k] <= 0 {
			delete(s.pending, k)
		}
	}
}

// loaded is told the chunks the loader stored: no longer pending.
func (s *Service) loaded(chunks []Chunk) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range chunks {
		k := sessionKey{c.ProjectID, c.SessionID}
		if s.pending[k] -= int64(len(c.Data)); s.pending[k] <= 0 {
			delete(s.pending, k)
		}
	}
}

// Sessions returns the recordings of those of ids that have one.
func (s *Service) Sessions(ctx context.Context, project int64, ids []string) ([]SessionInfo, error) {
	return s.blobs.Sessions(ctx, project, ids)
}

// Blobs is the service's store.
func (s *Service) Blobs() Blobs { return s.blobs }

// Limits are the service's limits, defaults filled in.
func (s *Service) Limits() Limits { return s.opts.Limits }

// Recording is a session's recording as the API lists it. Times are
// milliseconds since the epoch on Lore's clock.
type Recording struct {
	SessionID   string            `json:"session_id"`
	UserID      string            `json:"user_id,omitempty"`
	AnonymousID string            `json:"anonymous_id,omitempty"`
	StartMS     int64             `json:"start_ms"`
	EndMS       int64             `json:"end_ms"`
	Pages       int               `json:"pages"`
	Chunks      int               `json:"chunks"`
	Events      int64             `json:"events"`
	Clicks      int64             `json:"clicks"`
	Bytes       int64             `json:"bytes"`
	Sealed      bool              `json:"sealed"`
	Summary     *RecordingSummary `json:"summary,omitempty"` // once sealed: pages, errors, detections
}

// Replays lists the recordings of those of sessions that have one, in
// their order.
func (s *Service) Replays(ctx context.Context, project int64, sessions []string) ([]Recording, error) {
	got, err := s.blobs.Sessions(ctx, project, sessions)
	if err != nil {
		return nil, err
	}
	return recordings(got), nil
}

// ReplaysOf lists the recordings of persons (user ids, or the anonymous
// ids of visitors who never signed in) overlapping [from, to] (ms), newest
// first, at most limit.
func (s *Service) ReplaysOf(ctx context.Context, project int64, persons []string, from, to int64, limit int) ([]Recording, error) {
	got, err := s.blobs.SessionsOf(ctx, project, persons, from, to, limit)
	if err != nil {
		return nil, err
	}
	return recordings(got), nil
}

func recordings(got []SessionInfo) []Recording {
	out := make([]Recording, 0, len(got))
	for _, si := range got {
		in := Recording{SessionID: si.SessionID, UserID: si.UserID, AnonymousID: si.AnonymousID, StartMS: si.First + si.SkewMS,
			EndMS: si.Last + si.SkewMS, Pages: si.Pages, Chunks: si.Chunks, Events: si.Events, Clicks: si.Clicks, Bytes: si.Bytes, Sealed: si.Sealed}
		if si.Sealed && len(si.Summary) > 0 {
			var d RecordingSummary
			if json.Unmarshal(si.Summary, &d) == nil {
				in.Summary = &d
			}
		}
		out = append(out, in)
	}
	return out
}

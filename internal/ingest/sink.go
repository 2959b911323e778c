package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/metrics"
)

// Request is one client request's decoded rows, as a decoder yields them.
type Request struct {
	// ProjectID is the authenticated project, set on every row (0 leaves
	// the rows' own).
	ProjectID int64
	// Route labels the request in metrics: a route pattern or a listener
	// ("/api/v1/ingest", "syslog"), never a path a client chose.
	Route string
	// Events are the rows, in order. The sink may change them in place
	// (limits, processors) and keeps them: the caller must not touch them
	// after Write.
	Events []event.Event
	// Rejected counts the rows the decoder could not read, by a short,
	// stable reason ("invalid JSON"); the handler tells the client which.
	Rejected map[string]int
}

// Receipt says what the sink did with a request's rows.
type Receipt struct {
	Stored  int // made durable
	Dropped int // dropped by a processor's rule (inbound filters, rate limits)
}

// Writer is what a protocol listener needs of the sink.
type Writer interface {
	// Authenticate resolves an ingest key to its project; errors are
	// errs.Unauthorized (missing or unknown key) or errs.Forbidden (a key
	// that cannot ingest).
	Authenticate(ctx context.Context, key string) (projectID int64, err error)
	// Write is Sink.Write.
	Write(ctx context.Context, r Request) (Receipt, error)
	// Reject counts n rows or requests refused before the sink, by route
	// and reason, for those that have nowhere else to report them.
	Reject(route, reason string, n int)
}

// Admitter holds room for a request in the backlog of acknowledged rows
// not yet stored (the pipeline). A full backlog is errs.Overloaded with
// RetryAfter.
type Admitter interface {
	Reserve(ctx context.Context, events []event.Event) (Reservation, error)
}

// Reservation is the room held for one request; exactly one of Commit
// (durably log these events, returning once they are on disk) and Release
// (give the room back) ends it.
type Reservation interface {
	Commit(ctx context.Context, events []event.Event) error
	Release()
}

// Processor changes rows at ingest, after admission and before the durable
// commit: pattern ids, error detection and grouping, the field catalogue.
// It may change events in place, drop some (returning the kept ones) or
// fail the request. Processors must be safe for concurrent use.
type Processor interface {
	Process(ctx context.Context, events []event.Event) ([]event.Event, error)
}

// Keys resolves ingest keys (the metadata store, through the app).
type Keys interface {
	IngestProject(ctx context.Context, key string) (int64, error)
}

// Limits bound a request (MaxRows, 413 beyond) and each of its rows
// (Event, clamped and flagged).
type Limits struct {
	MaxRows int // rows per request, every protocol (the --max-lines limit); 0: none
	Event   EventLimits
}

// SinkConfig is what a Sink is built from.
type SinkConfig struct {
	Limits     Limits
	Admitter   Admitter
	Processors []Processor // run in order
	Keys       Keys        // for Authenticate; nil refuses every key
	Metrics    *metrics.Registry
	Now        func() time.Time
	Log        *slog.Logger
}

// Sink is the one way rows get into Lore. Every protocol's decoded rows go
// through Write, which owns, in this order: the limits (rows per request,
// then each row's), admission (room in the backlog; a request refused here
// has not been processed, so it leaves no trace and its retry is counted
// once), processing (the processors in order) and the durable commit.
// Its methods are safe for concurrent use.
type Sink struct {
	cfg      SinkConfig
	accepted *metrics.CounterVec
	rejected *metrics.CounterVec
}

var _ Writer = (*Sink)(nil)

// NewSink builds a sink.
func NewSink(cfg SinkConfig) *Sink {
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Sink{
		cfg:      cfg,
		accepted: cfg.Metrics.Counter("lore_events_accepted_total", "Events accepted, by ingest path.", "path"),
		rejected: cfg.Metrics.Counter("lore_events_rejected_total", "Events or requests rejected, by ingest path and reason.", "path", "reason"),
	}
}

// Limits are the sink's limits.
func (s *Sink) Limits() Limits { return s.cfg.Limits }

// Write runs a request's rows through the limits, admission, the
// processors and the durable commit, and returns once they are on disk.
// Errors are errs kinds: TooLarge (more rows than MaxRows, or more bytes
// than one request may log), Overloaded (the backlog is full; RetryAfter
// says when to retry; nothing was processed), Unavailable (shutting
// down); any other error is internal.
func (s *Sink) Write(ctx context.Context, r Request) (Receipt, error) {
	for reason, n := range r.Rejected {
		s.rejected.Add(float64(n), r.Route, reason)
	}
	evs := r.Events
	if len(evs) == 0 {
		return Receipt{}, nil
	}
	if max := s.cfg.Limits.MaxRows; max > 0 && len(evs) > max {
		s.rejected.Add(1, r.Route, "too many rows")
		return Receipt{}, errs.New(errs.TooLarge, "too many events: %d (max %d per request); split the batch", len(evs), max)
	}
	now := s.cfg.Now().UnixMicro()
	for i := range evs {
		if r.ProjectID != 0 {
			evs[i].ProjectID = r.ProjectID
		}
		s.cfg.Limits.Event.Apply(&evs[i], now)
	}
	res, err := s.cfg.Admitter.Reserve(ctx, evs)
	if err != nil {
		if k := errs.KindOf(err); k == errs.Overloaded || k == errs.Unavailable || k == errs.TooLarge {
			s.rejected.Add(float64(len(evs)), r.Route, k.String())
		}
		return Receipt{}, err
	}
	n := len(evs)
	for _, p := range s.cfg.Processors {
		if evs, err = p.Process(ctx, evs); err != nil {
			res.Release()
			return Receipt{}, fmt.Errorf("process %d events: %w", n, err)
		}
		if len(evs) == 0 {
			break
		}
	}
	if len(evs) == 0 {
		res.Release()
		return Receipt{Dropped: n}, nil
	}
	if err := res.Commit(ctx, evs); err != nil {
		return Receipt{}, fmt.Errorf("log %d events: %w", len(evs), err)
	}
	s.accepted.Add(float64(len(evs)), r.Route)
	return Receipt{Stored: len(evs), Dropped: n - len(evs)}, nil
}

// Authenticate resolves an ingest key to its project.
func (s *Sink) Authenticate(ctx context.Context, key string) (int64, error) {
	if key == "" {
		return 0, errs.New(errs.Unauthorized, "missing API key")
	}
	if s.cfg.Keys == nil {
		return 0, errs.New(errs.Unauthorized, "unknown API key")
	}
	return s.cfg.Keys.IngestProject(ctx, key)
}

// Reject counts n rows or requests of route refused before the sink (the
// body could not be read or decoded, a listener could not parse a record).
func (s *Sink) Reject(route, reason string, n int) {
	s.rejected.Add(float64(n), route, reason)
}

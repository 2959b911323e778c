package check

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/outbound"
)

// Store keeps checks and their latest results (*meta.Store).
type Store interface {
	AllChecks(ctx context.Context) ([]meta.CheckSchedule, error)
	RecordCheckResult(ctx context.Context, id int64, r meta.CheckResult, at time.Time, follows *time.Time) (changed bool, err error)
}

var _ Store = (*meta.Store)(nil)

// Sink stores events durably: the ingest path's processors and write-ahead
// log, as any client's events.
type Sink interface {
	Submit(ctx context.Context, events []event.Event) error
}

// Config is what a Runner is built from.
type Config struct {
	Checks Store
	Sink   Sink
	// Outbound is how checks connect: AllowInternal (checks watch
	// internal services; link-local refused), AllowPrivate with
	// --allow-private-webhooks, RootCAs in tests. Timeouts are the
	// checks' own.
	Outbound outbound.Options
	Log      *slog.Logger
	Now      func() time.Time
	// Parallel bounds the checks running at once; default 16.
	Parallel int
	// Ran is told of every result, and whether the check's status changed
	// (monitors of kind check are evaluated at once); nil: nothing.
	Ran func(c meta.Check, r Result, changed bool)
}

// Runner runs every project's checks on their intervals.
type Runner struct {
	cfg   Config
	slots chan struct{}

	mu      sync.Mutex
	running map[int64]bool
}

// New builds a Runner.
func New(cfg Config) *Runner {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 16
	}
	if cfg.Ran == nil {
		cfg.Ran = func(meta.Check, Result, bool) {}
	}
	return &Runner{cfg: cfg, slots: make(chan struct{}, cfg.Parallel), running: map[int64]bool{}}
}

// Run starts the checks that are due every tick until ctx is done, then
// waits for those running.
func (r *Runner) Run(ctx context.Context, tick time.Duration) {
	var wg sync.WaitGroup
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		r.startDue(ctx, &wg)
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-t.C:
		}
	}
}

// Due reports whether a check that last ran at last (zero: never) runs at
// now.
func Due(last time.Time, interval time.Duration, now time.Time) bool {
	return last.IsZero() || !now.Before(last.Add(interval)) || now.Before(last)
}

func (r *Runner) startDue(ctx context.Context, wg *sync.WaitGroup) {
	cs, err := r.cfg.Checks.AllChecks(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.cfg.Log.Warn("list checks", "err", err)
		}
		return
	}
	now := r.cfg.Now()
	for _, c := range cs {
		if !Due(c.LastRun, c.IntervalDuration(), now) {
			continue
		}
		r.mu.Lock()
		busy := r.running[c.ID]
		if !busy {
			r.running[c.ID] = true
		}
		r.mu.Unlock()
		if busy {
			continue
		}
		select {
		case r.slots <- struct{}{}:
		case <-ctx.Done():
			r.mu.Lock()
			delete(r.running, c.ID)
			r.mu.Unlock()
			return
		}
		wg.Go(func() {
			defer func() {
				<-r.slots
				r.mu.Lock()
				delete(r.running, c.ID)
				r.mu.Unlock()
			}()
			_, err := r.run(ctx, c.Check, &c.LastRun)
			switch {
			case errors.Is(err, meta.ErrSuperseded):
				r.cfg.Log.Debug("uptime check run meanwhile by another node", "check", c.ID, "err", err)
			case err != nil && ctx.Err() == nil && !errors.Is(err, meta.ErrNotFound):
				r.cfg.Log.Warn("uptime check", "check", c.ID, "name", c.Name, "err", err)
			}
		})
	}
}

// RunOnce runs check c now: probes it, records the result on the check
// and stores its event. A failure to store the event is reported; the
// result is kept on the check regardless.
func (r *Runner) RunOnce(ctx context.Context, c meta.Check) (Result, error) {
	return r.run(ctx, c, nil)
}

// run is RunOnce for a run scheduled from the check's last run at
// *follows (nil: on demand): when another node ran it since, nothing is
// recorded or stored and the error is meta.ErrSuperseded.
func (r *Runner) run(ctx context.Context, c meta.Check, follows *time.Time) (Result, error) {
	res := Probe(ctx, r.cfg.Outbound, c, r.cfg.Now)
	if ctx.Err() != nil {
		return res, ctx.Err() // shutting down: the result says nothing of the target
	}
	at, _ := time.Parse(time.RFC3339Nano, res.At)
	changed, err := r.cfg.Checks.RecordCheckResult(ctx, c.ID, res.CheckResult, at, follows)
	if err != nil {
		return res, err
	}
	r.cfg.Ran(c, res, changed)
	if err := r.cfg.Sink.Submit(ctx, []event.Event{Event(c, res, r.cfg.Now())}); err != nil {
		return res, fmt.Errorf("store the result of check %d as an event: %w", c.ID, err)
	}
	return res, nil
}

// Event is a check's result as a kind:check event: service is the check's
// name, endpoint its URL, with the HTTP status, the latency as
// duration_ms and, when down, the level error, error_type the kind of
// failure and the message why. A certificate close to its end makes the
// level warn.
func Event(c meta.Check, res Result, received time.Time) event.Event {
	at, _ := time.Parse(time.RFC3339Nano, res.At)
	e := event.Event{
		ProjectID: c.ProjectID, TS: at.UnixMicro(), ReceivedAt: received.UnixMicro(),
		Kind: event.KindCheck, Level: event.LevelInfo, Service: c.Name, Name: "uptime check",
		HTTPMethod: "GET", Endpoint: c.URL, HTTPStatus: int32(res.StatusCode), DurationMS: res.LatencyMS,
		Attributes: []event.Attr{{Key: "check.id", Value: strconv.FormatInt(c.ID, 10)}},
	}
	status := meta.CheckUp
	switch {
	case !res.Up():
		status, e.Level, e.ErrorType = meta.CheckDown, event.LevelError, res.Fail
		e.Message = fmt.Sprintf("%s is down: %s", c.Name, res.Error)
	case res.TLSExpiring:
		e.Level = event.LevelWarn
		e.Message = fmt.Sprintf("%s is up (%d in %.0f ms); its certificate expires in %d days", c.Name, res.StatusCode, res.LatencyMS, *res.TLSDaysLeft)
	default:
		e.Message = fmt.Sprintf("%s is up (%d in %.0f ms)", c.Name, res.StatusCode, res.LatencyMS)
	}
	e.Attributes = append(e.Attributes, event.Attr{Key: "check.status", Value: status})
	if res.TLSDaysLeft != nil {
		e.Attributes = append(e.Attributes,
			event.Attr{Key: "tls.expires_at", Value: res.TLSExpiresAt},
			event.Attr{Key: "tls.days_left", Value: strconv.Itoa(*res.TLSDaysLeft)})
	}
	return e
}

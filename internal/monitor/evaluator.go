package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/lore-dev/lore/internal/meta"
)

// Store keeps monitors and their state (*meta.Store).
type Store interface {
	AllMonitors(ctx context.Context) ([]meta.Monitor, error)
	Monitor(ctx context.Context, project, id int64) (meta.Monitor, error)
	RecordEvaluation(ctx context.Context, project, id int64, e meta.Evaluation) error
	// AllChecks lists the uptime checks with their status, for the
	// monitors of kind check.
	AllChecks(ctx context.Context) ([]meta.CheckSchedule, error)
}

var _ Store = (*meta.Store)(nil)

// Config is what an Evaluator is built from.
type Config struct {
	Monitors Store
	Sources  Sources
	// Wake is called after notifications were queued (the dispatcher's
	// Wake); nil: nothing.
	Wake func()
	// PublicURL is Lore's address as people reach it, for the links in
	// notifications ("https://lore.example.com"); nil or "" leaves them
	// relative. A function: the port is known only once Lore listens.
	PublicURL func() string
	Log       *slog.Logger
	Now       func() time.Time // nil: time.Now
	// Parallel bounds the evaluations running at once; default 4. A slow
	// monitor occupies one slot until its timeout, never the others.
	Parallel int
	// EvidenceTimeout bounds gathering a notification's evidence; 10s.
	EvidenceTimeout time.Duration
	// Evaluated is told of each evaluation: how long it took, how late it
	// started after it was due, and its error (nil: nothing).
	Evaluated func(m meta.Monitor, took, late time.Duration, err error)
}

// Evaluator evaluates monitors: all those due, on a ticker (Run), or one
// on demand (Evaluate). Up to Parallel evaluations run at once, each
// under its monitor's timeout; one monitor is never evaluated twice at
// once. It is safe for concurrent use.
type Evaluator struct {
	cfg   Config
	slots chan struct{}
	nudge chan struct{}

	mu      sync.Mutex
	locks   map[int64]*sync.Mutex
	running map[int64]bool
	checks  map[int64]bool // checks whose status changed: their monitors are due at once
}

// New builds an Evaluator.
func New(cfg Config) *Evaluator {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 4
	}
	if cfg.EvidenceTimeout <= 0 {
		cfg.EvidenceTimeout = 10 * time.Second
	}
	if cfg.PublicURL == nil {
		cfg.PublicURL = func() string { return "" }
	}
	if cfg.Wake == nil {
		cfg.Wake = func() {}
	}
	if cfg.Evaluated == nil {
		cfg.Evaluated = func(meta.Monitor, time.Duration, time.Duration, error) {}
	}
	return &Evaluator{cfg: cfg, slots: make(chan struct{}, cfg.Parallel), nudge: make(chan struct{}, 1),
		locks: map[int64]*sync.Mutex{}, running: map[int64]bool{}, checks: map[int64]bool{}}
}

// CheckChanged makes the monitors of an uptime check due now: its status
// changed, and an outage is told at once, not at the monitor's next
// interval.
func (e *Evaluator) CheckChanged(check int64) {
	e.mu.Lock()
	e.checks[check] = true
	e.mu.Unlock()
	e.Nudge()
}

// Nudge makes Run look for due monitors now rather than at its next tick.
func (e *Evaluator) Nudge() {
	select {
	case e.nudge <- struct{}{}:
	default:
	}
}

// Run evaluates the monitors that are due every tick (or when nudged)
// until ctx is done; it returns once its evaluations have stopped.
func (e *Evaluator) Run(ctx context.Context, tick time.Duration) {
	var wg sync.WaitGroup
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		e.startDue(ctx, &wg)
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-t.C:
		case <-e.nudge:
		}
	}
}

// EvaluateDue evaluates every monitor that is due, and waits for them.
func (e *Evaluator) EvaluateDue(ctx context.Context) {
	var wg sync.WaitGroup
	e.startDue(ctx, &wg)
	wg.Wait()
}

// startDue starts an evaluation of each due monitor that is not running,
// the most overdue first, while slots are free; the others wait for the
// next tick.
func (e *Evaluator) startDue(ctx context.Context, wg *sync.WaitGroup) {
	ms, err := e.cfg.Monitors.AllMonitors(ctx)
	if err != nil {
		if ctx.Err() == nil {
			e.cfg.Log.Warn("list monitors", "err", err)
		}
		return
	}
	now := e.cfg.Now()
	type due struct {
		m  meta.Monitor
		at time.Time
	}
	e.mu.Lock()
	changed := e.checks
	e.checks = map[int64]bool{}
	e.mu.Unlock()
	down := e.checksDown(ctx, ms)
	var ds []due
	for _, m := range ms {
		last, _ := time.Parse(time.RFC3339Nano, m.LastEvaluated)
		if m.Kind == meta.MonitorCheck && (changed[m.Check] || disagrees(m, down)) {
			last = time.Time{}
		}
		if Due(last, m.IntervalDuration(), now) {
			at := now
			if !last.IsZero() {
				at = last.Add(m.IntervalDuration())
			}
			ds = append(ds, due{m, at})
		}
	}
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].at.Before(ds[j].at) })
	for i, d := range ds {
		e.mu.Lock()
		busy := e.running[d.m.ID]
		e.mu.Unlock()
		if busy {
			e.keepChanged(d.m, changed)
			continue
		}
		select {
		case e.slots <- struct{}{}:
		default:
			for _, rest := range ds[i:] { // all slots busy: the rest at the next tick
				e.keepChanged(rest.m, changed)
			}
			return
		}
		e.mu.Lock()
		e.running[d.m.ID] = true
		e.mu.Unlock()
		wg.Go(func() {
			defer func() {
				e.mu.Lock()
				delete(e.running, d.m.ID)
				e.mu.Unlock()
				<-e.slots
			}()
			late := max(e.cfg.Now().Sub(d.at), 0)
			// A monitor deleted since the listing is no failure.
			if _, err := e.evaluate(ctx, d.m.ProjectID, d.m.ID, late); err != nil && ctx.Err() == nil && !errors.Is(err, meta.ErrNotFound) {
				e.cfg.Log.Warn("evaluate monitor", "monitor", d.m.ID, "name", d.m.Name, "err", err)
			}
		})
	}
}

// checksDown reads whether each check is down, when a monitor of ms
// measures a check's status (nil otherwise, or when it cannot be read).
func (e *Evaluator) checksDown(ctx context.Context, ms []meta.Monitor) map[int64]bool {
	if !slices.ContainsFunc(ms, func(m meta.Monitor) bool { return m.Kind == meta.MonitorCheck && m.Measure == "down" }) {
		return nil
	}
	cs, err := e.cfg.Monitors.AllChecks(ctx)
	if err != nil {
		if ctx.Err() == nil {
			e.cfg.Log.Warn("list checks", "err", err)
		}
		return nil
	}
	down := make(map[int64]bool, len(cs))
	for _, c := range cs {
		if c.Status == meta.CheckUp || c.Status == meta.CheckDown {
			down[c.ID] = c.Status == meta.CheckDown
		}
	}
	return down
}

// disagrees reports whether m, a monitor of whether a check is down,
// last measured another status than the check has now: the check's
// status changed since, perhaps on another node (whose nudge, CheckChanged,
// this evaluator never had), and m is due at once.
func disagrees(m meta.Monitor, down map[int64]bool) bool {
	isDown, known := down[m.Check]
	return known && m.Measure == "down" && m.Value != nil && (*m.Value >= 1) != isDown
}

// keepChanged keeps a changed check for the next round when its monitor m
// could not start in this one.
func (e *Evaluator) keepChanged(m meta.Monitor, changed map[int64]bool) {
	if m.Kind == meta.MonitorCheck && changed[m.Check] {
		e.mu.Lock()
		e.checks[m.Check] = true
		e.mu.Unlock()
	}
}

// Evaluate evaluates one monitor now and returns it with its new state.
// A failed measurement is no error: it is the monitor's error state.
func (e *Evaluator) Evaluate(ctx context.Context, project, id int64) (meta.Monitor, error) {
	return e.evaluate(ctx, project, id, 0)
}

// lock serialises the evaluations of one monitor.
func (e *Evaluator) lock(id int64) func() {
	e.mu.Lock()
	l := e.locks[id]
	if l == nil {
		l = new(sync.Mutex)
		e.locks[id] = l
	}
	e.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// evaluate measures a monitor under its timeout, plans its new state,
// builds the notifications and records it all in one transaction, unless
// the monitor was evaluated since it was read (by another node).
func (e *Evaluator) evaluate(ctx context.Context, project, id int64, late time.Duration) (meta.Monitor, error) {
	defer e.lock(id)()
	m, err := e.cfg.Monitors.Monitor(ctx, project, id)
	if err != nil {
		return meta.Monitor{}, err
	}
	start := e.cfg.Now()
	mctx, cancel := context.WithTimeout(ctx, m.TimeoutDuration())
	readings, merr := Measure(mctx, e.cfg.Sources, m, start)
	timedOut := errors.Is(mctx.Err(), context.DeadlineExceeded)
	cancel()
	if merr != nil && ctx.Err() != nil {
		return meta.Monitor{}, ctx.Err() // shutting down: record nothing
	}
	if merr != nil && timedOut {
		merr = fmt.Errorf("%w (%s): %v", errTimeout, m.TimeoutDuration(), merr)
	}
	if merr == nil && len(readings) > meta.MaxMonitorGroups {
		sort.SliceStable(readings, func(i, j int) bool { return readings[i].Value > readings[j].Value })
		readings = readings[:meta.MaxMonitorGroups]
	}
	now := e.cfg.Now()
	follows, _ := time.Parse(time.RFC3339Nano, m.LastEvaluated) // zero: never evaluated
	ev, fires := Plan(&m, readings, merr, now)
	ev.Follows = &follows
	if m.Webhook == "" && len(m.Channels) == 0 {
		fires = nil // no destination: nothing to send (the history says so)
	}
	for _, f := range fires {
		msg := e.message(ctx, m, f, now)
		body, err := json.Marshal(msg)
		if err != nil {
			return meta.Monitor{}, fmt.Errorf("encode notification of monitor %d: %w", m.ID, err)
		}
		for _, ch := range m.Channels {
			ev.Outgoing = append(ev.Outgoing, meta.Outgoing{ProjectID: m.ProjectID, ChannelID: ch, MonitorID: m.ID, Body: body, Change: f.change})
		}
		if m.Webhook != "" {
			ev.Outgoing = append(ev.Outgoing, meta.Outgoing{ProjectID: m.ProjectID, URL: m.Webhook, MonitorID: m.ID, Body: body, Change: f.change})
		}
	}
	if err := e.cfg.Monitors.RecordEvaluation(ctx, m.ProjectID, m.ID, ev); errors.Is(err, meta.ErrSuperseded) {
		// Another node evaluated it meanwhile (a lease changing hands, or
		// an evaluation asked of another node): its result stands.
		e.cfg.Log.Debug("monitor evaluated meanwhile by another node", "monitor", m.ID, "err", err)
		return e.cfg.Monitors.Monitor(ctx, m.ProjectID, m.ID)
	} else if err != nil {
		return meta.Monitor{}, err
	}
	if len(ev.Outgoing) > 0 {
		e.cfg.Wake()
	}
	e.cfg.Evaluated(m, e.cfg.Now().Sub(start), late, merr)
	return e.cfg.Monitors.Monitor(ctx, m.ProjectID, m.ID)
}

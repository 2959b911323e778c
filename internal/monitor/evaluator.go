package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/store"
)

// Store keeps monitors and their state (*meta.Store).
type Store interface {
	AllMonitors(ctx context.Context) ([]meta.Monitor, error)
	Monitor(ctx context.Context, project, id int64) (meta.Monitor, error)
	RecordMonitorStatus(ctx context.Context, project, id int64, from string, threshold float64, st meta.MonitorStatus) error
}

var _ Store = (*meta.Store)(nil)

// Config is what an Evaluator is built from.
type Config struct {
	Monitors Store
	Events   store.Reader
	Signals  SignalReader
	Log      *slog.Logger
	Now      func() time.Time // nil: time.Now
	// Client posts webhooks; nil: a client with WebhookTimeout.
	Client         *http.Client
	WebhookTimeout time.Duration // default 5s
	// Delivered is told of each webhook post: ok or why not (nil: nothing).
	Delivered func(ok bool)
}

// Notification is the JSON body posted to a monitor's webhook when it
// enters or leaves alert.
type Notification struct {
	Monitor   NotifiedMonitor `json:"monitor"`
	From      string          `json:"from"`
	To        string          `json:"to"`
	Value     *float64        `json:"value"`
	Threshold float64         `json:"threshold"`
	At        string          `json:"at"`   // RFC 3339
	Text      string          `json:"text"` // one line for chat tools
}

// NotifiedMonitor is the monitor as a notification describes it.
type NotifiedMonitor struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Query   string `json:"query"`
	Op      string `json:"op"`
	Window  string `json:"window"`
	Measure string `json:"measure,omitempty"`
}

// webhookQueue bounds the notifications waiting for delivery; past it a
// notification is dropped (and counted as failed) rather than blocking an
// evaluation.
const webhookQueue = 256

type delivery struct {
	url string
	n   Notification
}

// Evaluator evaluates monitors: all those due, on a ticker (Run), or one
// on demand (Evaluate). Evaluations are serialised, so a state change is
// recorded once. It is safe for concurrent use.
type Evaluator struct {
	cfg   Config
	mu    sync.Mutex // one evaluation at a time
	queue chan delivery
}

// New builds an Evaluator.
func New(cfg Config) *Evaluator {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.WebhookTimeout <= 0 {
		cfg.WebhookTimeout = 5 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: cfg.WebhookTimeout}
	}
	if cfg.Delivered == nil {
		cfg.Delivered = func(bool) {}
	}
	return &Evaluator{cfg: cfg, queue: make(chan delivery, webhookQueue)}
}

// Run evaluates the monitors that are due every tick and delivers webhooks
// until ctx is done; it returns once its goroutines have stopped.
func (e *Evaluator) Run(ctx context.Context, tick time.Duration) {
	var wg sync.WaitGroup
	wg.Go(func() { e.deliver(ctx) })
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		e.EvaluateDue(ctx)
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-t.C:
		}
	}
}

// EvaluateDue evaluates every monitor whose interval has passed since its
// last evaluation; failures are logged and left on the monitor.
func (e *Evaluator) EvaluateDue(ctx context.Context) {
	ms, err := e.cfg.Monitors.AllMonitors(ctx)
	if err != nil {
		if ctx.Err() == nil {
			e.cfg.Log.Warn("list monitors", "err", err)
		}
		return
	}
	for _, m := range ms {
		if ctx.Err() != nil {
			return
		}
		last, _ := time.Parse(time.RFC3339Nano, m.LastEvaluated)
		if !Due(last, m.IntervalDuration(), e.cfg.Now()) {
			continue
		}
		// A monitor deleted since the listing is no failure.
		if _, err := e.evaluate(ctx, m); err != nil && ctx.Err() == nil && !errors.Is(err, meta.ErrNotFound) {
			e.cfg.Log.Warn("evaluate monitor", "monitor", m.ID, "name", m.Name, "err", err)
		}
	}
}

// Evaluate evaluates one monitor now and returns it with its new state.
func (e *Evaluator) Evaluate(ctx context.Context, project, id int64) (meta.Monitor, error) {
	m, err := e.cfg.Monitors.Monitor(ctx, project, id)
	if err != nil {
		return meta.Monitor{}, err
	}
	return e.evaluate(ctx, m)
}

// evaluate measures m, records its state (and a change in its history)
// and queues the webhook of a change that notifies. A failed measurement
// keeps the state and records the error.
func (e *Evaluator) evaluate(ctx context.Context, m meta.Monitor) (meta.Monitor, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	// Re-read under the lock: another evaluation may have just changed it.
	m, err := e.cfg.Monitors.Monitor(ctx, m.ProjectID, m.ID)
	if err != nil {
		return meta.Monitor{}, err
	}
	now := e.cfg.Now()
	r, merr := Measure(ctx, e.cfg.Events, e.cfg.Signals, m, now)
	if merr != nil && ctx.Err() != nil {
		return meta.Monitor{}, merr
	}
	from := m.State
	since, _ := time.Parse(time.RFC3339Nano, m.StateSince)
	st := meta.MonitorStatus{State: from, Value: m.Value, At: now, StateSince: since}
	if merr != nil {
		st.Error = merr.Error()
	} else {
		st.State = Decide(r, m.Op, m.Threshold)
		st.Value = nil
		if !r.NoData {
			v := r.Value
			st.Value = &v
		}
	}
	if st.State != from || since.IsZero() {
		st.StateSince = now
	}
	if err := e.cfg.Monitors.RecordMonitorStatus(ctx, m.ProjectID, m.ID, from, m.Threshold, st); err != nil {
		return meta.Monitor{}, err
	}
	if m.Webhook != "" && Notifies(from, st.State, m.Muted) {
		e.enqueue(delivery{url: m.Webhook, n: notification(m, from, st)})
	}
	out, err := e.cfg.Monitors.Monitor(ctx, m.ProjectID, m.ID)
	if err != nil {
		return meta.Monitor{}, err
	}
	if merr != nil {
		return out, fmt.Errorf("evaluate monitor %d (%q): %w", m.ID, m.Name, merr)
	}
	return out, nil
}

func notification(m meta.Monitor, from string, st meta.MonitorStatus) Notification {
	n := Notification{
		Monitor: NotifiedMonitor{ID: m.ID, Name: m.Name, Kind: m.Kind, Query: m.Query, Op: m.Op, Window: m.Window, Measure: m.Measure},
		From:    from, To: st.State, Value: st.Value, Threshold: m.Threshold,
		At: st.At.UTC().Format(time.RFC3339Nano),
	}
	val := "no data"
	if st.Value != nil {
		val = fmt.Sprintf("%.4g", *st.Value)
	}
	verb := "is ALERTING"
	if st.State != meta.StateAlert {
		verb = "recovered (" + st.State + ")"
	}
	n.Text = fmt.Sprintf("[Lore] monitor %q %s: %s %s over %s (value %s, threshold %s %g)",
		m.Name, verb, m.Kind, describe(m), m.Window, val, m.Op, m.Threshold)
	return n
}

func describe(m meta.Monitor) string {
	q := m.Query
	if q == "" {
		q = "*"
	}
	if m.Kind == meta.MonitorQuery && m.Measure != "" {
		return m.Measure + " of " + q
	}
	return "of " + q
}

func (e *Evaluator) enqueue(d delivery) {
	select {
	case e.queue <- d:
	default:
		e.cfg.Log.Warn("monitor webhook queue full: notification dropped", "monitor", d.n.Monitor.ID, "url", d.url)
		e.cfg.Delivered(false)
	}
}

// deliver posts queued notifications until ctx is done.
func (e *Evaluator) deliver(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case d := <-e.queue:
			if err := e.post(ctx, d); err != nil {
				if !errors.Is(err, context.Canceled) {
					e.cfg.Log.Warn("monitor webhook failed", "monitor", d.n.Monitor.ID, "url", d.url, "err", err)
				}
				e.cfg.Delivered(false)
				continue
			}
			e.cfg.Delivered(true)
		}
	}
}

func (e *Evaluator) post(ctx context.Context, d delivery) error {
	body, err := json.Marshal(d.n)
	if err != nil {
		return fmt.Errorf("encode notification: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook %q: %w", d.url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "lore-monitors")
	resp, err := e.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("post webhook %q: %w", d.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("post webhook %q: status %s", d.url, resp.Status)
	}
	return nil
}

package notify

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/lore-dev/lore/internal/meta"
)

// Outbox is where notifications wait for delivery (*meta.Store).
type Outbox interface {
	PendingNotifications(ctx context.Context, limit int) ([]meta.Outgoing, error)
	ClaimNotification(ctx context.Context, o meta.Outgoing, until time.Time) (bool, error)
	ReleaseNotification(ctx context.Context, o meta.Outgoing, until time.Time) error
	RecordAttempt(ctx context.Context, o meta.Outgoing, a meta.Attempt, at, next time.Time) error
	Channel(ctx context.Context, project, id int64) (meta.Channel, error)
	PruneNotifications(ctx context.Context, before time.Time) error
}

var _ Outbox = (*meta.Store)(nil)

// Config is what a Dispatcher is built from.
type Config struct {
	Outbox Outbox
	Sender *Sender
	Log    *slog.Logger
	Now    func() time.Time
	// AttemptTimeout bounds one attempt (a hanging channel's attempt
	// fails after it); default 10s.
	AttemptTimeout time.Duration
	// MaxAttempts is how many times a notification is tried; default 8.
	MaxAttempts int
	// Backoff is the wait before the first retry, doubled after each
	// failure up to MaxBackoff; defaults 2s and 5m (8 attempts span about
	// 4 minutes).
	Backoff, MaxBackoff time.Duration
	// Poll is how often the outbox is read when nothing wakes it; 1s.
	Poll time.Duration
	// Keep is how long sent and failed notifications and the attempts
	// log are kept; default 7 days.
	Keep time.Duration
	// Delivered is told of each attempt's outcome by channel type.
	Delivered func(channelType string, ok bool)
}

// Dispatcher delivers the outbox: one worker per destination (a channel,
// or a monitor's own webhook URL) at a time, so a destination's
// notifications arrive in order and a slow one holds back only its own.
// Each attempt is claimed in the outbox before it is made
// (ClaimNotification), so that dispatchers of several nodes on one
// metadata database never send a notification twice at once, even when
// they overlap while a lease changes hands.
type Dispatcher struct {
	cfg  Config
	wake chan struct{}

	mu   sync.Mutex
	busy map[string]bool
	wg   sync.WaitGroup
}

// NewDispatcher builds a Dispatcher.
func NewDispatcher(cfg Config) *Dispatcher {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.AttemptTimeout <= 0 {
		cfg.AttemptTimeout = 10 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 2 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Minute
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Keep <= 0 {
		cfg.Keep = 7 * 24 * time.Hour
	}
	if cfg.Delivered == nil {
		cfg.Delivered = func(string, bool) {}
	}
	return &Dispatcher{cfg: cfg, wake: make(chan struct{}, 1), busy: map[string]bool{}}
}

// Backoff is the wait after failed attempt n (1-based): base·2^(n-1),
// at most most.
func Backoff(base, most time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < most; i++ {
		d *= 2
	}
	return min(d, most)
}

// Wake makes the dispatcher read the outbox now (a notification was just
// queued).
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is done, then waits for its workers. An attempt
// cut short by the shutdown is not counted: the notification is still
// pending when Lore starts again.
func (d *Dispatcher) Run(ctx context.Context) {
	t := time.NewTicker(d.cfg.Poll)
	defer t.Stop()
	lastPrune := time.Time{}
	for {
		if now := d.cfg.Now(); now.Sub(lastPrune) > time.Hour {
			lastPrune = now
			if err := d.cfg.Outbox.PruneNotifications(ctx, now.Add(-d.cfg.Keep)); err != nil && ctx.Err() == nil {
				d.cfg.Log.Warn("prune notifications", "err", err)
			}
		}
		d.dispatch(ctx)
		select {
		case <-ctx.Done():
			d.wg.Wait()
			return
		case <-t.C:
		case <-d.wake:
		}
	}
}

func target(o meta.Outgoing) string {
	if o.ChannelID == 0 {
		return "url " + o.URL
	}
	return "channel " + strconv.FormatInt(o.ChannelID, 10)
}

// dispatch starts a worker for each destination that has a notification
// due and no worker yet.
func (d *Dispatcher) dispatch(ctx context.Context) {
	// Read under the lock: a worker records its attempt before it leaves
	// busy, so what is read for a destination that is not busy is never
	// older than its last attempt.
	d.mu.Lock()
	defer d.mu.Unlock()
	pending, err := d.cfg.Outbox.PendingNotifications(ctx, 1000)
	if err != nil {
		if ctx.Err() == nil {
			d.cfg.Log.Warn("read notification outbox", "err", err)
		}
		return
	}
	var order []string
	byTarget := map[string][]meta.Outgoing{}
	for _, o := range pending {
		k := target(o)
		if byTarget[k] == nil {
			order = append(order, k)
		}
		byTarget[k] = append(byTarget[k], o)
	}
	now := d.cfg.Now()
	for _, k := range order {
		rows := byTarget[k]
		if d.busy[k] || rows[0].NextAt.After(now) {
			continue
		}
		d.busy[k] = true
		d.wg.Go(func() {
			defer func() {
				d.mu.Lock()
				delete(d.busy, k)
				d.mu.Unlock()
				d.Wake() // more may have been queued meanwhile
			}()
			for _, o := range rows {
				if ctx.Err() != nil || o.NextAt.After(d.cfg.Now()) {
					return
				}
				if retry := d.attempt(ctx, o); retry {
					return // the rest wait behind it, in order
				}
			}
		})
	}
}

// claimSlack is how much longer than an attempt's timeout its claim
// lasts: time to record the attempt, and for the nodes' clocks to differ.
const claimSlack = 20 * time.Second

// attempt claims o, tries it once and records the attempt; it reports
// whether o is to be retried or was not tried (either holds back its
// destination's later notifications).
func (d *Dispatcher) attempt(ctx context.Context, o meta.Outgoing) (retry bool) {
	until := d.cfg.Now().Add(d.cfg.AttemptTimeout + claimSlack)
	claimed, err := d.cfg.Outbox.ClaimNotification(ctx, o, until)
	if err != nil || !claimed {
		if err != nil && ctx.Err() == nil {
			d.cfg.Log.Warn("claim notification", "notification", o.ID, "err", err)
		}
		return true // another dispatcher has it, or the outbox is unreadable
	}
	ch := meta.Channel{Type: meta.ChannelWebhook, Name: "monitor webhook", URL: o.URL}
	if o.ChannelID != 0 {
		ch, err = d.cfg.Outbox.Channel(ctx, o.ProjectID, o.ChannelID)
	}
	start := d.cfg.Now()
	if err == nil {
		var m Message
		if err = json.Unmarshal(o.Body, &m); err == nil {
			actx, cancel := context.WithTimeout(ctx, d.cfg.AttemptTimeout)
			err = d.cfg.Sender.Send(actx, ch, &m)
			cancel()
		}
	}
	if err != nil && ctx.Err() != nil {
		// Shutting down: not the channel's fault; pending again at once.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if rerr := d.cfg.Outbox.ReleaseNotification(rctx, o, until); rerr != nil {
			d.cfg.Log.Warn("release notification", "notification", o.ID, "err", rerr)
		}
		return true
	}
	a := meta.Attempt{Attempt: o.Attempts + 1, OK: err == nil, DurationMS: float64(d.cfg.Now().Sub(start).Microseconds()) / 1000}
	var next time.Time
	if err != nil {
		a.Error = err.Error()
		if a.Attempt < d.cfg.MaxAttempts && !errors.Is(err, meta.ErrNotFound) {
			next = d.cfg.Now().Add(Backoff(d.cfg.Backoff, d.cfg.MaxBackoff, a.Attempt))
		}
		d.cfg.Log.Warn("notification failed", "channel", ch.Name, "type", ch.Type, "monitor", o.MonitorID,
			"attempt", a.Attempt, "retry_at", next, "err", err)
	}
	d.cfg.Delivered(ch.Type, a.OK)
	// Record even if the shutdown begins now: a sent notification must
	// not be sent again after a restart.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if rerr := d.cfg.Outbox.RecordAttempt(rctx, o, a, start, next); rerr != nil {
		d.cfg.Log.Warn("record notification attempt", "notification", o.ID, "err", rerr)
		return true
	}
	return !next.IsZero()
}

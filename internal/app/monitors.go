package app

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lore-dev/lore/internal/analysis/narrative"
	"github.com/lore-dev/lore/internal/check"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/monitor"
	"github.com/lore-dev/lore/internal/notify"
	"github.com/lore-dev/lore/internal/outbound"
	"github.com/lore-dev/lore/internal/server"
)

// alertsTick is how often the evaluator looks for monitors whose
// interval has passed, and the check runner for checks that are due.
const alertsTick = time.Second

// openMonitors wires alerting: the monitor, channel, outbox and check
// tables; the evaluator, the notification dispatcher and the uptime check
// runner (goroutines stopped on shutdown, before the store closes); and
// the monitors, checks, channels and status APIs. Outbound connections go
// through internal/outbound: webhooks and channels refuse loopback and
// private addresses unless AllowPrivateWebhooks; checks may reach
// loopback and private addresses but never link-local ones (cloud
// metadata) unless AllowPrivateWebhooks.
func (a *App) openMonitors(ctx context.Context, deps *server.Deps) error {
	if err := a.meta.MigrateMonitors(ctx); err != nil {
		return err
	}
	notified := a.metrics.Counter("lore_notifications_total", "Notification delivery attempts, by channel type and result (ok or failed).", "type", "result")
	evaluations := a.metrics.Counter("lore_monitor_evaluations_total", "Monitor evaluations, by result (ok, or error: the monitor's measurement failed or timed out).", "result")
	late := a.metrics.Counter("lore_monitor_late_seconds_total", "Seconds monitor evaluations started after they were due (a growing rate means the evaluator falls behind).")
	checked := a.metrics.Counter("lore_checks_total", "Uptime check runs, by result (up or down).", "result")
	a.registerLeaseMetrics()
	sender := notify.NewSender(outbound.Options{AllowPrivate: a.cfg.AllowPrivateWebhooks, RootCAs: a.cfg.OutboundRootCAs}, nil)
	disp := notify.NewDispatcher(notify.Config{Outbox: a.meta, Sender: sender, Log: a.log.With("component", "notify"),
		Delivered: func(typ string, ok bool) { notified.Add(1, typ, result(ok, "ok", "failed")) }})
	src := monitor.Sources{Events: a.reader(), Signals: a.meta, Checks: a.meta}
	if is, ok := deps.Issues.(issueService); ok {
		src.Issues = issueSource{is}
	}
	if deps.Narrative != nil {
		src.Stories, src.Baselines = storySource{deps.Narrative}, baselineSource{deps.Narrative}
	}
	ev := monitor.New(monitor.Config{
		Monitors: a.meta, Sources: src, Wake: disp.Wake, PublicURL: a.publicURL,
		Log: a.log.With("component", "monitors"),
		Evaluated: func(_ meta.Monitor, _, l time.Duration, err error) {
			evaluations.Add(1, result(err == nil, "ok", "error"))
			late.Add(l.Seconds())
		},
	})
	runner := check.New(check.Config{
		Checks: a.meta, Sink: sinkFunc(func(ctx context.Context, events []event.Event) error { return a.submit(ctx, "check", events) }),
		Outbound: outbound.Options{AllowInternal: true, AllowPrivate: a.cfg.AllowPrivateWebhooks, RootCAs: a.cfg.OutboundRootCAs},
		Log:      a.log.With("component", "checks"),
		Ran: func(c meta.Check, r check.Result, changed bool) {
			checked.Add(1, result(r.Up(), "up", "down"))
			if changed {
				ev.CheckChanged(c.ID) // its monitors at once, not at their next interval
			}
		},
	})
	runCtx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	if !a.cfg.NoListen { // an import (lore ingest --data) evaluates, checks and notifies nothing
		// Once across the nodes sharing a PostgreSQL metadata database
		// (nodes.go); each write is also fenced against another node's
		// overlapping run (meta.ErrSuperseded, outbox claims).
		wg.Go(func() {
			a.onCluster(runCtx, leaseAlerts, func(ctx context.Context) {
				var alerts sync.WaitGroup
				alerts.Go(func() { ev.Run(ctx, alertsTick) })
				alerts.Go(func() { runner.Run(ctx, alertsTick) })
				alerts.Wait()
			})
		})
		wg.Go(func() { a.onCluster(runCtx, leaseNotify, disp.Run) })
	}
	a.closers = append(a.closers, func(context.Context) error {
		cancel()
		wg.Wait()
		return nil
	})
	deps.Monitors = monitors{Store: a.meta, Evaluator: ev}
	deps.Checks = &checks{meta: a.meta, runner: runner, events: a.reader()}
	deps.Channels = channels{Store: a.meta, sender: sender, publicURL: a.publicURL}
	return nil
}

func result(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

// publicURL is Lore's address in the links of notifications: --public-url,
// else http://localhost and the port it listens on.
func (a *App) publicURL() string {
	if a.cfg.PublicURL != "" {
		return strings.TrimRight(a.cfg.PublicURL, "/")
	}
	if a.ln != nil {
		_, port, _ := net.SplitHostPort(a.ln.Addr().String())
		return "http://localhost:" + port
	}
	return ""
}

// sinkFunc adapts a function to check.Sink.
type sinkFunc func(ctx context.Context, events []event.Event) error

func (f sinkFunc) Submit(ctx context.Context, events []event.Event) error { return f(ctx, events) }

// monitors serves the monitors API: the rules and history from the
// metadata store, evaluation on demand from the evaluator.
type monitors struct {
	*meta.Store
	*monitor.Evaluator
}

var _ server.MonitorsService = monitors{}

// storyTypes are the card types a story monitor may name.
var storyTypes = []string{narrative.CardThrottling, narrative.CardRetryStorm, narrative.CardCascade, narrative.CardNewError,
	narrative.CardRegression, narrative.CardLatencyRegression, narrative.CardRecurringSpike, narrative.CardHiddenCoupling, narrative.CardFunnelDropoff}

// SaveMonitor refuses a story type the narrative engine does not tell,
// then stores the monitor.
func (m monitors) SaveMonitor(ctx context.Context, project int64, mon meta.Monitor) (meta.Monitor, error) {
	if mon.Kind == meta.MonitorStory && mon.StoryType != "" && !slices.Contains(storyTypes, mon.StoryType) {
		return meta.Monitor{}, fmt.Errorf("%w: unknown story_type %q (want one of %s)", meta.ErrInvalid, mon.StoryType, strings.Join(storyTypes, ", "))
	}
	return m.Store.SaveMonitor(ctx, project, mon)
}

// StoryTypes lists the card types, for the UI's form.
func (monitors) StoryTypes() []string { return storyTypes }

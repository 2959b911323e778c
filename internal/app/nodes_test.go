package app

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/pgtest"
)

// probed is an HTTP target that answers 503 after a second and remembers
// when it was asked: an uptime check's target that is down, and slow, so
// that two nodes running the check would both find it due.
type probed struct {
	mu  sync.Mutex
	at  []time.Time
	srv *httptest.Server
}

func newProbed(t *testing.T) *probed {
	p := &probed{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.at = append(p.at, time.Now())
		p.mu.Unlock()
		time.Sleep(time.Second)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *probed) times() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.at...)
}

// after reports whether a probe came after t.
func (p *probed) after(t time.Time) bool {
	at := p.times()
	return len(at) > 0 && at[len(at)-1].After(t)
}

// watchDown saves, through s, an uptime check of target every 5 seconds
// and a monitor that notifies hook when the check is down.
func watchDown(t *testing.T, s *meta.Store, target, hook string) {
	t.Helper()
	ctx := context.Background()
	c, err := s.SaveCheck(ctx, 1, meta.Check{Name: "api", URL: target, Interval: "5s", Timeout: "2s"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveMonitor(ctx, 1, meta.Monitor{Name: "api down", Kind: meta.MonitorCheck, Check: c.ID, Interval: "5s", Webhook: hook}); err != nil {
		t.Fatal(err)
	}
}

// serve opens an App with cfg (its log discarded) and serves it until stop
// is called or t ends.
func serve(t *testing.T, cfg Config) (a *App, stop func()) {
	t.Helper()
	cfg.Log = slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(context.Background())
	a, err := Open(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("open %s: %v", cmp.Or(cfg.NodeID, cfg.DataDir), err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("%s: serve: %v", cmp.Or(cfg.NodeID, cfg.DataDir), err)
			}
		})
	}
	t.Cleanup(stop)
	return a, stop
}

func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestScheduledWorkRunsOnceAcrossNodes: two nodes on one PostgreSQL
// metadata database (each its own events store) run an uptime check once
// per interval, not once per node, and its monitor notifies once; when
// the node holding the work dies (its database connection gone, its lease
// never released) the other runs the check within the lease's TTL and
// does not notify again; a node stopped cleanly gives the work up at once
// to a node started meanwhile.
func TestScheduledWorkRunsOnceAcrossNodes(t *testing.T) {
	dbURL := pgtest.Start(t).NewDatabase(t)
	target := newProbed(t)
	var hooks atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		hooks.Add(1)
	}))
	defer hook.Close()
	const ttl = 2 * time.Second
	type node struct {
		name string
		a    *App
		stop func()
	}
	start := func(name string) *node {
		t.Helper()
		a, stop := serve(t, Config{DataDir: t.TempDir(), Meta: dbURL, NodeID: name, LeaseTTL: ttl, Addr: "127.0.0.1:0", AllowPrivateWebhooks: true})
		return &node{name: name, a: a, stop: stop}
	}
	holder := func(s *meta.Store, lease string) string {
		t.Helper()
		l, ok, err := s.LeaseHolder(context.Background(), lease)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return ""
		}
		return l.Holder
	}

	a, b := start("node-a"), start("node-b")
	watchDown(t, a.a.meta, target.srv.URL, hook.URL)
	waitUntil(t, 30*time.Second, "the monitor notifies that the check is down", func() bool { return hooks.Load() >= 1 })
	time.Sleep(12 * time.Second) // two more runs of the check and evaluations of the monitor
	probes := target.times()
	if len(probes) < 2 {
		t.Fatalf("%d runs of the check, want 2 or more", len(probes))
	}
	for i := 1; i < len(probes); i++ {
		if gap := probes[i].Sub(probes[i-1]); gap < 4*time.Second {
			t.Errorf("runs %d and %d of a 5s check %v apart: it runs on both nodes", i, i+1, gap.Round(time.Millisecond))
		}
	}
	if n := hooks.Load(); n != 1 {
		t.Errorf("the monitor notified %d times, want once", n)
	}

	ran := map[string]*node{a.name: a, b.name: b}
	dead := ran[holder(a.a.meta, leaseAlerts)]
	if dead == nil {
		t.Fatalf("the alerts lease is held by %q, want node-a or node-b", holder(a.a.meta, leaseAlerts))
	}
	alive := a
	if dead == a {
		alive = b
	}
	for n, want := range map[*node]string{dead: `lore_lease_held{lease="alerts"} 1`, alive: `lore_lease_held{lease="alerts"} 0`} {
		var m strings.Builder
		n.a.metrics.Write(&m)
		if !strings.Contains(m.String(), want) {
			t.Errorf("the metrics of %s do not say %s", n.name, want)
		}
	}
	died := time.Now()
	dead.a.meta.Close() // it dies: no renewal, no release
	waitUntil(t, 5*time.Second+2*ttl+3*time.Second, "the other node runs the check after the holder died", func() bool { return target.after(died) })
	if h := holder(alive.a.meta, leaseAlerts); h != alive.name {
		t.Errorf("after %s died the alerts lease is held by %q, want %s", dead.name, h, alive.name)
	}
	waitUntil(t, 2*ttl+3*time.Second, "the other node takes the notifications over", func() bool { return holder(alive.a.meta, leaseNotify) == alive.name })
	time.Sleep(6 * time.Second) // another evaluation on the new holder
	if n := hooks.Load(); n != 1 {
		t.Errorf("the monitor notified %d times after the work moved, want once in all", n)
	}
	dead.stop()

	c := start("node-c")
	alive.stop() // releases its leases
	if h := holder(c.a.meta, leaseAlerts); h == alive.name {
		t.Errorf("%s still holds the alerts lease after it stopped", alive.name)
	}
	waitUntil(t, 2*ttl, "a node started meanwhile takes the work of a node stopped cleanly", func() bool { return holder(c.a.meta, leaseAlerts) == c.name })
	seen := time.Now()
	waitUntil(t, 8*time.Second, "the new holder runs the check", func() bool { return target.after(seen) })
}

// TestSingleNodeRunsWithoutLeases: with the SQLite metadata of one node
// the scheduled work runs at once, as before, and takes no lease.
func TestSingleNodeRunsWithoutLeases(t *testing.T) {
	target := newProbed(t)
	dir := t.TempDir()
	a, _ := serve(t, Config{DataDir: dir, Addr: "127.0.0.1:0"})
	if a.meta.Shared() {
		t.Fatalf("the metadata in %s is shared", filepath.Join(dir, "meta.db"))
	}
	watchDown(t, a.meta, target.srv.URL, "http://127.0.0.1:1/hook")
	waitUntil(t, 10*time.Second, "the check runs", func() bool { return len(target.times()) > 0 })
	for _, name := range []string{leaseAlerts, leaseNotify, leaseRetention, leaseStories} {
		if l, ok, err := a.meta.LeaseHolder(context.Background(), name); err != nil || ok {
			t.Errorf("lease %q on SQLite: %+v %v %v, want none", name, l, ok, err)
		}
	}
}

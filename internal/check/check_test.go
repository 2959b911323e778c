package check

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/outbound"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/testcert"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// sink records the events it is given.
type sink struct {
	mu     sync.Mutex
	events []event.Event
}

func (s *sink) Submit(_ context.Context, es []event.Event) error {
	s.mu.Lock()
	s.events = append(s.events, es...)
	s.mu.Unlock()
	return nil
}

func (s *sink) all() []event.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]event.Event(nil), s.events...)
}

func openMeta(t *testing.T, path string) *meta.Store {
	t.Helper()
	m, err := meta.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.MigrateMonitors(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m
}

var checks = outbound.Options{AllowInternal: true}

func newRunner(db *meta.Store, s Sink, roots *testcert.CA, now func() time.Time) *Runner {
	cfg := Config{Checks: db, Sink: s, Outbound: checks, Log: slog.New(slog.DiscardHandler), Now: now}
	if roots != nil {
		cfg.Outbound.RootCAs = roots.Pool
	}
	return New(cfg)
}

// target is an HTTP server on loopback that can answer well, answer
// badly, hang, or be gone and come back on the same port.
type target struct {
	t      *testing.T
	addr   string
	mode   atomic.Value // "ok", "503", "body", "slow"
	srv    *http.Server
	hits   atomic.Int64
	closed bool
}

func newTarget(t *testing.T) *target {
	tg := &target{t: t}
	tg.mode.Store("ok")
	tg.start("127.0.0.1:0")
	t.Cleanup(tg.stop)
	return tg
}

func (tg *target) start(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		tg.t.Fatal(err)
	}
	tg.addr = ln.Addr().String()
	tg.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.hits.Add(1)
		switch tg.mode.Load() {
		case "503":
			http.Error(w, "maintenance", 503)
		case "body":
			fmt.Fprint(w, "status: degraded")
		case "slow":
			select {
			case <-time.After(10 * time.Second):
			case <-r.Context().Done():
			}
		default:
			fmt.Fprint(w, "status: healthy")
		}
	})}
	tg.closed = false
	go tg.srv.Serve(ln)
}

func (tg *target) stop() {
	if !tg.closed {
		tg.srv.Close()
		tg.closed = true
	}
}

func (tg *target) url() string { return "http://" + tg.addr + "/health" }

// TestTargetDownAndBack runs a check against a real server on loopback
// that answers, fails with 503, answers the wrong body, hangs past the
// timeout, goes away and comes back on the same port: each result is
// kept on the check with why it is down, the status changes are
// reported, and every result is an event.
func TestTargetDownAndBack(t *testing.T) {
	ctx := context.Background()
	db := openMeta(t, filepath.Join(t.TempDir(), "meta.db"))
	defer db.Close()
	tg := newTarget(t)
	var s sink
	var changes []string
	r := newRunner(db, &s, nil, time.Now)
	r.cfg.Ran = func(c meta.Check, res Result, changed bool) {
		if changed {
			changes = append(changes, map[bool]string{true: "up", false: "down"}[res.Up()])
		}
	}
	c, err := db.SaveCheck(ctx, 1, meta.Check{Name: "shop health", URL: tg.url(), Interval: "5s", Timeout: "0.5s", ExpectStatus: 200, ExpectBody: "healthy"})
	if err != nil {
		t.Fatal(err)
	}
	step := func(mode, wantStatus, wantFail, wantErr string) {
		t.Helper()
		if mode != "" {
			tg.mode.Store(mode)
		}
		res, err := r.RunOnce(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := db.Check(ctx, 1, c.ID)
		if got.Status != wantStatus || res.Fail != wantFail || !strings.Contains(res.Error, wantErr) || got.LastCheck == nil || got.LastCheck.Error != res.Error {
			t.Errorf("mode %s: status %s, fail %q, error %q; want %s, %q, %q", mode, got.Status, res.Fail, res.Error, wantStatus, wantFail, wantErr)
		}
	}
	step("ok", meta.CheckUp, "", "")
	step("503", meta.CheckDown, FailStatus, "status 503, want 200")
	step("body", meta.CheckDown, FailBody, `body does not contain "healthy"`)
	step("slow", meta.CheckDown, FailTimeout, "no answer within the timeout (500ms)")
	step("ok", meta.CheckUp, "", "")
	tg.stop()
	step("", meta.CheckDown, FailConnection, "connection refused")
	tg.start(tg.addr) // back on the same port
	step("ok", meta.CheckUp, "", "")
	if strings.Join(changes, " ") != "up down up down up" {
		t.Errorf("status changes %v", changes)
	}
	events := s.all()
	if len(events) != 7 {
		t.Fatalf("%d events, want one per run (7)", len(events))
	}
	e := events[1]
	if e.Kind != event.KindCheck || e.Service != "shop health" || e.Level != event.LevelError || e.HTTPStatus != 503 || e.DurationMS <= 0 ||
		e.ErrorType != FailStatus || e.Endpoint != tg.url() || e.ProjectID != 1 || !strings.Contains(e.Message, "is down: status 503") {
		t.Errorf("down event %+v", e)
	}
	if id, _ := e.Attr("check.id"); id != fmt.Sprint(c.ID) {
		t.Errorf("check.id %q", id)
	}
	if st, _ := events[0].Attr("check.status"); st != "up" || events[0].Level != event.LevelInfo || events[0].HTTPStatus != 200 {
		t.Errorf("up event %+v", events[0])
	}
	if events[5].HTTPStatus != 0 || events[5].ErrorType != FailConnection {
		t.Errorf("refused event %+v", events[5])
	}
}

// TestTLSCertificates checks an HTTPS target whose certificate expires in
// three days (up, reported as expiring, a warn event), one with a month
// left (not expiring) and one expired (down).
func TestTLSCertificates(t *testing.T) {
	ctx := context.Background()
	db := openMeta(t, filepath.Join(t.TempDir(), "meta.db"))
	defer db.Close()
	ca, err := testcert.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	var s sink
	r := newRunner(db, &s, ca, time.Now)
	serve := func(notAfter time.Time) string {
		cert, err := ca.Server(notAfter)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
		srv.StartTLS()
		t.Cleanup(srv.Close)
		return strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	}
	f := func(name string, notAfter time.Time, wantUp, wantExpiring bool, wantDays int) Result {
		t.Helper()
		c, err := db.SaveCheck(ctx, 1, meta.Check{Name: name, URL: serve(notAfter), Interval: "5s", Timeout: "2s"})
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.RunOnce(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if res.Up() != wantUp || res.TLSExpiring != wantExpiring || (wantUp && (res.TLSDaysLeft == nil || *res.TLSDaysLeft != wantDays)) {
			t.Errorf("%s: up %v (%s), expiring %v, days %v; want %v, %v, %d", name, res.Up(), res.Error, res.TLSExpiring, res.TLSDaysLeft, wantUp, wantExpiring, wantDays)
		}
		return res
	}
	res := f("short-lived", time.Now().Add(3*24*time.Hour+time.Hour), true, true, 3)
	if res.TLSExpiresAt == "" {
		t.Error("no expiry date")
	}
	f("a month", time.Now().Add(30*24*time.Hour+time.Hour), true, false, 30)
	res = f("expired", time.Now().Add(-time.Hour), false, false, 0)
	if res.Fail != FailTLS || !strings.Contains(res.Error, "expired") {
		t.Errorf("expired: fail %q, error %q", res.Fail, res.Error)
	}
	events := s.all()
	if events[0].Level != event.LevelWarn || !strings.Contains(events[0].Message, "certificate expires in 3 days") {
		t.Errorf("expiring event: %s %q", events[0].Level, events[0].Message)
	}
	if d, _ := events[0].Attr("tls.days_left"); d != "3" {
		t.Errorf("tls.days_left %q", d)
	}
	if events[1].Level != event.LevelInfo {
		t.Errorf("a month left: level %s", events[1].Level)
	}
}

// TestScheduleAcrossRestart runs checks on a fake clock: a check runs
// when due and not before, two checks do not wait for each other, and a
// new runner on the same database keeps the schedule.
func TestScheduleAcrossRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meta.db")
	db := openMeta(t, path)
	tg := newTarget(t)
	slow := newTarget(t)
	slow.mode.Store("slow")
	t0 := time.Now().Truncate(time.Second)
	var mu sync.Mutex
	now := t0
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	at := func(d time.Duration) { mu.Lock(); now = t0.Add(d); mu.Unlock() }
	if _, err := db.SaveCheck(ctx, 1, meta.Check{Name: "fast", URL: tg.url(), Interval: "5s", Timeout: "1s"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveCheck(ctx, 1, meta.Check{Name: "hangs", URL: slow.url(), Interval: "5s", Timeout: "1s"}); err != nil {
		t.Fatal(err)
	}
	round := func(r *Runner) {
		var wg sync.WaitGroup
		r.startDue(ctx, &wg)
		wg.Wait()
	}
	var s sink
	r := newRunner(db, &s, nil, clock)
	round(r)
	if tg.hits.Load() != 1 || slow.hits.Load() != 1 {
		t.Fatalf("first round: %d and %d hits", tg.hits.Load(), slow.hits.Load())
	}
	at(4 * time.Second)
	round(r)
	if tg.hits.Load() != 1 {
		t.Errorf("ran before its interval: %d hits", tg.hits.Load())
	}
	at(5 * time.Second)
	round(r)
	if tg.hits.Load() != 2 {
		t.Errorf("not run when due: %d hits", tg.hits.Load())
	}
	db.Close()
	db = openMeta(t, path)
	defer db.Close()
	r = newRunner(db, &s, nil, clock)
	at(7 * time.Second)
	round(r)
	if tg.hits.Load() != 2 {
		t.Errorf("a restart re-ran a check before its interval: %d hits", tg.hits.Load())
	}
	at(10 * time.Second)
	round(r)
	if tg.hits.Load() != 3 {
		t.Errorf("after the restart, not run when due: %d hits", tg.hits.Load())
	}
}

// TestMetadataAddressRefused: checks may watch loopback and private
// addresses but never the link-local metadata service.
func TestMetadataAddressRefused(t *testing.T) {
	res := Probe(context.Background(), checks, meta.Check{Name: "m", URL: "http://169.254.169.254/latest/meta-data/", Interval: "5s", Timeout: "2s"}, time.Now)
	if res.Up() || res.Fail != FailRefused || !strings.Contains(res.Error, "link-local") {
		t.Errorf("metadata address: fail %q, error %q", res.Fail, res.Error)
	}
}

// histogram answers kind:check counts per service and hour.
type histogram map[string][]map[string]int64

func (h histogram) Histogram(_ context.Context, r store.HistogramRequest) (store.HistogramResult, error) {
	var out store.HistogramResult
	for i, by := range h[r.Query.Text] {
		out.Buckets = append(out.Buckets, store.Bucket{Start: r.Range.From + int64(i)*r.Step, By: by})
	}
	return out, nil
}

func TestUptimeAndSummary(t *testing.T) {
	h := histogram{
		"kind:check":             {{"a": 10, "b": 4}, {"a": 10}, {}},
		"kind:check level:error": {{"a": 1, "b": 4}, {}, {}},
	}
	now := time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)
	u, err := UptimeOf(context.Background(), h, 1, []string{"a", "b", "c"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if *u["a"].Ratio != 0.95 || *u["a"].Hours[0] != 0.9 || *u["a"].Hours[1] != 1 || u["a"].Hours[2] != nil {
		t.Errorf("a: %+v", u["a"])
	}
	if *u["b"].Ratio != 0 || u["c"].Ratio != nil {
		t.Errorf("b %+v, c %+v", u["b"], u["c"])
	}
	days := 3
	checksList := []meta.Check{
		{ID: 1, Name: "a", Status: meta.CheckUp, LastCheck: &meta.CheckResult{TLSExpiring: true, TLSDaysLeft: &days}},
		{ID: 2, Name: "b", Status: meta.CheckDown},
	}
	s := Summarize(1, checksList, u, []meta.Monitor{{ID: 5, Name: "m", State: meta.StateAlert, Approximate: true, Series: []meta.Series{{Key: "pay", State: meta.StateAlert}}}, {ID: 6, State: meta.StateOK}}, now)
	if s.Status != StatusDegraded || s.Up != 1 || s.Down != 1 || s.Expiring != 1 || len(s.Alerting) != 1 || s.Alerting[0].Series[0] != "pay" || !s.Alerting[0].Approximate ||
		*s.Checks[0].Uptime != 0.95 {
		t.Errorf("summary %+v", s)
	}
	if s := Summarize(1, checksList[1:], u, nil, now); s.Status != StatusDown {
		t.Errorf("all down: %s", s.Status)
	}
	if s := Summarize(1, checksList[:1], u, nil, now); s.Status != StatusUp {
		t.Errorf("all up: %s", s.Status)
	}
}

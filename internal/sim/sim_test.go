package sim

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"
	"time"
)

func TestBackfillIsDeterministic(t *testing.T) {
	cfg := Config{Seed: 42, SessionsPerDay: 4000, Incidents: []Incident{Throttle{At: at(10, 0), For: time.Hour}}}
	_, a := backfill(t, cfg, at(10, 0), at(11, 0))
	_, b := backfill(t, cfg, at(10, 0), at(11, 0))
	if len(a.bodies) == 0 || len(a.bodies) != len(b.bodies) {
		t.Fatalf("same seed gave %d and %d bodies", len(a.bodies), len(b.bodies))
	}
	for i := range a.bodies {
		if !bytes.Equal(a.bodies[i], b.bodies[i]) {
			t.Fatalf("same seed: body %d differs", i)
		}
	}
	cfg.Seed = 43
	_, c := backfill(t, cfg, at(10, 0), at(11, 0))
	if bytes.Equal(a.bodies[0], c.bodies[0]) {
		t.Fatalf("seeds 42 and 43 gave the same first body")
	}
}

func TestEventsAreEmittedInTimeOrder(t *testing.T) {
	_, d := backfill(t, Config{Seed: 1}, at(10, 0), at(11, 0))
	// Lines are in time order (some dialects print milliseconds only);
	// spans are grouped by resource within a body, so each span body
	// starts at or after the previous one ended.
	var lastLine, lastSpanBodyEnd, spanBodyEnd int64
	spanBody := -1
	for _, e := range d.events {
		if e.ts < at(10, 0).UnixMicro() || e.ts >= at(11, 0).UnixMicro() {
			t.Fatalf("event outside the backfilled hour: %+v", e)
		}
		if e.kind != "span" {
			if e.ts < lastLine-1000 {
				t.Fatalf("line goes back in time: %d after %d (%+v)", e.ts, lastLine, e)
			}
			lastLine = max(lastLine, e.ts)
			continue
		}
		if e.body != spanBody {
			spanBody, lastSpanBodyEnd = e.body, spanBodyEnd
		}
		if e.ts < lastSpanBodyEnd {
			t.Fatalf("span body %d has a span at %d before the previous body's last %d", e.body, e.ts, lastSpanBodyEnd)
		}
		spanBodyEnd = max(spanBodyEnd, e.ts)
	}
}

func TestTracesThreadBrowserAndBackend(t *testing.T) {
	_, d := backfill(t, Config{Seed: 2, SessionsPerDay: 6000}, at(10, 0), at(12, 0))
	evs := d.sorted()
	browserTraces := map[string]bool{}
	spans := map[string]tev{}
	for _, e := range evs {
		if e.service == svcWeb && e.trace != "" {
			browserTraces[e.trace] = true
		}
		if e.kind == "span" {
			spans[e.span] = e
		}
	}
	var logs, roots int
	for _, e := range evs {
		if e.service == svcWeb {
			if e.anon == "" || e.session == "" || e.trace == "" {
				t.Fatalf("browser event without anonymous, session or trace id: %+v", e)
			}
			continue
		}
		if e.kind == "log" {
			logs++
			if e.trace == "" || !browserTraces[e.trace] {
				t.Fatalf("backend log whose trace %q is on no browser event: %+v", e.trace, e)
			}
			if _, ok := spans[e.span]; !ok {
				t.Fatalf("backend log whose span %q was not emitted: %+v", e.span, e)
			}
			if e.release == "" || e.attrs["env"] != "production" || e.attrs["host"] == "" && e.attrs["hostname"] == "" {
				t.Fatalf("backend log without release, env or host: %+v", e)
			}
			continue
		}
		// A span: its parent is an earlier span of the same trace, and a
		// server span's parent is a client span calling this service.
		if e.parent == "" {
			roots++
			if e.service != svcGateway || e.spanKind != "SPAN_KIND_SERVER" {
				t.Fatalf("root span not a gateway server span: %+v", e)
			}
			continue
		}
		p, ok := spans[e.parent]
		if !ok || p.trace != e.trace || p.ts > e.ts {
			t.Fatalf("span %+v has parent %+v (found %v)", e, p, ok)
		}
		if e.spanKind == "SPAN_KIND_SERVER" && (p.spanKind != "SPAN_KIND_CLIENT" || p.attrs["peer.service"] != e.service) {
			t.Fatalf("server span %+v has parent %+v, not a client span calling it", e, p)
		}
		if e.spanKind == "SPAN_KIND_CLIENT" && p.service != e.service {
			t.Fatalf("client span %+v has parent %+v of another service", e, p)
		}
	}
	if logs < 1000 || roots < 200 {
		t.Fatalf("too little traffic: %d backend logs, %d root spans", logs, roots)
	}
}

func TestRequestLogsMatchTheirSpans(t *testing.T) {
	_, d := backfill(t, Config{Seed: 3}, at(10, 0), at(11, 0))
	spans := map[string]tev{}
	for _, e := range d.events {
		if e.kind == "span" && e.spanKind == "SPAN_KIND_SERVER" {
			spans[e.span] = e
		}
	}
	n := 0
	for _, e := range d.events {
		if e.kind != "log" || e.service == svcWeb || e.status == 0 || e.name != "" {
			continue
		}
		sp, ok := spans[e.span]
		if !ok {
			t.Fatalf("request log without server span: %+v", e)
		}
		if sp.status != e.status || sp.endpoint != e.endpoint || math.Abs(sp.dur-e.dur) > 0.002 {
			t.Fatalf("request log %+v disagrees with its span %+v", e, sp)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no request logs")
	}
}

func TestAnonymousIDBecomesUserIDAtLogin(t *testing.T) {
	_, d := backfill(t, Config{Seed: 4, SessionsPerDay: 8000}, at(10, 0), at(12, 0))
	type sess struct {
		anonBefore bool
		signedIn   bool
		userAfter  bool
	}
	bySession := map[string]*sess{}
	for _, e := range d.sorted() {
		if e.service != svcWeb {
			continue
		}
		s := bySession[e.session]
		if s == nil {
			s = &sess{}
			bySession[e.session] = s
		}
		switch {
		case e.name == "Signed In" || e.name == "Signed Up":
			if e.user == "" || !strings.HasPrefix(e.user, "user_") {
				t.Fatalf("%s without user id: %+v", e.name, e)
			}
			s.signedIn = true
		case e.user == "" && !s.signedIn:
			s.anonBefore = true
		case e.user != "" && s.signedIn:
			s.userAfter = true
		}
	}
	transitions := 0
	for _, s := range bySession {
		if s.anonBefore && s.signedIn && s.userAfter {
			transitions++
		}
	}
	if transitions < 5 {
		t.Fatalf("only %d sessions go from anonymous to signed in", transitions)
	}
}

func TestSessionRenewsAfterIdle(t *testing.T) {
	_, d := backfill(t, Config{Seed: 5, SessionsPerDay: 8000}, at(10, 0), at(12, 0))
	last := map[string]tev{} // by anonymous id
	renewed := 0
	for _, e := range d.sorted() {
		if e.service != svcWeb {
			continue
		}
		if p, ok := last[e.anon]; ok {
			gap := time.Duration(e.ts-p.ts) * time.Microsecond
			if gap > 31*time.Minute && p.session == e.session {
				t.Fatalf("session %s kept after %v idle", e.session, gap)
			}
			if gap > 30*time.Minute && gap < 60*time.Minute && p.session != e.session {
				renewed++
			}
		}
		last[e.anon] = e
	}
	if renewed == 0 {
		t.Fatal("no session was renewed after idling")
	}
}

func TestTrafficFollowsTheTimeOfDay(t *testing.T) {
	s := New(Config{Seed: 6})
	d := &decodeSink{t: t}
	ctx := context.Background()
	if err := s.Backfill(ctx, at(4, 0), at(5, 0), d, nil); err != nil {
		t.Fatal(err)
	}
	night := len(d.events)
	if err := s.Backfill(ctx, at(11, 0), at(12, 0), d, nil); err != nil {
		t.Fatal(err)
	}
	peak := len(d.events) - night
	if peak < 4*night {
		t.Fatalf("%d events at 11:00 and %d at 04:00; want the peak at least 4 times the night", peak, night)
	}
}

func TestProgressReportsSimulatedTime(t *testing.T) {
	s := New(Config{Seed: 7})
	var lastT time.Time
	var lastN int64
	calls := 0
	err := s.Backfill(context.Background(), at(10, 0), at(10, 30), &decodeSink{t: t}, func(tm time.Time, n int64) {
		if tm.Before(lastT) || n < lastN {
			t.Fatalf("progress went back: %v %d after %v %d", tm, n, lastT, lastN)
		}
		lastT, lastN = tm, n
		calls++
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 30 || !lastT.Equal(at(10, 30)) || lastN == 0 {
		t.Fatalf("progress: %d calls, last %v with %d events", calls, lastT, lastN)
	}
}

func TestLiveSendsEventsTimestampedNow(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for 2.5s of wall time")
	}
	s := New(Config{Seed: 8, SessionsPerDay: 3_000_000})
	d := &decodeSink{t: t}
	begin := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	if err := s.Live(ctx, d); err != nil {
		t.Fatalf("Live: %v", err)
	}
	if len(d.events) == 0 {
		t.Fatal("Live sent nothing")
	}
	for _, e := range d.events {
		ts := time.UnixMicro(e.ts)
		if ts.Before(begin.Add(-2*time.Second)) || ts.After(time.Now()) {
			t.Fatalf("live event at %v, began %v: %+v", ts, begin, e)
		}
	}
}

func TestUsersReturnOverDays(t *testing.T) {
	_, d := backfill(t, Config{Seed: 9, Users: 300, SessionsPerDay: 500}, day, day.Add(72*time.Hour))
	days := map[string]map[int]bool{} // user id -> days seen
	for _, e := range d.events {
		if e.service != svcWeb || e.user == "" {
			continue
		}
		if days[e.user] == nil {
			days[e.user] = map[int]bool{}
		}
		days[e.user][int((e.ts-day.UnixMicro())/int64(24*time.Hour/time.Microsecond))] = true
	}
	var once, daily int
	for _, ds := range days {
		switch len(ds) {
		case 1:
			once++
		case 3:
			daily++
		}
	}
	if daily < 10 || once < daily {
		t.Fatalf("%d users seen on all 3 days, %d on one day; want a loyal core and many one-day users", daily, once)
	}
}

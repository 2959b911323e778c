package monitor

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/meta"
)

var t0 = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

// step is one evaluation of a series: at minute min, the value (nil: no
// data), muted or not; then the state wanted and the notification sent
// ("" none, "firing", "resolved").
type step struct {
	min    int
	value  *float64
	muted  bool
	state  string
	notify string
	note   string // when set, the history note wanted
}

func v(f float64) *float64 { return &f }

// run plays steps through Advance with rule r and reports each mismatch.
func run(t *testing.T, name string, r Rule, steps []step) {
	t.Helper()
	s := meta.Series{}
	for i, st := range steps {
		now := t0.Add(time.Duration(st.min) * time.Minute)
		o := obs{noData: st.value == nil}
		if st.value != nil {
			o.value = st.value
			o.breach = Compare(r.Op, *st.value, r.Threshold)
		}
		next, change, fire := Advance(r, s, o, st.muted, now)
		got := ""
		if fire != nil {
			got = fire.Status
		}
		if next.State != st.state || got != st.notify {
			t.Errorf("%s, step %d (minute %d, value %v, muted %v): state %s, sent %q; want %s, %q",
				name, i, st.min, fmtPtr(st.value), st.muted, next.State, got, st.state, st.notify)
		}
		if st.note != "" && (change == nil || change.Note != st.note) {
			t.Errorf("%s, step %d: change %+v, want note %q", name, i, change, st.note)
		}
		if change != nil && change.From == change.To && fire == nil {
			t.Errorf("%s, step %d: a change %s→%s that sends nothing", name, i, change.From, change.To)
		}
		s = next
	}
}

func fmtPtr(p *float64) string {
	if p == nil {
		return "none"
	}
	return fmt.Sprint(*p)
}

func TestStateMachine(t *testing.T) {
	over := Rule{Op: ">", Threshold: 10}

	run(t, "alert at once, resolved once", over, []step{
		{min: 0, value: v(3), state: meta.StateOK},
		{min: 1, value: v(12), state: meta.StateAlert, notify: "firing", note: NoteNotified},
		{min: 2, value: v(15), state: meta.StateAlert},                                     // de-duplicated: still the same alert
		{min: 3, value: v(11), state: meta.StateAlert},                                     // still
		{min: 4, value: v(2), state: meta.StateOK, notify: "resolved", note: NoteResolved}, // resolved is sent
		{min: 5, value: v(2), state: meta.StateOK},
	})

	pending := over
	pending.Pending = 3 * time.Minute
	run(t, "pending: a blip does not alert", pending, []step{
		{min: 0, value: v(12), state: meta.StatePending, note: NotePending},
		{min: 1, value: v(12), state: meta.StatePending},
		{min: 2, value: v(4), state: meta.StateOK}, // cleared before 3 minutes: nothing sent
		{min: 3, value: v(12), state: meta.StatePending},
		{min: 5, value: v(12), state: meta.StatePending}, // 2 minutes in
		{min: 6, value: v(12), state: meta.StateAlert, notify: "firing"},
		{min: 7, value: v(4), state: meta.StateOK, notify: "resolved"},
	})
	run(t, "pending: no data interrupts it", pending, []step{
		{min: 0, value: v(12), state: meta.StatePending},
		{min: 2, value: nil, state: meta.StateNoData},
		{min: 3, value: v(12), state: meta.StatePending},
		{min: 6, value: v(12), state: meta.StateAlert, notify: "firing"},
		{min: 7, value: nil, state: meta.StateNoData, notify: "resolved"}, // no data ends an alert
	})

	flappy := over
	flappy.Cooldown = 10 * time.Minute
	run(t, "flapping inside the cooldown", flappy, []step{
		{min: 0, value: v(12), state: meta.StateAlert, notify: "firing"},
		{min: 1, value: v(1), state: meta.StateOK, notify: "resolved"},
		{min: 2, value: v(12), state: meta.StateAlert, note: NoteCooldown}, // 2 min after the last firing
		{min: 3, value: v(1), state: meta.StateOK},                         // its firing was not sent: no resolution
		{min: 4, value: v(12), state: meta.StateAlert, note: NoteCooldown},
		{min: 9, value: v(12), state: meta.StateAlert},                                    // 9 min: still cooling down
		{min: 10, value: v(12), state: meta.StateAlert, notify: "firing", note: NoteLate}, // cooldown over, still alerting
		{min: 11, value: v(1), state: meta.StateOK, notify: "resolved"},
		{min: 21, value: v(12), state: meta.StateAlert, notify: "firing"}, // 11 min later: a new alert
	})
	run(t, "flapping without a cooldown notifies every time", over, []step{
		{min: 0, value: v(12), state: meta.StateAlert, notify: "firing"},
		{min: 1, value: v(1), state: meta.StateOK, notify: "resolved"},
		{min: 2, value: v(12), state: meta.StateAlert, notify: "firing"},
		{min: 3, value: v(1), state: meta.StateOK, notify: "resolved"},
	})
	run(t, "flapping with pending never alerts", pending, []step{
		{min: 0, value: v(12), state: meta.StatePending},
		{min: 1, value: v(1), state: meta.StateOK},
		{min: 2, value: v(12), state: meta.StatePending},
		{min: 3, value: v(1), state: meta.StateOK},
		{min: 4, value: v(12), state: meta.StatePending},
		{min: 6, value: v(1), state: meta.StateOK},
	})

	run(t, "mute: the alert is held, then sent when the mute ends", over, []step{
		{min: 0, value: v(12), muted: true, state: meta.StateAlert, note: NoteMuted},
		{min: 1, value: v(12), muted: true, state: meta.StateAlert},
		{min: 2, value: v(12), state: meta.StateAlert, notify: "firing", note: NoteLate},
		{min: 3, value: v(1), state: meta.StateOK, notify: "resolved"},
	})
	run(t, "mute: an alert that ends inside the mute is never sent", over, []step{
		{min: 0, value: v(12), muted: true, state: meta.StateAlert, note: NoteMuted},
		{min: 1, value: v(1), muted: true, state: meta.StateOK},
		{min: 2, value: v(1), state: meta.StateOK},
	})
	run(t, "mute: a resolution owed is sent when the mute ends", over, []step{
		{min: 0, value: v(12), state: meta.StateAlert, notify: "firing"},
		{min: 1, value: v(1), muted: true, state: meta.StateOK, note: NoteHeld},
		{min: 2, value: v(12), muted: true, state: meta.StateAlert}, // still firing for its receivers: nothing to send
		{min: 3, value: v(1), muted: true, state: meta.StateOK, note: NoteHeld},
		{min: 4, value: v(1), state: meta.StateOK, notify: "resolved", note: NoteResolved + " (mute over)"},
	})

	under := Rule{Op: "<", Threshold: 1}
	run(t, "too few events (heartbeat)", under, []step{
		{min: 0, value: v(5), state: meta.StateOK},
		{min: 1, value: v(0), state: meta.StateAlert, notify: "firing"},
		{min: 2, value: v(3), state: meta.StateOK, notify: "resolved"},
	})
}

// TestStateNotesWithoutDestination: a monitor with no channel and no
// webhook moves through the same states, but its history never says it
// notified: "no channel: not notified", "resolved: no channel", and a
// firing held back by a mute is nothing to record when the mute ends.
func TestStateNotesWithoutDestination(t *testing.T) {
	silent := Rule{Op: ">", Threshold: 10, Silent: true}
	run(t, "no destination", silent, []step{
		{min: 0, value: v(3), state: meta.StateOK},
		{min: 1, value: v(12), state: meta.StateAlert, notify: "firing", note: NoteNoChannel},
		{min: 2, value: v(15), state: meta.StateAlert},
		{min: 3, value: v(2), state: meta.StateOK, notify: "resolved", note: NoteResolvedNoChannel},
	})
	s := meta.Series{}
	for i, st := range []struct {
		value float64
		muted bool
		note  string // "": nothing recorded
	}{{12, true, NoteMuted}, {12, false, ""}, {1, true, NoteHeld}, {1, false, ""}} {
		next, change, _ := Advance(silent, s, obs{value: v(st.value), breach: st.value > 10}, st.muted, t0.Add(time.Duration(i)*time.Minute))
		got := ""
		if change != nil {
			got = change.Note
		}
		if got != st.note {
			t.Errorf("no destination, muted step %d: note %q, want %q", i, got, st.note)
		}
		s = next
	}
	// Plan takes it from the monitor: no channel and no webhook is silent.
	for _, c := range []struct {
		m                *meta.Monitor
		firing, resolved string
	}{
		{&meta.Monitor{ID: 1, Kind: meta.MonitorQuery, Op: ">", Threshold: 10}, NoteNoChannel, NoteResolvedNoChannel},
		{&meta.Monitor{ID: 1, Kind: meta.MonitorQuery, Op: ">", Threshold: 10, Webhook: "http://hook.test"}, NoteNotified, NoteResolved},
		{&meta.Monitor{ID: 1, Kind: meta.MonitorQuery, Op: ">", Threshold: 10, Channels: []int64{3}}, NoteNotified, NoteResolved},
	} {
		ev, fires := Plan(c.m, []Reading{{Value: 20}}, nil, t0)
		if len(ev.Changes) != 1 || ev.Changes[0].Note != c.firing || len(fires) != 1 || fires[0].change != 1 {
			t.Errorf("webhook %q channels %v: alert changes %+v fires %+v, want note %q", c.m.Webhook, c.m.Channels, ev.Changes, fires, c.firing)
		}
		c.m.State, c.m.Series = ev.State, merge(nil, ev)
		ev, _ = Plan(c.m, []Reading{{Value: 2}}, nil, t0.Add(time.Minute))
		if len(ev.Changes) != 1 || ev.Changes[0].Note != c.resolved {
			t.Errorf("webhook %q channels %v: resolution changes %+v, want note %q", c.m.Webhook, c.m.Channels, ev.Changes, c.resolved)
		}
	}
}

// TestStateNotes checks that nothing is recorded when nothing changes.
func TestStateQuietSteps(t *testing.T) {
	r := Rule{Op: ">", Threshold: 10}
	s := meta.Series{State: meta.StateOK, Since: t0}
	for i := range 5 {
		next, change, fire := Advance(r, s, obs{value: v(1)}, false, t0.Add(time.Duration(i)*time.Minute))
		if change != nil || fire != nil || !next.Since.Equal(t0) {
			t.Fatalf("a steady ok series recorded %+v, sent %+v, since %v", change, fire, next.Since)
		}
		s = next
	}
}

func grouped(by string) *meta.Monitor {
	m := &meta.Monitor{ID: 1, Name: "g", Kind: meta.MonitorQuery, Query: "level:error", GroupBy: by, Op: ">", Threshold: 10, Window: "5m", Interval: "1m", Measure: "count"}
	return m
}

// TestPlanGroups plays a monitor grouped by service: one alert per
// service, a service that stops appearing counts zero and resolves, and
// the monitor's state is its worst series'.
func TestPlanGroups(t *testing.T) {
	m := grouped("service")
	apply := func(at int, rs ...Reading) []Fire {
		t.Helper()
		ev, fires := Plan(m, rs, nil, t0.Add(time.Duration(at)*time.Minute))
		m.State, m.Value, m.StateSince = ev.State, ev.Value, ev.StateSince.Format(time.RFC3339Nano)
		m.Series = merge(m.Series, ev)
		return fires
	}
	fires := apply(0, Reading{Key: "pay", Value: 20}, Reading{Key: "cart", Value: 3})
	if len(fires) != 1 || fires[0].Series != "pay" || fires[0].Status != "firing" || m.State != meta.StateAlert || *m.Value != 20 {
		t.Fatalf("first: fires %+v, state %s", fires, m.State)
	}
	fires = apply(1, Reading{Key: "pay", Value: 25}, Reading{Key: "cart", Value: 30})
	if len(fires) != 1 || fires[0].Series != "cart" {
		t.Fatalf("second: fires %+v, want cart only (pay is de-duplicated)", fires)
	}
	fires = apply(2, Reading{Key: "cart", Value: 31}) // pay is gone: zero
	if len(fires) != 1 || fires[0].Series != "pay" || fires[0].Status != "resolved" || *fires[0].Value != 0 {
		t.Fatalf("third: fires %+v, want pay resolved at 0", fires)
	}
	fires = apply(3)
	if len(fires) != 1 || fires[0].Series != "cart" || fires[0].Status != "resolved" || m.State != meta.StateOK {
		t.Fatalf("fourth: fires %+v, state %s", fires, m.State)
	}
	// A day later, series that stayed ok and absent are forgotten.
	ev, _ := Plan(m, nil, nil, t0.Add(25*time.Hour))
	if len(ev.Drop) != 2 {
		t.Errorf("after a day: drop %v, want both series", ev.Drop)
	}
}

// merge applies an evaluation's series updates and drops to ss.
func merge(ss []meta.Series, ev meta.Evaluation) []meta.Series {
	by := map[string]meta.Series{}
	for _, s := range ss {
		by[s.Key] = s
	}
	for _, s := range ev.Series {
		by[s.Key] = s
	}
	for _, k := range ev.Drop {
		delete(by, k)
	}
	out := []meta.Series{}
	for _, s := range by {
		out = append(out, s)
	}
	sortSeries(out)
	return out
}

// TestPlanErrorState: a failed measurement puts the monitor in error
// without touching its series or notifying; the next good one leaves it.
func TestPlanErrorState(t *testing.T) {
	m := grouped("")
	ev, _ := Plan(m, []Reading{{Value: 20}}, nil, t0)
	m.State, m.Series = ev.State, merge(nil, ev)
	m.StateSince = ev.StateSince.Format(time.RFC3339Nano)
	ev, fires := Plan(m, nil, fmt.Errorf("%w (30s): context deadline exceeded", errTimeout), t0.Add(time.Minute))
	if ev.State != meta.StateError || len(fires) != 0 || len(ev.Series) != 0 || !strings.Contains(ev.Error, "timeout") {
		t.Fatalf("error: %+v, fires %v", ev, fires)
	}
	if len(ev.Changes) != 1 || ev.Changes[0].From != meta.StateAlert || ev.Changes[0].To != meta.StateError {
		t.Errorf("error changes %+v", ev.Changes)
	}
	if !errors.Is(fmt.Errorf("x: %w", errTimeout), errTimeout) {
		t.Error("errTimeout does not wrap")
	}
	m.State = ev.State
	ev, fires = Plan(m, []Reading{{Value: 2}}, nil, t0.Add(2*time.Minute))
	if ev.State != meta.StateOK || len(fires) != 1 || fires[0].Status != "resolved" {
		t.Errorf("after the error: %s, fires %+v (the alert from before is resolved)", ev.State, fires)
	}
}

// TestPlanApproximate: a reading estimated from sampled events makes its
// series, the monitor's value, the history and the notification
// approximate; the next exact reading of the series makes them exact again.
func TestPlanApproximate(t *testing.T) {
	m := grouped("service")
	ev, fires := Plan(m, []Reading{{Key: "shop", Value: 3120, Approximate: true, Sampled: 309}, {Key: "cart", Value: 3}}, nil, t0)
	m.State, m.Value, m.Series = ev.State, ev.Value, merge(nil, ev)
	if !ev.Approximate || ev.Sampled != 309 || len(fires) != 1 || !fires[0].Approximate || fires[0].Sampled != 309 {
		t.Fatalf("estimate: evaluation approximate %v sampled %d, fires %+v; want all approximate", ev.Approximate, ev.Sampled, fires)
	}
	for _, s := range m.Series {
		if s.Approximate != (s.Key == "shop") {
			t.Errorf("series %s approximate %v", s.Key, s.Approximate)
		}
	}
	if len(ev.Changes) != 2 {
		t.Fatalf("changes %+v", ev.Changes)
	}
	for _, c := range ev.Changes {
		if c.Approximate != (c.Series == "shop") {
			t.Errorf("change of %s approximate %v", c.Series, c.Approximate)
		}
	}
	ev, fires = Plan(m, []Reading{{Key: "shop", Value: 4}}, nil, t0.Add(time.Minute))
	if ev.Approximate || ev.Sampled != 0 || len(fires) != 1 || fires[0].Status != "resolved" || fires[0].Approximate || len(ev.Changes) != 1 || ev.Changes[0].Approximate {
		t.Errorf("exact: evaluation approximate %v, fires %+v, changes %+v; want all exact", ev.Approximate, fires, ev.Changes)
	}
}

// TestPlanSeedsFromOldState: a monitor in alert from before series (its
// webhook was posted) owes its recovery.
func TestPlanSeedsFromOldState(t *testing.T) {
	m := grouped("")
	m.State, m.StateSince, m.Value = meta.StateAlert, t0.Format(time.RFC3339Nano), v(30)
	_, fires := Plan(m, []Reading{{Value: 1}}, nil, t0.Add(time.Minute))
	if len(fires) != 1 || fires[0].Status != "resolved" || fires[0].From != meta.StateAlert {
		t.Errorf("fires %+v, want the recovery of the old alert", fires)
	}
}

// TestPlanOwnThresholds: a reading that carries its own threshold and
// breach (a baseline departure) decides for itself.
func TestPlanOwnThresholds(t *testing.T) {
	m := &meta.Monitor{ID: 2, Name: "b", Kind: meta.MonitorBaseline, Signal: "p95_ms", Severity: "warning", Op: ">", Window: "15m", Interval: "1m"}
	yes, level := true, 250.0
	ev, fires := Plan(m, []Reading{{Key: "checkout", Value: 900, Threshold: &level, Breach: &yes}}, nil, t0)
	if len(fires) != 1 || fires[0].Threshold != 250 || *fires[0].Value != 900 || ev.State != meta.StateAlert {
		t.Fatalf("fires %+v state %s", fires, ev.State)
	}
	m.State, m.Series = ev.State, merge(nil, ev)
	ev, fires = Plan(m, nil, nil, t0.Add(time.Minute)) // back within its baseline: absent
	if len(fires) != 1 || fires[0].Status != "resolved" || ev.State != meta.StateOK {
		t.Errorf("fires %+v state %s", fires, ev.State)
	}
}

func TestMuteWindows(t *testing.T) {
	f := func(w meta.MuteWindow, at string, want bool) {
		t.Helper()
		m := meta.Monitor{Name: "m", Kind: meta.MonitorQuery, Mute: []meta.MuteWindow{w}}
		if err := m.Validate(); err != nil {
			t.Fatalf("%+v: %v", w, err)
		}
		now, _ := time.Parse(time.RFC3339, at)
		if got := m.MutedAt(now); got != want {
			t.Errorf("%+v at %s: muted %v, want %v", w, at, got, want)
		}
	}
	once := meta.MuteWindow{From: "2026-12-24T18:00:00Z", To: "2026-12-26T08:00:00Z"}
	f(once, "2026-12-24T17:59:59Z", false)
	f(once, "2026-12-24T18:00:00Z", true)
	f(once, "2026-12-26T08:00:00Z", false)
	night := meta.MuteWindow{Start: "22:00", End: "06:00", TZ: "Europe/Paris", Days: []string{"Friday"}}
	f(night, "2026-11-20T21:30:00Z", true)  // Friday 22:30 in Paris
	f(night, "2026-11-21T04:59:00Z", true)  // Saturday 05:59 in Paris: Friday night's
	f(night, "2026-11-21T05:00:00Z", false) // Saturday 06:00
	f(night, "2026-11-21T21:30:00Z", false) // Saturday 22:30: not a Friday
	f(night, "2026-11-20T20:59:00Z", false) // Friday 21:59
	lunch := meta.MuteWindow{Start: "12:00", End: "13:00"}
	f(lunch, "2026-11-21T12:30:00Z", true)
	f(lunch, "2026-11-21T13:00:00Z", false)

	bad := func(w meta.MuteWindow) {
		t.Helper()
		m := meta.Monitor{Name: "m", Kind: meta.MonitorQuery, Mute: []meta.MuteWindow{w}}
		if err := m.Validate(); err == nil {
			t.Errorf("%+v accepted", w)
		}
	}
	bad(meta.MuteWindow{})
	bad(meta.MuteWindow{From: "2026-12-26T08:00:00Z", To: "2026-12-24T18:00:00Z"})
	bad(meta.MuteWindow{Start: "25:00", End: "06:00"})
	bad(meta.MuteWindow{Start: "22:00", End: "06:00", TZ: "Mars/Olympus"})
	bad(meta.MuteWindow{Start: "22:00", End: "06:00", Days: []string{"someday"}})
	bad(meta.MuteWindow{From: "2026-12-24T18:00:00Z", To: "2026-12-26T08:00:00Z", Start: "22:00"})
}

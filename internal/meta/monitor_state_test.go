package meta

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestMonitorApproximateValues: whether a monitor's value, each series'
// and each change's is an estimate from sampled events is stored with the
// state and read back (the monitor, its series, its history), is no part
// of the rule a client sends, and clears when an exact value follows.
func TestMonitorApproximateValues(t *testing.T) { engines(t, testMonitorApproximateValues) }

func testMonitorApproximateValues(t *testing.T, where string) {
	ctx := context.Background()
	s := openTest(t, where)
	m, err := s.SaveMonitor(ctx, 1, Monitor{Name: "traffic", Kind: MonitorQuery, Query: "service:shop", Threshold: 1000, Approximate: true, Sampled: 5})
	if err != nil {
		t.Fatal(err)
	}
	if m.Approximate || m.Sampled != 0 {
		t.Errorf("a new monitor: approximate %v, sampled %d; a client's rule cannot say so", m.Approximate, m.Sampled)
	}
	at := time.Now().UTC().Truncate(time.Microsecond)
	v := 3120.0
	if err := s.RecordEvaluation(ctx, 1, m.ID, Evaluation{At: at, State: StateAlert, Value: &v, Approximate: true, Sampled: 309, StateSince: at,
		Series:  []Series{{State: StateAlert, Value: &v, Since: at, Approximate: true, Sampled: 309}},
		Changes: []MonitorEvent{{From: StateNoData, To: StateAlert, Value: &v, Threshold: 1000, Approximate: true}}}); err != nil {
		t.Fatal(err)
	}
	read := func() Monitor {
		t.Helper()
		got, err := s.Monitor(ctx, 1, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.History, err = s.MonitorHistory(ctx, 1, m.ID, 10); err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := read()
	if !got.Approximate || got.Sampled != 309 || len(got.Series) != 1 || !got.Series[0].Approximate || got.Series[0].Sampled != 309 ||
		len(got.History) != 1 || !got.History[0].Approximate {
		t.Fatalf("after an estimate: approximate %v sampled %d, series %+v, history %+v; want all approximate", got.Approximate, got.Sampled, got.Series, got.History)
	}
	if list, err := s.Monitors(ctx, 1); err != nil || len(list) != 1 || !list[0].Approximate || !list[0].Series[0].Approximate {
		t.Errorf("the list: %+v (%v), want the monitor approximate", list, err)
	}
	// Editing the rule keeps the state, estimate included.
	got.Threshold = 2000
	if saved, err := s.SaveMonitor(ctx, 1, got); err != nil || !saved.Approximate || saved.Sampled != 309 {
		t.Errorf("edited: approximate %v sampled %d (%v), want the state kept", saved.Approximate, saved.Sampled, err)
	}
	w := 40.0
	if err := s.RecordEvaluation(ctx, 1, m.ID, Evaluation{At: at.Add(time.Minute), State: StateOK, Value: &w, StateSince: at.Add(time.Minute),
		Series:  []Series{{State: StateOK, Value: &w, Since: at.Add(time.Minute)}},
		Changes: []MonitorEvent{{From: StateAlert, To: StateOK, Value: &w, Threshold: 2000}}}); err != nil {
		t.Fatal(err)
	}
	got = read()
	if got.Approximate || got.Sampled != 0 || got.Series[0].Approximate || got.Series[0].Sampled != 0 || len(got.History) != 2 ||
		got.History[0].Approximate || !got.History[1].Approximate {
		t.Errorf("after an exact value: approximate %v sampled %d, series %+v, history %+v; want exact, the older change still approximate",
			got.Approximate, got.Sampled, got.Series, got.History)
	}
}

// TestFailedNotificationNotesItsChange: a notification queued for a
// history change and given up on makes that change's note say it failed,
// to which destination and why (a second destination's failure is added);
// failed attempts that are retried, a sent notification and one queued
// for no change leave the history as it was.
func TestFailedNotificationNotesItsChange(t *testing.T) {
	engines(t, testFailedNotificationNotesItsChange)
}

func testFailedNotificationNotesItsChange(t *testing.T, where string) {
	ctx := context.Background()
	s := openTest(t, where)
	m, err := s.SaveMonitor(ctx, 1, Monitor{Name: "errors", Kind: MonitorQuery, Query: "level:error", Threshold: 5})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := s.SaveChannel(ctx, 1, Channel{Name: "ops slack", Type: ChannelWebhook, URL: "http://hook.test/ops"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Truncate(time.Microsecond)
	v := 8.0
	body := []byte(`{"status":"firing"}`)
	if err := s.RecordEvaluation(ctx, 1, m.ID, Evaluation{At: at, State: StateAlert, Value: &v, StateSince: at,
		Changes: []MonitorEvent{{From: StateOK, To: StateAlert, Series: "a", Value: &v, Threshold: 5, Note: "notified"},
			{From: StateOK, To: StateAlert, Series: "b", Value: &v, Threshold: 5, Note: "notified"}},
		Outgoing: []Outgoing{
			{ProjectID: 1, URL: "http://hook.test/own", MonitorID: m.ID, Body: body, Change: 2},
			{ProjectID: 1, ChannelID: ch.ID, MonitorID: m.ID, Body: body, Change: 2},
			{ProjectID: 1, URL: "http://hook.test/own", MonitorID: m.ID, Body: body, Change: 1},
			{ProjectID: 1, URL: "http://hook.test/own", MonitorID: m.ID, Body: body}, // no change
		}}); err != nil {
		t.Fatal(err)
	}
	pending, err := s.PendingNotifications(ctx, 10)
	if err != nil || len(pending) != 4 {
		t.Fatalf("pending %+v, %v", pending, err)
	}
	notes := func() []string {
		t.Helper()
		h, err := s.MonitorHistory(ctx, 1, m.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, e := range h {
			out = append(out, e.Series+": "+e.Note)
		}
		return out
	}
	next := at.Add(time.Second)
	// A failed attempt that is retried, then the last one.
	if err := s.RecordAttempt(ctx, pending[0], Attempt{Attempt: 1, Error: "status 500"}, at, next); err != nil {
		t.Fatal(err)
	}
	if got := notes(); !slices.Equal(got, []string{"b: notified", "a: notified"}) {
		t.Errorf("after a failure that is retried: %q", got)
	}
	pending[0].Attempts, pending[0].NextAt = 1, next
	if err := s.RecordAttempt(ctx, pending[0], Attempt{Attempt: 2, Error: "status 500"}, at, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordAttempt(ctx, pending[1], Attempt{Attempt: 1, Error: "channel gone"}, at, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordAttempt(ctx, pending[2], Attempt{Attempt: 1, OK: true}, at, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordAttempt(ctx, pending[3], Attempt{Attempt: 1, Error: "status 404"}, at, time.Time{}); err != nil {
		t.Fatal(err)
	}
	want := []string{`b: notification to webhook failed: status 500; to "ops slack": channel gone`, "a: notified"}
	if got := notes(); !slices.Equal(got, want) {
		t.Errorf("history %q, want %q", got, want)
	}
	if got := FailedNote("resolved: notified", "webhook", "status 500"); got != "resolved: notification to webhook failed: status 500" {
		t.Errorf("a resolution's failure: %q", got)
	}
}

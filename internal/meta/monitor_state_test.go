package meta

import (
	"context"
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

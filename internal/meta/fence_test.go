package meta

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestEvaluationsOfTwoNodesNotifyOnce: two nodes that evaluated a monitor
// from the same last evaluation (a lease changing hands) record it at
// once; one evaluation and its notification are kept, the other is
// refused as superseded and queues nothing.
func TestEvaluationsOfTwoNodesNotifyOnce(t *testing.T) {
	engines(t, testEvaluationsOfTwoNodesNotifyOnce)
}

func testEvaluationsOfTwoNodesNotifyOnce(t *testing.T, where string) {
	ctx := context.Background()
	a, b, m := twoNodesAndMonitor(t, where)
	never := time.Time{}
	at := time.Now().UTC().Truncate(time.Microsecond)
	eval := func(node int) Evaluation {
		return Evaluation{At: at.Add(time.Duration(node) * time.Millisecond), State: StateAlert, Follows: &never,
			Changes:  []MonitorEvent{{From: StateOK, To: StateAlert, Note: "notified"}},
			Outgoing: []Outgoing{{ProjectID: 1, URL: m.Webhook, MonitorID: m.ID, Body: []byte(`{}`)}}}
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, s := range []*Store{a, b} {
		wg.Go(func() { errs[i] = s.RecordEvaluation(ctx, 1, m.ID, eval(i)) })
	}
	wg.Wait()
	var kept, superseded int
	for _, err := range errs {
		switch {
		case err == nil:
			kept++
		case errors.Is(err, ErrSuperseded):
			superseded++
		default:
			t.Fatalf("record evaluation: %v", err)
		}
	}
	if kept != 1 || superseded != 1 {
		t.Fatalf("%d evaluations kept and %d superseded, want 1 and 1", kept, superseded)
	}
	if p, err := a.PendingNotifications(ctx, 10); err != nil || len(p) != 1 {
		t.Errorf("%d notifications queued (%v), want 1", len(p), err)
	}
	if h, err := a.MonitorHistory(ctx, 1, m.ID, 10); err != nil || len(h) != 1 {
		t.Errorf("%d state changes recorded (%v), want 1", len(h), err)
	}
	// The next evaluation follows the one kept; without Follows (tests,
	// tools) an evaluation is recorded whatever came before.
	got, err := b.Monitor(ctx, 1, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	last, _ := time.Parse(time.RFC3339Nano, got.LastEvaluated)
	if err := b.RecordEvaluation(ctx, 1, m.ID, Evaluation{At: at.Add(time.Minute), State: StateAlert, Follows: &last}); err != nil {
		t.Errorf("an evaluation following the last one: %v", err)
	}
	if err := a.RecordEvaluation(ctx, 1, m.ID, Evaluation{At: at.Add(2 * time.Minute), State: StateOK}); err != nil {
		t.Errorf("an evaluation without Follows: %v", err)
	}
}

// TestCheckRunOfTwoNodesRecordedOnce: a check run scheduled from a last
// run that another node's run has replaced is refused as superseded; a run
// on demand (no follows) is always recorded.
func TestCheckRunOfTwoNodesRecordedOnce(t *testing.T) { engines(t, testCheckRunOfTwoNodesRecordedOnce) }

func testCheckRunOfTwoNodesRecordedOnce(t *testing.T, where string) {
	ctx := context.Background()
	a, b := openTest(t, where), openTest(t, where)
	c, err := a.SaveCheck(ctx, 1, Check{Name: "site", URL: "https://shop.example.com/health"})
	if err != nil {
		t.Fatal(err)
	}
	never := time.Time{}
	at := time.Now().UTC().Truncate(time.Microsecond)
	down := CheckResult{At: at.Format(time.RFC3339Nano), StatusCode: 503, Error: "status 503"}
	if changed, err := a.RecordCheckResult(ctx, c.ID, down, at, &never); err != nil || !changed {
		t.Fatalf("first run: changed %v, %v", changed, err)
	}
	if _, err := b.RecordCheckResult(ctx, c.ID, down, at.Add(time.Millisecond), &never); !errors.Is(err, ErrSuperseded) {
		t.Errorf("a second run scheduled from no run: %v, want ErrSuperseded", err)
	}
	if _, err := b.RecordCheckResult(ctx, c.ID, down, at.Add(5*time.Second), &at); err != nil {
		t.Errorf("the run after it: %v", err)
	}
	if _, err := b.RecordCheckResult(ctx, c.ID, down, at.Add(6*time.Second), nil); err != nil {
		t.Errorf("a run on demand: %v", err)
	}
	all, err := a.AllChecks(ctx)
	if err != nil || len(all) != 1 || !all[0].LastRun.Equal(at.Add(6*time.Second)) {
		t.Errorf("checks after the runs: %+v (%v), want the last run at %v", all, err, at.Add(6*time.Second))
	}
}

// TestNotificationClaimedByOneNode: a notification claimed by one node's
// dispatcher is neither due nor claimable for another until the claim
// ends; an attempt recorded from a stale reading is refused; a claim given
// back makes it due again as it was.
func TestNotificationClaimedByOneNode(t *testing.T) { engines(t, testNotificationClaimedByOneNode) }

func testNotificationClaimedByOneNode(t *testing.T, where string) {
	ctx := context.Background()
	a, b, m := twoNodesAndMonitor(t, where)
	if err := a.RecordEvaluation(ctx, 1, m.ID, Evaluation{At: time.Now(), State: StateAlert,
		Outgoing: []Outgoing{{ProjectID: 1, URL: m.Webhook, MonitorID: m.ID, Body: []byte(`{}`)}}}); err != nil {
		t.Fatal(err)
	}
	read := func(s *Store) Outgoing {
		t.Helper()
		p, err := s.PendingNotifications(ctx, 10)
		if err != nil || len(p) != 1 {
			t.Fatalf("pending: %d (%v), want 1", len(p), err)
		}
		return p[0]
	}
	oa, ob := read(a), read(b) // both nodes read it as due
	until := time.Now().Add(time.Minute)
	if ok, err := a.ClaimNotification(ctx, oa, until); err != nil || !ok {
		t.Fatalf("node a claims it: %v %v", ok, err)
	}
	if ok, err := b.ClaimNotification(ctx, ob, until.Add(time.Second)); err != nil || ok {
		t.Fatalf("node b claims it too: %v %v, want refused", ok, err)
	}
	if o := read(b); !o.NextAt.After(time.Now()) {
		t.Errorf("a claimed notification is due at %v, want after now", o.NextAt)
	}
	if err := a.ReleaseNotification(ctx, oa, until); err != nil {
		t.Fatal(err)
	}
	if o := read(b); !o.NextAt.Equal(oa.NextAt) {
		t.Errorf("after the claim was given back it is due at %v, want %v as before", o.NextAt, oa.NextAt)
	}
	if ok, err := b.ClaimNotification(ctx, ob, until); err != nil || !ok {
		t.Fatalf("node b claims it after a gave it back: %v %v", ok, err)
	}
	if err := b.RecordAttempt(ctx, ob, Attempt{Attempt: 1, OK: true}, time.Now(), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := a.RecordAttempt(ctx, oa, Attempt{Attempt: 1, OK: true}, time.Now(), time.Time{}); !errors.Is(err, ErrSuperseded) {
		t.Errorf("a second first attempt: %v, want ErrSuperseded", err)
	}
	if att, err := a.Attempts(ctx, 1, 0, m.ID, 10); err != nil || len(att) != 1 {
		t.Errorf("%d attempts logged (%v), want 1", len(att), err)
	}
}

// twoNodesAndMonitor opens the database where twice, as two nodes would,
// with a monitor that notifies a webhook.
func twoNodesAndMonitor(t *testing.T, where string) (a, b *Store, m Monitor) {
	t.Helper()
	a, b = openTest(t, where), openTest(t, where)
	m, err := a.SaveMonitor(context.Background(), 1, Monitor{Name: "errors", Kind: MonitorQuery, Query: "level:error", Webhook: "https://hooks.example.com/x"})
	if err != nil {
		t.Fatal(err)
	}
	return a, b, m
}

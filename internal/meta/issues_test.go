package meta

import (
	"context"
	"errors"
	"sync"
	"testing"
)

func openIssues(t *testing.T, where string) *Store {
	t.Helper()
	s, err := Open(context.Background(), where)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.MigrateIssues(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestIssueLifecycle(t *testing.T) { engines(t, testIssueLifecycle) }

func testIssueLifecycle(t *testing.T, where string) {
	ctx := context.Background()
	s := openIssues(t, where)
	obs := func(fp string, ts int64, release string) Issue {
		t.Helper()
		is, err := s.ObserveIssue(ctx, Observation{ProjectID: 1, Fingerprint: fp, TS: ts, Release: release, Title: "E: " + fp})
		if err != nil {
			t.Fatal(err)
		}
		return is
	}
	a := obs("a", 100, "1.0")
	if a.Status != IssueUnresolved || a.FirstRelease != "1.0" || a.FirstSeen != 100 {
		t.Fatalf("new issue = %+v", a)
	}
	if again := obs("a", 150, "1.1"); again.ID != a.ID || again.FirstRelease != "1.0" {
		t.Errorf("second event opened %+v", again)
	}
	st := IssueResolved
	if err := s.UpdateIssue(ctx, 1, a.ID, IssueUpdate{Status: &st, Now: 200}); err != nil {
		t.Fatal(err)
	}
	if late := obs("a", 190, "1.1"); late.Status != IssueResolved {
		t.Errorf("an event from before the resolution reopened it: %+v", late)
	}
	if back := obs("a", 300, "1.2"); back.Status != IssueRegressed || back.RegressedIn != "1.2" || back.RegressedAt != 300 {
		t.Errorf("regression = %+v", back)
	}
	sigs, err := s.IssueSignals(ctx, 1, 0)
	if err != nil || len(sigs) != 2 || sigs[0].Kind != SignalNew || sigs[1].Kind != SignalRegressed || sigs[1].Release != "1.2" {
		t.Errorf("signals = %+v, %v", sigs, err)
	}

	b := obs("b", 400, "1.2")
	if err := s.MergeIssues(ctx, 1, a.ID, []int64{b.ID}); err != nil {
		t.Fatal(err)
	}
	if got := obs("b", 500, "1.2"); got.ID != a.ID {
		t.Errorf("after merge, b's events go to issue %d, want %d", got.ID, a.ID)
	}
	list, err := s.Issues(ctx, 1)
	if err != nil || len(list) != 1 || len(list[0].Fingerprints) != 2 {
		t.Errorf("issues after merge = %+v, %v", list, err)
	}
	if err := s.UnmergeIssue(ctx, 1, a.ID, "a"); !errors.Is(err, ErrNoIssue) {
		t.Errorf("unmerging the issue's own fingerprint: %v", err)
	}
	if err := s.UnmergeIssue(ctx, 1, a.ID, "b"); err != nil {
		t.Fatal(err)
	}
	if got := obs("b", 600, "1.2"); got.ID != b.ID {
		t.Errorf("after unmerge, b's events go to issue %d, want %d", got.ID, b.ID)
	}
	if _, err := s.IssueByID(ctx, 2, a.ID); !errors.Is(err, ErrNoIssue) {
		t.Errorf("issue visible from another project: %v", err)
	}
	ign := IssueIgnored
	if err := s.UpdateIssue(ctx, 1, a.ID, IssueUpdate{Status: &ign, Now: 700, IgnoreUntil: 1000}); err != nil {
		t.Fatal(err)
	}
	if got := obs("a", 900, "1.2"); got.Status != IssueIgnored {
		t.Errorf("an event within the ignore window reopened it: %+v", got)
	}
	if got := obs("a", 1100, "1.2"); got.Status != IssueUnresolved {
		t.Errorf("an event after the ignore window left it %s", got.Status)
	}
	bad := "done"
	if err := s.UpdateIssue(ctx, 1, a.ID, IssueUpdate{Status: &bad}); err == nil {
		t.Error("bad status accepted")
	}
}

// TestIssuesObservedByNodesAtOnce: several nodes (each its own Store on
// one database) observing the same new fingerprint at once open one issue
// and fail none of the events; counting an ignored issue's events loses
// none.
func TestIssuesObservedByNodesAtOnce(t *testing.T) { engines(t, testIssuesObservedByNodesAtOnce) }

func testIssuesObservedByNodesAtOnce(t *testing.T, where string) {
	ctx := context.Background()
	const nodes, each = 4, 10
	stores := make([]*Store, nodes)
	for i := range stores {
		stores[i] = openIssues(t, where)
	}
	observe := func(fp string) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, nodes*each)
		for _, s := range stores {
			wg.Go(func() {
				for j := range each {
					if _, err := s.ObserveIssue(ctx, Observation{ProjectID: 1, Fingerprint: fp, TS: int64(100 + j), Title: "E"}); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("observe %q: %v", fp, err)
		}
	}
	observe("together")
	list, err := stores[0].Issues(ctx, 1)
	if err != nil || len(list) != 1 {
		t.Fatalf("issues after %d nodes saw one new fingerprint: %d (%v), want 1", nodes, len(list), err)
	}
	st := IssueIgnored
	if err := stores[0].UpdateIssue(ctx, 1, list[0].ID, IssueUpdate{Status: &st, IgnoreCount: 1000}); err != nil {
		t.Fatal(err)
	}
	observe("together")
	is, err := stores[0].IssueByID(ctx, 1, list[0].ID)
	if err != nil || is.IgnoredSeen != nodes*each {
		t.Fatalf("ignored issue counted %d events (%v), want %d", is.IgnoredSeen, err, nodes*each)
	}
}

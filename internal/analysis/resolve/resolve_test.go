package resolve

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/product"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// q is a query object over project p and [from, to).
type q struct {
	p, from, to int64
	k           string
}

func (x q) Key() string       { return x.k }
func (x q) Scope() sqlq.Scope { return sqlq.Scope{ProjectID: x.p, From: x.from, To: x.to} }

// clock is a settable now.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTest(max int) (*Resolver, *clock) {
	c := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	return New(Roles{}, Options{MaxEntries: max, TTL: time.Minute, FreshTTL: 5 * time.Second, Settle: time.Minute, Now: c.now}), c
}

// counted resolves x, counting the runs.
func counted(t *testing.T, r *Resolver, x q, runs *int) string {
	t.Helper()
	v, err := Do(context.Background(), r, x, func(context.Context) (string, error) {
		*runs++
		return fmt.Sprintf("answer %d", *runs), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCacheByKeyProjectAndRange(t *testing.T) {
	r, c := newTest(10)
	past := c.t.Add(-time.Hour).UnixMicro()
	base := q{p: 1, from: 0, to: past, k: "funnel"}
	runs := 0
	first := counted(t, r, base, &runs)
	if again := counted(t, r, base, &runs); again != first || runs != 1 {
		t.Errorf("same key: %q then %q after %d runs, want the remembered answer", first, again, runs)
	}
	for _, other := range []q{{p: 2, from: 0, to: past, k: "funnel"}, {p: 1, from: 1, to: past, k: "funnel"}, {p: 1, from: 0, to: past - 1, k: "funnel"}, {p: 1, from: 0, to: past, k: "paths"}} {
		before := runs
		counted(t, r, other, &runs)
		if runs != before+1 {
			t.Errorf("%+v answered from %+v's entry", other, base)
		}
	}
	if hits, misses, n := r.Stats(); hits != 1 || misses != 5 || n != 5 {
		t.Errorf("stats = %d hits, %d misses, %d entries; want 1, 5, 5", hits, misses, n)
	}
	// A past range's answer lasts TTL.
	c.t = c.t.Add(59 * time.Second)
	counted(t, r, base, &runs)
	if runs != 5 {
		t.Errorf("runs = %d before TTL, want 5", runs)
	}
	c.t = c.t.Add(2 * time.Second)
	counted(t, r, base, &runs)
	if runs != 6 {
		t.Errorf("runs = %d after TTL, want 6", runs)
	}
}

func TestRangeReachingNowExpiresQuickly(t *testing.T) {
	r, c := newTest(10)
	// Ended 30 s ago: events may still arrive (Settle is a minute).
	x := q{p: 1, from: 0, to: c.t.Add(-30 * time.Second).UnixMicro(), k: "web"}
	runs := 0
	counted(t, r, x, &runs)
	c.t = c.t.Add(4 * time.Second)
	counted(t, r, x, &runs)
	if runs != 1 {
		t.Fatalf("runs = %d within FreshTTL, want 1", runs)
	}
	c.t = c.t.Add(2 * time.Second)
	counted(t, r, x, &runs)
	if runs != 2 {
		t.Errorf("runs = %d after FreshTTL, want 2", runs)
	}
}

func TestBounded(t *testing.T) {
	r, c := newTest(3)
	past := c.t.Add(-time.Hour).UnixMicro()
	runs := 0
	for i := range 10 {
		counted(t, r, q{p: 1, to: past, k: fmt.Sprint(i)}, &runs)
	}
	if _, _, n := r.Stats(); n != 3 {
		t.Errorf("%d entries, want at most 3", n)
	}
	// The most recent are kept, the oldest gone; a hit refreshes an entry.
	counted(t, r, q{p: 1, to: past, k: "7"}, &runs)
	counted(t, r, q{p: 1, to: past, k: "10"}, &runs)
	before := runs
	counted(t, r, q{p: 1, to: past, k: "7"}, &runs)
	counted(t, r, q{p: 1, to: past, k: "0"}, &runs)
	if runs != before+1 {
		t.Errorf("runs %d → %d: want 7 remembered (used last), 0 evicted", before, runs)
	}
}

// TestForgetProject: forgetting one project drops its answers and keeps
// none of its answers computed across it, and moves its generation; the
// other projects' answers and generations stay. Project 0 forgets all.
func TestForgetProject(t *testing.T) {
	r, c := newTest(10)
	past := c.t.Add(-time.Hour).UnixMicro()
	one, two := q{p: 1, to: past, k: "k"}, q{p: 2, to: past, k: "k"}
	runs := 0
	counted(t, r, one, &runs)
	counted(t, r, two, &runs)
	gen1, gen2 := r.Generation(1), r.Generation(2)
	r.ForgetProject(1)
	if r.Generation(1) == gen1 || r.Generation(2) != gen2 {
		t.Errorf("generations after forgetting project 1: %d → %d, %d → %d; want only project 1's to move", gen1, r.Generation(1), gen2, r.Generation(2))
	}
	counted(t, r, two, &runs)
	if runs != 2 {
		t.Errorf("project 2's answer was dropped with project 1's: runs = %d, want 2", runs)
	}
	counted(t, r, one, &runs)
	if runs != 3 {
		t.Errorf("project 1's answer outlived its ForgetProject: runs = %d, want 3", runs)
	}
	// An answer computed across its project's ForgetProject is not kept;
	// one computed across another project's is.
	slow := q{p: 1, to: past, k: "slow"}
	if _, err := Do(context.Background(), r, slow, func(context.Context) (int, error) { r.ForgetProject(1); return 1, nil }); err != nil {
		t.Fatal(err)
	}
	other := q{p: 2, to: past, k: "slow"}
	if _, err := Do(context.Background(), r, other, func(context.Context) (int, error) { r.ForgetProject(1); return 1, nil }); err != nil {
		t.Fatal(err)
	}
	before := runs
	counted(t, r, slow, &runs)
	if runs != before+1 {
		t.Error("an answer computed across its project's ForgetProject was kept")
	}
	if _, _, n := r.Stats(); n != 3 { // two, other, and slow computed again (project 1's "k" went with the forgets)
		t.Errorf("%d entries, want 3", n)
	}
	gen2 = r.Generation(2)
	r.ForgetProject(0)
	if _, _, n := r.Stats(); n != 0 || r.Generation(2) == gen2 {
		t.Errorf("after forgetting project 0: %d entries, project 2's generation %d → %d; want none kept, and it moved", n, gen2, r.Generation(2))
	}
}

func TestErrorsAndForget(t *testing.T) {
	r, c := newTest(10)
	x := q{p: 1, to: c.t.Add(-time.Hour).UnixMicro(), k: "k"}
	boom := errors.New("boom")
	if _, err := Do(context.Background(), r, x, func(context.Context) (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	runs := 0
	counted(t, r, x, &runs)
	if runs != 1 {
		t.Errorf("an error was remembered: runs = %d", runs)
	}
	r.Forget()
	counted(t, r, x, &runs)
	if runs != 2 {
		t.Errorf("runs = %d after Forget, want 2", runs)
	}
	// An answer computed across a Forget is not kept.
	_, err := Do(context.Background(), r, q{p: 1, to: x.to, k: "slow"}, func(context.Context) (int, error) { r.Forget(); return 1, nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, _, n := r.Stats(); n != 0 {
		t.Errorf("%d entries after an answer raced a Forget, want 0", n)
	}
	// A nil resolver runs every time.
	var nr *Resolver
	counted(t, nr, x, &runs)
	counted(t, nr, x, &runs)
	if runs != 4 || nr.Analytics() != nil {
		t.Errorf("nil resolver: runs = %d, want 4", runs)
	}
}

// indexed is a store whose person index answers funnels
// (store.FunnelIndex) and whose SQL finds no drop-off causes.
type indexed struct{ walked int }

func (s *indexed) Dialect() sqlq.Dialect { return sqlq.DuckDB{} }
func (s *indexed) Run(context.Context, sqlq.Query, func(sqlq.Scanner) error) error {
	return nil
}
func (s *indexed) IndexedFunnel(r store.FunnelRequest) (store.FunnelWalk, bool) {
	s.walked++
	return store.FunnelWalk{FunnelCounts: store.FunnelCounts{Persons: []int64{3, 1}, MedianToConvert: []int64{0, 5}}}, true
}

// TestAcceleratorsThroughTheResolver: a query object resolved on the
// resolver's role finds the store's accelerator by type assertion.
func TestAcceleratorsThroughTheResolver(t *testing.T) {
	st := &indexed{}
	r := New(Roles{Analytics: st}, Options{})
	f := product.Funnel{FunnelRequest: store.FunnelRequest{ProjectID: 1, Range: store.Range{From: 1, To: 2}, Steps: []store.Step{{Name: "a"}, {Name: "b"}}, Window: 1}}
	for range 2 {
		res, err := Do(context.Background(), r, f, func(ctx context.Context) (store.FunnelResult, error) { return f.Run(ctx, r.Analytics()) })
		if err != nil {
			t.Fatal(err)
		}
		if res.Persons[0] != 3 || res.Persons[1] != 1 {
			t.Errorf("persons = %v, want the index's [3 1]", res.Persons)
		}
	}
	if st.walked != 1 {
		t.Errorf("the index walked %d times, want once (then remembered)", st.walked)
	}
	if _, ok := r.Analytics().(store.FunnelIndex); !ok {
		t.Error("the resolver's analytics role hides the store's FunnelIndex")
	}
}

func TestSnapMovesNowUpToTheGrain(t *testing.T) {
	r, _ := newTest(10)
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct{ now, want string }{
		{"2026-05-01T12:00:00Z", "2026-05-01T12:00:00Z"},
		{"2026-05-01T12:00:00.000001Z", "2026-05-01T12:01:00Z"},
		{"2026-05-01T12:00:03Z", "2026-05-01T12:01:00Z"},
		{"2026-05-01T12:00:59.999Z", "2026-05-01T12:01:00Z"},
		{"2026-05-01T12:01:00.5Z", "2026-05-01T12:02:00Z"},
	} {
		if got := r.Snap(at(c.now)); !got.Equal(at(c.want)) {
			t.Errorf("Snap(%s) = %s, want %s", c.now, got.Format(time.RFC3339Nano), c.want)
		}
	}
	var none *Resolver
	if now := at("2026-05-01T12:00:03Z"); !none.Snap(now).Equal(now) {
		t.Errorf("a nil resolver moved now")
	}
	other := New(Roles{}, Options{Grain: 10 * time.Second})
	if got := other.Snap(at("2026-05-01T12:00:03Z")); !got.Equal(at("2026-05-01T12:00:10Z")) {
		t.Errorf("Snap with a 10 s grain = %s", got)
	}
}

// TestLateEventsDropSettledAnswers: events stored late into a settled
// range (a backfill) drop the answers over it, of that project only, and
// an answer computed while they arrived is not kept; events of the last
// minute leave settled answers alone.
func TestLateEventsDropSettledAnswers(t *testing.T) {
	r, c := newTest(10)
	day := c.t.Add(-24 * time.Hour)
	x := q{p: 1, from: day.UnixMicro(), to: day.Add(time.Hour).UnixMicro(), k: "k"}
	other := q{p: 2, from: x.from, to: x.to, k: "k"}
	runs, otherRuns := 0, 0
	counted(t, r, x, &runs)
	counted(t, r, other, &otherRuns)
	r.Stored(1, c.t.Add(-10*time.Second).UnixMicro(), c.t.UnixMicro()) // fresh events
	r.Stored(1, x.to+1, x.to+5)                                        // after the range
	counted(t, r, x, &runs)
	if runs != 1 {
		t.Errorf("events outside the range dropped the answer: runs = %d, want 1", runs)
	}
	r.Stored(1, x.from+10, x.from+20) // late events inside it
	counted(t, r, x, &runs)
	counted(t, r, other, &otherRuns)
	if runs != 2 || otherRuns != 1 {
		t.Errorf("after late events of project 1: runs %d (want 2), project 2's %d (want 1)", runs, otherRuns)
	}
	// An answer computed while late events arrived in its range is not kept.
	slow := q{p: 1, from: x.from, to: x.to, k: "slow"}
	slowRuns := 0
	if _, err := Do(context.Background(), r, slow, func(context.Context) (string, error) {
		slowRuns++
		r.Stored(1, x.from+30, x.from+30)
		return "raced", nil
	}); err != nil {
		t.Fatal(err)
	}
	counted(t, r, slow, &slowRuns)
	if slowRuns != 2 {
		t.Errorf("an answer that raced late events was kept: runs = %d, want 2", slowRuns)
	}
}

package meta

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLeaseOneHolderAtATime: a lease held and renewed by one node is
// refused to another until it expires or is released; each change of
// hands gives a larger token.
func TestLeaseOneHolderAtATime(t *testing.T) { engines(t, testLeaseOneHolderAtATime) }

func testLeaseOneHolderAtATime(t *testing.T, where string) {
	ctx := context.Background()
	a, b := openTest(t, where), openTest(t, where)
	const ttl = 300 * time.Millisecond
	try := func(s *Store, holder string, want bool) Lease {
		t.Helper()
		l, ok, err := s.TryLease(ctx, "monitors", holder, ttl)
		if err != nil || ok != want {
			t.Fatalf("%s takes the lease: %v (%v), want %v", holder, ok, err, want)
		}
		return l
	}
	first := try(a, "node-a", true)
	try(b, "node-b", false)
	if l, ok, err := b.LeaseHolder(ctx, "monitors"); err != nil || !ok || l.Holder != "node-a" || time.Until(l.Expires) <= 0 || time.Until(l.Expires) > ttl+time.Second {
		t.Errorf("LeaseHolder: %+v %v %v, want node-a's lease expiring within %v", l, ok, err, ttl)
	}
	if again := try(a, "node-a", true); again.Token != first.Token {
		t.Errorf("renewal changed the token %d → %d", first.Token, again.Token)
	}
	time.Sleep(ttl + 50*time.Millisecond)
	second := try(b, "node-b", true)
	if second.Token <= first.Token {
		t.Errorf("token after changing hands %d, want more than %d", second.Token, first.Token)
	}
	try(a, "node-a", false)
	if err := b.ReleaseLease(ctx, "monitors", "node-b"); err != nil {
		t.Fatal(err)
	}
	if third := try(a, "node-a", true); third.Token <= second.Token {
		t.Errorf("token after release %d, want more than %d", third.Token, second.Token)
	}
	if _, _, err := a.TryLease(ctx, "", "node-a", ttl); err == nil {
		t.Error("a lease without a name was taken")
	}
}

// TestRunExclusiveTakesOverWhenHolderDies: two nodes run the same work
// under one lease; only the first runs it; when it dies without releasing
// (its database connection gone), the second takes over within the TTL and
// a renewal, and the two never run it at once; stopping the second
// releases the lease at once.
func TestRunExclusiveTakesOverWhenHolderDies(t *testing.T) {
	engines(t, testRunExclusiveTakesOverWhenHolderDies)
}

func testRunExclusiveTakesOverWhenHolderDies(t *testing.T, where string) {
	const ttl = time.Second
	log := slog.New(slog.DiscardHandler)
	a, b := openTest(t, where), openTest(t, where)
	var (
		running, overlaps atomic.Int32
		mu                sync.Mutex
		started           = map[string]time.Time{}
	)
	work := func(node string) func(context.Context, Lease) {
		return func(ctx context.Context, l Lease) {
			if running.Add(1) > 1 {
				overlaps.Add(1)
			}
			mu.Lock()
			if _, ok := started[node]; !ok {
				started[node] = time.Now()
			}
			mu.Unlock()
			<-ctx.Done()
			running.Add(-1)
		}
	}
	run := func(s *Store, node string) (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.RunExclusive(ctx, "monitors", node, ttl, log, work(node)) }()
		return func() {
			cancel()
			if err := <-done; err != nil && node == "node-b" {
				t.Errorf("%s: %v", node, err)
			}
		}
	}
	has := func(node string) bool {
		mu.Lock()
		defer mu.Unlock()
		_, ok := started[node]
		return ok
	}
	stopA := run(a, "node-a")
	defer stopA()
	waitFor(t, 5*time.Second, func() bool { return has("node-a") })
	stopB := run(b, "node-b")
	time.Sleep(2 * ttl)
	if has("node-b") {
		t.Fatal("node-b ran the work while node-a held the lease")
	}
	died := time.Now()
	a.db.Close() // node-a dies: no renewal, no release
	waitFor(t, 10*time.Second, func() bool { return has("node-b") })
	mu.Lock()
	took := started["node-b"].Sub(died)
	mu.Unlock()
	if took > 2*ttl+500*time.Millisecond {
		t.Errorf("node-b took over %v after node-a died, want within about ttl %v and one try", took, ttl)
	}
	stopB()
	if n := overlaps.Load(); n > 0 {
		t.Errorf("the work ran on both nodes at once %d times", n)
	}
	c := openTest(t, where)
	if _, ok, err := c.TryLease(context.Background(), "monitors", "node-c", ttl); err != nil || !ok {
		t.Errorf("after node-b stopped the lease is not free: %v %v", ok, err)
	}
}

func waitFor(t *testing.T, limit time.Duration, cond func() bool) {
	t.Helper()
	end := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("condition not met within %v", limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

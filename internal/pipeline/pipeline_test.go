package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/lore-dev/lore/internal/event"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// req builds request number id of n events; every event carries its
// request id and index so the store's content can be checked exactly.
func req(id int64, n int) []event.Event {
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = event.Event{
			ProjectID: id, TS: int64(i), Kind: event.KindLog, Level: event.LevelInfo,
			Service: "svc", Message: fmt.Sprintf("request %d event %d", id, i),
			Attributes: []event.Attr{{Key: "i", Value: fmt.Sprint(i)}},
		}
	}
	return evs
}

func open(t *testing.T, opts Options, w *memWriter) *Pipeline {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	p, err := Open(context.Background(), opts, w, testLogger(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return p
}

func closeP(t *testing.T, p *Pipeline) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// checkStored checks that the store holds exactly the requests in want,
// each whole and once, in that order, with a valid Writer contract.
func checkStored(t *testing.T, w *memWriter, want []int64, sizes map[int64]int) {
	t.Helper()
	if err := w.checkContract(); err != nil {
		t.Fatalf("store contract violated: %v", err)
	}
	got := w.events()
	i := 0
	for _, id := range want {
		n := sizes[id]
		for j := range n {
			if i >= len(got) {
				t.Fatalf("store ends at event %d of request %d; want %d requests", j, id, len(want))
			}
			if e := got[i]; e.ProjectID != id || e.TS != int64(j) || e.Message != fmt.Sprintf("request %d event %d", id, j) {
				t.Fatalf("store event %d is request %d event %d (%q), want request %d event %d", i, e.ProjectID, e.TS, e.Message, id, j)
			}
			i++
		}
	}
	if i != len(got) {
		t.Fatalf("store has %d events, want %d", len(got), i)
	}
}

func TestOrderAndExactlyOnce(t *testing.T) {
	f := func(name string, opts Options) {
		t.Helper()
		w := &memWriter{}
		p := open(t, opts, w)
		const submitters, perSubmitter = 8, 40
		var wg sync.WaitGroup
		sizes := map[int64]int{}
		for s := range submitters {
			for r := range perSubmitter {
				sizes[int64(s*1000+r)] = 1 + (s+r)%9
			}
		}
		errs := make(chan error, submitters)
		for s := range submitters {
			wg.Go(func() {
				for r := range perSubmitter {
					id := int64(s*1000 + r)
					if err := p.Submit(context.Background(), req(id, sizes[id])); err != nil {
						errs <- fmt.Errorf("submit %d: %w", id, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("%s: %v", name, err)
		}
		if err := p.Flush(context.Background()); err != nil {
			t.Fatalf("%s: Flush: %v", name, err)
		}
		closeP(t, p)

		// Each submitter's requests are stored in its order, whole and
		// once; requests of different submitters interleave.
		got := w.events()
		next := make([]int, submitters)
		for i := 0; i < len(got); {
			id := got[i].ProjectID
			s, r := int(id/1000), int(id%1000)
			if r != next[s] {
				t.Fatalf("%s: event %d is from request %d of submitter %d, want request %d", name, i, r, s, next[s])
			}
			for j := range sizes[id] {
				if i >= len(got) || got[i].ProjectID != id || got[i].TS != int64(j) {
					t.Fatalf("%s: request %d is not stored whole at event %d", name, id, i)
				}
				i++
			}
			next[s]++
		}
		for s, n := range next {
			if n != perSubmitter {
				t.Fatalf("%s: submitter %d has %d requests stored, want %d", name, s, n, perSubmitter)
			}
		}
		if err := w.checkContract(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		st := p.Stats()
		if st.PendingBytes != 0 || st.PendingEvents != 0 || st.EventsLoaded != st.EventsLogged || st.LoadedSeq != st.LastSeq {
			t.Fatalf("%s: stats after Close: %+v", name, st)
		}
	}
	f("defaults", Options{})
	f("small batches merged from memory", Options{MaxBatchEvents: 7, LoadInterval: time.Millisecond})
	f("everything read back from the WAL", Options{MaxMemoryBytes: 1, MaxBatchEvents: 20, SegmentBytes: 2000, LoadInterval: time.Millisecond})
	f("memory and WAL mixed", Options{MaxMemoryBytes: 3000, MaxBatchEvents: 50, SegmentBytes: 4000, LoadInterval: time.Millisecond})
}

func TestGroupCommit(t *testing.T) {
	w := &memWriter{}
	p := open(t, Options{CommitWindow: time.Millisecond}, w)
	const submitters, perSubmitter = 64, 5
	var wg sync.WaitGroup
	for s := range submitters {
		wg.Go(func() {
			for r := range perSubmitter {
				if err := p.Submit(context.Background(), req(int64(s*1000+r), 3)); err != nil {
					t.Errorf("Submit: %v", err)
				}
			}
		})
	}
	wg.Wait()
	closeP(t, p)
	st := p.Stats()
	requests := uint64(submitters * perSubmitter)
	if st.Groups == 0 || st.Groups > requests/4 {
		t.Fatalf("%d requests took %d fsync groups, want at most %d", requests, st.Groups, requests/4)
	}
	if st.FsyncSeconds.Count != st.Groups || st.LastSeq != requests || st.EventsLogged != 3*requests {
		t.Fatalf("stats: %+v", st)
	}
	if got := len(w.events()); got != 3*int(requests) {
		t.Fatalf("store has %d events, want %d", got, 3*requests)
	}
}

func TestFlushMakesSubmittedEventsVisible(t *testing.T) {
	w := &memWriter{}
	// The loader would not wake by itself during the test.
	p := open(t, Options{LoadInterval: time.Hour}, w)
	defer closeP(t, p)
	sizes := map[int64]int{}
	var ids []int64
	for i := range int64(5) {
		sizes[i] = 3
		ids = append(ids, i)
		if err := p.Submit(context.Background(), req(i, 3)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkStored(t, w, ids, sizes)
	// Nothing new: Flush returns at once.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestCloseLoadsEverything(t *testing.T) {
	w := &memWriter{}
	dir := t.TempDir()
	p := open(t, Options{Dir: dir, LoadInterval: time.Hour}, w)
	sizes := map[int64]int{}
	var ids []int64
	for i := range int64(20) {
		sizes[i] = int(i%4) + 1
		ids = append(ids, i)
		if err := p.Submit(context.Background(), req(i, sizes[i])); err != nil {
			t.Fatal(err)
		}
	}
	closeP(t, p)
	checkStored(t, w, ids, sizes)
	if err := p.Submit(context.Background(), req(99, 1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Submit after Close: %v, want ErrClosed", err)
	}
	// Reopening replays nothing: the store has it all.
	calls := w.calls
	p = open(t, Options{Dir: dir}, w)
	closeP(t, p)
	if w.calls != calls {
		t.Fatalf("reopen appended %d batches, want none", w.calls-calls)
	}
}

func TestAppendErrorsAreRetried(t *testing.T) {
	w := &memWriter{failNext: 3}
	p := open(t, Options{LoadInterval: time.Millisecond}, w)
	defer closeP(t, p)
	sizes := map[int64]int{1: 2, 2: 5}
	for _, id := range []int64{1, 2} {
		if err := p.Submit(context.Background(), req(id, sizes[id])); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	checkStored(t, w, []int64{1, 2}, sizes)
	if st := p.Stats(); st.LoadErrors < 3 {
		t.Fatalf("LoadErrors = %d, want at least 3", st.LoadErrors)
	}
}

func TestAppendErrorAfterCommitIsNotRepeated(t *testing.T) {
	w := &memWriter{failAfter: 1}
	p := open(t, Options{LoadInterval: time.Millisecond}, w)
	defer closeP(t, p)
	if err := p.Submit(context.Background(), req(1, 4)); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkStored(t, w, []int64{1}, map[int64]int{1: 4})
}

func TestOverload(t *testing.T) {
	unblock := make(chan struct{})
	w := &memWriter{block: unblock}
	const maxPending, maxMemory = 20_000, 5_000
	p := open(t, Options{MaxPendingBytes: maxPending, MaxMemoryBytes: maxMemory, LoadInterval: time.Millisecond}, w)
	defer closeP(t, p)
	ctx := context.Background()
	accepted := 0
	var err error
	for range 1000 {
		if err = p.Submit(ctx, req(int64(accepted), 10)); err != nil {
			break
		}
		accepted++
		if st := p.Stats(); st.PendingBytes > maxPending || st.MemoryBytes > maxMemory {
			t.Fatalf("pending bytes %d, memory bytes %d exceed the bounds %d, %d", st.PendingBytes, st.MemoryBytes, maxPending, maxMemory)
		}
	}
	if !errors.Is(err, ErrOverloaded) {
		t.Fatalf("Submit with a blocked store gave %v after %d requests, want ErrOverloaded", err, accepted)
	}
	if accepted == 0 {
		t.Fatal("no request was accepted before overload")
	}
	if ra := p.RetryAfter(); ra < 1 || ra > 60 {
		t.Fatalf("RetryAfter = %d, want 1..60", ra)
	}
	if st := p.Stats(); st.Overloaded != 1 {
		t.Fatalf("Overloaded = %d, want 1", st.Overloaded)
	}
	close(unblock)
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Submit(ctx, req(int64(accepted), 10)); err != nil {
		t.Fatalf("Submit after the store recovered: %v", err)
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := len(w.events()), 10*(accepted+1); got != want {
		t.Fatalf("store has %d events, want %d", got, want)
	}
}

func TestSubmitHonoursContext(t *testing.T) {
	p := open(t, Options{}, &memWriter{})
	defer closeP(t, p)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Submit(ctx, req(1, 1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Submit with a cancelled context: %v", err)
	}
	if st := p.Stats(); st.PendingBytes != 0 {
		t.Fatalf("a refused Submit left %d pending bytes", st.PendingBytes)
	}
}

func TestCloseGivesUpWhenTheStoreIsStuck(t *testing.T) {
	dir := t.TempDir()
	w := &memWriter{block: make(chan struct{})}
	p := open(t, Options{Dir: dir, LoadInterval: time.Millisecond}, w)
	if err := p.Submit(context.Background(), req(1, 3)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := p.Close(ctx); err == nil {
		t.Fatal("Close with a stuck store returned nil")
	}
	if n := walFiles(t, dir); n != 1 {
		t.Fatalf("%d WAL segments after a Close that could not load, want 1 (kept for the next start)", n)
	}
	// The next start loads what was left.
	w2 := &memWriter{}
	p = open(t, Options{Dir: dir}, w2)
	closeP(t, p)
	checkStored(t, w2, []int64{1}, map[int64]int{1: 3})
}

// TestCloseLoadsASlowBacklogWhileTheStoreTakesIt: a graceful stop under
// load finds a backlog that takes the store longer than CloseStall to
// load; Close loads all of it, with no deadline, since every batch is
// taken within CloseStall of the last.
func TestCloseLoadsASlowBacklogWhileTheStoreTakesIt(t *testing.T) {
	dir := t.TempDir()
	w := &memWriter{delay: 40 * time.Millisecond}
	p := open(t, Options{Dir: dir, MaxBatchEvents: 10, LoadInterval: time.Hour, CloseStall: 150 * time.Millisecond}, w)
	ids, sizes := submitN(t, p, 40, 5)
	start := time.Now()
	if err := p.Close(context.Background()); err != nil {
		t.Fatalf("Close of a slow but working store: %v", err)
	}
	if took := time.Since(start); took < 3*150*time.Millisecond {
		t.Fatalf("the backlog loaded in %v: too fast to show that Close outlasts CloseStall", took)
	}
	checkStored(t, w, ids, sizes)
	if n := walFiles(t, dir); n != 0 {
		t.Fatalf("%d WAL segments after Close loaded everything, want 0", n)
	}
}

// TestCloseGivesUpWhenTheStoreKeepsFailing: a store that takes nothing at
// shutdown makes Close return, after CloseStall, an error that names the
// store's error and the records kept; the next start loads them.
func TestCloseGivesUpWhenTheStoreKeepsFailing(t *testing.T) {
	dir := t.TempDir()
	w := &memWriter{failNext: 1 << 30}
	p := open(t, Options{Dir: dir, LoadInterval: time.Hour, CloseStall: 200 * time.Millisecond}, w)
	for i := range int64(3) {
		if err := p.Submit(context.Background(), req(i, 2)); err != nil {
			t.Fatal(err)
		}
	}
	err := p.Close(context.Background())
	if !errors.Is(err, errInjected) {
		t.Fatalf("Close with a failing store: %v, want the store's error", err)
	}
	for _, want := range []string{"took no batch for 200ms", "records 1 to 3", "loaded at the next start"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Close's error %q does not say %q", err, want)
		}
	}
	if n := walFiles(t, dir); n != 1 {
		t.Fatalf("%d WAL segments after a Close that could not load, want 1 (kept for the next start)", n)
	}
	w2 := &memWriter{}
	p = open(t, Options{Dir: dir}, w2)
	closeP(t, p)
	checkStored(t, w2, []int64{0, 1, 2}, map[int64]int{0: 2, 1: 2, 2: 2})
}

func TestSegmentsAreDeletedOnceLoaded(t *testing.T) {
	dir := t.TempDir()
	w := &memWriter{}
	p := open(t, Options{Dir: dir, SegmentBytes: 1000, LoadInterval: time.Hour}, w)
	defer closeP(t, p)
	for i := range int64(50) {
		if err := p.Submit(context.Background(), req(i, 2)); err != nil {
			t.Fatal(err)
		}
	}
	if n := walFiles(t, dir); n < 5 {
		t.Fatalf("%d segments before loading, want several", n)
	}
	if err := p.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := walFiles(t, dir); n != 1 {
		t.Fatalf("%d segments after loading, want 1 (the one being written)", n)
	}
}

// TestCloseRemovesTheLoadedWAL: after a graceful stop that loaded
// everything, the WAL directory holds no segment (the store has every
// record; the segment last written used to stay, up to 64 MiB of raw
// records), and the next start continues the seqs after the store's.
func TestCloseRemovesTheLoadedWAL(t *testing.T) {
	dir := t.TempDir()
	w := &memWriter{}
	p := open(t, Options{Dir: dir, SegmentBytes: 1000, LoadInterval: time.Hour}, w)
	ids, sizes := submitN(t, p, 30, 2)
	if n := walFiles(t, dir); n < 3 {
		t.Fatalf("%d segments before Close, want several", n)
	}
	closeP(t, p)
	checkStored(t, w, ids, sizes)
	if n := walFiles(t, dir); n != 0 {
		t.Fatalf("%d WAL segments after a graceful Close that loaded everything, want 0", n)
	}
	last := p.Stats().LastSeq

	calls := w.calls
	p = open(t, Options{Dir: dir, SegmentBytes: 1000, LoadInterval: time.Hour}, w)
	if w.calls != calls {
		t.Fatalf("reopen appended %d batches, want none", w.calls-calls)
	}
	if err := p.Submit(context.Background(), req(100, 1)); err != nil {
		t.Fatal(err)
	}
	// What is logged after the restart is in the WAL until it is stored:
	// a crash now replays it.
	crash(p)
	if n := walFiles(t, dir); n != 1 {
		t.Fatalf("%d WAL segments after a crash, want 1", n)
	}
	w2 := &memWriter{lastSeq: last}
	p = open(t, Options{Dir: dir}, w2)
	closeP(t, p)
	sizes[100] = 1
	checkStored(t, w2, []int64{100}, sizes)
	if w2.lastSeq != last+1 {
		t.Fatalf("record logged after the restart got seq %d, want %d", w2.lastSeq, last+1)
	}
}

// submitN submits requests 0 to n-1 of size events each, and returns
// their ids and sizes for checkStored.
func submitN(t *testing.T, p *Pipeline, n int64, size int) ([]int64, map[int64]int) {
	t.Helper()
	sizes := map[int64]int{}
	var ids []int64
	for i := range n {
		sizes[i], ids = size, append(ids, i)
		if err := p.Submit(context.Background(), req(i, size)); err != nil {
			t.Fatal(err)
		}
	}
	return ids, sizes
}

func walFiles(t *testing.T, dir string) int {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), segmentExt) {
			n++
		}
	}
	return n
}

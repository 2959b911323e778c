package pipeline

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// crash stops p as kill -9 would: nothing more is loaded or written and
// the files are left as they are.
func crash(p *Pipeline) {
	p.loadCancel()
	p.closeMu.Lock()
	p.closed = true
	close(p.reqs)
	p.closeMu.Unlock()
	<-p.commitDone
	close(p.stopLoad)
	<-p.loadDone
	p.cm.closeFile()
	p.ld.closeFile()
}

// logCrashed submits n requests to a pipeline whose store never commits,
// then crashes it. It returns the request sizes.
func logCrashed(t *testing.T, dir string, n int64, segBytes int64) map[int64]int {
	t.Helper()
	w := &memWriter{failNext: 1 << 30}
	p := open(t, Options{Dir: dir, SegmentBytes: segBytes, LoadInterval: time.Hour}, w)
	sizes := map[int64]int{}
	for i := int64(1); i <= n; i++ {
		sizes[i] = int(i%5) + 1
		if err := p.Submit(context.Background(), req(i, sizes[i])); err != nil {
			t.Fatal(err)
		}
	}
	crash(p)
	return sizes
}

func TestCrashRecovery(t *testing.T) {
	src := t.TempDir()
	const n = 60
	sizes := logCrashed(t, src, n, 3000)
	sizes[1000] = 2
	segs, err := listSegments(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) < 3 {
		t.Fatalf("want several segments, got %d", len(segs))
	}
	last := segs[len(segs)-1]
	// Record ends in the last segment, to know what a cut keeps.
	var ends []int64
	if _, err := scanSegment(last, last.first, true, func(seq uint64, off int64, rec []byte) {
		ends = append(ends, off+int64(len(rec)))
	}); err != nil {
		t.Fatal(err)
	}
	if last.first+uint64(len(ends))-1 != n {
		t.Fatalf("last segment holds seqs %d..%d, want up to %d", last.first, last.first+uint64(len(ends))-1, n)
	}

	rng := rand.New(rand.NewPCG(1, 2))
	cuts := []int64{0, 1, last.size - 1, last.size}
	for range 12 {
		cuts = append(cuts, rng.Int64N(last.size+1))
	}
	for _, cut := range cuts {
		for _, garbage := range []string{"", "zeros", "random"} {
			dir := copyDir(t, src)
			path := filepath.Join(dir, filepath.Base(last.path))
			if err := os.Truncate(path, cut); err != nil {
				t.Fatal(err)
			}
			switch garbage {
			case "zeros":
				appendFile(t, path, make([]byte, 100))
			case "random":
				b := make([]byte, 1+rng.IntN(200))
				for i := range b {
					b[i] = byte(rng.Uint32())
				}
				appendFile(t, path, b)
			}
			kept := int64(last.first) - 1
			for _, e := range ends {
				if e <= cut {
					kept++
				}
			}
			var want []int64
			for i := int64(1); i <= kept; i++ {
				want = append(want, i)
			}

			w := &memWriter{}
			p := open(t, Options{Dir: dir, SegmentBytes: 3000}, w)
			checkStored(t, w, want, sizes) // replayed before Open returns
			// New records continue the log after the truncated tail.
			if err := p.Submit(context.Background(), req(1000, 2)); err != nil {
				t.Fatal(err)
			}
			if err := p.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			checkStored(t, w, append(want, 1000), sizes)
			if st := p.Stats(); st.LastSeq != uint64(kept+1) {
				t.Fatalf("cut %d %s: new record got seq %d, want %d", cut, garbage, st.LastSeq, kept+1)
			}
			// A crash keeps the WAL (a graceful Close would remove it,
			// the store holding every record).
			crash(p)

			// Restarting with an empty store replays what the WAL
			// still holds: the new record, after the truncated tail.
			w3 := &memWriter{}
			p = open(t, Options{Dir: dir, SegmentBytes: 3000}, w3)
			closeP(t, p)
			if err := w3.checkContract(); err != nil {
				t.Fatal(err)
			}
			got := w3.events()
			if len(got) < 2 || got[len(got)-1].ProjectID != 1000 || got[len(got)-2].ProjectID != 1000 {
				t.Fatalf("cut %d %s: the WAL lost the record written after recovery", cut, garbage)
			}
		}
	}
}

func TestReplaySkipsWhatTheStoreHas(t *testing.T) {
	dir := t.TempDir()
	sizes := logCrashed(t, dir, 10, 1<<20)
	// The store committed seqs 1..4 before the crash.
	w := &memWriter{lastSeq: 4}
	p := open(t, Options{Dir: dir}, w)
	checkStored(t, w, []int64{5, 6, 7, 8, 9, 10}, sizes)
	if st := p.Stats(); st.EventsLoaded == 0 || st.PendingEvents != 0 {
		t.Fatalf("stats after replay: %+v", st)
	}
	closeP(t, p)
}

func TestStoreAheadOfWAL(t *testing.T) {
	// The WAL directory was lost but the store has seqs up to 100: new
	// records must get seqs above it.
	w := &memWriter{lastSeq: 100}
	p := open(t, Options{}, w)
	if err := p.Submit(context.Background(), req(1, 1)); err != nil {
		t.Fatal(err)
	}
	closeP(t, p)
	if err := w.checkContract(); err != nil {
		t.Fatal(err)
	}
	if w.lastSeq != 101 {
		t.Fatalf("store last seq %d, want 101", w.lastSeq)
	}
}

func TestCorruptMiddleSegmentIsAnError(t *testing.T) {
	dir := t.TempDir()
	logCrashed(t, dir, 30, 1000)
	segs, err := listSegments(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(segs[0].path, 20); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), Options{Dir: dir}, &memWriter{}, testLogger(t)); err == nil || !strings.Contains(err.Error(), segs[0].path) {
		t.Fatalf("Open of a WAL with a cut middle segment: %v, want an error naming it", err)
	}
}

func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func appendFile(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestWALWriteFailureStopsIngest(t *testing.T) {
	dir := t.TempDir()
	w := &memWriter{}
	p := open(t, Options{Dir: dir}, w)
	if err := p.Submit(context.Background(), req(1, 2)); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Swap the segment for a read-only handle: the next write fails and
	// cannot be cut back. (The committer is idle, waiting on reqs, which
	// orders this swap before its next write.)
	ro, err := os.Open(p.cm.seg.path)
	if err != nil {
		t.Fatal(err)
	}
	p.cm.f.Close()
	p.cm.f = ro
	for i := range 2 {
		if err := p.Submit(context.Background(), req(2, 2)); err == nil || errors.Is(err, ErrOverloaded) {
			t.Fatalf("Submit %d after a WAL write failure: %v, want the write error", i, err)
		}
	}
	if st := p.Stats(); st.PendingBytes != 0 || st.LastSeq != 1 {
		t.Fatalf("failed Submits left stats %+v", st)
	}
	closeP(t, p)
	checkStored(t, w, []int64{1}, map[int64]int{1: 2})

	// A restart starts from what was acknowledged.
	p = open(t, Options{Dir: dir}, w)
	if err := p.Submit(context.Background(), req(3, 1)); err != nil {
		t.Fatal(err)
	}
	closeP(t, p)
	checkStored(t, w, []int64{1, 3}, map[int64]int{1: 2, 3: 1})
}

// TestKill9 runs a pipeline in a child process, kills it with SIGKILL while
// it is logging, and checks that a restart replays every acknowledged
// request, whole and once, and nothing torn.
func TestKill9(t *testing.T) {
	if dir := os.Getenv("LORE_PIPELINE_KILL9_DIR"); dir != "" {
		kill9Child(dir)
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9$")
	cmd.Env = append(os.Environ(), "LORE_PIPELINE_KILL9_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[int64]bool{}
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(acked) < 300 {
		var id int64
		if _, err := fmt.Sscanf(sc.Text(), "ack %d", &id); err == nil {
			acked[id] = true
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(acked) < 300 {
		t.Fatalf("child acknowledged only %d requests", len(acked))
	}

	w := &memWriter{}
	p := open(t, Options{Dir: dir, SegmentBytes: 8 << 10}, w)
	closeP(t, p)
	if err := w.checkContract(); err != nil {
		t.Fatal(err)
	}
	got := w.events()
	seen := map[int64]bool{}
	for i := 0; i < len(got); {
		id := got[i].ProjectID
		if seen[id] {
			t.Fatalf("request %d replayed twice", id)
		}
		seen[id] = true
		for j := range kill9Size(id) {
			if i >= len(got) || got[i].ProjectID != id || got[i].TS != int64(j) {
				t.Fatalf("request %d is not whole at event %d", id, i)
			}
			i++
		}
	}
	for id := range acked {
		if !seen[id] {
			t.Fatalf("acknowledged request %d was lost (%d of %d acknowledged replayed)", id, len(seen), len(acked))
		}
	}
}

func kill9Size(id int64) int { return int(id%7) + 1 }

// kill9Child logs requests from 8 goroutines until killed, printing the id
// of each one acknowledged.
func kill9Child(dir string) {
	w := &memWriter{failNext: 1 << 30}
	p, err := Open(context.Background(), Options{Dir: dir, SegmentBytes: 8 << 10, LoadInterval: time.Hour}, w, nil)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	var next int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				mu.Lock()
				next++
				id := next
				mu.Unlock()
				if err := p.Submit(context.Background(), req(id, kill9Size(id))); err != nil {
					fmt.Println("submit:", err)
					os.Exit(1)
				}
				mu.Lock()
				fmt.Printf("ack %d\n", id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

package pipeline

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// walHolds reports whether some file in dir holds b.
func walHolds(t *testing.T, dir string, b []byte) bool {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, b) {
			return true
		}
	}
	return false
}

// TestRotateLeavesNoLoadedRecord logs a person's events, loads them, and
// rotates (as an erasure does once the store has deleted them): the
// segment that held them is deleted — its bytes are in no file of the WAL
// directory — though the loader was idle (an hour's interval), and ingest
// goes on into the new segment. Rotating an empty segment does nothing.
func TestRotateLeavesNoLoadedRecord(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := &memWriter{}
	p := open(t, Options{Dir: dir, LoadInterval: time.Hour}, w)
	defer closeP(t, p)
	person := []byte("person-to-erase-8d1f")
	evs := req(1, 3)
	for i := range evs {
		evs[i].UserID = string(person)
	}
	if err := p.Submit(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if !walHolds(t, dir, person) {
		t.Fatal("the WAL does not hold the person's id before rotating: the test would prove nothing")
	}
	if err := p.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if walHolds(t, dir, person) {
		t.Error("the WAL still holds the person's id after Rotate")
	}
	if n := walFiles(t, dir); n != 1 {
		t.Errorf("%d segments after Rotate, want 1", n)
	}
	if err := p.Rotate(ctx); err != nil {
		t.Errorf("Rotate of an empty segment: %v", err)
	}
	if err := p.Submit(ctx, req(2, 2)); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	checkStored(t, w, []int64{1, 2}, map[int64]int{1: 3, 2: 2})
}

// TestRotateUnderIngest rotates again and again while requests are being
// grouped (a commit window): every acknowledged request is stored once,
// whole, in the order it was logged.
func TestRotateUnderIngest(t *testing.T) {
	ctx := context.Background()
	w := &memWriter{}
	p := open(t, Options{CommitWindow: 2 * time.Millisecond, LoadInterval: 5 * time.Millisecond}, w)
	var wg sync.WaitGroup
	for g := range int64(4) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range int64(25) {
				if err := p.Submit(ctx, req(100*(g+1)+i, 2)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for range 10 {
		if err := p.Rotate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	closeP(t, p)
	if err := w.checkContract(); err != nil {
		t.Fatal(err)
	}
	seen := map[int64]int{}
	for _, e := range w.events() {
		seen[e.ProjectID]++
	}
	if len(seen) != 100 {
		t.Errorf("%d requests stored, want 100", len(seen))
	}
	for id, n := range seen {
		if n != 2 {
			t.Errorf("request %d: %d events stored, want 2", id, n)
		}
	}
}

package duckdb

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// TestCloseCheckpointDeferred: a final checkpoint that runs out of time at
// Close (a large WAL on a busy machine) is a warning, not an error — Close
// returns nil, so a stop exits 0 — and nothing is lost: the store opened
// again has the event (DuckDB folds its WAL as the database closes, or
// replays it at the next open).
func TestCloseCheckpointDeferred(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var logs lockedBuffer
	s, err := Open(ctx, dir, Options{MemoryLimit: "256MB"}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if s.closeCheckpoint != closeCheckpointTimeout || closeCheckpointTimeout < time.Minute {
		t.Errorf("the checkpoint at Close gets %s, want minutes", s.closeCheckpoint)
	}
	e := event.Event{ProjectID: 1, TS: 1_700_000_000_000_000, Kind: event.KindLog, Message: "kept"}
	if err := s.Append(ctx, store.Batch{Seq: 7, Events: []event.Event{e}}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, dbFile+".wal")); err != nil || fi.Size() == 0 {
		t.Fatalf("no WAL before Close (%v): the check below would prove nothing", err)
	}
	s.closeCheckpoint = time.Nanosecond // runs out at once
	if err := s.checkpointAtClose(); !errors.Is(err, errCheckpointDeferred) {
		t.Errorf("checkpointAtClose past its bound = %v, want errCheckpointDeferred", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close with its checkpoint out of time = %v, want nil (a warning)", err)
	}
	if !strings.Contains(logs.String(), "the store closed without its final checkpoint") {
		t.Errorf("no warning logged; logs:\n%s", logs.String())
	}
	s = openTest(t, dir)
	defer s.Close()
	if seq, err := s.LastSeq(ctx); err != nil || seq != 7 {
		t.Errorf("LastSeq after reopen = %d, %v; want 7", seq, err)
	}
	if st, err := s.Stats(ctx); err != nil || st.Events != 1 {
		t.Errorf("Stats after reopen = %+v, %v; want the event", st, err)
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

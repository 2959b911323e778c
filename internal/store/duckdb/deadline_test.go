//go:build unix

package duckdb

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time this process has used, all threads (DuckDB's
// workers included).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// endless is a query that would run for hours on every thread.
const endless = `SELECT sum(a.range * b.range) FROM range(100000000) a, range(100000000) b`

// TestQueryInterrupted: a query whose context ends (its request timed out,
// or its client left) is interrupted inside DuckDB: it returns the
// context's error, and the engine stops working — the process's CPU stays
// near idle afterwards, where a query left running holds every core.
func TestQueryInterrupted(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	check := func(name string, ctx context.Context, want error) {
		t.Helper()
		var n float64
		err := s.db.QueryRowContext(ctx, endless).Scan(&n)
		if !errors.Is(err, want) {
			t.Fatalf("%s: err %v, want %v", name, err, want)
		}
		before := cpuTime()
		time.Sleep(time.Second)
		// Two DuckDB threads left running would use ~2s here.
		if used := cpuTime() - before; used > 500*time.Millisecond {
			t.Errorf("%s: the process used %v of CPU in the second after the query returned: not interrupted", name, used)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	check("deadline", ctx, context.DeadlineExceeded)

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	check("cancel", ctx, context.Canceled)
}

// TestQueryDeadlineByDefault: a query whose context has no deadline (the
// work a server does in the background) gets the store's QueryTimeout.
func TestQueryDeadlineByDefault(t *testing.T) {
	s, err := Open(context.Background(), t.TempDir(), Options{MemoryLimit: "256MB", QueryTimeout: 300 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n float64
	if err := s.db.QueryRowContext(context.Background(), endless).Scan(&n); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the store's deadline", err)
	}
}

//go:build unix

package duckdb

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/events"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/store"
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

// TestSearchStopsAtDeadlineOnLongValues: a search over long messages made
// to be slow to match (a 64 KiB run of one letter, which every position of
// a needle of that letter and another nearly matches) returns within its
// deadline + 1 s, with the deadline's error when it did not finish.
// DuckDB sees an interruption only between chunks of 2,048 rows: a chunk
// of these values took 2 to 5 s to match whatever the deadline, until
// values over 4 KiB were matched in Go, which checks the query's context
// before each value (sqlq/duckfn).
func TestSearchStopsAtDeadlineOnLongValues(t *testing.T) {
	// "aaac" is in the value, so the blocks' grams let every needle below
	// through to the scan.
	long := "b" + "aaac" + strings.Repeat("a", 64<<10-5)
	// n bytes: n-1 'a's and a 'c'
	needle := func(n int) string { return strings.Repeat("a", n-1) + "c" }
	// any of four terms: each is matched against every value
	any4 := func(term func(n int) string) string {
		max := query.MaxNeedleBytes - 16
		return term(max) + " OR " + term(max-8) + " OR " + term(max-16) + " OR " + term(max-24)
	}
	searchesStopAtDeadline(t, long, false, []string{
		any4(needle),
		any4(func(n int) string { return needle(n) + "*b" }),
		any4(func(n int) string { return "message:*" + needle(n) + "*" }),
	})
}

// TestManyWordsStopAtDeadline: a search of many words (about 150, what
// MaxQueryBytes holds of long ones) over 2,048 messages just under 4 KiB
// made to be slow to match returns within its deadline + 1 s. Such values
// are matched by DuckDB, which sees an interruption only between chunks,
// and each word was another pass over the chunk: 7 to 11 s past the
// deadline (as many attribute wildcards: up to 21 s), until a query of
// many terms had its message terms matched in one Go call per value
// (sqlq/duckfn lore_match_text) and its wildcard fields value by value in
// Go, both checking the query's context.
func TestManyWordsStopAtDeadline(t *testing.T) {
	long := "b" + "aaac" + strings.Repeat("a", 4096-5) // matched by DuckDB (<= 4 KiB)
	// word i: 100 bytes of 'a's but one letter not in the values (c to
	// f), near the end; every word a different one
	word := func(i int) string {
		j := i % 40
		return strings.Repeat("a", 99-j) + string(rune('c'+i/40)) + strings.Repeat("a", j)
	}
	many := func(sep string, term func(i int) string) string {
		var terms []string
		for i := 0; len(strings.Join(terms, sep))+len(term(i))+len(sep) <= query.MaxQueryBytes-32; i++ {
			terms = append(terms, term(i))
		}
		return strings.Join(terms, sep)
	}
	searchesStopAtDeadline(t, long, true, []string{
		many(" OR ", word),
		many(" OR ", func(i int) string { return word(i) + "*b" }),
		"-" + many(" -", word),
		many(" OR ", func(i int) string { return "@k:*" + word(i) + "*" }),
	})
}

// searchesStopAtDeadline stores 2,048 events (one chunk, in one block)
// whose message is long (and, with attr, their attribute k), and checks that each search
// of texts, none of which matches, returns within a deadline of 100 ms
// + 1 s, with nothing found or the deadline's error.
func searchesStopAtDeadline(t *testing.T, long string, attr bool, texts []string) {
	t.Helper()
	const deadline, slack = 100 * time.Millisecond, time.Second
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const t0 = 1_700_000_000_000_000
	evs := make([]event.Event, 2048)
	for i := range evs {
		evs[i] = event.Event{ProjectID: 1, TS: t0 + int64(i)*1000, Kind: event.KindLog, Service: "api", Message: long}
		if attr {
			evs[i].Attributes = []event.Attr{{Key: "k", Value: long}}
		}
	}
	if err := s.Append(ctx, store.Batch{Seq: 1, Events: evs}); err != nil {
		t.Fatal(err)
	}
	for _, text := range texts {
		q, err := query.Parse(text)
		if err != nil {
			t.Fatalf("Parse(%.40q…): %v", text, err)
		}
		qctx, cancel := context.WithTimeout(ctx, deadline)
		began := time.Now()
		res, err := events.Reader{Ex: s}.Search(qctx, store.SearchRequest{ProjectID: 1, Range: store.Range{From: t0, To: t0 + 3600e6}, Query: q})
		took := time.Since(began)
		cancel()
		t.Logf("%6v %d bytes %.40q… %.60v", took.Round(time.Millisecond), len(text), text, err)
		switch {
		case err != nil && !errors.Is(err, context.DeadlineExceeded):
			t.Errorf("%.40q…: %v, want the deadline's error", text, err)
		case err == nil && len(res.Events) != 0:
			t.Errorf("%.40q… found %d events in values that do not hold it", text, len(res.Events))
		}
		if took > deadline+slack {
			t.Errorf("%.40q… returned after %v (deadline %v)", text, took.Round(time.Millisecond), deadline)
		}
	}
}

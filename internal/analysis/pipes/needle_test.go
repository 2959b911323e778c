package pipes_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/pipes"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/duckdb"
)

// TestLongNeedlesRefused: a needle (a search word, phrase or wildcard
// value; contains', startswith's and match's text; extract's pattern)
// longer than query.MaxNeedleBytes, and a match() expression that
// compiles to a long program, are refused, naming the pipe, the column,
// the limit and the start of the needle. The engine's work on a value
// grows with the needle's length, and DuckDB sees a deadline only between
// chunks of rows: a 16 KB needle over 200 values of 64 KiB ran 11 s past a
// 2 s deadline.
func TestLongNeedlesRefused(t *testing.T) {
	long := strings.Repeat("a", query.MaxNeedleBytes) + "c"
	limit := fmt.Sprintf("is %d bytes, more than %d", len(long), query.MaxNeedleBytes)
	start := fmt.Sprintf("%q…", long[:32])
	for _, c := range []struct {
		text string
		pipe int
		col  int
		want string
	}{
		{long + ` | stats count()`, 0, 1, "search term " + start + " " + limit},
		{`"` + long + `" | stats count()`, 0, 1, "search term " + start + " " + limit},
		{`endpoint:*` + long + ` | stats count()`, 0, 10, "search term \"*" + long[:31] + "\"… is 130 bytes"},
		{`| where contains(message, "` + long + `")`, 1, 27, "contains's text " + start + " " + limit},
		{`| eval x = startswith(endpoint, "` + long + `") | where x`, 1, 33, "startswith's text " + start + " " + limit},
		{`| stats count() by service | where match(service, "` + long + `")`, 2, 51, "match's text " + start + " " + limit},
		{`| where match(message, "(?:a{1,100}){1,10}c")`, 1, 24, "compiles to"},
		{`| where match(message, "a{1000}")`, 1, 24, "more than 512"},
		{`| extract "` + long + `<x>"`, 1, 11, "extract's pattern " + start + " is 132 bytes, more than 128"},
		{`| extract "<a> <b> <c> <d> <e> <f> <g> <h> <i>"`, 1, 11, "9 captures, more than 8"},
	} {
		p, err := pipes.Parse(c.text)
		if err == nil {
			_, err = pipes.Compile(p, sqlq.DuckDB{}, 1, t0, t0+3600*sec)
		}
		var pe *pipes.Error
		if !errors.As(err, &pe) || pe.Pipe != c.pipe || pe.Column != c.col || !strings.Contains(pe.Msg, c.want) {
			t.Errorf("%.60q…: %v (pipe %d, column %d), want pipe %d, column %d: %q", c.text, err, pipeOf(pe), colOf(pe), c.pipe, c.col, c.want)
		}
	}
}

func pipeOf(e *pipes.Error) int {
	if e == nil {
		return -1
	}
	return e.Pipe
}

func colOf(e *pipes.Error) int {
	if e == nil {
		return -1
	}
	return e.Column
}

// TestLongestNeedlesWithinDeadline: the longest needles allowed, of every
// kind, over the worst values ingest keeps (64 KiB runs of one letter,
// which every position of the needle but its last matches), answer within
// the deadline + 1 s. Before the cap, and while *word* compiled to LIKE
// '%word%' (which DuckDB runs by trying every position), endpoint:*N* with
// a 128-byte N took 5 to 7 s over these 100 values.
func TestLongestNeedlesWithinDeadline(t *testing.T) {
	const deadline, slack = 2 * time.Second, time.Second
	ctx := context.Background()
	s, err := duckdb.Open(ctx, t.TempDir(), duckdb.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	long := strings.Repeat("a", 64<<10-1) + "b"
	evs := make([]event.Event, 100)
	for i := range evs {
		evs[i] = event.Event{ProjectID: 3, TS: t0 + int64(i)*sec, Kind: "log", Service: "api", Message: long, Endpoint: long,
			Attributes: []event.Attr{{Key: "k", Value: long}, {Key: "k4", Value: long[len(long)-4096:]}}}
	}
	if err := s.Append(ctx, store.Batch{Seq: 1, Events: evs}); err != nil {
		t.Fatal(err)
	}
	// n bytes: n-1 'a's and a 'c', so that every position nearly matches
	needle := func(n int) string { return strings.Repeat("a", n-1) + "c" }
	max := query.MaxNeedleBytes
	stars := strings.Repeat("a*", query.MaxWildcards-2) // with the two around it, the most wildcards
	for _, text := range []string{
		needle(max) + ` | stats count()`,
		`"` + needle(max) + `" | stats count()`,
		needle(max/2) + `*` + needle(max/2-1) + ` | stats count()`,
		`endpoint:*` + needle(max-2) + `* | stats count()`,
		`endpoint:*` + needle(max-1) + ` | stats count()`,
		`endpoint:a*` + needle(max-2) + ` | stats count()`,
		`endpoint:` + needle(max-1) + `* | stats count()`,
		`endpoint:*` + stars + needle(max-len(stars)-2) + `* | stats count()`,
		`k:*` + needle(max-2) + `* | stats count()`,
		`| where contains(message, "` + needle(max) + `") | stats count()`,
		`| where contains(k, "` + needle(max) + `") or startswith(endpoint, "` + needle(max) + `") | stats count()`,
		`| where match(message, "` + needle(max) + `") | stats count()`,
		`| where match(message, "(a|aa)*` + needle(max-7) + `") | stats count()`,
		`| extract "<y>` + needle(max-7) + `<x>" | stats count(x)`,
		// a capture over the whole of what extract reads (before it read
		// only the first 4 KiB, "<y>b" took 2 s over these values)
		`| extract "<y>b" | stats count(y)`,
		`| extract "<y>b" from k4 | stats count(y)`,
		`| extract "<a>a<b>a<c>a<d>a<e>a<f>a<g>a<h>b" from k4 | stats count(a), count(b), count(c), count(d), count(e), count(f), count(g), count(h)`,
		`| extract "<a>a<b>a<c>a<d>a<e>a<f>a<g>a<h>b" | stats count(a), count(b), count(c), count(d), count(e), count(f), count(g), count(h)`,
	} {
		p, err := pipes.Parse(text)
		if err != nil {
			t.Fatalf("Parse(%.60q…): %v", text, err)
		}
		qctx, cancel := context.WithTimeout(ctx, deadline)
		began := time.Now()
		_, err = pipes.Query{Pipeline: p, ProjectID: 3, From: t0, To: t0 + 3600*sec}.Run(qctx, s)
		took := time.Since(began)
		cancel()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%.60q…: %v", text, err)
		}
		t.Logf("%6v %.70q", took.Round(time.Millisecond), text)
		if took > deadline+slack {
			t.Errorf("%.60q… answered after %v (deadline %v)", text, took.Round(time.Millisecond), deadline)
		}
	}
}

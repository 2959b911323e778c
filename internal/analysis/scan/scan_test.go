package scan

import (
	"context"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

type exec struct{}

func (exec) Dialect() sqlq.Dialect { return sqlq.DuckDB{} }
func (exec) Run(context.Context, sqlq.Query, func(sqlq.Scanner) error) error {
	return nil
}

// filtered has a word filter that keeps two parts of any range, or none
// for the word "absent".
type filtered struct{ exec }

func (filtered) WordRanges(_ int64, r store.Range, words []string) ([]store.Range, bool) {
	if words[0] == "absent" {
		return nil, true
	}
	return []store.Range{{From: r.From, To: r.From + 10}, {From: r.To - 10, To: r.To}}, true
}

func compile(t *testing.T, p Plan) sqlq.Query {
	t.Helper()
	var b sqlq.Builder
	p.Rows(&b, "ts, "+sqlq.DuckDB{}.AttrValue()+" AS pid", []any{"pattern_id"}, "kind = ?", "log")
	q, err := b.Query("scan.test", sqlq.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestPlan(t *testing.T) {
	r := store.Range{From: 100, To: 200}
	words, err := query.Parse(`level:error "rate limited"`)
	if err != nil {
		t.Fatal(err)
	}
	// Without a filter: the whole range, whatever the words.
	p, err := New(exec{}, 7, r, words)
	if err != nil {
		t.Fatal(err)
	}
	q := compile(t, p)
	if strings.Count(q.SQL, "SELECT") != 1 || q.Args[0] != "pattern_id" || q.Args[1] != int64(7) || q.Args[2] != int64(100) || q.Args[3] != int64(200) ||
		q.Args[len(q.Args)-1] != "log" {
		t.Errorf("plain scan: %s %v", q.SQL, q.Args)
	}
	// With a filter: one branch per candidate range, each with every
	// argument.
	p, err = New(filtered{}, 7, r, words)
	if err != nil {
		t.Fatal(err)
	}
	q = compile(t, p)
	if strings.Count(q.SQL, "UNION ALL") != 1 || len(q.Args) != 2*(len(compile(t, Plan{ProjectID: 7, Range: r, where: p.where, args: p.args}).Args)) {
		t.Errorf("filtered scan: %s %v", q.SQL, q.Args)
	}
	// No words: no filtering.
	p, _ = New(filtered{}, 7, r, nil)
	if p.ranges != nil || p.None {
		t.Errorf("no words planned %+v", p)
	}
	absent, _ := query.Parse("absent")
	if p, _ := New(filtered{}, 7, r, absent); !p.None {
		t.Error("a word no block holds did not rule the read out")
	}
	if _, err := New(exec{}, 7, store.Range{From: 5, To: 5}, nil); err == nil {
		t.Error("an empty range was planned")
	}
}

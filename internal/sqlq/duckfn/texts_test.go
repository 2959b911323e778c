package duckfn

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
)

// perTerm is DuckDB's dialect without MatchTexts: every term its own
// lore_contains_fold or lore_glob, as queries of few terms compile.
type perTerm struct{ query.Dialect }

// randomTexts is a random tree of n message terms (words, phrases with a
// space, wildcard words, non-ASCII and case), with a field term now and
// then, which the group matched in one call must leave outside (a
// wildcard one matched by GlobEach).
func randomTexts(r *rand.Rand, n int) query.Node {
	words := []string{"ab", "Ba", "a b", "é", "É a", "b.a", "aa", "x"}
	if n <= 1 {
		switch r.IntN(10) {
		case 0:
			return &query.Field{Name: "level", Op: query.OpEq, Value: "error"}
		case 1:
			return &query.Field{Name: "level", Op: query.OpGlob, Pieces: []string{"", "rr", ""}}
		}
		pieces := []string{words[r.IntN(len(words))]}
		for range r.IntN(3) {
			p := ""
			if r.IntN(3) > 0 {
				p = words[r.IntN(len(words))]
			}
			pieces = append(pieces, p)
		}
		return &query.Text{Pieces: pieces}
	}
	k := 1 + r.IntN(n)
	var kids []query.Node
	for k > 0 && n > 0 {
		m := 1 + r.IntN(n)
		kids = append(kids, randomTexts(r, m))
		n -= m
		k--
	}
	switch r.IntN(3) {
	case 0:
		return &query.Or{Children: kids}
	case 1:
		return &query.Not{Child: &query.And{Children: kids}}
	}
	return &query.And{Children: kids}
}

// TestMatchTextsAsTerms: a query of many message terms, whose groups of
// them lore_match_text matches in one call (and whose wildcard fields
// lore_long_glob matches whatever the value's length), finds the events
// that the same query finds term by term, over short and long values.
func TestMatchTextsAsTerms(t *testing.T) {
	ctx := context.Background()
	c := registered(t)
	if _, err := c.ExecContext(ctx, `CREATE TABLE events (id INT, message VARCHAR, level VARCHAR)`); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	alphabet := []string{"a", "b", "A", "B", " ", ".", "é", "É", "x"}
	for i := range 400 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		v := b.String()
		if i%4 == 0 { // matched in Go by the per-term macros too
			v += strings.Repeat("-", LongBytes) + v
		}
		level := []string{"error", "info"}[i%2]
		if _, err := c.ExecContext(ctx, `INSERT INTO events VALUES (?, ?, ?)`, i, v, level); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(d query.Dialect, q *query.Query) (string, string) {
		where, args, err := query.Compile(q, d)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		if err := c.QueryRowContext(ctx, `SELECT coalesce(string_agg(id::VARCHAR, ',' ORDER BY id), '') FROM events WHERE `+where, args...).Scan(&got); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		return got, where
	}
	collapsed := 0
	for range 150 {
		root := randomTexts(r, query.ManyTexts+r.IntN(8))
		q := &query.Query{Text: root.String(), Root: root}
		ours, where := ids(sqlq.DuckDB{}, q)
		theirs, _ := ids(perTerm{sqlq.DuckDB{}}, q)
		if ours != theirs {
			t.Fatalf("%s: %q in one call, %q term by term\n%s", root, ours, theirs, where)
		}
		if strings.Contains(where, "lore_match_text") {
			collapsed++
		}
	}
	if collapsed < 40 {
		t.Errorf("only %d of 150 queries matched their terms in one call", collapsed)
	}
}

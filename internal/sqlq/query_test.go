package sqlq

import (
	"math/big"
	"strings"
	"testing"
)

func TestPlaceholders(t *testing.T) {
	for sql, want := range map[string]int{
		"":                                     0,
		"a = ? AND b = ?":                      2,
		"x = '?' AND y = ?":                    1,
		`x = 'it''s ?' AND y = ?`:              1,
		`x = 'a\\b?' AND y = ?`:                1,
		`"a?" = ? AND ` + "`b?`" + ` = ?`:      2,
		`x LIKE ? ESCAPE '\' AND y = ?`:        2, // DuckDB: a lone backslash literal
		"unterminated = '?":                    0,
		"regexp_matches(message, ?) AND ? = 1": 2,
	} {
		if got := Placeholders(sql); got != want {
			t.Errorf("Placeholders(%q) = %d, want %d", sql, got, want)
		}
	}
}

func TestBuilder(t *testing.T) {
	var b Builder
	b.Add("SELECT count(*) FROM events WHERE project_id = ? AND ts >= ? AND ts < ?", int64(1), int64(10), int64(20)).
		Addf(" AND %s", DuckDB{}.HasAttr("peer.service")).Add(" AND retry_attempt >= ").Arg(3)
	q, err := b.Query("t.count", Scope{ProjectID: 1, From: 10, To: 20})
	if err != nil {
		t.Fatal(err)
	}
	if want := "SELECT count(*) FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND list_contains(attr_keys, 'peer.service') AND retry_attempt >= ?"; q.SQL != want {
		t.Errorf("SQL %s\nwant %s", q.SQL, want)
	}
	if len(q.Args) != 4 || q.Args[3] != 3 {
		t.Errorf("args %v", q.Args)
	}
	var bad Builder
	if _, err := bad.Add("a = ? AND b = ?", 1).Query("t.bad", Scope{}); err == nil || !strings.Contains(err.Error(), "t.bad: 2 placeholders but 1 arguments") {
		t.Errorf("mismatch: %v", err)
	}
}

func TestKey(t *testing.T) {
	q := func(sql string, args ...any) Query { return Query{Name: "n", SQL: sql, Args: args} }
	base := q("SELECT ?", int64(1))
	if base.Key() != q("SELECT ?", int64(1)).Key() {
		t.Error("the same query has two keys")
	}
	if !strings.HasPrefix(base.Key(), "n:") {
		t.Errorf("key %s does not name the query", base.Key())
	}
	for _, other := range []Query{
		q("SELECT ?", int64(2)),
		q("SELECT ?", "1"),
		q("SELECT ? ", int64(1)),
		q("SELECT ?", int32(1)),
		{Name: "m", SQL: "SELECT ?", Args: []any{int64(1)}},
	} {
		if other.Key() == base.Key() {
			t.Errorf("%+v has the key of %+v", other, base)
		}
	}
	// Strings are length-prefixed: no two lists collide by concatenation.
	if q("?", []string{"a,b"}).Key() == q("?", []string{"a", "b"}).Key() {
		t.Error("[a,b] and [a b] share a key")
	}
	if q("?", new(big.Int).SetUint64(1<<63)).Key() == q("?", new(big.Int).SetUint64(1<<62)).Key() {
		t.Error("big ints share a key")
	}
}

func TestLists(t *testing.T) {
	if got := Strings([]any{"a", " ", nil, "b", "c"}, 2); strings.Join(got, ",") != "a,b" {
		t.Errorf("Strings([]any) = %q", got)
	}
	if got := Strings([]string{"", "x"}, 5); strings.Join(got, ",") != "x" {
		t.Errorf("Strings([]string) = %q", got)
	}
	if got := Strings(nil, 5); got != nil {
		t.Errorf("Strings(nil) = %q", got)
	}
	if got := Int64s([]any{int64(1), "x", int64(3)}); len(got) != 2 || got[1] != 3 {
		t.Errorf("Int64s([]any) = %v", got)
	}
	if got := Int64s(nil); got == nil || len(got) != 0 {
		t.Errorf("Int64s(nil) = %#v, want empty", got)
	}
}

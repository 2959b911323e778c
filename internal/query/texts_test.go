package query

import (
	"strings"
	"testing"
)

// manyDialect is testDialect with MatchTexts and GlobEach.
type manyDialect struct{ testDialect }

func (manyDialect) MatchTexts(expr string) string { return "texts(" + expr + ", ?)" }
func (manyDialect) GlobEach(expr string) string   { return "globeach(" + expr + ", ?)" }

// TestManyTermsMatchedInGroups: from ManyTexts terms searched for inside
// values, a TextMatcher dialect matches each largest group of message
// terms in one call (bound as EncodeTexts, which DecodeTexts reads back)
// and wildcard fields by GlobEach; fewer terms compile term by term.
func TestManyTermsMatchedInGroups(t *testing.T) {
	words := func(n int) string {
		var ws []string
		for i := range n {
			ws = append(ws, "w"+strings.Repeat("x", i)+"*y")
		}
		return strings.Join(ws, " OR ")
	}
	few, err := Parse("level:error (" + words(ManyTexts-2) + ") @k:*v*")
	if err != nil {
		t.Fatal(err)
	}
	sql, _, err := Compile(few, manyDialect{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sql, "texts(") || strings.Contains(sql, "globeach(") {
		t.Errorf("%d terms matched in groups: %s", ManyTexts-1, sql)
	}
	q, err := Parse(`level:error (` + words(ManyTexts) + `) -"a b" @k:*v* service:api*`)
	if err != nil {
		t.Fatal(err)
	}
	sql, args, err := Compile(q, manyDialect{})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(sql, "texts(message, ?)"); n != 2 || !strings.Contains(sql, "globeach(") || !strings.Contains(sql, "LIKE") {
		t.Fatalf("want two groups, a GlobEach and the prefix's LIKE: %s", sql)
	}
	and := q.Root.(*And).Children
	var decoded []string
	for _, a := range args {
		if s, ok := a.(string); ok && (s[0] == '|' || s[0] == '-') {
			n, err := DecodeTexts(s)
			if err != nil {
				t.Fatal(err)
			}
			decoded = append(decoded, Dump(n))
		}
	}
	if want := []string{Dump(and[1]), Dump(and[2])}; strings.Join(decoded, "\n") != strings.Join(want, "\n") {
		t.Errorf("decoded\n%s\nwant\n%s", strings.Join(decoded, "\n"), strings.Join(want, "\n"))
	}
	for _, bad := range []string{"", "t", "t1:", "t1:5:ab", "|2:t1:1:a", "x", "t1:1:ab", "t-1:"} {
		if _, err := DecodeTexts(bad); err == nil {
			t.Errorf("DecodeTexts(%q) read it", bad)
		}
	}
}

package query

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that Parse never panics, that its errors point inside
// the query, and that every query that parses compiles to well-formed SQL
// (balanced parentheses, one argument a placeholder, no user text) whose
// canonical form parses back to the same tree, and in which no needle (a
// word, phrase or wildcard value) is longer than MaxNeedleBytes.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`level:error service:payment-service http_status:>=500 "rate limited" -env:staging trace_id:abc*`,
		`a OR (b -c) NOT d`, `status:[500 TO 599]`, `user.plan:"pro plan"`, `time*out`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			var qe *Error
			if !errors.As(err, &qe) {
				t.Fatalf("Parse(%q) error %v is not a *query.Error", s, err)
			}
			if qe.Column < 0 || qe.Column > utf8.RuneCountInString(s)+1 {
				t.Fatalf("Parse(%q) error %q points at column %d", s, err, qe.Column)
			}
			return
		}
		sql, args, err := Compile(q, testDialect{})
		if err != nil {
			t.Fatalf("Compile(%q): %v", s, err)
		}
		depth := 0
		for _, c := range sql {
			switch c {
			case '(':
				depth++
			case ')':
				depth--
			}
			if depth < 0 {
				break
			}
		}
		if depth != 0 {
			t.Fatalf("Compile(%q) has unbalanced parentheses: %s", s, sql)
		}
		if n := strings.Count(sql, "?"); n != len(args) {
			t.Fatalf("Compile(%q) has %d placeholders and %d args: %s", s, n, len(args), sql)
		}
		if err := checkSQLTokens(sql); err != nil {
			t.Fatalf("Compile(%q): %v", s, err)
		}
		_ = q.Words()
		if n := longestNeedle(q.Root); n > MaxNeedleBytes {
			t.Fatalf("Parse(%q) kept a needle of %d bytes (max %d)", s, n, MaxNeedleBytes)
		}
		canon := q.String()
		q2, err := Parse(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, s, err)
		}
		if a, b := Dump(q.Root), Dump(q2.Root); a != b {
			t.Fatalf("canonical form %q of %q parses to\n%s\nnot\n%s", canon, s, b, a)
		}
	})
}

// longestNeedle is the length of n's longest needle: a Text's pieces, or
// a Field's wildcard value, with its '*'.
func longestNeedle(n Node) int {
	most := 0
	joined := func(pieces []string) int { return len(strings.Join(pieces, "*")) }
	switch n := n.(type) {
	case *And:
		for _, c := range n.Children {
			most = max(most, longestNeedle(c))
		}
	case *Or:
		for _, c := range n.Children {
			most = max(most, longestNeedle(c))
		}
	case *Not:
		most = longestNeedle(n.Child)
	case *Text:
		most = joined(n.Pieces)
	case *Field:
		if n.Op == OpGlob {
			most = joined(n.Pieces)
		}
	}
	return most
}

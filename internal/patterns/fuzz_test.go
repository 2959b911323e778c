package patterns

import (
	"strings"
	"testing"
)

// FuzzMiner checks that any message mines without panicking, that a message
// always joins the group it created, and that templates keep the message's
// token count with only wildcards where they differ.
func FuzzMiner(f *testing.F) {
	for _, s := range []string{"user 42 logged in", `a "b c`, "x='y' z", "/a/b c://d", "\xff\xfe 12", "uid= =3 =",
		"close, 1 bytes (1.1 KB) sent", "at Fri Jun 17 07:07:00 2005", "a=1,b=x;c=(d:2)", "x.........0 [1] () [a b]", "FF:0D:60:E9:1D:DC"} {
		f.Add(s, "other 7 line")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		m := NewMiner(Config{})
		ma := m.Add(a, 1)
		m.Add(b, 2)
		again := m.Add(a, 3)
		if again.ID != ma.ID && m.Canonical(ma.ID) != again.ID {
			t.Fatalf("%q moved from %s to %s", a, ma.ID, again.ID)
		}
		toks := Tokenize(a)
		g, _ := m.Group(again.ID)
		if len(g.Tokens) != len(toks) {
			t.Fatalf("template %q has %d tokens, message %q has %d", g.Template(), len(g.Tokens), a, len(toks))
		}
		for i, tok := range g.Tokens {
			if tok != Wildcard && tok != toks[i] && !covers(tok, toks[i]) {
				t.Fatalf("template %q disagrees with %q at %d", g.Template(), strings.Join(toks, " "), i)
			}
		}
	})
}

// FuzzTokenize checks that any message tokenizes without panicking into at
// most maxTokens non-empty tokens without white space, the same way twice.
func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"a b", "lifetime <1 sec", "5.2 KB,", "Jun 17", "(uid=0)", "k:v,k2=v2", "'x y' \"z", "[]", "....0", "\u00a0x\u2028y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		toks := Tokenize(msg)
		if len(toks) > maxTokens {
			t.Fatalf("%d tokens", len(toks))
		}
		for _, tok := range toks {
			if tok == "" || strings.ContainsAny(tok, " \t\n\r") {
				t.Fatalf("bad token %q in %q", tok, toks)
			}
		}
		if again := Tokenize(msg); strings.Join(again, "\x00") != strings.Join(toks, "\x00") {
			t.Fatalf("not deterministic: %q then %q", toks, again)
		}
	})
}

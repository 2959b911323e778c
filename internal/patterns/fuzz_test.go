package patterns

import (
	"strings"
	"testing"
)

// FuzzMiner checks that any message mines without panicking, that a message
// always joins the group it created, and that templates keep the message's
// token count with only wildcards where they differ.
func FuzzMiner(f *testing.F) {
	for _, s := range []string{"user 42 logged in", `a "b c`, "x='y' z", "/a/b c://d", "\xff\xfe 12", "uid= =3 ="} {
		f.Add(s, "other 7 line")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		m := NewMiner(Config{})
		ma := m.Add(a, 1)
		m.Add(b, 2)
		again := m.Add(a, 3)
		if again.ID != ma.ID && again.ID != OverflowID {
			t.Fatalf("%q moved from %s to %s", a, ma.ID, again.ID)
		}
		toks := Tokenize(a)
		g, _ := m.Group(again.ID)
		if len(g.Tokens) != len(toks) {
			t.Fatalf("template %q has %d tokens, message %q has %d", g.Template(), len(g.Tokens), a, len(toks))
		}
		for i, tok := range g.Tokens {
			if tok != Wildcard && tok != toks[i] {
				t.Fatalf("template %q disagrees with %q at %d", g.Template(), strings.Join(toks, " "), i)
			}
		}
	})
}

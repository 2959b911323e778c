package duckfn

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver
)

// globPattern spells pieces as query's compiler does: quoted literals
// joined by [^\x00]*, anchored or not.
func globPattern(pieces []string, anchored bool) string {
	q := make([]string, len(pieces))
	for i, p := range pieces {
		q[i] = regexp.QuoteMeta(p)
	}
	s := strings.Join(q, `[^\x00]*`)
	if anchored {
		s = `\A` + s + `\z`
	}
	return s
}

// randomCase is a pattern and values over a small alphabet (so that
// pieces nearly match often), with metacharacters and non-ASCII.
func randomCase(r *rand.Rand) ([]string, []string) {
	const alphabet = "aab.*é\n"
	word := func(n int) string {
		var b strings.Builder
		for range n {
			c := []rune(alphabet)
			b.WriteRune(c[r.IntN(len(c))])
		}
		return b.String()
	}
	pieces := make([]string, 1+r.IntN(4))
	for i := range pieces {
		pieces[i] = word(r.IntN(4))
	}
	values := make([]string, 20)
	for i := range values {
		values[i] = word(r.IntN(12))
	}
	return pieces, values
}

// TestGlobMatchesAsRE2: the Go matcher of long values answers as the
// regular expression it reads, for every shape the compiler writes
// (empty pieces from doubled or outer wildcards included).
func TestGlobMatchesAsRE2(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		pieces, values := randomCase(r)
		for _, anchored := range []bool{false, true} {
			if !anchored && len(pieces) < 2 {
				continue
			}
			p := globPattern(pieces, anchored)
			g, err := parseGlob(p)
			if err != nil {
				t.Fatalf("parseGlob(%q): %v", p, err)
			}
			re := regexp.MustCompile(p)
			for _, v := range values {
				if got, want := g.match(v), re.MatchString(v); got != want {
					t.Fatalf("%q matching %q: %v, regexp says %v", p, v, got, want)
				}
			}
		}
	}
	for _, p := range []string{`a|b`, `\Aab`, `(?i)ab`, `a.b`, `a[^b]*c`, `a+`, `(`} {
		if _, err := parseGlob(p); err == nil {
			t.Errorf("parseGlob(%q) read a pattern the compiler does not write", p)
		}
	}
}

// TestLongValuesMatchAsShort: through the macros, a value longer than
// LongBytes (matched in Go) answers as DuckDB's own functions do.
func TestLongValuesMatchAsShort(t *testing.T) {
	ctx := context.Background()
	c := registered(t)
	if n := strings.Count(Macros, "strlen(s) <= "+strconv.Itoa(LongBytes)+" "); n != 2 {
		t.Fatalf("%d of the 2 macros hand values over LongBytes (%d) to Go", n, LongBytes)
	}
	pad := strings.Repeat("x", LongBytes)
	r := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		pieces, values := randomCase(r)
		anchored := len(pieces) < 2 || r.IntN(2) == 0
		p := globPattern(pieces, anchored)
		needle := strings.ToLower(pieces[0])
		for _, v := range values {
			// the padding where it keeps the anchored match's answer
			long := pad + v
			if anchored {
				rs := []rune(v)
				long = string(rs[:len(rs)/2]) + pad + string(rs[len(rs)/2:])
			}
			var ours, theirs, oursC, theirsC bool
			err := c.QueryRowContext(ctx, `SELECT lore_glob(?, ?), regexp_matches(?, ?), lore_contains_fold(?, ?), contains(lower(?), ?)`,
				long, p, long, p, strings.ToUpper(long), needle, strings.ToUpper(long), needle).Scan(&ours, &theirs, &oursC, &theirsC)
			if err != nil {
				t.Fatalf("%q over %q: %v", p, v, err)
			}
			if ours != theirs || oursC != theirsC {
				t.Fatalf("over %q (%d bytes): lore_glob(%q) %v, regexp_matches %v; lore_contains_fold(%q) %v, contains %v",
					v, len(long), p, ours, theirs, needle, oursC, theirsC)
			}
		}
	}
}

// registered is a connection to an in-memory DuckDB database with the
// functions and macros registered, closed when t ends.
func registered(t *testing.T) *sql.Conn {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := Register(ctx, c); err != nil {
		t.Fatal(err)
	}
	return c
}

// Package duckfn holds the functions that sqlq.DuckDB's search matches
// call: the macros lore_contains_fold and lore_glob, the Go functions
// they hand long values to, and lore_match_text, which matches a query's
// many message terms in one Go call per value.
//
// DuckDB sees a query's interruption only between chunks of 2,048 rows,
// and a text match costs a row up to its value's length times a little
// (about 1 ms for a 64 KiB run of one letter against a needle of that
// letter and another): a chunk of such values ran 2 to 5 s past its
// query's deadline, holding a core. The macros keep DuckDB's own
// functions for values of at most LongBytes bytes (a chunk of them costs
// at most a few hundred milliseconds) and hand longer values to Go
// functions, which check the query's context before each value: a query
// whose context ends stops within one value's match.
//
// A query of many terms multiplied that: each term is another pass of
// DuckDB's over the chunk (150 words of 100 bytes over values of 4 KiB:
// 7 to 11 s). From query.ManyTexts terms the compiler hands every group
// made of message terms alone to lore_match_text, which matches them all
// in one call per value, whatever its length, checking the context first.
package duckfn

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"regexp/syntax"
	"strings"
	"sync"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/lore-dev/lore/internal/query"
)

// LongBytes is the length (in bytes) above which a value is matched in Go.
const LongBytes = 4096

// Macros creates the macros on one connection: TEMP macros belong to the
// connection that made them, so every connection of the database runs it
// (Register runs it on its own). It names the Go functions, so it fails
// until Register has run on one of the database's connections.
const Macros = `CREATE OR REPLACE TEMP MACRO lore_contains_fold(s, n) AS
	CASE WHEN strlen(s) <= 4096 THEN contains(lower(s), n) ELSE lore_long_contains_fold(s, n) END;
CREATE OR REPLACE TEMP MACRO lore_glob(s, p) AS
	CASE WHEN strlen(s) <= 4096 THEN regexp_matches(s, p) ELSE lore_long_glob(s, p) END`

// Register registers the Go functions the macros call in the database
// of c (DuckDB keeps them in its system catalog: every connection of the
// database sees them), then creates the macros on c.
func Register(ctx context.Context, c *sql.Conn) error {
	str, err := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	if err != nil {
		return fmt.Errorf("register text matchers: %w", err)
	}
	boolean, err := duckdb.NewTypeInfo(duckdb.TYPE_BOOLEAN)
	if err != nil {
		return fmt.Errorf("register text matchers: %w", err)
	}
	cfg := duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{str, str}, ResultTypeInfo: boolean}
	globs := &cache[glob]{m: map[string]glob{}, parse: parseGlob}
	texts := &cache[*textNode]{m: map[string]*textNode{}, parse: parseTexts}
	for name, f := range map[string]func(s, arg string) (bool, error){
		"lore_match_text": func(s, text string) (bool, error) {
			n, err := texts.get(text)
			if err != nil {
				return false, err
			}
			return n.match(strings.ToLower(s)), nil
		},
		"lore_long_contains_fold": func(s, needle string) (bool, error) {
			return strings.Contains(strings.ToLower(s), needle), nil
		},
		"lore_long_glob": func(s, pattern string) (bool, error) {
			g, err := globs.get(pattern)
			if err != nil {
				return false, err
			}
			return g.match(s), nil
		},
	} {
		if err := duckdb.RegisterScalarUDF(c, name, &matcher{cfg: cfg, f: f}); err != nil {
			return fmt.Errorf("register %s: %w", name, err)
		}
	}
	if _, err := c.ExecContext(ctx, Macros); err != nil {
		return fmt.Errorf("create the text match macros: %w", err)
	}
	return nil
}

// matcher is one Go function of two strings to a boolean, which fails
// with the query's context's error once that context has ended.
type matcher struct {
	cfg duckdb.ScalarFuncConfig
	f   func(s, arg string) (bool, error)
}

var _ duckdb.ScalarFunc = (*matcher)(nil)

func (m *matcher) Config() duckdb.ScalarFuncConfig { return m.cfg }

func (m *matcher) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowContextExecutor: func(ctx context.Context, v []driver.Value) (any, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s, _ := v[0].(string)
		arg, _ := v[1].(string)
		return m.f(s, arg)
	}}
}

// glob is a wildcard pattern: literal pieces, each wildcard between two
// matching any run of characters; anchored, the first piece starts the
// value and the last ends it.
type glob struct {
	pieces   []string
	anchored bool
}

// parseGlob reads the RE2 expression query's compiler builds for a
// wildcard pattern: \A, literals joined by [^\x00]*, \z (or none of the
// anchors).
func parseGlob(pattern string) (glob, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return glob{}, fmt.Errorf("wildcard pattern %q: %w", pattern, err)
	}
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		subs = re.Sub
	}
	var g glob
	var cur strings.Builder
	begin, end := false, false
	for i, r := range subs {
		switch {
		case r.Op == syntax.OpBeginText && i == 0:
			begin = true
		case r.Op == syntax.OpEndText && i == len(subs)-1:
			end = true
		case r.Op == syntax.OpLiteral && r.Flags&syntax.FoldCase == 0:
			cur.WriteString(string(r.Rune))
		case r.Op == syntax.OpStar && len(r.Sub) == 1 && r.Sub[0].Op == syntax.OpCharClass &&
			len(r.Sub[0].Rune) == 2 && r.Sub[0].Rune[0] == 1 && r.Sub[0].Rune[1] == 0x10FFFF:
			g.pieces = append(g.pieces, cur.String())
			cur.Reset()
		case r.Op == syntax.OpEmptyMatch:
		default:
			return glob{}, fmt.Errorf("%q is not a wildcard pattern (%s)", pattern, r)
		}
	}
	if begin != end {
		return glob{}, fmt.Errorf("%q is not a wildcard pattern: anchored at one end only", pattern)
	}
	g.pieces, g.anchored = append(g.pieces, cur.String()), begin
	return g, nil
}

// match reports whether s matches: each piece found after the one before
// it, leftmost (which finds a match whenever there is one).
func (g glob) match(s string) bool {
	ps := g.pieces
	if g.anchored {
		if len(ps) == 1 {
			return s == ps[0]
		}
		first, last := ps[0], ps[len(ps)-1]
		if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
			return false
		}
		s, ps = s[len(first):len(s)-len(last)], ps[1:len(ps)-1]
	}
	for _, p := range ps {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return true
}

// cache keeps the parsed patterns or texts of the queries running (a
// query matches every value against the same one).
type cache[T any] struct {
	mu    sync.Mutex
	m     map[string]T
	parse func(string) (T, error)
}

// maxCached bounds a cache; it is emptied when full.
const maxCached = 64

func (c *cache[T]) get(key string) (T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[key]; ok {
		return v, nil
	}
	v, err := c.parse(key)
	if err != nil {
		return v, err
	}
	if len(c.m) >= maxCached {
		clear(c.m)
	}
	c.m[key] = v
	return v, nil
}

// textNode is a query text of message terms, ready to match a
// lower-cased value: a term (its non-empty pieces, lower-cased, found in
// order), or AND, OR or NOT of others.
type textNode struct {
	op   byte // 't' term, '&' and, '|' or, '-' not
	term glob
	kids []*textNode
}

// parseTexts reads the group of message terms the compiler binds for
// MatchTexts (query.EncodeTexts).
func parseTexts(text string) (*textNode, error) {
	n, err := query.DecodeTexts(text)
	if err != nil {
		return nil, err
	}
	return toTextNode(n)
}

func toTextNode(n query.Node) (*textNode, error) {
	var kids []query.Node
	t := &textNode{}
	switch n := n.(type) {
	case *query.Text:
		// as query's compiler matches one: empty pieces add nothing
		t.op = 't'
		for _, p := range n.Pieces {
			if p != "" {
				t.term.pieces = append(t.term.pieces, strings.ToLower(p))
			}
		}
		return t, nil
	case *query.And:
		t.op, kids = '&', n.Children
	case *query.Or:
		t.op, kids = '|', n.Children
	case *query.Not:
		t.op, kids = '-', []query.Node{n.Child}
	default:
		return nil, fmt.Errorf("%T is not a message term", n)
	}
	for _, k := range kids {
		c, err := toTextNode(k)
		if err != nil {
			return nil, err
		}
		t.kids = append(t.kids, c)
	}
	return t, nil
}

// match reports whether the lower-cased value s matches t.
func (t *textNode) match(s string) bool {
	switch t.op {
	case 't':
		return t.term.match(s)
	case '-':
		return !t.kids[0].match(s)
	case '&':
		for _, k := range t.kids {
			if !k.match(s) {
				return false
			}
		}
		return true
	}
	for _, k := range t.kids {
		if k.match(s) {
			return true
		}
	}
	return false
}

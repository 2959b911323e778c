package sqlq

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
)

// Scope is what a query reads: one project over [From, To) microseconds.
// Every query of an analysis is scoped; a store may use it to prune, and a
// cache to tell whether the answer can still change.
type Scope struct {
	ProjectID int64
	From, To  int64
}

// Query is a compiled query: SQL in one dialect with '?' placeholders and
// its arguments in textual order.
type Query struct {
	// Name says which analysis built it ("calls.throttled"), for errors,
	// logs and profiles.
	Name  string
	SQL   string
	Args  []any
	Scope Scope
}

// Key identifies the query's answer: two queries with the same Key have
// the same SQL and arguments, so a cache may answer one with the other's
// rows. Arguments are keyed with their Go type, so 1 and "1" differ.
func (q Query) Key() string {
	h := sha256.New()
	h.Write([]byte(q.SQL))
	for _, a := range q.Args {
		fmt.Fprintf(h, "\x00%T\x01", a)
		switch v := a.(type) {
		case *big.Int:
			h.Write([]byte(v.String()))
		case []string:
			for _, s := range v {
				fmt.Fprintf(h, "%d:%s,", len(s), s)
			}
		case string:
			fmt.Fprintf(h, "%d:%s", len(v), v)
		default:
			fmt.Fprintf(h, "%v", v)
		}
	}
	return q.Name + ":" + hex.EncodeToString(h.Sum(nil)[:16])
}

// Scanner reads the current row into dest (as database/sql's Rows.Scan
// does: *int64, *float64, *string, *bool, sql.Null* and *any).
type Scanner interface {
	Scan(dest ...any) error
}

// Executor runs compiled queries. It is the one read primitive a backend
// gives the analyses: Run executes q under ctx (and under the store's
// own deadline when ctx has none), calls row for each result row in
// order, and stops at the first error, which it returns wrapped with
// q.Name. Dialect is the spelling q must be built with.
type Executor interface {
	Dialect() Dialect
	Run(ctx context.Context, q Query, row func(Scanner) error) error
}

// Builder assembles a Query from SQL fragments and their arguments, so
// that arguments stay next to the text that binds them.
type Builder struct {
	sb   strings.Builder
	args []any
}

// Add appends SQL text and the arguments of its placeholders.
func (b *Builder) Add(sql string, args ...any) *Builder {
	b.sb.WriteString(sql)
	b.args = append(b.args, args...)
	return b
}

// Addf appends fmt.Sprintf(format, parts...) — parts are SQL fragments
// (dialect expressions, constants), never values.
func (b *Builder) Addf(format string, parts ...any) *Builder {
	fmt.Fprintf(&b.sb, format, parts...)
	return b
}

// Arg appends one placeholder bound to v.
func (b *Builder) Arg(v any) *Builder {
	b.sb.WriteByte('?')
	b.args = append(b.args, v)
	return b
}

// Query returns the compiled query, or an error when the text's
// placeholders and the arguments differ in number (a bug in the
// analysis, caught before the engine sees it).
func (b *Builder) Query(name string, scope Scope) (Query, error) {
	q := Query{Name: name, SQL: b.sb.String(), Args: b.args, Scope: scope}
	if n := Placeholders(q.SQL); n != len(q.Args) {
		return Query{}, fmt.Errorf("query %s: %d placeholders but %d arguments", name, n, len(q.Args))
	}
	return q, nil
}

// Placeholders counts the '?' of sql outside string literals ('…', with
// ” inside) and quoted identifiers ("…" and `…`). A backslash escapes
// nothing (DuckDB's rule; the ClickHouse dialect doubles quotes too, so
// the count holds for both).
func Placeholders(sql string) int {
	n := 0
	for i := 0; i < len(sql); i++ {
		switch c := sql[i]; c {
		case '?':
			n++
		case '\'', '"', '`':
			for i++; i < len(sql); i++ {
				if sql[i] == c {
					if i+1 < len(sql) && sql[i+1] == c {
						i++
						continue
					}
					break
				}
			}
		}
	}
	return n
}

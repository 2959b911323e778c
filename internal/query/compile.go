package query

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/lore-dev/lore/internal/event"
)

// Compile turns q into a SQL boolean expression with '?' placeholders and
// its arguments, for d. A nil or empty q compiles to "TRUE" with no args.
//
// The expression is meant for WHERE (or FILTER, count_if, CASE WHEN): for an
// event that does not match it is FALSE or NULL. Negation is NULL-safe:
// -http_status:500 matches events without a status. Leaves are left as plain
// column comparisons so that engines can push them into the scan.
func Compile(q *Query, d Dialect) (where string, args []any, err error) {
	if d == nil {
		return "", nil, errors.New("compile query: no dialect")
	}
	if q == nil || q.Root == nil {
		return "TRUE", nil, nil
	}
	c := &compiler{d: d}
	if tm, ok := d.(TextMatcher); ok && countTexts(q.Root) >= ManyTexts {
		c.tm = tm
	}
	sql, err := c.node(q.Root)
	if err != nil {
		return "", nil, fmt.Errorf("compile query %q: %w", q.Text, err)
	}
	return sql, c.args, nil
}

type compiler struct {
	d    Dialect
	tm   TextMatcher // set when the query's groups of message terms are matched in one call
	args []any
}

// countTexts is the number of terms searched for inside values under n:
// *Text leaves and wildcard fields.
func countTexts(n Node) int {
	switch n := n.(type) {
	case *Text:
		return 1
	case *Field:
		if n.Op == OpGlob {
			return 1
		}
	case *Not:
		return countTexts(n.Child)
	case *And:
		return countAll(n.Children)
	case *Or:
		return countAll(n.Children)
	}
	return 0
}

func countAll(ns []Node) int {
	k := 0
	for _, n := range ns {
		k += countTexts(n)
	}
	return k
}

// textsOnly reports whether n is made of *Text leaves alone.
func textsOnly(n Node) bool {
	switch n := n.(type) {
	case *Text:
		return true
	case *Not:
		return n.Child != nil && textsOnly(n.Child)
	case *And:
		return len(n.Children) > 0 && allTexts(n.Children)
	case *Or:
		return len(n.Children) > 0 && allTexts(n.Children)
	}
	return false
}

func allTexts(ns []Node) bool {
	for _, n := range ns {
		if !textsOnly(n) {
			return false
		}
	}
	return true
}

func (c *compiler) bind(v any) { c.args = append(c.args, v) }

// id binds a 64-bit id and returns its placeholder expression.
func (c *compiler) id(v uint64) string {
	expr, arg := c.d.Uint64(v)
	c.bind(arg)
	return expr
}

func (c *compiler) node(n Node) (string, error) {
	if c.tm != nil && textsOnly(n) {
		c.bind(EncodeTexts(n))
		return c.tm.MatchTexts(c.d.Column("message")), nil
	}
	switch n := n.(type) {
	case *And:
		return c.group(n.Children, " AND ")
	case *Or:
		return c.group(n.Children, " OR ")
	case *Not:
		if n.Child == nil {
			return "", errors.New("NOT without operand")
		}
		s, err := c.node(n.Child)
		if err != nil {
			return "", err
		}
		return "NOT COALESCE(" + s + ", FALSE)", nil
	case *Text:
		return c.text(n)
	case *Field:
		return c.field(n)
	case nil:
		return "", errors.New("empty node")
	}
	return "", fmt.Errorf("unknown node %T", n)
}

func (c *compiler) group(children []Node, sep string) (string, error) {
	if len(children) == 0 {
		return "", errors.New("empty group")
	}
	parts := make([]string, len(children))
	for i, ch := range children {
		s, err := c.node(ch)
		if err != nil {
			return "", err
		}
		parts[i] = s
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return "(" + strings.Join(parts, sep) + ")", nil
}

func (c *compiler) text(n *Text) (string, error) {
	msg := c.d.Column("message")
	if len(n.Pieces) == 0 {
		return "", errors.New("text without needle")
	}
	// A needle is unanchored, so its empty pieces (leading, trailing or
	// doubled '*') match nothing more.
	var needles []string
	for _, p := range n.Pieces {
		if p != "" {
			needles = append(needles, strings.ToLower(p))
		}
	}
	switch len(needles) {
	case 0:
		return "TRUE", nil
	case 1:
		c.bind(needles[0])
		return c.d.ContainsFold(msg), nil
	}
	c.bind(matchPattern(needles, false))
	return c.d.Glob(c.d.Lower(msg)), nil
}

// glob matches expr against a whole-value wildcard pattern. LIKE only for
// a prefix (val*), which engines run as a comparison of the value's first
// bytes; every other shape an RE2 regular expression, which runs in time
// linear in the value. DuckDB's LIKE with a '%' before literal text tries
// each position of the value: *word*, *word and a*word cost the value's
// length times the word's (64 KiB values and a 16-byte word: 6 ms a row,
// 13 s a chunk of 2,048 rows, past any deadline), and 'a*a*a*b' against a
// line of 3,000 'a's never ended.
func (c *compiler) glob(expr string, pieces []string) string {
	if len(pieces) == 2 && pieces[1] == "" {
		c.bind(likePattern(pieces))
		return c.d.Like(expr)
	}
	c.bind(matchPattern(pieces, true))
	if c.tm != nil {
		return c.tm.GlobEach(expr)
	}
	return c.d.Glob(expr)
}

func (c *compiler) field(f *Field) (string, error) {
	if f.Attr {
		return c.attr(f)
	}
	typ, ok := columnType(f.Name)
	if !ok {
		return "", fmt.Errorf("unknown field %q", f.Name)
	}
	col := c.d.Column(f.Name)
	switch typ {
	case ColString, ColLower, ColUpper, ColMessage:
		switch f.Op {
		case OpEq:
			c.bind(f.Value)
			return col + " = ?", nil
		case OpGlob:
			return c.glob(col, f.Pieces), nil
		case OpExists:
			return col + " <> ''", nil
		}
	case ColInt, ColFloat:
		switch f.Op {
		case OpGlob:
			return c.glob(c.d.ToString(col), f.Pieces), nil
		case OpExists:
			return col + " IS NOT NULL", nil
		default:
			c.bind(numberArg(f.Num))
			return col + " " + f.Op.String() + " ?", nil
		}
	case ColTraceID:
		return c.traceID(f)
	case ColSpanID:
		return c.spanID(f, col)
	}
	return "", fmt.Errorf("cannot use %s with %s", f.Op, f.Name)
}

func (c *compiler) attr(f *Field) (string, error) {
	if f.Name == "" {
		return "", errors.New("empty attribute key")
	}
	c.bind(f.Name)
	val := c.d.AttrValue()
	switch f.Op {
	case OpEq:
		c.bind(f.Value)
		if f.Value == "" {
			return "COALESCE(" + val + ", '') = ?", nil
		}
		return val + " = ?", nil
	case OpGlob:
		return c.glob(val, f.Pieces), nil
	case OpExists:
		return val + " <> ''", nil
	default:
		if !f.Op.comparison() {
			return "", fmt.Errorf("unknown operator %s", f.Op)
		}
		c.bind(numberArg(f.Num))
		return c.d.ToDouble(val) + " " + f.Op.String() + " ?", nil
	}
}

func (c *compiler) traceID(f *Field) (string, error) {
	hi, lo := c.d.Column("trace_hi"), c.d.Column("trace_lo")
	switch f.Op {
	case OpEq:
		id, _ := event.ParseTraceID(f.Value)
		h := c.id(id.Hi())
		return "(" + hi + " = " + h + " AND " + lo + " = " + c.id(id.Lo()) + ")", nil
	case OpExists:
		return "(" + hi + " <> 0 OR " + lo + " <> 0)", nil
	case OpGlob:
		prefix := f.Pieces[0]
		if len(prefix) <= 16 {
			return c.between(hi, prefix), nil
		}
		v, _ := prefixRange(prefix[:16])
		h := c.id(v)
		return "(" + hi + " = " + h + " AND " + c.between(lo, prefix[16:]) + ")", nil
	}
	return "", fmt.Errorf("cannot use %s with %s", f.Op, f.Name)
}

func (c *compiler) spanID(f *Field, col string) (string, error) {
	switch f.Op {
	case OpEq:
		id, _ := event.ParseSpanID(f.Value)
		return col + " = " + c.id(id.Uint64()), nil
	case OpExists:
		return col + " <> 0", nil
	case OpGlob:
		return c.between(col, f.Pieces[0]), nil
	}
	return "", fmt.Errorf("cannot use %s with %s", f.Op, f.Name)
}

// between matches the 64-bit ids whose hex rendering starts with prefix.
func (c *compiler) between(col, prefix string) string {
	lo, hi := prefixRange(prefix)
	if lo == hi {
		return col + " = " + c.id(lo)
	}
	l := c.id(lo)
	return col + " BETWEEN " + l + " AND " + c.id(hi)
}

// likePattern joins literal pieces with '%', escaping the LIKE wildcards
// and the escape character in them.
func likePattern(pieces []string) string {
	var b strings.Builder
	for i, p := range pieces {
		if i > 0 {
			b.WriteByte('%')
		}
		for i := 0; i < len(p); i++ {
			if c := p[i]; c == '%' || c == '_' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(p[i])
		}
	}
	return b.String()
}

// matchPattern joins literal pieces into an RE2 pattern in which each '*'
// matches any run of characters; anchored, it must match the whole value.
// The wildcard is spelled [^\x00]*, not .*: stored strings never hold NUL
// (event.ValidText), and an engine cannot rewrite this form into a
// backtracking LIKE (DuckDB turns regexp_matches(s, '(?s)a.*b') into one).
func matchPattern(pieces []string, anchored bool) string {
	var b strings.Builder
	if anchored {
		b.WriteString(`\A`)
	}
	for i, p := range pieces {
		if i > 0 {
			b.WriteString(`[^\x00]*`)
		}
		b.WriteString(regexp.QuoteMeta(p))
	}
	if anchored {
		b.WriteString(`\z`)
	}
	return b.String()
}

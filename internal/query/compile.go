package query

import (
	"errors"
	"fmt"
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
	sql, err := c.node(q.Root)
	if err != nil {
		return "", nil, fmt.Errorf("compile query %q: %w", q.Text, err)
	}
	return sql, c.args, nil
}

type compiler struct {
	d    Dialect
	args []any
}

func (c *compiler) bind(v any) { c.args = append(c.args, v) }

// id binds a 64-bit id and returns its placeholder expression.
func (c *compiler) id(v uint64) string {
	expr, arg := c.d.Uint64(v)
	c.bind(arg)
	return expr
}

func (c *compiler) node(n Node) (string, error) {
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
	switch {
	case len(n.Pieces) == 0:
		return "", errors.New("text without needle")
	case allEmpty(n.Pieces):
		return "TRUE", nil
	case len(n.Pieces) == 1:
		c.bind(strings.ToLower(n.Pieces[0]))
		return c.d.ContainsFold(msg), nil
	}
	lower := make([]string, len(n.Pieces))
	for i, p := range n.Pieces {
		lower[i] = strings.ToLower(p)
	}
	c.bind("%" + likePattern(lower) + "%")
	return c.d.Like(c.d.Lower(msg)), nil
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
			c.bind(likePattern(f.Pieces))
			return c.d.Like(col), nil
		case OpExists:
			return col + " <> ''", nil
		}
	case ColInt, ColFloat:
		switch f.Op {
		case OpGlob:
			c.bind(likePattern(f.Pieces))
			return c.d.Like(c.d.ToString(col)), nil
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
		c.bind(likePattern(f.Pieces))
		return c.d.Like(val), nil
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

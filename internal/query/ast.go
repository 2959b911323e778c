package query

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Node is a node of the query AST: *And, *Or, *Not, *Text or *Field.
// String renders the node in canonical query syntax, which parses back to
// the same tree.
type Node interface {
	node()
	String() string
}

// And matches when every child matches.
type And struct{ Children []Node }

// Or matches when any child matches.
type Or struct{ Children []Node }

// Not matches when its child does not. Absent values count as "does not
// match", so -http_status:500 matches events without a status.
type Not struct{ Child Node }

// Text matches events whose message contains a needle, case-insensitively.
// Pieces are the literal parts of the needle between '*' wildcards: one
// piece for a plain word or phrase, several for a word such as time*out.
type Text struct{ Pieces []string }

// Op is how a Field compares its column or attribute with its value.
type Op int

// Field operators.
const (
	OpEq     Op = iota // exact value
	OpGlob             // Pieces joined by '*' wildcards
	OpExists           // present and non-empty
	OpGt               // >
	OpGe               // >=
	OpLt               // <
	OpLe               // <=
)

// String renders op as it appears after "field:".
func (op Op) String() string {
	switch op {
	case OpEq:
		return "="
	case OpGlob:
		return "glob"
	case OpExists:
		return "exists"
	case OpGt:
		return ">"
	case OpGe:
		return ">="
	case OpLt:
		return "<"
	case OpLe:
		return "<="
	}
	return "op(" + strconv.Itoa(int(op)) + ")"
}

func (op Op) comparison() bool { return op >= OpGt && op <= OpLe }

// Field matches a core column or, when Attr is set, an attribute.
type Field struct {
	Name   string   // canonical core column name, or the attribute key as typed
	Attr   bool     // Name is an attribute key
	Op     Op       //
	Value  string   // OpEq: the value (normalized: lower-cased level, number in canonical form...); comparisons: the number
	Pieces []string // OpGlob: literal parts between '*' wildcards
	Num    float64  // comparisons, and OpEq on numeric columns: Value as a number
}

func (*And) node()   {}
func (*Or) node()    {}
func (*Not) node()   {}
func (*Text) node()  {}
func (*Field) node() {}

// Glob reports whether t has wildcards.
func (t *Text) Glob() bool { return len(t.Pieces) > 1 }

func (n *And) String() string { return joinNodes(n.Children, " AND ") }
func (n *Or) String() string  { return joinNodes(n.Children, " OR ") }
func (n *Not) String() string { return "-" + childString(n.Child) }

func (n *Text) String() string {
	if len(n.Pieces) == 1 {
		return quoteIfNeeded(n.Pieces[0])
	}
	return globString(n.Pieces)
}

func (n *Field) String() string {
	name := n.Name
	if n.Attr {
		if resolved, attr, _ := resolveField(name); !attr || resolved != name {
			name = "@" + name
		}
	}
	name = escapeUnquoted(name, true)
	switch n.Op {
	case OpEq:
		return name + ":" + quoteIfNeeded(n.Value)
	case OpGlob:
		return name + ":" + globString(n.Pieces)
	case OpExists:
		return name + ":*"
	default:
		return name + ":" + n.Op.String() + n.Value
	}
}

func joinNodes(ns []Node, sep string) string {
	parts := make([]string, len(ns))
	for i, c := range ns {
		parts[i] = childString(c)
	}
	return strings.Join(parts, sep)
}

// childString parenthesizes groups so that the tree's shape survives a
// round trip through String and Parse.
func childString(n Node) string {
	switch n.(type) {
	case *And, *Or:
		return "(" + n.String() + ")"
	}
	return n.String()
}

// Dump renders n as an S-expression, for tests and debugging:
// (AND (field level = "error") (NOT (field env = "staging"))).
func Dump(n Node) string {
	var b strings.Builder
	dump(&b, n)
	return b.String()
}

func dump(b *strings.Builder, n Node) {
	switch n := n.(type) {
	case nil:
		b.WriteString("(ALL)")
	case *And:
		dumpGroup(b, "AND", n.Children)
	case *Or:
		dumpGroup(b, "OR", n.Children)
	case *Not:
		b.WriteString("(NOT ")
		dump(b, n.Child)
		b.WriteString(")")
	case *Text:
		b.WriteString("(text")
		for _, p := range n.Pieces {
			b.WriteString(" " + strconv.Quote(p))
		}
		b.WriteString(")")
	case *Field:
		kind := "field"
		if n.Attr {
			kind = "attr"
		}
		b.WriteString("(" + kind + " " + n.Name + " " + n.Op.String())
		switch n.Op {
		case OpGlob:
			for _, p := range n.Pieces {
				b.WriteString(" " + strconv.Quote(p))
			}
		case OpExists:
		default:
			b.WriteString(" " + strconv.Quote(n.Value))
		}
		b.WriteString(")")
	default:
		b.WriteString("(?)")
	}
}

func dumpGroup(b *strings.Builder, name string, children []Node) {
	b.WriteString("(" + name)
	for _, c := range children {
		b.WriteString(" ")
		dump(b, c)
	}
	b.WriteString(")")
}

// isSpecial reports whether r ends an unquoted word or must be escaped in
// one.
func isSpecial(r rune) bool {
	switch r {
	case '(', ')', '"', '\\', '*', ':':
		return true
	}
	return unicode.IsSpace(r)
}

// isLeadSpecial reports whether r means something at the start of a term or
// value.
func isLeadSpecial(r rune) bool {
	switch r {
	case '-', '>', '<', '[', '{', '=':
		return true
	}
	return false
}

func isKeyword(s string) bool { return s == "AND" || s == "OR" || s == "NOT" }

// quoteIfNeeded renders a literal value bare when that parses back to the
// same literal, quoted otherwise.
func quoteIfNeeded(s string) string {
	bare := s != "" && !isKeyword(s)
	for i, r := range s {
		if isSpecial(r) || (i == 0 && isLeadSpecial(r)) {
			bare = false
			break
		}
	}
	if bare {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for i, r := range s {
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteString(runeAt(s, i))
	}
	b.WriteByte('"')
	return b.String()
}

// escapeUnquoted renders a literal for an unquoted word, escaping what the
// lexer would otherwise read as syntax.
func escapeUnquoted(s string, lead bool) string {
	var b strings.Builder
	for i, r := range s {
		if isSpecial(r) || (lead && i == 0 && isLeadSpecial(r)) {
			b.WriteByte('\\')
		}
		b.WriteString(runeAt(s, i))
	}
	if lead && isKeyword(s) {
		return `\` + s
	}
	return b.String()
}

// runeAt returns the bytes of the character at byte offset i of s, so that
// invalid UTF-8 is copied as it is rather than replaced.
func runeAt(s string, i int) string {
	_, n := utf8.DecodeRuneInString(s[i:])
	return s[i : i+n]
}

func globString(pieces []string) string {
	parts := make([]string, len(pieces))
	for i, p := range pieces {
		parts[i] = escapeUnquoted(p, i == 0)
	}
	return strings.Join(parts, "*")
}

// globPieces returns the non-empty literal pieces of a glob.
func globPieces(pieces []string) []string {
	var out []string
	for _, p := range pieces {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

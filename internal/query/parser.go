package query

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error is a syntax or semantic error in a query. Column is the 1-based
// column (in characters) it points at, 0 when it points nowhere.
type Error struct {
	Column int
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

// maxDepth bounds the nesting of groups and negations, so that a hostile
// query cannot exhaust the stack.
const maxDepth = 100

// Limits on one query, so that what a query costs stays bounded (the
// README's limits table). A query beyond them is refused with an *Error.
const (
	MaxQueryBytes = 16 << 10 // the query text
	MaxTerms      = 256      // words, phrases and field terms
	MaxWildcards  = 16       // '*' in one word or value
	// MaxNeedleBytes bounds what is searched for inside values: a word or
	// phrase (the message), a wildcard value (field:*val*), its literal
	// parts and '*' together. DuckDB's contains() costs a row the value's
	// length (up to 64 KiB) times the needle's, and DuckDB sees a
	// cancelled query only between chunks of 2,048 rows, so the needle's
	// length bounds how long a query runs past its deadline where DuckDB
	// matches (values of up to 4 KiB, and pipes' match(); longer values a
	// search matches in Go, which checks the deadline per value: see
	// sqlq/duckfn). Measured before that, over 400 rows of 64 KiB: 4 KiB
	// needles 21 s, 1 KiB 7.6 s, 16 to 256 bytes 1.3 to 4.4 s on a loaded
	// machine. An exact field:value is not
	// a needle (an equality stops at the first differing byte) and is
	// bounded only by MaxQueryBytes. Pipes hold their contains(),
	// startswith(), match() and extract patterns to the same length.
	MaxNeedleBytes = 128
)

// Parse parses a query. The empty (or all-blank) query parses to a Query
// with a nil Root, which matches everything. Errors are *Error values whose
// message says what is wrong and at which column.
func Parse(s string) (*Query, error) {
	p := &parser{src: s}
	q := &Query{Text: s}
	if !utf8.ValidString(s) {
		bad := 0
		for bad < len(s) {
			r, n := utf8.DecodeRuneInString(s[bad:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			bad += n
		}
		return nil, p.errAt(bad, "invalid UTF-8")
	}
	if len(s) > MaxQueryBytes {
		return nil, &Error{Msg: fmt.Sprintf("query too long: %d bytes (max %d)", len(s), MaxQueryBytes)}
	}
	if i := strings.IndexByte(s, 0); i >= 0 {
		return nil, p.errAt(i, "NUL character in the query")
	}
	p.skipSpace()
	if p.eof() {
		return q, nil
	}
	root, err := p.parseOr("", 0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if !p.eof() {
		return nil, p.unexpected()
	}
	if err := checkSize(root); err != nil {
		return nil, err
	}
	q.Root = root
	return q, nil
}

// checkSize refuses a query with more than MaxTerms terms or a value with
// more than MaxWildcards wildcards.
func checkSize(root Node) error {
	terms := 0
	var err error
	var walk func(n Node)
	walk = func(n Node) {
		var pieces []string
		switch n := n.(type) {
		case *And:
			for _, c := range n.Children {
				walk(c)
			}
			return
		case *Or:
			for _, c := range n.Children {
				walk(c)
			}
			return
		case *Not:
			walk(n.Child)
			return
		case *Text:
			pieces = n.Pieces
		case *Field:
			pieces = n.Pieces
		}
		terms++
		if w := len(pieces) - 1; w > MaxWildcards && err == nil {
			err = &Error{Msg: fmt.Sprintf("too many wildcards: %d '*' in %q (max %d in one value)", w, strings.Join(pieces, "*"), MaxWildcards)}
		}
	}
	walk(root)
	if err != nil {
		return err
	}
	if terms > MaxTerms {
		return &Error{Msg: fmt.Sprintf("query too large: %d terms (max %d)", terms, MaxTerms)}
	}
	return nil
}

type parser struct {
	src string
	pos int // byte offset of the next character
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) peek() rune {
	if p.eof() {
		return 0
	}
	r, _ := utf8.DecodeRuneInString(p.src[p.pos:])
	return r
}

func (p *parser) peekAt(off int) rune {
	if off >= len(p.src) {
		return 0
	}
	r, _ := utf8.DecodeRuneInString(p.src[off:])
	return r
}

func (p *parser) next() rune {
	r, n := utf8.DecodeRuneInString(p.src[p.pos:])
	p.pos += n
	return r
}

// nextRaw consumes the next character and returns its bytes as they are in
// the query (one byte for invalid UTF-8).
func (p *parser) nextRaw() string {
	at := p.pos
	p.next()
	return p.src[at:p.pos]
}

func (p *parser) skipSpace() {
	for !p.eof() && unicode.IsSpace(p.peek()) {
		p.next()
	}
}

// column converts a byte offset to a 1-based character column.
func (p *parser) column(off int) int { return utf8.RuneCountInString(p.src[:min(off, len(p.src))]) + 1 }

func (p *parser) errAt(off int, format string, args ...any) *Error {
	col := p.column(off)
	return &Error{Column: col, Msg: fmt.Sprintf(format, args...) + fmt.Sprintf(" at column %d", col)}
}

// unexpected reports the token at the current position.
func (p *parser) unexpected() *Error {
	if p.eof() {
		return p.errAt(p.pos, "unexpected end of query")
	}
	if kw := p.peekKeyword(); kw != "" {
		return p.errAt(p.pos, "unexpected %q", kw)
	}
	return p.errAt(p.pos, "unexpected %q", string(p.peek()))
}

// isDelim reports whether r ends a bare word.
func isDelim(r rune) bool { return r == '(' || r == ')' || r == '"' || unicode.IsSpace(r) }

// peekKeyword returns AND, OR or NOT when the next word is that operator.
func (p *parser) peekKeyword() string {
	for _, kw := range []string{"AND", "OR", "NOT"} {
		if strings.HasPrefix(p.src[p.pos:], kw) {
			end := p.pos + len(kw)
			if end >= len(p.src) || isDelim(p.peekAt(end)) {
				return kw
			}
		}
	}
	return ""
}

// startsTerm reports whether a term can start at the current position.
func (p *parser) startsTerm() bool {
	if p.eof() || p.peek() == ')' {
		return false
	}
	kw := p.peekKeyword()
	return kw == "" || kw == "NOT"
}

// parseOr parses or := and { "OR" and }. field is the field of an enclosing
// field group (level:(error OR warn)), "" at the top.
func (p *parser) parseOr(field string, depth int) (Node, error) {
	if depth > maxDepth {
		return nil, p.errAt(p.pos, "query nested too deeply")
	}
	first, err := p.parseAnd(field, depth)
	if err != nil {
		return nil, err
	}
	children := []Node{first}
	for {
		p.skipSpace()
		if p.peekKeyword() != "OR" {
			break
		}
		opAt := p.pos
		p.pos += len("OR")
		p.skipSpace()
		if !p.startsTerm() {
			return nil, p.expectedTermAfter("OR", opAt)
		}
		n, err := p.parseAnd(field, depth)
		if err != nil {
			return nil, err
		}
		children = append(children, n)
	}
	if len(children) == 1 {
		return first, nil
	}
	return &Or{Children: children}, nil
}

// parseAnd parses and := unary { ["AND"] unary }.
func (p *parser) parseAnd(field string, depth int) (Node, error) {
	p.skipSpace()
	if !p.startsTerm() {
		return nil, p.unexpected()
	}
	first, err := p.parseUnary(field, depth)
	if err != nil {
		return nil, err
	}
	children := []Node{first}
	for {
		p.skipSpace()
		if p.eof() || p.peek() == ')' || p.peekKeyword() == "OR" {
			break
		}
		if p.peekKeyword() == "AND" {
			opAt := p.pos
			p.pos += len("AND")
			p.skipSpace()
			if !p.startsTerm() {
				return nil, p.expectedTermAfter("AND", opAt)
			}
		}
		n, err := p.parseUnary(field, depth)
		if err != nil {
			return nil, err
		}
		children = append(children, n)
	}
	if len(children) == 1 {
		return first, nil
	}
	return &And{Children: children}, nil
}

func (p *parser) expectedTermAfter(op string, opAt int) *Error {
	if p.eof() {
		return p.errAt(opAt, "expected a term after %q", op)
	}
	return p.unexpected()
}

// parseUnary parses unary := "NOT" unary | "-" unary | primary.
func (p *parser) parseUnary(field string, depth int) (Node, error) {
	if depth > maxDepth {
		return nil, p.errAt(p.pos, "query nested too deeply")
	}
	p.skipSpace()
	if p.peekKeyword() == "NOT" {
		opAt := p.pos
		p.pos += len("NOT")
		p.skipSpace()
		if !p.startsTerm() {
			return nil, p.expectedTermAfter("NOT", opAt)
		}
		child, err := p.parseUnary(field, depth+1)
		if err != nil {
			return nil, err
		}
		return &Not{Child: child}, nil
	}
	if p.peek() == '-' {
		opAt := p.pos
		if r := p.peekAt(p.pos + 1); p.pos+1 >= len(p.src) || unicode.IsSpace(r) || r == ')' {
			return nil, p.errAt(opAt, `nothing to negate after "-"`)
		}
		p.next()
		if p.peekKeyword() != "" {
			return nil, p.unexpected()
		}
		child, err := p.parseUnary(field, depth+1)
		if err != nil {
			return nil, err
		}
		return &Not{Child: child}, nil
	}
	return p.parsePrimary(field, depth)
}

// parsePrimary parses a group, a phrase, a word or a field term.
func (p *parser) parsePrimary(field string, depth int) (Node, error) {
	start := p.pos
	switch p.peek() {
	case '(':
		p.next()
		p.skipSpace()
		if p.peek() == ')' {
			return nil, p.errAt(start, "empty group")
		}
		if p.eof() {
			return nil, p.errAt(start, `missing closing ")" for group starting`)
		}
		n, err := p.parseOr(field, depth+1)
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.peek() != ')' {
			if p.eof() {
				return nil, p.errAt(start, `missing closing ")" for group starting`)
			}
			return nil, p.unexpected()
		}
		p.next()
		return n, nil
	case ')':
		return nil, p.unexpected()
	}
	if field != "" {
		return p.parseValue(field, start)
	}
	if p.peek() == '"' {
		s, err := p.readPhrase()
		if err != nil {
			return nil, err
		}
		if err := p.checkNeedle(start, []string{s}); err != nil {
			return nil, err
		}
		return &Text{Pieces: []string{s}}, nil
	}
	pieces, colon := p.readWord(true, false)
	if colon {
		if len(pieces) == 1 && pieces[0] == "" {
			return nil, p.errAt(start, `field name expected before ":"`)
		}
		if len(pieces) > 1 {
			return nil, p.errAt(start, "wildcard in field name %q", strings.Join(pieces, "*"))
		}
		p.next() // the colon
		if p.eof() || isDelim(p.peek()) && p.peek() != '"' && p.peek() != '(' {
			return nil, p.errAt(p.pos, "value expected after %q", pieces[0]+":")
		}
		if p.peek() == '(' {
			return p.parsePrimary(pieces[0], depth+1)
		}
		return p.parseValue(pieces[0], start)
	}
	if err := p.checkNeedle(start, pieces); err != nil {
		return nil, err
	}
	return &Text{Pieces: pieces}, nil
}

// checkNeedle refuses a needle (the pieces of a word, phrase or wildcard
// value, joined by '*') longer than MaxNeedleBytes, quoting its start.
func (p *parser) checkNeedle(at int, pieces []string) error {
	n := len(pieces) - 1
	for _, s := range pieces {
		n += len(s)
	}
	if n <= MaxNeedleBytes {
		return nil
	}
	return p.errAt(at, "search term %s is %d bytes, more than %d (a word, phrase or wildcard value is searched for inside every value; search for a shorter part of it)",
		QuoteStart(strings.Join(pieces, "*")), n, MaxNeedleBytes)
}

// QuoteStart quotes the first 32 bytes of s (cut on a character boundary),
// marking a cut with "…": how an error names a long needle.
func QuoteStart(s string) string {
	const show = 32
	if len(s) <= show {
		return strconv.Quote(s)
	}
	cut := show
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}

// readPhrase reads a quoted phrase; backslash escapes the next character.
func (p *parser) readPhrase() (string, error) {
	start := p.pos
	p.next() // the opening quote
	var b strings.Builder
	for !p.eof() {
		at := p.pos
		switch p.next() {
		case '"':
			return b.String(), nil
		case '\\':
			if p.eof() {
				return "", p.errAt(start, "missing closing quote for phrase starting")
			}
			b.WriteString(p.nextRaw())
		default:
			b.WriteString(p.src[at:p.pos]) // raw bytes: invalid UTF-8 stays as it is
		}
	}
	return "", p.errAt(start, "missing closing quote for phrase starting")
}

// readWord reads an unquoted word up to a delimiter and splits it at
// unescaped '*' wildcards. With stopAtColon it also stops before an
// unescaped ':' and reports it; with stopAtBracket it stops before ']' and
// '}' (inside a range).
func (p *parser) readWord(stopAtColon, stopAtBracket bool) (pieces []string, colon bool) {
	var b strings.Builder
	for !p.eof() {
		r := p.peek()
		if isDelim(r) || stopAtBracket && (r == ']' || r == '}') {
			break
		}
		if r == ':' && stopAtColon {
			colon = true
			break
		}
		raw := p.nextRaw()
		switch r {
		case '\\':
			if !p.eof() {
				b.WriteString(p.nextRaw())
			}
		case '*':
			pieces = append(pieces, b.String())
			b.Reset()
		default:
			b.WriteString(raw)
		}
	}
	return append(pieces, b.String()), colon
}

// parseValue parses what follows "field:" (or a term inside a field group)
// and builds the field term.
func (p *parser) parseValue(typed string, start int) (Node, error) {
	valAt := p.pos
	switch r := p.peek(); {
	case r == '"':
		s, err := p.readPhrase()
		if err != nil {
			return nil, err
		}
		return newTerm(p, typed, OpEq, []string{s}, valAt)
	case r == '[' || r == '{':
		return p.parseRange(typed, valAt)
	case r == '>' || r == '<':
		op := OpGt
		p.next()
		if r == '<' {
			op = OpLt
		}
		if p.peek() == '=' {
			p.next()
			op++
		}
		numAt := p.pos
		if p.eof() || isDelim(p.peek()) && p.peek() != '"' {
			return nil, p.errAt(p.pos, "value expected after %q", typed+":"+op.String())
		}
		var s string
		if p.peek() == '"' {
			var err error
			if s, err = p.readPhrase(); err != nil {
				return nil, err
			}
		} else {
			pieces, _ := p.readWord(false, false)
			s = strings.Join(pieces, "*")
		}
		return newCompare(p, typed, op, s, valAt, numAt)
	}
	pieces, _ := p.readWord(false, false)
	return newTerm(p, typed, OpEq, pieces, valAt)
}

// parseRange parses [lo TO hi] (inclusive) or {lo TO hi} (exclusive), in any
// mix; '*' leaves a side open.
func (p *parser) parseRange(typed string, start int) (Node, error) {
	open := p.next()
	read := func() (string, int, error) {
		p.skipSpace()
		at := p.pos
		if p.eof() || isDelim(p.peek()) || p.peek() == ']' || p.peek() == '}' {
			return "", at, p.errAt(at, "range bound expected")
		}
		pieces, _ := p.readWord(false, true)
		return strings.Join(pieces, "*"), at, nil
	}
	lo, loAt, err := read()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if !strings.HasPrefix(p.src[p.pos:], "TO") {
		return nil, p.errAt(p.pos, `"TO" expected in range`)
	}
	p.pos += 2
	hi, hiAt, err := read()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	closing := p.peek()
	if closing != ']' && closing != '}' {
		return nil, p.errAt(start, `missing closing "]" for range starting`)
	}
	p.next()
	loOp, hiOp := OpGe, OpLe
	if open == '{' {
		loOp = OpGt
	}
	if closing == '}' {
		hiOp = OpLt
	}
	var children []Node
	if lo != "*" {
		n, err := newCompare(p, typed, loOp, lo, start, loAt)
		if err != nil {
			return nil, err
		}
		children = append(children, n)
	}
	if hi != "*" {
		n, err := newCompare(p, typed, hiOp, hi, start, hiAt)
		if err != nil {
			return nil, err
		}
		children = append(children, n)
	}
	switch len(children) {
	case 0:
		return newTerm(p, typed, OpEq, []string{"", ""}, start)
	case 1:
		return children[0], nil
	}
	return &And{Children: children}, nil
}

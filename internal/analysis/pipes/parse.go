// Package pipes turns a search into numbers: a search query followed by
// pipes, one syntax for the search bar, the API, the CLI, dashboards and
// monitors,
//
//	level:error service:payment-service | stats count() as n, p95(duration_ms), uniq(user_id) by endpoint | sort n desc | limit 10
//
// Parse splits the text at its first '|' outside quotes: the left side is
// a search (package query), each piece after it a pipe. Compile turns the
// pipeline into one SQL statement in a store's Dialect, with every value
// bound as an argument, and Run executes it through the store's
// Executor, so the aggregation happens in the engine: no row is pulled
// into Lore to be counted.
//
// The pipes:
//
//	stats AGG [as NAME], ... [by FIELD|bin(5m), ...]
//	timechart [span=5m] AGG [as NAME], ... [by FIELD]
//	top [N] FIELD, ...   rare [N] FIELD, ...
//	where EXPR            (comparisons, and/or/not, arithmetic, functions)
//	eval NAME = EXPR, ...
//	extract "user=<user> took <ms>ms" [from FIELD]
//	fields FIELD, ...     sort FIELD [asc|desc], ...   limit N   dedup FIELD, ...
//
// AGG is count(), sum, avg, min, max, p50, p90, p95, p99 (of a numeric
// expression; text is read as a number, NULL when it is not one), uniq
// (distinct values) and rate() (events per second over the bin, or over
// the whole range without a bin). A timechart that ends the pipeline
// answers every bucket of the range for every series: 0 where a count
// (count, sum, uniq, rate) had no event, NULL for the other aggregates.
// A FIELD is a core column (with the search syntax's aliases: status,
// user, duration, ...), a name an earlier pipe made, or else an event
// attribute.
package pipes

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lore-dev/lore/internal/query"
)

// Limits on a pipeline's size: they bound the SQL a request can make.
const (
	maxPipes = 16
	maxItems = 32 // aggregates, by fields, evals, fields of one pipe
	maxDepth = 32 // nesting of an expression
	maxText  = 4096
	// maxCaptures bounds an extract pattern's <name>s: each compiles to a
	// regular expression holding all of them, and RE2 finds a capture
	// with a matcher whose time grows with the expression (over 100 values
	// of 4 KiB: 8 captures 47 ms a capture, 16 captures 1.2 s)
	maxCaptures = 8
)

// Pipeline is a parsed query: a search and the pipes after it.
type Pipeline struct {
	Text   string       // as typed
	Search *query.Query // the part before the first '|'
	Pipes  []Pipe
}

// Aggregates reports whether a pipe aggregates (stats, timechart, top,
// rare): its answer is a table of groups, not of events.
func (p *Pipeline) Aggregates() bool {
	for _, s := range p.Pipes {
		switch s.Op.(type) {
		case *Stats, *Top:
			return true
		}
	}
	return false
}

// Pipe is one stage: its operation and where it starts in Text.
type Pipe struct {
	Name string // "stats", "where", ...
	At   int    // byte offset of the pipe's name in Text
	Op   Op
}

// Op is a pipe's operation: *Stats, *Top, *Where, *Eval, *Extract,
// *Fields, *Sort, *Limit or *Dedup.
type Op interface{ op() }

// Stats groups rows by By (fields, or Bin for time buckets) and computes
// Aggs per group. Timechart is Stats with a Bin first and time order.
type Stats struct {
	Aggs      []Agg
	By        []By
	Timechart bool
}

// Agg is one aggregate: Fn over Arg (nil for count() and rate()).
type Agg struct {
	Fn   string
	Arg  Expr
	Name string // the output column: "as" name, else the canonical text
	At   int
}

// By is a group key: a field, or time buckets of Bin microseconds.
type By struct {
	Field string
	Bin   int64
	At    int
}

// Top counts the most (or, for rare, least) frequent combinations of
// Fields and keeps N.
type Top struct {
	N      int
	Fields []string
	Rare   bool
	At     []int
}

// Where keeps rows where Cond holds.
type Where struct{ Cond Expr }

// Eval adds (or replaces) named columns.
type Eval struct{ Assigns []Assign }

// Assign is one "name = expr" of an eval.
type Assign struct {
	Name string
	Expr Expr
	At   int
}

// Extract reads named captures out of a text field (the message unless
// From says otherwise): "user=<user> took <ms>ms".
type Extract struct {
	Pattern string
	From    string
	Names   []string
	Regexps []string // one per name: the pattern with only that group capturing
}

// Fields keeps only the named columns, in order.
type Fields struct {
	Names []string
	At    []int
}

// Sort orders rows by Keys.
type Sort struct{ Keys []SortKey }

// SortKey is one sort expression and its direction.
type SortKey struct {
	Expr Expr
	Desc bool
}

// Limit keeps the first N rows.
type Limit struct{ N int }

// Dedup keeps the first row (the newest, for events) of each combination
// of Fields.
type Dedup struct {
	Fields []string
	At     []int
}

func (*Stats) op()   {}
func (*Top) op()     {}
func (*Where) op()   {}
func (*Eval) op()    {}
func (*Extract) op() {}
func (*Fields) op()  {}
func (*Sort) op()    {}
func (*Limit) op()   {}
func (*Dedup) op()   {}

// Expr is an expression of where, eval, sort and aggregates.
type Expr interface {
	expr()
	String() string
	pos() int
}

// Ref names a field or a column an earlier pipe made.
type Ref struct {
	Name string
	At   int
}

// Lit is a number or a string literal.
type Lit struct {
	Num   float64
	Str   string
	IsNum bool
	At    int
}

// Unary is "-x" or "not x".
type Unary struct {
	Op string
	X  Expr
	At int
}

// Binary is "x op y": arithmetic, comparison, and, or.
type Binary struct {
	Op   string
	X, Y Expr
	At   int
}

// Call is a function applied to arguments.
type Call struct {
	Fn   string
	Args []Expr
	At   int
}

func (*Ref) expr()    {}
func (*Lit) expr()    {}
func (*Unary) expr()  {}
func (*Binary) expr() {}
func (*Call) expr()   {}

func (e *Ref) pos() int    { return e.At }
func (e *Lit) pos() int    { return e.At }
func (e *Unary) pos() int  { return e.At }
func (e *Binary) pos() int { return e.At }
func (e *Call) pos() int   { return e.At }

func (e *Ref) String() string { return e.Name }
func (e *Lit) String() string {
	if e.IsNum {
		return strconv.FormatFloat(e.Num, 'g', -1, 64)
	}
	return strconv.Quote(e.Str)
}
func (e *Unary) String() string {
	if e.Op == "not" {
		return "not " + e.X.String()
	}
	return e.Op + e.X.String()
}
func (e *Binary) String() string { return "(" + e.X.String() + " " + e.Op + " " + e.Y.String() + ")" }
func (e *Call) String() string {
	args := make([]string, len(e.Args))
	for i, a := range e.Args {
		args[i] = a.String()
	}
	return e.Fn + "(" + strings.Join(args, ", ") + ")"
}

// Error is a parse or compile error: which pipe, where in the text, what.
type Error struct {
	Pipe   int    // 1-based; 0 for the search before the first '|'
	Name   string // the pipe's name
	Column int    // 1-based character column in the whole text
	Msg    string
}

func (e *Error) Error() string {
	if e.Pipe == 0 {
		return "search: " + e.Msg
	}
	return fmt.Sprintf("pipe %d (%s), column %d: %s", e.Pipe, e.Name, e.Column, e.Msg)
}

// Split returns the search before the first '|' outside quotes and the
// byte offsets where each pipe's text starts (after its '|').
func split(s string) (search string, starts []int) {
	inQuote, esc := false, false
	cut := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case esc:
			esc = false
		case c == '\\':
			esc = true
		case c == '"':
			inQuote = !inQuote
		case c == '|' && !inQuote:
			if cut < 0 {
				cut = i
			}
			starts = append(starts, i+1)
		}
	}
	if cut < 0 {
		return s, nil
	}
	return s[:cut], starts
}

// Parse parses a search followed by pipes. A text without '|' is a plain
// search (Pipes empty).
func Parse(s string) (*Pipeline, error) {
	if len(s) > maxText {
		return nil, &Error{Msg: fmt.Sprintf("query is %d bytes, more than %d", len(s), maxText)}
	}
	if !utf8.ValidString(s) {
		return nil, &Error{Msg: "query is not valid UTF-8"}
	}
	search, starts := split(s)
	q, err := query.Parse(search)
	if err != nil {
		e := &Error{Msg: err.Error()}
		if qe, ok := err.(*query.Error); ok {
			e.Column = qe.Column // the search starts the text: the same column
		}
		return nil, e
	}
	p := &Pipeline{Text: s, Search: q}
	if len(starts) > maxPipes {
		return nil, &Error{Pipe: maxPipes + 1, Name: "|", Column: col(s, starts[maxPipes]), Msg: fmt.Sprintf("more than %d pipes", maxPipes)}
	}
	for i, start := range starts {
		end := len(s)
		if i+1 < len(starts) {
			end = starts[i+1] - 1
		}
		ps := &pipeParser{src: s, pos: start, end: end, pipe: i + 1}
		pipe, err := ps.parsePipe()
		if err != nil {
			return nil, err
		}
		p.Pipes = append(p.Pipes, pipe)
	}
	return p, nil
}

// col is the 1-based character column of byte offset off.
func col(s string, off int) int { return utf8.RuneCountInString(s[:min(off, len(s))]) + 1 }

// token kinds
const (
	tEOF = iota
	tIdent
	tNum
	tStr
	tPunct
)

type token struct {
	kind int
	text string // identifier (as typed), punctuation, or the string's value
	num  float64
	at   int
}

type pipeParser struct {
	src      string
	pos, end int
	pipe     int
	name     string
	tok      token
	peeked   bool
	depth    int
}

func (p *pipeParser) errAt(at int, format string, args ...any) *Error {
	return &Error{Pipe: p.pipe, Name: p.name, Column: col(p.src, at), Msg: fmt.Sprintf(format, args...)}
}

func isIdentStart(r rune) bool { return r == '_' || r == '@' || unicode.IsLetter(r) }
func isIdentPart(r rune) bool {
	return r == '_' || r == '.' || r == '@' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// next reads the next token.
func (p *pipeParser) next() (token, error) {
	if p.peeked {
		p.peeked = false
		return p.tok, nil
	}
	for p.pos < p.end {
		r, n := utf8.DecodeRuneInString(p.src[p.pos:p.end])
		if !unicode.IsSpace(r) {
			break
		}
		p.pos += n
	}
	if p.pos >= p.end {
		return token{kind: tEOF, at: p.end}, nil
	}
	start := p.pos
	r, n := utf8.DecodeRuneInString(p.src[p.pos:p.end])
	switch {
	case isIdentStart(r):
		p.pos += n
		for p.pos < p.end {
			r, n := utf8.DecodeRuneInString(p.src[p.pos:p.end])
			if !isIdentPart(r) {
				break
			}
			p.pos += n
		}
		return token{kind: tIdent, text: p.src[start:p.pos], at: start}, nil
	case r >= '0' && r <= '9' || r == '.' && p.pos+1 < p.end && p.src[p.pos+1] >= '0' && p.src[p.pos+1] <= '9':
		for p.pos < p.end && (p.src[p.pos] >= '0' && p.src[p.pos] <= '9' || p.src[p.pos] == '.' || p.src[p.pos] == 'e' && p.pos+1 < p.end && (p.src[p.pos+1] >= '0' && p.src[p.pos+1] <= '9' || p.src[p.pos+1] == '-')) {
			if p.src[p.pos] == 'e' {
				p.pos++
			}
			p.pos++
		}
		// a unit glued to the number (5m, 250ms) makes a duration word
		for p.pos < p.end && (p.src[p.pos] >= 'a' && p.src[p.pos] <= 'z') {
			p.pos++
		}
		text := p.src[start:p.pos]
		if v, err := strconv.ParseFloat(text, 64); err == nil {
			return token{kind: tNum, text: text, num: v, at: start}, nil
		}
		return token{kind: tIdent, text: text, at: start}, nil
	case r == '`':
		// `x-forwarded-for`: a field name with characters an expression
		// would read as operators
		i := strings.IndexByte(p.src[p.pos+1:p.end], '`')
		if i <= 0 {
			return token{}, p.errAt(start, "unterminated or empty `name`")
		}
		p.pos += i + 2
		return token{kind: tIdent, text: p.src[start+1 : p.pos-1], at: start}, nil
	case r == '"' || r == '\'':
		quote := byte(r)
		var b strings.Builder
		p.pos++
		for {
			if p.pos >= p.end {
				return token{}, p.errAt(start, "unterminated string")
			}
			c := p.src[p.pos]
			if c == '\\' && p.pos+1 < p.end {
				b.WriteByte(p.src[p.pos+1])
				p.pos += 2
				continue
			}
			p.pos++
			if c == quote {
				return token{kind: tStr, text: b.String(), at: start}, nil
			}
			b.WriteByte(c)
		}
	}
	for _, op := range []string{"==", "!=", "<=", ">=", "<>"} {
		if strings.HasPrefix(p.src[p.pos:p.end], op) {
			p.pos += 2
			return token{kind: tPunct, text: op, at: start}, nil
		}
	}
	if strings.ContainsRune("(),=<>+-*/%", r) {
		p.pos += n
		return token{kind: tPunct, text: string(r), at: start}, nil
	}
	return token{}, p.errAt(start, "unexpected %q", r)
}

func (p *pipeParser) peek() (token, error) {
	t, err := p.next()
	if err != nil {
		return t, err
	}
	p.tok, p.peeked = t, true
	return t, nil
}

func (p *pipeParser) isWord(t token, w string) bool {
	return t.kind == tIdent && strings.EqualFold(t.text, w)
}

func (p *pipeParser) isPunct(t token, s string) bool { return t.kind == tPunct && t.text == s }

// accept consumes the next token when it is the punctuation s.
func (p *pipeParser) accept(s string) (bool, error) {
	t, err := p.peek()
	if err != nil {
		return false, err
	}
	if p.isPunct(t, s) {
		p.peeked = false
		return true, nil
	}
	return false, nil
}

// acceptWord consumes the next token when it is the keyword w.
func (p *pipeParser) acceptWord(w string) (bool, error) {
	t, err := p.peek()
	if err != nil {
		return false, err
	}
	if p.isWord(t, w) {
		p.peeked = false
		return true, nil
	}
	return false, nil
}

func (p *pipeParser) expect(s string) error {
	t, err := p.next()
	if err != nil {
		return err
	}
	if !p.isPunct(t, s) {
		return p.errAt(t.at, "expected %q, found %s", s, describe(t))
	}
	return nil
}

func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "the end of the pipe"
	case tStr:
		return strconv.Quote(t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

// field reads a field name.
func (p *pipeParser) field() (string, int, error) {
	t, err := p.next()
	if err != nil {
		return "", 0, err
	}
	if t.kind != tIdent {
		return "", 0, p.errAt(t.at, "expected a field name, found %s", describe(t))
	}
	return t.text, t.at, nil
}

// fieldList reads "a, b, c".
func (p *pipeParser) fieldList() ([]string, []int, error) {
	var names []string
	var ats []int
	for {
		f, at, err := p.field()
		if err != nil {
			return nil, nil, err
		}
		names, ats = append(names, f), append(ats, at)
		if len(names) > maxItems {
			return nil, nil, p.errAt(at, "more than %d fields", maxItems)
		}
		if ok, err := p.accept(","); err != nil || !ok {
			return names, ats, err
		}
	}
}

func (p *pipeParser) end1() error {
	t, err := p.next()
	if err != nil {
		return err
	}
	if t.kind != tEOF {
		return p.errAt(t.at, "unexpected %s", describe(t))
	}
	return nil
}

func (p *pipeParser) parsePipe() (Pipe, error) {
	t, err := p.next()
	if err != nil {
		return Pipe{}, err
	}
	if t.kind != tIdent {
		return Pipe{}, p.errAt(t.at, "expected a pipe name (stats, timechart, top, rare, where, eval, extract, fields, sort, limit, dedup), found %s", describe(t))
	}
	p.name = strings.ToLower(t.text)
	pipe := Pipe{Name: p.name, At: t.at}
	switch p.name {
	case "stats":
		pipe.Op, err = p.parseStats(false)
	case "timechart":
		pipe.Op, err = p.parseStats(true)
	case "top", "rare":
		pipe.Op, err = p.parseTop(p.name == "rare")
	case "where":
		var e Expr
		if e, err = p.parseExpr(); err == nil {
			pipe.Op = &Where{Cond: e}
		}
	case "eval":
		pipe.Op, err = p.parseEval()
	case "extract":
		pipe.Op, err = p.parseExtract()
	case "fields":
		var f Fields
		if f.Names, f.At, err = p.fieldList(); err == nil {
			pipe.Op = &f
		}
	case "dedup":
		var d Dedup
		if d.Fields, d.At, err = p.fieldList(); err == nil {
			pipe.Op = &d
		}
	case "sort":
		pipe.Op, err = p.parseSort()
	case "limit", "head":
		var n int
		if n, err = p.count(); err == nil {
			pipe.Op = &Limit{N: n}
		}
	default:
		return Pipe{}, p.errAt(t.at, "unknown pipe %q (want stats, timechart, top, rare, where, eval, extract, fields, sort, limit or dedup)", t.text)
	}
	if err != nil {
		return Pipe{}, err
	}
	if err := p.end1(); err != nil {
		return Pipe{}, err
	}
	return pipe, nil
}

// count reads a positive integer.
func (p *pipeParser) count() (int, error) {
	t, err := p.next()
	if err != nil {
		return 0, err
	}
	n, cerr := strconv.Atoi(t.text)
	if t.kind != tNum || cerr != nil || n <= 0 {
		return 0, p.errAt(t.at, "expected a positive whole number, found %s", describe(t))
	}
	if n > MaxRows {
		n = MaxRows
	}
	return n, nil
}

// aggFns are the aggregate functions and whether they take an argument.
var aggFns = map[string]bool{
	"count": false, "rate": false,
	"sum": true, "avg": true, "min": true, "max": true, "uniq": true,
	"p50": true, "p75": true, "p90": true, "p95": true, "p99": true, "median": true,
}

func (p *pipeParser) parseStats(timechart bool) (*Stats, error) {
	st := &Stats{Timechart: timechart}
	if timechart {
		st.By = append(st.By, By{Bin: 0})
		if ok, err := p.acceptWord("span"); err != nil {
			return nil, err
		} else if ok {
			if err := p.expect("="); err != nil {
				return nil, err
			}
			t, err := p.next()
			if err != nil {
				return nil, err
			}
			step, err := query.ParseStep(t.text)
			if err != nil {
				return nil, p.errAt(t.at, "bad span %q: %v", t.text, err)
			}
			st.By[0] = By{Bin: step, At: t.at}
		}
	}
	for {
		a, err := p.parseAgg()
		if err != nil {
			return nil, err
		}
		st.Aggs = append(st.Aggs, a)
		if len(st.Aggs) > maxItems {
			return nil, p.errAt(a.At, "more than %d aggregates", maxItems)
		}
		if ok, err := p.accept(","); err != nil {
			return nil, err
		} else if !ok {
			break
		}
	}
	if ok, err := p.acceptWord("by"); err != nil || !ok {
		return st, err
	}
	for {
		t, err := p.next()
		if err != nil {
			return nil, err
		}
		if t.kind != tIdent {
			return nil, p.errAt(t.at, "expected a field or bin(…) after by, found %s", describe(t))
		}
		if strings.EqualFold(t.text, "bin") {
			if ok, err := p.accept("("); err != nil {
				return nil, err
			} else if ok {
				if timechart {
					return nil, p.errAt(t.at, "timechart buckets by span=…, not by bin(…)")
				}
				s, err := p.next()
				if err != nil {
					return nil, err
				}
				step, serr := query.ParseStep(s.text)
				if serr != nil {
					return nil, p.errAt(s.at, "bad bin %q: %v", s.text, serr)
				}
				if err := p.expect(")"); err != nil {
					return nil, err
				}
				st.By = append(st.By, By{Bin: step, At: s.at})
				goto more
			}
		}
		st.By = append(st.By, By{Field: t.text, At: t.at})
	more:
		if len(st.By) > maxItems {
			return nil, p.errAt(t.at, "more than %d group keys", maxItems)
		}
		if ok, err := p.accept(","); err != nil {
			return nil, err
		} else if !ok {
			break
		}
	}
	if timechart && len(st.By) > 2 {
		return nil, p.errAt(st.By[2].At, "timechart splits by one field at most")
	}
	return st, nil
}

func (p *pipeParser) parseAgg() (Agg, error) {
	t, err := p.next()
	if err != nil {
		return Agg{}, err
	}
	fn := strings.ToLower(t.text)
	takesArg, ok := aggFns[fn]
	if t.kind != tIdent || !ok {
		return Agg{}, p.errAt(t.at, "expected an aggregate (count, sum, avg, min, max, p50, p90, p95, p99, uniq, rate), found %s", describe(t))
	}
	if fn == "median" {
		fn = "p50"
	}
	a := Agg{Fn: fn, At: t.at}
	if paren, err := p.accept("("); err != nil {
		return Agg{}, err
	} else if paren {
		if takesArg {
			if a.Arg, err = p.parseExpr(); err != nil {
				return Agg{}, err
			}
		} else if fn == "count" {
			// count(field) counts rows where the field is present
			if nt, err := p.peek(); err != nil {
				return Agg{}, err
			} else if !p.isPunct(nt, ")") {
				if a.Arg, err = p.parseExpr(); err != nil {
					return Agg{}, err
				}
			}
		}
		if err := p.expect(")"); err != nil {
			return Agg{}, err
		}
	} else if takesArg {
		return Agg{}, p.errAt(t.at, "%s needs a field: %s(duration_ms)", fn, fn)
	}
	a.Name = fn
	if a.Arg != nil {
		a.Name = fn + "(" + a.Arg.String() + ")"
	}
	if as, err := p.acceptWord("as"); err != nil {
		return Agg{}, err
	} else if as {
		n, _, err := p.field()
		if err != nil {
			return Agg{}, err
		}
		a.Name = n
	}
	return a, nil
}

func (p *pipeParser) parseTop(rare bool) (*Top, error) {
	tp := &Top{N: 10, Rare: rare}
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if t.kind == tNum {
		if tp.N, err = p.count(); err != nil {
			return nil, err
		}
	}
	tp.Fields, tp.At, err = p.fieldList()
	return tp, err
}

func (p *pipeParser) parseEval() (*Eval, error) {
	ev := &Eval{}
	for {
		name, at, err := p.field()
		if err != nil {
			return nil, err
		}
		if err := p.expect("="); err != nil {
			return nil, err
		}
		e, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		ev.Assigns = append(ev.Assigns, Assign{Name: name, Expr: e, At: at})
		if len(ev.Assigns) > maxItems {
			return nil, p.errAt(at, "more than %d assignments", maxItems)
		}
		if ok, err := p.accept(","); err != nil || !ok {
			return ev, err
		}
	}
}

func (p *pipeParser) parseExtract() (*Extract, error) {
	t, err := p.next()
	if err != nil {
		return nil, err
	}
	if t.kind != tStr {
		return nil, p.errAt(t.at, `expected a pattern in quotes such as "user=<user> took <ms>ms", found %s`, describe(t))
	}
	if len(t.text) > query.MaxNeedleBytes {
		return nil, p.errAt(t.at, "extract's pattern %s is %d bytes, more than %d (its text is searched for inside every value; use a shorter part of it)",
			query.QuoteStart(t.text), len(t.text), query.MaxNeedleBytes)
	}
	x := &Extract{Pattern: t.text, From: "message"}
	if ok, err := p.acceptWord("from"); err != nil {
		return nil, err
	} else if ok {
		if x.From, _, err = p.field(); err != nil {
			return nil, err
		}
	}
	names, regexps, perr := extractRegexps(t.text)
	if perr != "" {
		return nil, p.errAt(t.at, "%s", perr)
	}
	x.Names, x.Regexps = names, regexps
	return x, nil
}

// extractRegexps turns "user=<user> took <ms>ms" into one RE2 pattern per
// capture, in which only that capture's group captures: literal text is
// quoted, a capture followed by text matches lazily up to it, a capture at
// the end matches up to the next space.
func extractRegexps(pat string) (names, regexps []string, errMsg string) {
	type piece struct {
		lit  string
		name string
	}
	var pieces []piece
	for rest := pat; rest != ""; {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			pieces = append(pieces, piece{lit: rest})
			break
		}
		j := strings.IndexByte(rest[i:], '>')
		if j < 0 {
			return nil, nil, "a '<' without its '>' in the pattern"
		}
		name := rest[i+1 : i+j]
		if name == "" {
			pieces = append(pieces, piece{lit: rest[:i+j+1]})
			rest = rest[i+j+1:]
			continue
		}
		for _, r := range name {
			if !isIdentPart(r) {
				return nil, nil, fmt.Sprintf("capture name %q: use letters, digits, '_' and '.'", name)
			}
		}
		if i > 0 {
			pieces = append(pieces, piece{lit: rest[:i]})
		}
		pieces = append(pieces, piece{name: name})
		rest = rest[i+j+1:]
	}
	seen := map[string]bool{}
	for _, pc := range pieces {
		if pc.name == "" {
			continue
		}
		if seen[pc.name] {
			return nil, nil, fmt.Sprintf("capture %q twice in the pattern", pc.name)
		}
		seen[pc.name] = true
		names = append(names, pc.name)
	}
	if len(names) == 0 {
		return nil, nil, "the pattern has no <name> to capture"
	}
	if len(names) > maxCaptures {
		return nil, nil, fmt.Sprintf("%d captures, more than %d (each is a regular expression run over the value, slower the more captures it holds)", len(names), maxCaptures)
	}
	for _, want := range names {
		var b strings.Builder
		for k, pc := range pieces {
			if pc.name == "" {
				b.WriteString(regexpQuote(pc.lit))
				continue
			}
			body := `.*?`
			if k == len(pieces)-1 {
				body = `\S*`
			}
			if pc.name == want {
				b.WriteString("(" + body + ")")
			} else {
				b.WriteString("(?:" + body + ")")
			}
		}
		regexps = append(regexps, b.String())
	}
	return names, regexps, ""
}

func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (p *pipeParser) parseSort() (*Sort, error) {
	s := &Sort{}
	for {
		desc := false
		if ok, err := p.accept("-"); err != nil {
			return nil, err
		} else if ok {
			desc = true
		}
		e, err := p.parseAdd()
		if err != nil {
			return nil, err
		}
		if ok, err := p.acceptWord("desc"); err != nil {
			return nil, err
		} else if ok {
			desc = true
		} else if _, err := p.acceptWord("asc"); err != nil {
			return nil, err
		}
		s.Keys = append(s.Keys, SortKey{Expr: e, Desc: desc})
		if len(s.Keys) > maxItems {
			return nil, p.errAt(e.pos(), "more than %d sort keys", maxItems)
		}
		if ok, err := p.accept(","); err != nil || !ok {
			return s, err
		}
	}
}

// Expressions: or < and < not < comparison < + - < * / % < unary < primary.

func (p *pipeParser) parseExpr() (Expr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, p.errAt(p.pos, "expression nested more than %d deep", maxDepth)
	}
	x, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if !p.isWord(t, "or") {
			return x, nil
		}
		p.peeked = false
		y, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		x = &Binary{Op: "or", X: x, Y: y, At: t.at}
	}
}

func (p *pipeParser) parseAnd() (Expr, error) {
	x, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if !p.isWord(t, "and") {
			return x, nil
		}
		p.peeked = false
		y, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		x = &Binary{Op: "and", X: x, Y: y, At: t.at}
	}
}

func (p *pipeParser) parseNot() (Expr, error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if p.isWord(t, "not") {
		p.peeked = false
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			return nil, p.errAt(t.at, "expression nested more than %d deep", maxDepth)
		}
		x, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &Unary{Op: "not", X: x, At: t.at}, nil
	}
	return p.parseCmp()
}

func (p *pipeParser) parseCmp() (Expr, error) {
	x, err := p.parseAdd()
	if err != nil {
		return nil, err
	}
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if t.kind != tPunct {
		return x, nil
	}
	op := t.text
	switch op {
	case "==":
		op = "="
	case "<>":
		op = "!="
	case "=", "!=", "<", "<=", ">", ">=":
	default:
		return x, nil
	}
	p.peeked = false
	y, err := p.parseAdd()
	if err != nil {
		return nil, err
	}
	return &Binary{Op: op, X: x, Y: y, At: t.at}, nil
}

func (p *pipeParser) parseAdd() (Expr, error) {
	x, err := p.parseMul()
	if err != nil {
		return nil, err
	}
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if !p.isPunct(t, "+") && !p.isPunct(t, "-") {
			return x, nil
		}
		p.peeked = false
		y, err := p.parseMul()
		if err != nil {
			return nil, err
		}
		x = &Binary{Op: t.text, X: x, Y: y, At: t.at}
	}
}

func (p *pipeParser) parseMul() (Expr, error) {
	x, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if !p.isPunct(t, "*") && !p.isPunct(t, "/") && !p.isPunct(t, "%") {
			return x, nil
		}
		p.peeked = false
		y, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		x = &Binary{Op: t.text, X: x, Y: y, At: t.at}
	}
}

func (p *pipeParser) parseUnary() (Expr, error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if p.isPunct(t, "-") {
		p.peeked = false
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			return nil, p.errAt(t.at, "expression nested more than %d deep", maxDepth)
		}
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return &Unary{Op: "-", X: x, At: t.at}, nil
	}
	return p.parsePrimary()
}

func (p *pipeParser) parsePrimary() (Expr, error) {
	t, err := p.next()
	if err != nil {
		return nil, err
	}
	switch t.kind {
	case tNum:
		return &Lit{Num: t.num, IsNum: true, At: t.at}, nil
	case tStr:
		return &Lit{Str: t.text, At: t.at}, nil
	case tIdent:
		if paren, err := p.accept("("); err != nil {
			return nil, err
		} else if !paren {
			return &Ref{Name: t.text, At: t.at}, nil
		}
		c := &Call{Fn: strings.ToLower(t.text), At: t.at}
		if ok, err := p.accept(")"); err != nil {
			return nil, err
		} else if ok {
			return c, nil
		}
		for {
			a, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			c.Args = append(c.Args, a)
			if len(c.Args) > 8 {
				return nil, p.errAt(a.pos(), "too many arguments to %s", c.Fn)
			}
			if ok, err := p.accept(","); err != nil {
				return nil, err
			} else if !ok {
				break
			}
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		return c, nil
	case tPunct:
		if t.text == "(" {
			x, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			if err := p.expect(")"); err != nil {
				return nil, err
			}
			return x, nil
		}
	}
	return nil, p.errAt(t.at, "expected a value, a field or a function, found %s", describe(t))
}

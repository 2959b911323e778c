package pipes

import (
	"fmt"
	"math"
	"regexp/syntax"
	"slices"
	"strings"

	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
)

// MaxRows caps the rows of an answer.
const MaxRows = 10000

// Type is a column's type in an answer: "number", "string", "time"
// (microseconds since the epoch; the API renders RFC 3339) or "bool".
type Type string

// Column types.
const (
	Number Type = "number"
	String Type = "string"
	Time   Type = "time"
	Bool   Type = "bool"
)

// Column is one column of an answer.
type Column struct {
	Name string `json:"name"`
	Type Type   `json:"type"`
	// Estimated marks a count before sampling: where the range holds
	// events a project's sampling kept (lore.sample_rate), count(), rate()
	// and top/rare's count weight each by 1/rate, as histograms and
	// facets do.
	Estimated bool `json:"estimated,omitempty"`
	// Approximate marks a percentile or uniq computed in bounded memory
	// (percentiles from a t-digest, uniq over 64-bit hashes or from a
	// HyperLogLog) because the exact answer needed more memory than the
	// store may use (lore serve --store-memory): Run's fallback.
	Approximate bool `json:"approximate,omitempty"`
}

// frag is a SQL fragment, the arguments of its placeholders in textual
// order, and its type.
type frag struct {
	sql  string
	args []any
	typ  Type
	est  bool // an estimate before sampling (a weighted count)
	apx  bool // a sketch's estimate of a percentile or uniq
}

// named is a column a pipe made: its name as the user sees it and its
// type. In SQL it is spelled colName(name), which no events column uses.
type named struct {
	name string
	typ  Type
	est  bool // an estimate before sampling (a weighted count)
	apx  bool // a sketch's estimate of a percentile or uniq
}

// rel is the relation a pipe reads: the SQL so far and what it holds.
type rel struct {
	sql  string
	args []any
	// rows is true while the relation is still events (core columns and
	// attributes can be read); false after an aggregating pipe, when only
	// cols exist.
	rows bool
	cols []named
	// order is the current sort, re-applied by the final SELECT; limit the
	// last limit (0: none).
	order []frag
	limit int
	// project is the output's columns when a fields pipe chose them.
	project []string
}

type compiler struct {
	d     sqlq.Dialect
	from  int64
	to    int64
	n     int // subquery aliases
	pipe  int
	name  string
	text  string
	binOf int64 // the step of the last stats' bin, for rate()
	// weight, when not "", is an event's weight in an estimated count
	// (Sampling.SampleWeight): counts of events are sums of it.
	weight string
	// approx is how percentiles and uniq are spelled; degradable notes
	// that a higher level would spell one of them differently.
	approx     approxLevel
	degradable bool
}

func colName(name string) string { return "c:" + name }

func (c *compiler) errAt(at int, format string, args ...any) *Error {
	return &Error{Pipe: c.pipe, Name: c.name, Column: col(c.text, at), Msg: fmt.Sprintf(format, args...)}
}

func (c *compiler) alias() string {
	c.n++
	return fmt.Sprintf("t%d", c.n)
}

// Compiled is a pipeline compiled for one engine: the query and the
// columns of its answer.
type Compiled struct {
	Query   sqlq.Query
	Columns []Column
	// degradable: a percentile or uniq would be spelled differently (in
	// less memory) at the next approxLevel.
	degradable bool
	// fill, when the last pipe is a timechart, fills its answer's empty
	// buckets (buckets.fill).
	fill *buckets
}

// Compile builds the pipeline's one SQL statement in dialect d over a
// project's events in [from, to) microseconds.
func Compile(p *Pipeline, d sqlq.Dialect, project, from, to int64) (Compiled, error) {
	return compile(p, d, project, from, to, nil, "", levelExact)
}

// cold is the archived part of the events a pipeline reads: the columns
// both parts give (the events table's names) and the FROM item of the
// archived rows (Archive.ArchivedEvents).
type cold struct {
	cols []string
	src  string
}

// compile is Compile with counts of events weighted by weight (when not
// "", see compiler.weight) and reading, when arch is not nil, the events
// table's rows and the archive's as one relation:
//
//	SELECT * FROM (SELECT cols FROM events WHERE scope AND search
//	    UNION ALL SELECT cols FROM <archive> WHERE scope AND search) AS ev
//
// (each part filtered on its own, so that both prune by time).
func compile(p *Pipeline, d sqlq.Dialect, project, from, to int64, arch *cold, weight string, approx approxLevel) (Compiled, error) {
	if to <= from {
		return Compiled{}, fmt.Errorf("empty time range [%d, %d)", from, to)
	}
	c := &compiler{d: d, from: from, to: to, text: p.Text, weight: weight, approx: approx}
	const scope = " WHERE project_id = ? AND ts >= ? AND ts < ?"
	where, args := scope, []any{project, from, to}
	if p.Search != nil && p.Search.Root != nil {
		w, wargs, err := query.Compile(p.Search, d)
		if err != nil {
			return Compiled{}, &Error{Msg: err.Error()}
		}
		where += " AND (" + w + ")"
		args = append(args, wargs...)
	}
	r := rel{rows: true, sql: "SELECT * FROM events" + where, args: args}
	if arch != nil {
		cols := strings.Join(arch.cols, ", ")
		r.sql = "SELECT * FROM (SELECT " + cols + " FROM events" + where +
			" UNION ALL SELECT " + cols + " FROM " + arch.src + where + ") AS ev"
		r.args = append(slices.Clip(args), args...)
	}
	for i, pipe := range p.Pipes {
		c.pipe, c.name = i+1, pipe.Name
		var err error
		if r, err = c.apply(r, pipe); err != nil {
			return Compiled{}, err
		}
	}
	c.pipe, c.name = 0, ""
	out, err := c.final(r, sqlq.Scope{ProjectID: project, From: from, To: to})
	if err != nil {
		return Compiled{}, err
	}
	out.fill = timechartFill(p, from, to, c.binOf)
	return out, nil
}

func (c *compiler) apply(r rel, pipe Pipe) (rel, error) {
	switch op := pipe.Op.(type) {
	case *Where:
		f, err := c.expr(r, op.Cond)
		if err != nil {
			return r, err
		}
		if f.typ != Bool {
			return r, c.errAt(op.Cond.pos(), "where needs a condition (a comparison such as status >= 500), found %s", op.Cond)
		}
		r.sql, r.args = "SELECT * FROM ("+r.sql+") AS "+c.alias()+" WHERE "+f.sql, append(r.args, f.args...)
		return r, nil
	case *Eval:
		var adds []named
		var fr []frag
		for _, a := range op.Assigns {
			f, err := c.expr(r, a.Expr)
			if err != nil {
				return r, err
			}
			adds, fr = append(adds, named{name: a.Name, typ: f.typ}), append(fr, f)
			for _, prev := range adds[:len(adds)-1] {
				if prev.name == a.Name {
					return r, c.errAt(a.At, "%q assigned twice in one eval", a.Name)
				}
			}
		}
		return c.addColumns(r, adds, fr), nil
	case *Extract:
		src, err := c.expr(r, &Ref{Name: op.From})
		if err != nil {
			return r, err
		}
		if src.typ != String {
			src.sql = c.d.ToString(src.sql)
		}
		var adds []named
		var fr []frag
		// the captures come from the value's first extractBytes: RE2 finds
		// a capture with its slower matcher, whose time a byte grows with
		// the pattern ("<y>b" over 64 KiB values: 20 ms a value, 40 s a
		// chunk of 2,048 rows past any deadline)
		val := fmt.Sprintf("substring(coalesce(%s, ''), 1, %d)", src.sql, extractBytes)
		for i, name := range op.Names {
			adds = append(adds, named{name: name, typ: String})
			fr = append(fr, frag{sql: c.d.RegexpGroup(val), args: append(slices.Clone(src.args), op.Regexps[i]), typ: String})
		}
		return c.addColumns(r, adds, fr), nil
	case *Stats:
		return c.stats(r, op)
	case *Top:
		return c.top(r, op)
	case *Sort:
		var order []frag
		for _, k := range op.Keys {
			f, err := c.expr(r, k.Expr)
			if err != nil {
				return r, err
			}
			if k.Desc {
				f.sql += " DESC"
			}
			order = append(order, f)
		}
		r.order = order
		return r, nil
	case *Limit:
		ord, oargs := c.orderBy(r)
		r.sql = "SELECT * FROM (" + r.sql + ") AS " + c.alias() + ord + " LIMIT ?"
		r.args = append(append(r.args, oargs...), int64(op.N))
		r.limit = op.N
		return r, nil
	case *Dedup:
		var parts []string
		var pargs []any
		for i, f := range op.Fields {
			fr, err := c.expr(r, &Ref{Name: f, At: op.At[i]})
			if err != nil {
				return r, err
			}
			parts, pargs = append(parts, fr.sql), append(pargs, fr.args...)
		}
		ord, oargs := c.orderExprs(r)
		r.sql = "SELECT * FROM (" + r.sql + ") AS " + c.alias() + " " + c.d.FirstNBy(strings.Join(parts, ", "), ord)
		// FirstNBy's placeholders: the partition's, the order's, then n
		// (DuckDB: PARTITION BY … ORDER BY … <= ?; ClickHouse: ORDER BY
		// partition, order LIMIT ? BY partition, which names the
		// partition twice).
		if c.d.Name() == "clickhouse" {
			r.args = append(append(append(append(r.args, pargs...), oargs...), int64(1)), pargs...)
		} else {
			r.args = append(append(append(r.args, pargs...), oargs...), int64(1))
		}
		return r, nil
	case *Fields:
		for i, f := range op.Names {
			if _, err := c.expr(r, &Ref{Name: f, At: op.At[i]}); err != nil {
				return r, err
			}
		}
		r.project = op.Names
		return r, nil
	}
	return r, c.errAt(0, "unknown pipe")
}

// addColumns adds (or replaces) named columns.
func (c *compiler) addColumns(r rel, adds []named, fr []frag) rel {
	var replaced []string
	for _, a := range adds {
		if i := slices.IndexFunc(r.cols, func(n named) bool { return n.name == a.name }); i >= 0 {
			replaced = append(replaced, c.d.Ident(colName(a.name)))
			r.cols = slices.Delete(r.cols, i, i+1)
		}
	}
	star := "*"
	if len(replaced) > 0 {
		star = c.d.StarExcept(replaced...)
	}
	var b strings.Builder
	var args []any
	b.WriteString("SELECT " + star)
	for i, a := range adds {
		b.WriteString(", " + fr[i].sql + " AS " + c.d.Ident(colName(a.name)))
		args = append(args, fr[i].args...)
		r.cols = append(r.cols, a)
	}
	b.WriteString(" FROM (" + r.sql + ") AS " + c.alias())
	r.sql, r.args = b.String(), append(args, r.args...)
	r.project = nil
	return r
}

// orderBy is the relation's ORDER BY clause ("" when unsorted).
func (c *compiler) orderBy(r rel) (string, []any) {
	if len(r.order) == 0 {
		return "", nil
	}
	s, args := c.orderExprs(r)
	return " ORDER BY " + s, args
}

// orderExprs is the current order, or the natural one: newest first for
// events, the first column for groups.
func (c *compiler) orderExprs(r rel) (string, []any) {
	if len(r.order) == 0 {
		if r.rows {
			return "ts DESC", nil
		}
		return c.d.Ident(colName(r.cols[0].name)), nil
	}
	var parts []string
	var args []any
	for _, o := range r.order {
		parts, args = append(parts, o.sql), append(args, o.args...)
	}
	return strings.Join(parts, ", "), args
}

// stats groups and aggregates, in two steps so that a group key that
// binds an argument (an attribute's key) is computed once and grouped by
// its name: the keys are added as columns, then grouped.
func (c *compiler) stats(r rel, st *Stats) (rel, error) {
	var keys []named
	var keyFr []frag
	c.binOf = 0
	for i, by := range st.By {
		if by.Field == "" {
			if !r.rows {
				return r, c.errAt(by.At, "bin() buckets events by time, and an earlier pipe already aggregated them")
			}
			step := by.Bin
			if step == 0 {
				step = query.AutoStep(c.from, c.to, 60)
			}
			if n := (c.to - c.from) / step; n > MaxRows {
				return r, c.errAt(by.At, "a bin of %s gives %d buckets over this range (at most %d)", fmtStep(step), n, MaxRows)
			}
			c.binOf = step
			keys = append(keys, named{name: "time", typ: Time})
			keyFr = append(keyFr, frag{sql: "(" + c.d.IntDiv("ts", "?") + ") * ?", args: []any{step, step}, typ: Time})
			continue
		}
		f, err := c.expr(r, &Ref{Name: by.Field, At: by.At})
		if err != nil {
			return r, err
		}
		name := by.Field
		if slices.ContainsFunc(keys, func(k named) bool { return k.name == name }) {
			return r, c.errAt(by.At, "%q twice after by", name)
		}
		_ = i
		keys = append(keys, named{name: name, typ: f.typ})
		keyFr = append(keyFr, f)
	}
	// step 1: the keys as columns k0, k1, … beside the rows
	var b strings.Builder
	var args []any
	b.WriteString("SELECT *")
	for i, f := range keyFr {
		fmt.Fprintf(&b, ", %s AS %s", f.sql, c.d.Ident(fmt.Sprintf("k:%d", i)))
		args = append(args, f.args...)
	}
	inner := b.String() + " FROM (" + r.sql + ") AS " + c.alias()
	args = append(args, r.args...)
	// step 2: group by them
	b.Reset()
	var outArgs []any
	var cols []named
	var groups []string
	b.WriteString("SELECT ")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		ki := c.d.Ident(fmt.Sprintf("k:%d", i))
		fmt.Fprintf(&b, "%s AS %s", ki, c.d.Ident(colName(k.name)))
		groups = append(groups, ki)
		cols = append(cols, k)
	}
	for i, a := range st.Aggs {
		f, err := c.agg(r, a)
		if err != nil {
			return r, err
		}
		if slices.ContainsFunc(cols, func(n named) bool { return n.name == a.Name }) {
			return r, c.errAt(a.At, "two columns named %q: name one with as", a.Name)
		}
		if i > 0 || len(keys) > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s AS %s", f.sql, c.d.Ident(colName(a.Name)))
		outArgs = append(outArgs, f.args...)
		cols = append(cols, named{name: a.Name, typ: f.typ, est: f.est, apx: f.apx})
	}
	b.WriteString(" FROM (" + inner + ") AS " + c.alias())
	if len(groups) > 0 {
		b.WriteString(" GROUP BY " + strings.Join(groups, ", "))
	}
	out := rel{sql: b.String(), args: append(outArgs, args...), cols: cols}
	switch {
	case len(keys) > 0 && keys[0].typ == Time:
		out.order = []frag{{sql: c.d.Ident(colName("time"))}}
	case len(keys) > 0:
		// the biggest groups first
		out.order = []frag{{sql: c.d.Ident(colName(cols[len(keys)].name)) + " DESC"}}
	}
	return out, nil
}

// agg compiles one aggregate over r's rows (or groups).
func (c *compiler) agg(r rel, a Agg) (frag, error) {
	var arg frag
	if a.Arg != nil {
		var err error
		if arg, err = c.expr(r, a.Arg); err != nil {
			return frag{}, err
		}
	}
	num := func() frag {
		if arg.typ == String {
			arg.sql = c.d.ToDouble(arg.sql)
		}
		return arg
	}
	// Counts of events (not of groups an earlier pipe made) are
	// estimates before sampling where the range holds sampled events.
	one, weighted := "1", c.weight != "" && r.rows
	if weighted {
		one = "coalesce(" + c.weight + ", 1)"
	}
	switch a.Fn {
	case "count":
		if a.Arg == nil {
			if weighted {
				return frag{sql: c.d.AggOf(sqlq.AggSum, one), typ: Number, est: true}, nil
			}
			return frag{sql: c.d.AggOf(sqlq.AggCount, ""), typ: Number}, nil
		}
		cond := arg.sql + " IS NOT NULL"
		if arg.typ == String {
			cond = "coalesce(" + arg.sql + ", '') <> ''"
		}
		return frag{sql: c.d.AggOf(sqlq.AggSum, "CASE WHEN "+cond+" THEN "+one+" ELSE 0 END"), args: arg.args, typ: Number, est: weighted}, nil
	case "rate":
		span := c.to - c.from
		if c.binOf > 0 {
			span = c.binOf
		}
		n := c.d.AggOf(sqlq.AggCount, "")
		if weighted {
			n = c.d.AggOf(sqlq.AggSum, one)
		}
		return frag{sql: n + " / ?", args: []any{float64(span) / 1e6}, typ: Number, est: weighted}, nil
	case "uniq":
		return c.uniq(arg), nil
	case "sum":
		f := num()
		return frag{sql: c.d.AggOf(sqlq.AggSum, f.sql), args: f.args, typ: Number}, nil
	case "min", "max":
		if arg.typ == Time {
			fn := sqlq.AggMin
			if a.Fn == "max" {
				fn = sqlq.AggMax
			}
			return frag{sql: c.d.AggOf(fn, arg.sql), args: arg.args, typ: Time}, nil
		}
		f := num()
		fn := sqlq.AggMin
		if a.Fn == "max" {
			fn = sqlq.AggMax
		}
		return frag{sql: c.d.AggOf(fn, f.sql), args: f.args, typ: Number}, nil
	case "avg":
		f := num()
		return frag{sql: "avg(" + f.sql + ")", args: f.args, typ: Number}, nil
	case "p50", "p75", "p90", "p95", "p99":
		f := num()
		p := map[string]float64{"p50": 0.5, "p75": 0.75, "p90": 0.9, "p95": 0.95, "p99": 0.99}[a.Fn]
		if c.approx > levelExact {
			return frag{sql: c.d.ApproxQuantile(f.sql, p), args: f.args, typ: Number, apx: true}, nil
		}
		c.degradable = true
		return frag{sql: c.d.Quantile(f.sql, p), args: f.args, typ: Number}, nil
	}
	return frag{}, c.errAt(a.At, "unknown aggregate %q", a.Fn)
}

// top counts the most (rare: least) frequent combinations of fields.
func (c *compiler) top(r rel, tp *Top) (rel, error) {
	st := &Stats{Aggs: []Agg{{Fn: "count", Name: "count"}}}
	for i, f := range tp.Fields {
		if f == "count" {
			return r, c.errAt(tp.At[i], "top names its count column count; rename the field first with eval")
		}
		st.By = append(st.By, By{Field: f, At: tp.At[i]})
	}
	out, err := c.stats(r, st)
	if err != nil {
		return r, err
	}
	dir := " DESC"
	if tp.Rare {
		dir = " ASC"
	}
	// ties are broken by the keys, so the answer is the same every time
	order := []frag{{sql: c.d.Ident(colName("count")) + dir}}
	for _, f := range tp.Fields {
		order = append(order, frag{sql: c.d.Ident(colName(f))})
	}
	out.order = order
	ord, _ := c.orderBy(out)
	out.sql = "SELECT * FROM (" + out.sql + ") AS " + c.alias() + ord + " LIMIT ?"
	out.args = append(out.args, int64(tp.N))
	out.limit = tp.N
	return out, nil
}

// final is the outer SELECT: the output columns, in order, at most
// MaxRows rows.
func (c *compiler) final(r rel, scope sqlq.Scope) (Compiled, error) {
	var outs []string
	var outArgs []any
	var cols []Column
	add := func(name string, f frag) {
		outs = append(outs, f.sql+" AS "+c.d.Ident(name))
		outArgs = append(outArgs, f.args...)
		cols = append(cols, Column{Name: name, Type: f.typ, Estimated: f.est, Approximate: f.apx})
	}
	names := r.project
	if names == nil {
		if r.rows {
			names = []string{"ts", "service", "level", "message"}
		}
		for _, n := range r.cols {
			if !slices.Contains(names, n.name) {
				names = append(names, n.name)
			}
		}
	}
	for _, n := range names {
		f, err := c.expr(r, &Ref{Name: n})
		if err != nil {
			return Compiled{}, err
		}
		add(n, f)
	}
	ord, oargs := c.orderBy(r)
	if ord == "" && r.rows {
		ord = " ORDER BY ts DESC"
	}
	limit := MaxRows
	if r.limit > 0 && r.limit < limit {
		limit = r.limit
	}
	var b sqlq.Builder
	b.Add("SELECT "+strings.Join(outs, ", "), outArgs...)
	b.Add(" FROM ("+r.sql+") AS "+c.alias(), r.args...)
	b.Add(ord, oargs...)
	b.Add(" LIMIT ?", int64(limit))
	q, err := b.Query("pipes", scope)
	if err != nil {
		return Compiled{}, err
	}
	return Compiled{Query: q, Columns: cols, degradable: c.degradable}, nil
}

// ref is the expression for a field: a column a pipe made, else (while
// the rows are events) a core column or an attribute.
func (c *compiler) ref(r rel, name string, at int) (frag, error) {
	for _, n := range r.cols {
		if n.name == name {
			return frag{sql: c.d.Ident(colName(name)), typ: n.typ, est: n.est, apx: n.apx}, nil
		}
	}
	if !r.rows {
		have := make([]string, len(r.cols))
		for i, n := range r.cols {
			have[i] = n.name
		}
		return frag{}, c.errAt(at, "no column %q after the aggregation (there are: %s)", name, strings.Join(have, ", "))
	}
	if name == "ts" || name == "time" || name == "timestamp" {
		return frag{sql: "ts", typ: Time}, nil
	}
	resolved, attr := query.ResolveField(name)
	if !attr {
		if t, ok := query.Columns()[resolved]; ok {
			switch t {
			case query.ColInt, query.ColFloat:
				return frag{sql: resolved, typ: Number}, nil
			case query.ColTraceID:
				return frag{sql: "CASE WHEN trace_hi = 0 AND trace_lo = 0 THEN '' ELSE " + c.d.TraceHex("trace_hi", "trace_lo") + " END", typ: String}, nil
			case query.ColSpanID:
				return frag{sql: "CASE WHEN " + resolved + " = 0 THEN '' ELSE " + c.d.HexID(resolved) + " END", typ: String}, nil
			}
			return frag{sql: resolved, typ: String}, nil
		}
	}
	if resolved == "" {
		return frag{}, c.errAt(at, "empty field name")
	}
	return frag{sql: c.d.AttrValue(), args: []any{resolved}, typ: String}, nil
}

// expr compiles an expression. Text meets numbers as a number (NULL when
// it is not one), so an attribute holding "250" compares with 200.
func (c *compiler) expr(r rel, e Expr) (frag, error) {
	switch e := e.(type) {
	case *Lit:
		if e.IsNum {
			if e.Num == math.Trunc(e.Num) && math.Abs(e.Num) < 1<<53 {
				return frag{sql: "?", args: []any{int64(e.Num)}, typ: Number}, nil
			}
			return frag{sql: "?", args: []any{e.Num}, typ: Number}, nil
		}
		return frag{sql: "?", args: []any{e.Str}, typ: String}, nil
	case *Ref:
		return c.ref(r, e.Name, e.At)
	case *Unary:
		x, err := c.expr(r, e.X)
		if err != nil {
			return frag{}, err
		}
		if e.Op == "not" {
			if x.typ != Bool {
				return frag{}, c.errAt(e.At, "not needs a condition, found %s", e.X)
			}
			return frag{sql: "(NOT " + x.sql + ")", args: x.args, typ: Bool}, nil
		}
		x = c.num(x)
		return frag{sql: "(-" + x.sql + ")", args: x.args, typ: Number}, nil
	case *Binary:
		return c.binary(r, e)
	case *Call:
		// an aggregate's column, after the aggregation: sort p95(duration_ms) desc
		if !r.rows {
			for _, n := range r.cols {
				if n.name == e.String() {
					return frag{sql: c.d.Ident(colName(n.name)), typ: n.typ, est: n.est, apx: n.apx}, nil
				}
			}
		}
		return c.call(r, e)
	}
	return frag{}, c.errAt(e.pos(), "cannot compile %s", e)
}

func (c *compiler) num(f frag) frag {
	if f.typ == String {
		f.sql = c.d.ToDouble(f.sql)
		f.typ = Number
	}
	return f
}

func (c *compiler) binary(r rel, e *Binary) (frag, error) {
	x, err := c.expr(r, e.X)
	if err != nil {
		return frag{}, err
	}
	y, err := c.expr(r, e.Y)
	if err != nil {
		return frag{}, err
	}
	args := append(slices.Clone(x.args), y.args...)
	switch e.Op {
	case "and", "or":
		if x.typ != Bool || y.typ != Bool {
			return frag{}, c.errAt(e.At, "%s joins conditions; %s is not one", e.Op, pick(x.typ != Bool, e.X, e.Y))
		}
		return frag{sql: "(" + x.sql + " " + strings.ToUpper(e.Op) + " " + y.sql + ")", args: args, typ: Bool}, nil
	case "=", "!=", "<", "<=", ">", ">=":
		if x.typ == Bool || y.typ == Bool {
			return frag{}, c.errAt(e.At, "cannot compare a condition with %s", e.Op)
		}
		if x.typ != y.typ {
			x, y = c.num(x), c.num(y)
		}
		op := e.Op
		if op == "!=" {
			op = "<>"
		}
		return frag{sql: "(" + x.sql + " " + op + " " + y.sql + ")", args: args, typ: Bool}, nil
	case "+", "-", "*", "/", "%":
		if x.typ == Bool || y.typ == Bool {
			return frag{}, c.errAt(e.At, "arithmetic on a condition")
		}
		x, y = c.num(x), c.num(y)
		typ := Number
		if x.typ == Time && (e.Op == "+" || e.Op == "-") && y.typ == Number {
			typ = Time
		}
		if e.Op == "/" {
			// x / 0 is NULL in both engines, not an error or infinity
			return frag{sql: "(" + x.sql + " / nullif(" + y.sql + ", 0))", args: args, typ: Number}, nil
		}
		if e.Op == "%" {
			return frag{sql: "(" + c.d.Float64(x.sql) + " - " + c.d.Float64(y.sql) + " * floor(" + c.d.Float64(x.sql) + " / nullif(" + c.d.Float64(y.sql) + ", 0)))", args: append(append(append(slices.Clone(x.args), y.args...), x.args...), y.args...), typ: Number}, nil
		}
		return frag{sql: "(" + x.sql + " " + e.Op + " " + y.sql + ")", args: args, typ: typ}, nil
	}
	return frag{}, c.errAt(e.At, "unknown operator %q", e.Op)
}

func pick(first bool, a, b Expr) Expr {
	if first {
		return a
	}
	return b
}

// call compiles a function of eval and where.
func (c *compiler) call(r rel, e *Call) (frag, error) {
	if _, ok := aggFns[e.Fn]; ok {
		return frag{}, c.errAt(e.At, "%s is an aggregate: use it in stats (… | stats %s)", e.Fn, e)
	}
	nargs := func(lo, hi int) error {
		if len(e.Args) < lo || len(e.Args) > hi {
			if lo == hi {
				return c.errAt(e.At, "%s takes %d argument(s), got %d", e.Fn, lo, len(e.Args))
			}
			return c.errAt(e.At, "%s takes %d to %d arguments, got %d", e.Fn, lo, hi, len(e.Args))
		}
		return nil
	}
	litStr := func(i int) (string, error) {
		l, ok := e.Args[i].(*Lit)
		if !ok || l.IsNum {
			return "", c.errAt(e.Args[i].pos(), "%s needs a quoted text as argument %d", e.Fn, i+1)
		}
		return l.Str, nil
	}
	var args []frag
	for _, a := range e.Args {
		f, err := c.expr(r, a)
		if err != nil {
			return frag{}, err
		}
		args = append(args, f)
	}
	str := func(f frag) frag {
		if f.typ != String {
			f.sql = c.d.ToString(f.sql)
			f.typ = String
		}
		return f
	}
	one := func(sql func(string) string, conv func(frag) frag, typ Type) (frag, error) {
		if err := nargs(1, 1); err != nil {
			return frag{}, err
		}
		f := conv(args[0])
		return frag{sql: sql(f.sql), args: f.args, typ: typ}, nil
	}
	fn := func(name string) func(string) string { return func(s string) string { return name + "(" + s + ")" } }
	switch e.Fn {
	case "lower":
		return one(c.d.Lower, str, String)
	case "upper":
		return one(c.d.Upper, str, String)
	case "len", "length":
		return one(c.d.CharLength, str, Number)
	case "abs", "floor", "ceil":
		return one(fn(e.Fn), c.num, Number)
	case "tonumber":
		return one(func(s string) string { return s }, c.num, Number)
	case "tostring":
		return one(func(s string) string { return s }, str, String)
	case "round":
		if err := nargs(1, 2); err != nil {
			return frag{}, err
		}
		x := c.num(args[0])
		digits := int64(0)
		if len(e.Args) == 2 {
			l, ok := e.Args[1].(*Lit)
			if !ok || !l.IsNum || l.Num != math.Trunc(l.Num) || l.Num < -15 || l.Num > 15 {
				return frag{}, c.errAt(e.Args[1].pos(), "round's digits must be a whole number from -15 to 15")
			}
			digits = int64(l.Num)
		}
		// the digits are a checked constant: both engines want a literal
		return frag{sql: fmt.Sprintf("round(%s, %d)", c.d.Float64(x.sql), digits), args: x.args, typ: Number}, nil
	case "concat":
		if err := nargs(1, 8); err != nil {
			return frag{}, err
		}
		var parts []string
		var fargs []any
		for _, a := range args {
			a = str(a)
			parts, fargs = append(parts, "coalesce("+a.sql+", '')"), append(fargs, a.args...)
		}
		return frag{sql: "concat(" + strings.Join(parts, ", ") + ")", args: fargs, typ: String}, nil
	case "coalesce":
		if err := nargs(1, 8); err != nil {
			return frag{}, err
		}
		typ := args[0].typ
		var parts []string
		var fargs []any
		for _, a := range args {
			if a.typ != typ {
				if typ == String {
					a = str(a)
				} else {
					a = c.num(a)
				}
			}
			parts, fargs = append(parts, a.sql), append(fargs, a.args...)
		}
		return frag{sql: "coalesce(" + strings.Join(parts, ", ") + ")", args: fargs, typ: typ}, nil
	case "if":
		if err := nargs(3, 3); err != nil {
			return frag{}, err
		}
		if args[0].typ != Bool {
			return frag{}, c.errAt(e.Args[0].pos(), "if's first argument must be a condition")
		}
		a, b := args[1], args[2]
		if a.typ != b.typ {
			if a.typ == String || b.typ == String {
				a, b = str(a), str(b)
			} else {
				a, b = c.num(a), c.num(b)
			}
		}
		return frag{sql: "(CASE WHEN " + args[0].sql + " THEN " + a.sql + " ELSE " + b.sql + " END)", args: append(append(slices.Clone(args[0].args), a.args...), b.args...), typ: a.typ}, nil
	case "contains", "startswith", "match":
		if err := nargs(2, 2); err != nil {
			return frag{}, err
		}
		needle, err := litStr(1)
		if err != nil {
			return frag{}, err
		}
		if err := c.checkNeedle(e, needle); err != nil {
			return frag{}, err
		}
		x := str(args[0])
		switch e.Fn {
		case "contains":
			return frag{sql: "coalesce(" + c.d.ContainsFold(x.sql) + ", false)", args: append(slices.Clone(x.args), strings.ToLower(needle)), typ: Bool}, nil
		case "startswith":
			return frag{sql: "coalesce(" + c.d.Like(x.sql) + ", false)", args: append(slices.Clone(x.args), likeEscape(needle)+"%"), typ: Bool}, nil
		}
		return frag{sql: "coalesce(" + c.d.Match(x.sql) + ", false)", args: append(slices.Clone(x.args), needle), typ: Bool}, nil
	}
	return frag{}, c.errAt(e.At, "unknown function %q (eval and where have lower, upper, len, abs, floor, ceil, round, concat, coalesce, if, contains, startswith, match, tonumber, tostring)", e.Fn)
}

// extractBytes is how much of a value extract reads: its first 4 KiB
// (bytes in ClickHouse, characters in DuckDB).
const extractBytes = 4096

// maxRegexpInsts bounds match()'s regular expression once compiled (Go's
// RE2 program; DuckDB and ClickHouse run RE2): a counted repetition such
// as a{1000} is short text but a long program, and RE2's time a byte grows
// with the program when its DFA gives up.
const maxRegexpInsts = 512

// checkNeedle refuses a contains(), startswith() or match() text longer
// than query.MaxNeedleBytes (the engine searches for it inside every
// value: its work grows with both lengths), and a match() expression
// that is not RE2 or compiles to more than maxRegexpInsts steps.
func (c *compiler) checkNeedle(e *Call, needle string) error {
	at := e.Args[1].pos()
	if len(needle) > query.MaxNeedleBytes {
		return c.errAt(at, "%s's text %s is %d bytes, more than %d (it is searched for inside every value; use a shorter part of it)",
			e.Fn, query.QuoteStart(needle), len(needle), query.MaxNeedleBytes)
	}
	if e.Fn != "match" {
		return nil
	}
	re, err := syntax.Parse(needle, syntax.Perl)
	if err != nil {
		return c.errAt(at, "bad regular expression: %v", err)
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return c.errAt(at, "bad regular expression: %v", err)
	}
	if n := len(prog.Inst); n > maxRegexpInsts {
		return c.errAt(at, "match's regular expression %s compiles to %d steps, more than %d (a counted repetition such as {100} repeats its part that many times)",
			query.QuoteStart(needle), n, maxRegexpInsts)
	}
	return nil
}

func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

func fmtStep(us int64) string {
	switch {
	case us%(3600e6) == 0:
		return fmt.Sprintf("%dh", us/3600e6)
	case us%60e6 == 0:
		return fmt.Sprintf("%dm", us/60e6)
	case us%1e6 == 0:
		return fmt.Sprintf("%ds", us/1e6)
	}
	return fmt.Sprintf("%dms", us/1000)
}

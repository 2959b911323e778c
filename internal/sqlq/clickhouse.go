package sqlq

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ClickHouse spells queries in ClickHouse's SQL for the events table of
// the scale-out backend (MergeTree, Array(String) attributes, UInt64 id
// halves). The backend itself is the ClickHouse issue's; its spelling is
// here so that the dialect's golden tests show, construct by construct,
// where the engines differ.
type ClickHouse struct {
	// Windows says the server has window functions and ASOF joins (21.x
	// and later), which some constructs are faster with than with the
	// arrays 18.16 needs (FunnelBest).
	Windows bool
}

var _ Dialect = ClickHouse{}

// Name is "clickhouse".
func (ClickHouse) Name() string { return "clickhouse" }

// Column returns the column name as it is.
func (ClickHouse) Column(name string) string { return name }

// AttrValue is ” for an absent key (indexOf gives 0, and element 0 of an
// array is the type's default).
func (ClickHouse) AttrValue() string { return "attr_values[indexOf(attr_keys, ?)]" }

// ContainsFold lower-cases the value (the needle is bound lower-cased).
func (ClickHouse) ContainsFold(expr string) string { return "position(lowerUTF8(" + expr + "), ?) > 0" }

// Like: ClickHouse's LIKE escapes with '\' by default.
func (ClickHouse) Like(expr string) string { return expr + " LIKE ?" }

// Match is RE2, as DuckDB's regexp_matches.
func (ClickHouse) Match(expr string) string { return "match(" + expr + ", ?)" }

// Glob is Match. A ClickHouse query is stopped between blocks, which the
// server sizes by bytes as well as rows, and the store returns when its
// context ends, killing the query (http.go).
func (c ClickHouse) Glob(expr string) string { return c.Match(expr) }

// Lower lower-cases UTF-8 text.
func (ClickHouse) Lower(expr string) string { return "lowerUTF8(" + expr + ")" }

// ToDouble yields NULL for non-numbers.
func (ClickHouse) ToDouble(expr string) string { return "toFloat64OrNull(" + expr + ")" }

// ToString renders a number as text.
func (ClickHouse) ToString(expr string) string { return "toString(" + expr + ")" }

// Uint64 binds the id as it is, converted to the column's type.
func (ClickHouse) Uint64(v uint64) (string, any) { return "toUInt64(?)", v }

// Ident back-quotes, doubling back-quotes inside.
func (ClickHouse) Ident(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

// Str single-quotes, doubling quotes and backslashes (ClickHouse reads \
// as an escape inside literals; a doubled quote is one quote, as in
// DuckDB, which keeps sqlq.Placeholders right for both).
func (ClickHouse) Str(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", "''") + "'"
}

// StartsWith is startsWith.
func (c ClickHouse) StartsWith(expr, prefix string) string {
	return "startsWith(" + expr + ", " + c.Str(prefix) + ")"
}

// Int64 converts with toInt64.
func (ClickHouse) Int64(expr string) string { return "toInt64(" + expr + ")" }

// Float64 converts with toFloat64.
func (ClickHouse) Float64(expr string) string { return "toFloat64(" + expr + ")" }

// IntDiv is intDiv, which rounds towards zero like DuckDB's //.
func (ClickHouse) IntDiv(a, b string) string { return "intDiv(" + a + ", " + b + ")" }

// TimeBucket divides the offset from from.
func (ClickHouse) TimeBucket(ts, from, step string) string {
	return "intDiv(" + ts + " - " + from + ", " + step + ")"
}

// Attr tests for the key, as element 0 of an array is ” (not NULL).
func (c ClickHouse) Attr(key string) string { return c.AttrOr(key, "NULL") }

// AttrOr tests for the key.
func (c ClickHouse) AttrOr(key, fallback string) string {
	k := c.Str(key)
	return "if(has(attr_keys, " + k + "), attr_values[indexOf(attr_keys, " + k + ")], " + fallback + ")"
}

// HasAttr is has.
func (c ClickHouse) HasAttr(key string) string { return "has(attr_keys, " + c.Str(key) + ")" }

// ListContains is has.
func (ClickHouse) ListContains(list, elem string) string { return "has(" + list + ", " + elem + ")" }

// ListAgg sorts ((orderBy), expr) pairs: groupArray keeps no order. The
// keys are one element (a tuple of them when orderBy lists several), so
// that element 2 is expr whatever their number.
func (ClickHouse) ListAgg(expr, orderBy string) string {
	return "arrayMap(x -> tupleElement(x, 2), arraySort(groupArray(tuple((" + orderBy + "), " + expr + "))))"
}

// ListAggIf sorts the pairs of the rows where cond holds.
func (ClickHouse) ListAggIf(expr, orderBy, cond string) string {
	return "arrayMap(x -> tupleElement(x, 2), arraySort(groupArrayIf(tuple((" + orderBy + "), " + expr + "), " + cond + ")))"
}

// ListLen is length.
func (ClickHouse) ListLen(list string) string { return "length(" + list + ")" }

var chAggs = [...]string{AggCount: "count", AggSum: "sum", AggMin: "min", AggMax: "max", AggAny: "any"}

// AggOf spells the aggregate; count ignores expr.
func (ClickHouse) AggOf(fn Agg, expr string) string {
	switch fn {
	case AggCount:
		return "count()"
	case AggMode:
		return chMode("groupArray(" + expr + ")")
	case AggMedian:
		return chQuantile("groupArray("+expr+")", 0.5)
	}
	return chAggs[fn] + "(" + expr + ")"
}

// AggIf uses the -If combinator. A count's condition that is NULL counts
// as false: ifNull keeps countIf's type UInt64 (18.16 answers NULL, not
// 0, for a group whose Nullable condition was never true).
func (ClickHouse) AggIf(fn Agg, expr, cond string) string {
	switch fn {
	case AggCount:
		return "countIf(ifNull(" + cond + ", 0))"
	case AggMode:
		return chMode("groupArrayIf(" + expr + ", " + cond + ")")
	case AggMedian:
		return chQuantile("groupArrayIf("+expr+", "+cond+")", 0.5)
	}
	return chAggs[fn] + "If(" + expr + ", " + cond + ")"
}

// ArgMax is argMax.
func (ClickHouse) ArgMax(arg, val string) string { return "argMax(" + arg + ", " + val + ")" }

// ArgMin is argMin.
func (ClickHouse) ArgMin(arg, val string) string { return "argMin(" + arg + ", " + val + ")" }

// ArgMinIf is argMinIf.
func (ClickHouse) ArgMinIf(arg, val, cond string) string {
	return "argMinIf(" + arg + ", " + val + ", " + cond + ")"
}

// ArgMaxIf is argMaxIf.
func (ClickHouse) ArgMaxIf(arg, val, cond string) string {
	return "argMaxIf(" + arg + ", " + val + ", " + cond + ")"
}

// Hash64 is cityHash64.
func (ClickHouse) Hash64(expr string) string { return "cityHash64(" + expr + ")" }

// Lag is lagInFrame over the whole partition (ClickHouse's lag reads the
// frame, which ends at the current row by default).
func (ClickHouse) Lag(expr, partition, order string) string {
	return "lagInFrame(" + expr + ") OVER (PARTITION BY " + partition + " ORDER BY " + order +
		" ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"
}

// GapSessions reads each partition's rows into an array sorted by ord
// (18.16 has no window functions): a row starts a session when it is the
// first or more than the gap after the one before it, arrayCumSum of
// those flags numbers the sessions, and arrayJoin turns the array back
// into rows.
func (c ClickHouse) GapSessions(src, part, ord string, cols []string) string {
	row := slices.Concat([]string{ord}, cols)
	sorted := "arraySort(x -> tupleElement(x, 1), groupArray(tuple(" + strings.Join(row, ", ") + ")))"
	starts := "arrayCumSum(arrayMap(i -> i = 1 OR tupleElement(_s[i], 1) - tupleElement(_s[i - 1], 1) > ?, arrayEnumerate(_s)))"
	return "SELECT " + part + ", " + c.UnpackRow("_r", append(row, "sn")) + " FROM (SELECT " + part +
		", arrayJoin(arrayMap((x, n) -> tuple(" + chElems("x", 1, len(row)) + ", n), _s, " + starts + ")) AS _r FROM (SELECT " +
		part + ", " + sorted + " AS _s FROM " + src + " GROUP BY " + part + "))"
}

// PrevRows reads each partition's rows into an array sorted by order
// (18.16 has no window functions) and pairs each element with the one
// before it.
func (c ClickHouse) PrevRows(src, part string, order, cols []string, col string) string {
	key := make([]string, len(order))
	for i := range order {
		key[i] = "tupleElement(x, " + strconv.Itoa(i+1) + ")"
	}
	sorted := "arraySort(x -> tuple(" + strings.Join(key, ", ") + "), groupArray(tuple(" + strings.Join(slices.Concat(order, cols), ", ") + ")))"
	prev := "if(i = 1, NULL, tupleElement(_s[i - 1], " + strconv.Itoa(len(order)+1+slices.Index(cols, col)) + "))"
	return "SELECT " + c.UnpackRow("_r", slices.Concat(cols, []string{"prev"})) + " FROM (SELECT arrayJoin(arrayMap(i -> tuple(" +
		chElems("_s[i]", len(order)+1, len(cols)) + ", " + prev + "), arrayEnumerate(_s))) AS _r FROM (SELECT " +
		sorted + " AS _s FROM " + src + " GROUP BY " + part + "))"
}

// FunnelBest reads each person's rows into an array sorted by time,
// arrival and step (18.16 has neither window functions nor ASOF joins):
// _g numbers the rows' events (dense, in order), _end is the last row of
// each event, and for step k _ck counts the step-k rows up to each row
// and _pk lists their positions, so that the first step-k row after event
// g is _pk[_ck[_end[g]] + 1] (0, past the end, when there is none). Each
// attempt (a step-1 row) walks the steps in nested lambdas, each binding
// its step's row (0 once a step is missed) through a one-element array
// (aliases would be copied into the query once per use, exponentially in
// the steps); the best attempt is the first when sorted by depth, then
// event, and a query around spreads its rows into times.
//
// With Windows it is foldFunnelBest: a current release's query analyzer
// plans this spelling's layers slowly (about a minute for 20 steps on
// 26.5).
func (c ClickHouse) FunnelBest(src string, steps int, window int64) (string, []any) {
	if c.Windows {
		return foldFunnelBest(src, steps, window)
	}
	el := func(i string, n int) string { return "tupleElement(_e[" + i + "], " + strconv.Itoa(n) + ")" }
	var b strings.Builder
	var args []any
	b.WriteString("per AS (SELECT pid, _pn AS person, " + el("_w.2", 4) + " AS bd, 1")
	for k := 2; k <= steps; k++ {
		fmt.Fprintf(&b, " + toInt64(_w.%d > 0)", k+1)
	}
	b.WriteString(" AS depth")
	for k := 1; k <= steps; k++ {
		fmt.Fprintf(&b, ", if(_w.%[1]d = 0, NULL, %[2]s) AS t%[3]d", k+1, el(fmt.Sprintf("_w.%d", k+1), 1), k)
	}
	b.WriteString(" FROM (SELECT pid, _pn, _e, ")
	inner := strings.Builder{}
	inner.WriteString("FROM (SELECT pid, any(person) AS _pn" +
		", arraySort(lx -> tuple(tupleElement(lx, 1), tupleElement(lx, 2), tupleElement(lx, 3)), groupArray(tuple(ts, rid, ifNull(step, 0), bd))) AS _e" +
		", arrayEnumerate(_e) AS _i" +
		", arrayCumSum(arrayMap(li -> li = 1 OR tuple(" + el("li", 1) + ", " + el("li", 2) + ") != tuple(" + el("li - 1", 1) + ", " + el("li - 1", 2) + "), _i)) AS _g" +
		", arrayFilter(li -> li = length(_e) OR _g[li + 1] != _g[li], _i) AS _end" +
		", arrayFilter(li -> " + el("li", 3) + " = 1, _i) AS _a")
	for k := 2; k <= steps; k++ {
		fmt.Fprintf(&inner, ", arrayCumSum(arrayMap(lx -> tupleElement(lx, 3) = %[1]d, _e)) AS _c%[1]d, arrayFilter(li -> %[2]s = %[1]d, _i) AS _p%[1]d",
			k, el("li", 3))
	}
	// The walk: j1 is the attempt's row; jk the step-k row after j(k-1)'s
	// event within the window of j1's time, else 0.
	walk := "tuple(toInt64(_g[j1]) - toInt64(1"
	for k := 2; k <= steps; k++ {
		walk += fmt.Sprintf(" + (j%d > 0)", k)
	}
	walk += ") * 4000000000000000"
	for k := 1; k <= steps; k++ {
		walk += fmt.Sprintf(", j%d", k)
	}
	walk += ")"
	for k := steps; k >= 2; k-- {
		next := fmt.Sprintf("_p%[1]d[_c%[1]d[_end[_g[j%[2]d]]] + 1]", k, k-1)
		walk = fmt.Sprintf("arrayMap(j%[1]d -> %[2]s, [if(j%[3]d = 0, 0, arrayMap(ln -> if(ln > 0 AND %[4]s <= %[5]s + ?, ln, 0), [%[6]s])[1])])[1]",
			k, walk, k-1, el("ln", 1), el("j1", 1), next)
		args = append(args, window)
	}
	// The window's placeholders, innermost first in the text, are all
	// the same value.
	// The arrays are columns of a subquery, not aliases, which 18.16
	// would copy into every lambda that reads them (seconds to analyse a
	// long funnel); its WHERE reads each one outside a lambda, as 18.16
	// drops a subquery's columns that only lambdas read.
	used := "length(_e) + length(_g) + length(_end)"
	for k := 2; k <= steps; k++ {
		used += fmt.Sprintf(" + length(_c%[1]d) + length(_p%[1]d)", k)
	}
	b.WriteString("arraySort(lw -> tupleElement(lw, 1), arrayMap(j1 -> " + walk + ", _a))[1] AS _w " + inner.String() +
		" FROM (" + src + ") GROUP BY pid) WHERE length(_a) > 0 AND _pn <> '' AND " + used + " > 0))")
	return b.String(), args
}

// foldFunnelBest is FunnelBest for a current release (arrayFold, 23.x
// and later), in a fixed number of layers whatever the steps: 26.5's
// analyzer takes seconds a step to plan the nested lambdas or chained
// ASOF joins (DuckDB's spelling) of one layer a step. As in the 18.16
// spelling, each person's rows are an array sorted by time, arrival and
// step, _g numbers its events and _end is the last row of each; _c and _p
// hold, for steps 2 … steps, the running count of the step's rows and
// their positions. Each attempt (a step-1 row) folds over the steps a
// list of its rows, each the first row of the step after the previous
// one's event (0 once a step is missed or out of the window); the best
// is the first when sorted by depth, then event.
func foldFunnelBest(src string, steps int, window int64) (string, []any) {
	el := func(i string, n int) string { return "tupleElement(_e[" + i + "], " + strconv.Itoa(n) + ")" }
	ks := "range(2, " + strconv.Itoa(steps+1) + ")"
	var b strings.Builder
	b.WriteString("per AS (SELECT pid, _pn AS person, " + el("_js[1]", 4) + " AS bd, toInt64(arrayCount(x -> x > 0, _js)) AS depth")
	for k := 1; k <= steps; k++ {
		fmt.Fprintf(&b, ", if(_js[%[1]d] = 0, NULL, %[2]s) AS t%[1]d", k, el("_js["+strconv.Itoa(k)+"]", 1))
	}
	next := "_p[k - 1][_c[k - 1][_end[_g[acc[-1]]]] + 1]"
	b.WriteString(" FROM (SELECT pid, _pn, _e, tupleElement(arraySort(lw -> tupleElement(lw, 1), arrayMap(lj -> tuple(toInt64(_g[lj[1]]) - toInt64(arrayCount(x -> x > 0, lj)) * 4000000000000000, lj), " +
		"arrayMap(j1 -> arrayFold((acc, k) -> arrayPushBack(acc, toUInt64(if(acc[-1] > 0 AND " + next + " > 0 AND " + el(next, 1) + " <= " + el("acc[1]", 1) + " + ?, " + next + ", 0))), " +
		ks + ", [toUInt64(j1)]), _a)))[1], 2) AS _js" +
		" FROM (SELECT pid, any(person) AS _pn" +
		", arraySort(lx -> tuple(tupleElement(lx, 1), tupleElement(lx, 2), tupleElement(lx, 3)), groupArray(tuple(ts, rid, ifNull(step, 0), bd))) AS _e" +
		", arrayEnumerate(_e) AS _i" +
		", arrayCumSum(arrayMap(li -> li = 1 OR tuple(" + el("li", 1) + ", " + el("li", 2) + ") != tuple(" + el("li - 1", 1) + ", " + el("li - 1", 2) + "), _i)) AS _g" +
		", arrayFilter(li -> li = length(_e) OR _g[li + 1] != _g[li], _i) AS _end" +
		", arrayFilter(li -> " + el("li", 3) + " = 1, _i) AS _a" +
		", arrayMap(k -> arrayCumSum(arrayMap(lx -> tupleElement(lx, 3) = k, _e)), " + ks + ") AS _c" +
		", arrayMap(k -> arrayFilter(li -> " + el("li", 3) + " = k, _i), " + ks + ") AS _p" +
		" FROM (" + src + ") GROUP BY pid) WHERE length(_a) > 0 AND _pn <> ''))")
	return b.String(), []any{window}
}

// chElems lists n elements of the tuple expression t from the from-th.
func chElems(t string, from, n int) string {
	e := make([]string, n)
	for i := range e {
		e[i] = "tupleElement(" + t + ", " + strconv.Itoa(from+i) + ")"
	}
	return strings.Join(e, ", ")
}

// MaterializedCTE is a plain WITH item: ClickHouse inlines it.
func (ClickHouse) MaterializedCTE(name, body string) string { return name + " AS (" + body + ")" }

// StarExcept is * EXCEPT.
func (ClickHouse) StarExcept(cols ...string) string {
	return "* EXCEPT (" + strings.Join(cols, ", ") + ")"
}

// FirstNBy is LIMIT n BY, which needs the order.
func (ClickHouse) FirstNBy(partition, order string) string {
	return "ORDER BY " + partition + ", " + order + " LIMIT ? BY " + partition
}

// TopNBy is LIMIT n BY.
func (ClickHouse) TopNBy(partition, order string) string {
	return "ORDER BY " + partition + ", " + order + " LIMIT ? BY " + partition
}

// CountDistinct is uniqExact.
func (ClickHouse) CountDistinct(expr string) string { return "uniqExact(" + expr + ")" }

// ApproxDistinct is uniq (an adaptive sketch).
func (ClickHouse) ApproxDistinct(expr string) string { return "uniq(" + expr + ")" }

// Quantile interpolates between the two nearest of the sorted values, as
// DuckDB's quantile_cont does (plain quantile samples and is not exact;
// quantileExactInclusive, which would do it, came in ClickHouse 20.1 and
// 18.16 has not got it).
func (ClickHouse) Quantile(expr string, p float64) string {
	return chQuantile("groupArray("+expr+")", p)
}

// ApproxQuantile is quantileTDigest (plain quantile samples 8,192
// values a group, which is approximate too, but less precise at the
// tails).
func (ClickHouse) ApproxQuantile(expr string, p float64) string {
	return "quantileTDigest(" + strconv.FormatFloat(p, 'g', -1, 64) + ")(" + expr + ")"
}

// QuantileIf collects with groupArrayIf.
func (ClickHouse) QuantileIf(expr string, p float64, cond string) string {
	return chQuantile("groupArrayIf("+expr+", "+cond+")", p)
}

// chQuantile is the p-quantile of the values vals collects (groupArray
// skips NULLs): sorted, v[⌊p(n−1)⌋] and the next, weighted by the
// fraction; NULL without values. vals appears once in the spelling (its
// placeholders bind once): a lambda over a one-element array names it.
func chQuantile(vals string, p float64) string {
	pos := "(" + strconv.FormatFloat(p, 'g', -1, 64) + " * (length(v) - 1))"
	lo := "toUInt64(floor(" + pos + "))"
	x, y := "v["+lo+" + 1]", "v["+lo+" + 2]"
	return "arrayMap(v -> if(length(v) = 0, NULL, " + x + " + (" + pos + " - floor(" + pos + ")) * (" + y + " - " + x + ")), [arraySort(" + vals + ")])[1]"
}

// chMode is the most frequent of the values vals collects (groupArray
// skips NULLs), exactly (topK(1) is a Space-Saving estimate): sorted,
// arrayEnumerateUniq numbers each value's occurrences, and the first
// position holding the highest number ends the run of the most frequent
// value; of values tied, the least. An empty string (the type's default) without
// values. vals appears once, named by a lambda as in chQuantile.
func chMode(vals string) string {
	return "arrayMap(v -> v[indexOf(arrayEnumerateUniq(v), arrayReduce('max', arrayEnumerateUniq(v)))], [arraySort(" + vals + ")])[1]"
}

// HexID pads hex() to 16 digits without leftPad (absent from older
// releases): hex of an integer drops its leading zero bytes.
func (ClickHouse) HexID(col string) string {
	return "substring(concat('0000000000000000', lower(hex(" + col + "))), length(hex(" + col + ")) + 1, 16)"
}

// TraceHex concatenates the two halves.
func (c ClickHouse) TraceHex(hi, lo string) string {
	return "concat(" + c.HexID(hi) + ", " + c.HexID(lo) + ")"
}

// InColumn looks in the column's values gathered by a scalar subquery:
// 18.16 fails a query whose expression holds IN (subquery) beside the
// same subquery read in FROM ("Unknown identifier" of a column it
// dropped from one of them).
func (ClickHouse) InColumn(expr, col, table string) string {
	return "has((SELECT groupArray(" + col + ") FROM " + table + "), " + expr + ")"
}

// SemiJoin is LEFT SEMI JOIN.
func (ClickHouse) SemiJoin(left, right, cond string) string {
	return left + " LEFT SEMI JOIN " + right + " ON " + cond
}

// InStrings is has() over the bound Array(String).
func (ClickHouse) InStrings(expr string) string { return "has(?, " + expr + ")" }

// DistinctSortedIf is arraySort over groupUniqArrayIf.
func (ClickHouse) DistinctSortedIf(expr, cond string) string {
	return "arraySort(groupUniqArrayIf(" + expr + ", " + cond + "))"
}

// ArgMinNIf sorts the (val, arg) pairs and keeps the first n args
// (groupArraySorted is absent from older releases).
func (ClickHouse) ArgMinNIf(arg, val string, n int, cond string) string {
	return "arrayMap(x -> x.2, arraySlice(arraySort(groupArrayIf((" + val + ", " + arg + "), " + cond + ")), 1, " + strconv.Itoa(n) + "))"
}

// Upper upper-cases UTF-8 text.
func (ClickHouse) Upper(expr string) string { return "upperUTF8(" + expr + ")" }

// CharLength is lengthUTF8 (length counts bytes).
func (ClickHouse) CharLength(expr string) string { return "lengthUTF8(" + expr + ")" }

// RegexpGroup is extract, which returns the first capturing group (” when
// no match); it exists in every release.
func (ClickHouse) RegexpGroup(expr string) string { return "extract(" + expr + ", ?)" }

var chTypes = [...]string{TypeInt64: "Nullable(Int64)", TypeFloat64: "Nullable(Float64)", TypeString: "Nullable(String)",
	TypeStrings: "Array(String)", TypeInt64s: "Array(Int64)", TypeFloat64s: "Array(Nullable(Float64))"}

// Null casts NULL to a Nullable type; arrays cannot be Nullable, so a
// list is an empty one.
func (ClickHouse) Null(t Type) string {
	if t >= TypeStrings {
		return "CAST([] AS " + chTypes[t] + ")"
	}
	return "CAST(NULL AS " + chTypes[t] + ")"
}

// TryInt64 is toInt64OrNull.
func (ClickHouse) TryInt64(expr string) string { return "toInt64OrNull(" + expr + ")" }

// Left is substringUTF8 (left counts bytes; leftUTF8 came after 18.16).
func (ClickHouse) Left(expr string, n int) string {
	return "substringUTF8(" + expr + ", 1, " + strconv.Itoa(n) + ")"
}

// ListIndex is indexOf (0 for a missing element).
func (ClickHouse) ListIndex(list, elem string) string { return "indexOf(" + list + ", " + elem + ")" }

// ListHead is arraySlice.
func (ClickHouse) ListHead(list string) string { return "arraySlice(" + list + ", 1, ?)" }

// ExplodeNonNull is arrayJoin of the filtered array.
func (ClickHouse) ExplodeNonNull(list string) string {
	return "arrayJoin(arrayFilter(x -> x IS NOT NULL, " + list + "))"
}

// ArgMaxRow is argMax of a tuple.
func (ClickHouse) ArgMaxRow(cols []string, val string) string {
	return "argMax(tuple(" + strings.Join(cols, ", ") + "), " + val + ")"
}

// UnpackRow names each element of the tuple.
func (ClickHouse) UnpackRow(expr string, cols []string) string {
	f := make([]string, len(cols))
	for i, c := range cols {
		f[i] = "tupleElement(" + expr + ", " + strconv.Itoa(i+1) + ") AS " + c
	}
	return strings.Join(f, ", ")
}

// RowOrder is the batch a row came in — its seq and the number of the
// writer (Lore node) that appended it — and its place in that batch: the
// events table of internal/store/clickhouse keeps all three (seq, writer,
// seq_row), as no release before 24.x has a row's arrival order of its
// own. It is total across writers, whose seqs are their own: rows of
// equal seq from two writers are ordered by writer number.
func (ClickHouse) RowOrder() string { return "tuple(seq, writer, seq_row)" }

// RowID is RowOrder as one signed 64-bit integer, which a search's cursor
// carries (internal/analysis/events): seq times 2^32, plus the writer
// number times 2^24, plus the row's place in the batch, in the same order
// while seq stays below 2^31, writers are numbered below 256 and a batch
// holds fewer than 2^24 rows (the store refuses the rest).
func (ClickHouse) RowID() string {
	return "toInt64(bitOr(bitOr(bitShiftLeft(seq, 32), bitShiftLeft(toUInt64(writer), 24)), seq_row))"
}

// AsofLeftJoin is LEFT ASOF JOIN (19.x and later; needs join_use_nulls=1
// for the NULLs of rows without a match).
func (ClickHouse) AsofLeftJoin(left, right, eq, ineq string) string {
	return left + " LEFT ASOF JOIN " + right + " ON " + eq + " AND " + ineq
}

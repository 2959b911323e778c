package sqlq

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/lore-dev/lore/internal/query"
)

// DuckDB spells queries in DuckDB's SQL for the events table. The zero
// value is ready to use.
type DuckDB struct{}

var _ Dialect = DuckDB{}

// Name is "duckdb".
func (DuckDB) Name() string { return "duckdb" }

// Column returns the column name as it is: the events table is not aliased.
func (DuckDB) Column(name string) string { return name }

// AttrValue looks the key up in the parallel attribute lists; indexing a
// list with NULL (key absent) yields NULL.
func (DuckDB) AttrValue() string { return "attr_values[list_position(attr_keys, ?)]" }

// ContainsFold compares against a needle the compiler binds lower-cased.
// lore_contains_fold is contains(lower(expr), ?) for values of up to 4 KiB
// and a Go function, which stops when the query's context ends, for
// longer ones (package duckfn, whose macros the store creates).
func (DuckDB) ContainsFold(expr string) string { return "lore_contains_fold(" + expr + ", ?)" }

// MatchTexts is lore_match_text, a Go function (package duckfn) that
// matches every term of the bound query text against a value in one
// call, and stops when the query's context ends.
func (DuckDB) MatchTexts(expr string) string { return "lore_match_text(" + expr + ", ?)" }

// GlobEach is lore_long_glob, the Go matcher lore_glob hands long values
// to, for every value: a query of many wildcards stops at its deadline
// within a value's match.
func (DuckDB) GlobEach(expr string) string { return "lore_long_glob(" + expr + ", ?)" }

var _ query.TextMatcher = DuckDB{}

// Like needs an explicit ESCAPE clause: DuckDB's LIKE has no default escape
// character.
func (DuckDB) Like(expr string) string { return expr + ` LIKE ? ESCAPE '\'` }

// Match uses RE2 (linear in the value). The pattern must not be one that
// DuckDB's optimizer rewrites into LIKE (a '(?s).*' wildcard would be):
// the compiler spells wildcards [^\x00]*, which it leaves alone.
func (DuckDB) Match(expr string) string { return "regexp_matches(" + expr + ", ?)" }

// Glob is lore_glob: regexp_matches(expr, ?) for values of up to 4 KiB
// and a Go matcher of the pattern's pieces, which stops when the query's
// context ends, for longer ones (package duckfn).
func (DuckDB) Glob(expr string) string { return "lore_glob(" + expr + ", ?)" }

// Lower lower-cases Unicode text.
func (DuckDB) Lower(expr string) string { return "lower(" + expr + ")" }

// ToDouble never fails: TRY_CAST yields NULL for non-numbers.
func (DuckDB) ToDouble(expr string) string { return "TRY_CAST(" + expr + " AS DOUBLE)" }

// ToString renders a number as text.
func (DuckDB) ToString(expr string) string { return "CAST(" + expr + " AS VARCHAR)" }

// Uint64 binds an id as a HUGEINT cast back to UBIGINT: database/sql
// rejects uint64 values with the high bit set and the driver lets *big.Int
// through, and the cast keeps the comparison on the UBIGINT column itself,
// so DuckDB pushes it into the scan and prunes row groups by their min/max
// (comparing with a bare HUGEINT would cast the column instead).
func (DuckDB) Uint64(v uint64) (string, any) {
	return "CAST(? AS UBIGINT)", new(big.Int).SetUint64(v)
}

// Ident double-quotes, doubling quotes inside.
func (DuckDB) Ident(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// Str single-quotes, doubling quotes inside (backslashes are literal).
func (DuckDB) Str(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// StartsWith is starts_with.
func (d DuckDB) StartsWith(expr, prefix string) string {
	return "starts_with(" + expr + ", " + d.Str(prefix) + ")"
}

// Int64 casts to BIGINT.
func (DuckDB) Int64(expr string) string { return "CAST(" + expr + " AS BIGINT)" }

// Float64 casts to DOUBLE.
func (DuckDB) Float64(expr string) string { return "CAST(" + expr + " AS DOUBLE)" }

// IntDiv is DuckDB's integer division, which rounds towards zero.
func (DuckDB) IntDiv(a, b string) string { return "(" + a + ") // (" + b + ")" }

// TimeBucket divides the offset from from.
func (d DuckDB) TimeBucket(ts, from, step string) string {
	return "(" + ts + " - " + from + ") // " + step
}

// Attr indexes the values list with the key's position (NULL if absent).
func (d DuckDB) Attr(key string) string {
	return "attr_values[list_position(attr_keys, " + d.Str(key) + ")]"
}

// AttrOr relies on Attr's NULL for an absent key.
func (d DuckDB) AttrOr(key, fallback string) string {
	return "coalesce(" + d.Attr(key) + ", " + fallback + ")"
}

// HasAttr tests the keys list.
func (d DuckDB) HasAttr(key string) string { return "list_contains(attr_keys, " + d.Str(key) + ")" }

// ListContains is list_contains.
func (DuckDB) ListContains(list, elem string) string {
	return "list_contains(" + list + ", " + elem + ")"
}

// ListAgg is an ordered list aggregate.
func (DuckDB) ListAgg(expr, orderBy string) string {
	return "list(" + expr + " ORDER BY " + orderBy + ")"
}

// ListAggIf filters the list aggregate, which is NULL over no rows.
func (DuckDB) ListAggIf(expr, orderBy, cond string) string {
	return "coalesce(list(" + expr + " ORDER BY " + orderBy + ") FILTER (WHERE " + cond + "), [])"
}

// ListLen is len.
func (DuckDB) ListLen(list string) string { return "len(" + list + ")" }

var duckAggs = [...]string{AggCount: "count", AggSum: "sum", AggMin: "min", AggMax: "max", AggAny: "any_value", AggMode: "mode", AggMedian: "median"}

// AggOf spells the aggregate; count ignores expr.
func (DuckDB) AggOf(fn Agg, expr string) string {
	if fn == AggCount {
		expr = "*"
	}
	return duckAggs[fn] + "(" + expr + ")"
}

// AggIf uses the FILTER clause.
func (d DuckDB) AggIf(fn Agg, expr, cond string) string {
	return d.AggOf(fn, expr) + " FILTER (WHERE " + cond + ")"
}

// ArgMax is arg_max.
func (DuckDB) ArgMax(arg, val string) string { return "arg_max(" + arg + ", " + val + ")" }

// ArgMin is arg_min.
func (DuckDB) ArgMin(arg, val string) string { return "arg_min(" + arg + ", " + val + ")" }

// ArgMinIf filters arg_min.
func (d DuckDB) ArgMinIf(arg, val, cond string) string {
	return d.ArgMin(arg, val) + " FILTER (WHERE " + cond + ")"
}

// ArgMaxIf filters arg_max.
func (d DuckDB) ArgMaxIf(arg, val, cond string) string {
	return d.ArgMax(arg, val) + " FILTER (WHERE " + cond + ")"
}

// Hash64 is DuckDB's hash (a UBIGINT).
func (DuckDB) Hash64(expr string) string { return "hash(" + expr + ")" }

// Lag is the lag window function.
func (DuckDB) Lag(expr, partition, order string) string {
	return "lag(" + expr + ") OVER (PARTITION BY " + partition + " ORDER BY " + order + ")"
}

// GapSessions numbers the sessions as the running sum (over the
// partition's rows up to the current one and those of equal ord) of the
// rows that start one: its window functions are faster than reading each
// partition into a list.
func (d DuckDB) GapSessions(src, part, ord string, cols []string) string {
	sel := strings.Join(append([]string{part, ord}, cols...), ", ")
	return "SELECT " + sel + ", sum(new) OVER (PARTITION BY " + part + " ORDER BY " + ord + ") AS sn FROM (SELECT " + sel +
		", CASE WHEN " + ord + " - " + d.Lag(ord, part, ord) + " <= ? THEN 0 ELSE 1 END AS new FROM " + src + ")"
}

// PrevRows is the lag window function.
func (d DuckDB) PrevRows(src, part string, order, cols []string, col string) string {
	return "SELECT " + strings.Join(cols, ", ") + ", " + d.Lag(col, part, strings.Join(order, ", ")) + " AS prev FROM " + src
}

// FunnelBest numbers a person's events by time and arrival (dense_rank:
// the rows of one event share its number), walks the steps with ASOF
// joins (each next step the least number above the previous step's), and
// keeps the best attempt with arg_max (a person's numbers are < 4e15).
func (d DuckDB) FunnelBest(src string, steps int, window int64) (string, []any) {
	var b strings.Builder
	var args []any
	b.WriteString(d.MaterializedCTE("ev", "SELECT pid, person, ts, step, bd, dense_rank() OVER (PARTITION BY pid ORDER BY ts, rid) AS seq FROM ("+src+")"))
	b.WriteString(", c1 AS (SELECT pid, person, bd, ts AS t1, seq AS s1 FROM ev WHERE step = 1 AND person <> '')")
	for i := 2; i <= steps; i++ {
		join := d.AsofLeftJoin(fmt.Sprintf("c%d c", i-1), fmt.Sprintf("(SELECT pid, ts, seq FROM ev WHERE step = %d) n", i),
			"c.pid = n.pid", fmt.Sprintf("coalesce(c.s%d, 9223372036854775807) < n.seq", i-1))
		fmt.Fprintf(&b, ", c%d AS (SELECT c.*, CASE WHEN n.ts <= c.t1 + ? THEN n.ts END AS t%d, CASE WHEN n.ts <= c.t1 + ? THEN n.seq END AS s%d FROM %s)",
			i, i, i, join)
		args = append(args, window, window)
	}
	depth := "1"
	cols := []string{"person", "bd", "depth"}
	for i := 1; i <= steps; i++ {
		if i > 1 {
			depth += " + " + d.Int64(fmt.Sprintf("t%d IS NOT NULL", i))
		}
		cols = append(cols, "t"+strconv.Itoa(i))
	}
	b.WriteString(", " + d.MaterializedCTE("per", "SELECT pid, "+d.UnpackRow("b", cols)+" FROM (SELECT pid, "+
		d.ArgMaxRow(cols, d.Int64("depth")+" * 4000000000000000 - s1")+" AS b FROM (SELECT *, "+depth+" AS depth FROM c"+strconv.Itoa(steps)+") GROUP BY pid)"))
	return b.String(), args
}

// MaterializedCTE asks DuckDB to compute the CTE once.
func (DuckDB) MaterializedCTE(name, body string) string {
	return name + " AS MATERIALIZED (" + body + ")"
}

// StarExcept is * EXCLUDE.
func (DuckDB) StarExcept(cols ...string) string {
	return "* EXCLUDE (" + strings.Join(cols, ", ") + ")"
}

// FirstNBy filters on the row number with QUALIFY.
func (DuckDB) FirstNBy(partition, order string) string {
	return "QUALIFY row_number() OVER (PARTITION BY " + partition + " ORDER BY " + order + ") <= ?"
}

// TopNBy filters on the row number with QUALIFY.
func (DuckDB) TopNBy(partition, order string) string {
	return "QUALIFY row_number() OVER (PARTITION BY " + partition + " ORDER BY " + order + ") <= ? ORDER BY " + partition + ", " + order
}

// CountDistinct is count(DISTINCT …).
func (DuckDB) CountDistinct(expr string) string { return "count(DISTINCT " + expr + ")" }

// ApproxDistinct is DuckDB's HyperLogLog.
func (DuckDB) ApproxDistinct(expr string) string { return "approx_count_distinct(" + expr + ")" }

// Quantile is quantile_cont, which interpolates.
func (DuckDB) Quantile(expr string, p float64) string {
	return "quantile_cont(" + expr + ", " + strconv.FormatFloat(p, 'g', -1, 64) + ")"
}

// ApproxQuantile is approx_quantile (a t-digest: fixed memory a group).
func (DuckDB) ApproxQuantile(expr string, p float64) string {
	return "approx_quantile(" + expr + ", " + strconv.FormatFloat(p, 'g', -1, 64) + ")"
}

// QuantileIf filters quantile_cont.
func (d DuckDB) QuantileIf(expr string, p float64, cond string) string {
	return d.Quantile(expr, p) + " FILTER (WHERE " + cond + ")"
}

// HexID pads hex() to 16 digits (hex drops leading zeros).
func (DuckDB) HexID(col string) string { return "lpad(lower(hex(" + col + ")), 16, '0')" }

// TraceHex concatenates the two halves.
func (d DuckDB) TraceHex(hi, lo string) string { return d.HexID(hi) + " || " + d.HexID(lo) }

// InColumn is IN over the column.
func (DuckDB) InColumn(expr, col, table string) string {
	return expr + " IN (SELECT " + col + " FROM " + table + ")"
}

// SemiJoin is DuckDB's SEMI JOIN.

func (DuckDB) SemiJoin(left, right, cond string) string {
	return left + " SEMI JOIN " + right + " ON " + cond
}

// InStrings semi-joins the unnested list, which for a list of 100 is
// about twice as fast as an IN list of 100 parameters.
func (DuckDB) InStrings(expr string) string {
	return expr + " IN (SELECT unnest(?::VARCHAR[]))"
}

// DistinctSortedIf is list_sort over list(DISTINCT …) FILTER.
func (DuckDB) DistinctSortedIf(expr, cond string) string {
	return "coalesce(list_sort(list(DISTINCT " + expr + ") FILTER (WHERE " + cond + ")), [])"
}

// ArgMinNIf is arg_min with a count, FILTER.
func (DuckDB) ArgMinNIf(arg, val string, n int, cond string) string {
	return "coalesce(arg_min(" + arg + ", " + val + ", " + strconv.Itoa(n) + ") FILTER (WHERE " + cond + "), [])"
}

// Upper upper-cases Unicode text.
func (DuckDB) Upper(expr string) string { return "upper(" + expr + ")" }

// CharLength is length, which counts characters.
func (DuckDB) CharLength(expr string) string { return "length(" + expr + ")" }

// RegexpGroup is regexp_extract of group 1 (” when no match).
func (DuckDB) RegexpGroup(expr string) string { return "regexp_extract(" + expr + ", ?, 1)" }

var duckTypes = [...]string{TypeInt64: "BIGINT", TypeFloat64: "DOUBLE", TypeString: "VARCHAR", TypeStrings: "VARCHAR[]",
	TypeInt64s: "BIGINT[]", TypeFloat64s: "DOUBLE[]"}

// Null casts NULL.
func (DuckDB) Null(t Type) string { return "NULL::" + duckTypes[t] }

// TryInt64 is try_cast.
func (DuckDB) TryInt64(expr string) string { return "try_cast(" + expr + " AS BIGINT)" }

// Left is left, which counts characters.
func (DuckDB) Left(expr string, n int) string { return "left(" + expr + ", " + strconv.Itoa(n) + ")" }

// ListIndex is list_position.
func (DuckDB) ListIndex(list, elem string) string { return "list_position(" + list + ", " + elem + ")" }

// ListHead slices the list.
func (DuckDB) ListHead(list string) string { return "(" + list + ")[1:?]" }

// ExplodeNonNull unnests the filtered list.
func (DuckDB) ExplodeNonNull(list string) string {
	return "unnest(list_filter(" + list + ", x -> x IS NOT NULL))"
}

// ArgMaxRow is arg_max of a struct (arg_max of a single column would skip
// the rows where that column is NULL).
func (DuckDB) ArgMaxRow(cols []string, val string) string {
	f := make([]string, len(cols))
	for i, c := range cols {
		f[i] = c + " := " + c
	}
	return "arg_max(struct_pack(" + strings.Join(f, ", ") + "), " + val + ")"
}

// UnpackRow unnests the struct into its fields.
func (DuckDB) UnpackRow(expr string, _ []string) string { return "unnest(" + expr + ")" }

// RowOrder is the rowid, which grows with each append.
func (DuckDB) RowOrder() string { return "rowid" }

// AsofLeftJoin is DuckDB's ASOF LEFT JOIN.
func (DuckDB) AsofLeftJoin(left, right, eq, ineq string) string {
	return left + " ASOF LEFT JOIN " + right + " ON " + eq + " AND " + ineq
}

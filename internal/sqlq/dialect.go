package sqlq

import "github.com/lore-dev/lore/internal/query"

// Agg names an aggregate function that engines spell differently, alone
// and with a condition (DuckDB's FILTER clause, ClickHouse's -If suffix).
type Agg int

// Aggregates. AggCount counts rows (its expression is ignored); AggAny
// takes any one value; AggMode the most frequent value (an empty string,
// not NULL, on ClickHouse when no row qualifies).
const (
	AggCount Agg = iota
	AggSum
	AggMin
	AggMax
	AggAny
	AggMode
	// AggMedian is the median, the mean of the middle two of an even
	// count (exact).
	AggMedian
)

// Type names a column type the analyses need a typed NULL of, in a
// UNION's first branch.
type Type int

// Types for Null.
const (
	TypeInt64 Type = iota
	TypeFloat64
	TypeString
	TypeStrings // a list of strings: empty, not NULL, where engines have no NULL list
	// Lists of integers and of nullable floats: empty, as TypeStrings.
	TypeInt64s
	TypeFloat64s
)

// Dialect holds every difference between the SQL engines Lore runs on, for
// the analyses' queries and (embedded) the search compiler's. Methods take
// and return SQL fragments; a '?' a method returns is bound by the caller,
// after those of the fragments passed in.
type Dialect interface {
	query.Dialect

	// Name is the engine's name: "duckdb", "clickhouse".
	Name() string
	// Ident quotes an identifier (a column alias that could clash with a
	// keyword).
	Ident(name string) string
	// Str spells a constant string literal. It is for the analyses' own
	// constants (an attribute key, a kind), never for values from a
	// request, which are bound.
	Str(s string) string
	// StartsWith is true when expr begins with the constant prefix.
	StartsWith(expr, prefix string) string
	// Int64 and Float64 convert a numeric expression.
	Int64(expr string) string
	Float64(expr string) string
	// IntDiv is a / b of integers rounded towards zero in both engines
	// (the analyses divide non-negative offsets).
	IntDiv(a, b string) string
	// TimeBucket numbers the steps of width step from from (both integer
	// expressions, usually placeholders) that ts falls in: 0 for the
	// first.
	TimeBucket(ts, from, step string) string

	// Attr is the value of the attribute whose key is the constant key,
	// NULL when the event has no such attribute.
	Attr(key string) string
	// AttrOr is the value of the attribute key, or the expression
	// fallback when the event has no such attribute.
	AttrOr(key, fallback string) string
	// HasAttr is true when the event has the attribute key.
	HasAttr(key string) string
	// ListContains is true when the list expression holds elem.
	ListContains(list, elem string) string
	// ListAgg aggregates expr into a list ordered by orderBy.
	ListAgg(expr, orderBy string) string
	// ListAggIf aggregates expr, over the rows where cond holds, into a
	// list ordered by orderBy: an empty list (never NULL) when none does.
	ListAggIf(expr, orderBy, cond string) string
	// DistinctSortedIf aggregates the distinct values of expr, over the
	// rows where cond holds, into a sorted list: empty (never NULL) when
	// none does.
	DistinctSortedIf(expr, cond string) string
	// ArgMinNIf aggregates arg of the n rows with the smallest val, over
	// the rows where cond holds, into a list in order of val: empty
	// (never NULL) when none does.
	ArgMinNIf(arg, val string, n int, cond string) string
	// ListLen is the number of elements of a list.
	ListLen(list string) string
	// InStrings is true when expr is one of the strings of a list bound
	// to its one placeholder (a []string): one argument however long the
	// list, where an IN list would take one per element.
	InStrings(expr string) string

	// AggOf applies fn to expr; AggIf to the rows where cond holds.
	AggOf(fn Agg, expr string) string
	AggIf(fn Agg, expr, cond string) string
	// ArgMax is arg of the row with the largest val; ArgMin the smallest.
	ArgMax(arg, val string) string
	ArgMin(arg, val string) string
	// ArgMinIf and ArgMaxIf are ArgMin and ArgMax over the rows where
	// cond holds (NULL when none does).
	ArgMinIf(arg, val, cond string) string
	ArgMaxIf(arg, val, cond string) string
	// CountDistinct counts distinct values exactly; ApproxDistinct
	// estimates it (HyperLogLog), for answers labelled approximate.
	CountDistinct(expr string) string
	ApproxDistinct(expr string) string
	// Quantile is the p-quantile (0..1) of expr, interpolated between the
	// two nearest values; ApproxQuantile estimates it from a fixed-size
	// sketch (t-digest), for answers labelled approximate.
	Quantile(expr string, p float64) string
	ApproxQuantile(expr string, p float64) string
	// QuantileIf is Quantile over the rows where cond holds (NULL when
	// none does).
	QuantileIf(expr string, p float64, cond string) string

	// Hash64 is a 64-bit hash of expr, for joining and counting ids
	// cheaply (collisions are rare enough for distinct counts).
	Hash64(expr string) string
	// Lag is expr of the previous row of the partition in order.
	Lag(expr, partition, order string) string
	// GapSessions is a SELECT (no parentheses) of the rows of src (what
	// follows FROM: a table or a parenthesised subquery with its alias,
	// and a WHERE clause if any) with the columns part, ord and cols, and
	// sn: the number, from 1, of the row's session among the rows of its
	// partition (equal part) in order of ord. A session begins at the
	// partition's first row and at each row whose ord is more than the gap
	// (one placeholder) after the previous row's: rows with equal ord are
	// in one session. Engines without window functions read each
	// partition whole.
	GapSessions(src, part, ord string, cols []string) string
	// PrevRows is a SELECT (no parentheses) of the rows of src (as in
	// GapSessions) with the columns cols, and prev: the value of the
	// column col (one of cols) of the row before it in its partition (the
	// rows of equal part, a list of columns) in order of the columns
	// order (of cols, unique within a partition); NULL for a partition's
	// first row.
	PrevRows(src, part string, order, cols []string, col string) string
	// FunnelBest is WITH items (comma-separated, "name AS (…)") ending
	// with per: for each person of src, a SELECT of the steps of the
	// events that match a funnel's (columns pid, a hash of person; person;
	// ts; rid, the row's arrival order; step, 1 to steps; bd, the
	// breakdown value; a row per step an event matches), the person's
	// best attempt at the funnel: pid, person, bd, depth and t1 … tsteps.
	// An attempt starts at a step-1 event of a person who is not ''
	// (t1, and bd, are its); each next step is the earliest event of that
	// step after the previous step's event in time, then arrival (never
	// the same event), while within window (µs) of t1: t is NULL past the
	// depth. The best attempt is the deepest, then the earliest in time
	// and arrival. args bind the items' placeholders.
	FunnelBest(src string, steps int, window int64) (items string, args []any)
	// MaterializedCTE is a WITH item computed once however often it is
	// read.
	MaterializedCTE(name, body string) string
	// StarExcept selects every column but cols.
	StarExcept(cols ...string) string
	// FirstNBy filters a SELECT to the first n (one placeholder) rows of
	// each partition in order, in no particular order of its own.
	FirstNBy(partition, order string) string
	// TopNBy ends a query: its rows ordered by partition then order,
	// keeping the first n (one placeholder) of each partition.
	TopNBy(partition, order string) string

	// HexID renders an unsigned 64-bit id column as 16 lower-case hex
	// digits; TraceHex the two halves of a trace id as 32.
	HexID(col string) string
	TraceHex(hi, lo string) string
	// Upper upper-cases text (Unicode-aware); CharLength counts its
	// characters, not bytes.
	Upper(expr string) string
	CharLength(expr string) string
	// RegexpGroup is the text of the first capturing group of the first
	// match of the bound RE2 pattern (one placeholder) in expr, '' when
	// nothing matches.
	RegexpGroup(expr string) string

	// Null is a NULL of type t (an empty list for TypeStrings on engines
	// whose lists cannot be NULL).
	Null(t Type) string
	// TryInt64 converts text to an integer, NULL when it is not one.
	TryInt64(expr string) string
	// Left is the first n characters (not bytes) of expr.
	Left(expr string, n int) string
	// ListIndex is the 1-based position of elem in list (elem must be in
	// it: engines differ on a missing one).
	ListIndex(list, elem string) string
	// ListHead is the first n (one placeholder) elements of list.
	ListHead(list string) string
	// ExplodeNonNull, in a SELECT list, yields one row per element of
	// list that is not NULL (none when all are).
	ExplodeNonNull(list string) string
	// ArgMaxRow aggregates the columns cols of the row with the largest
	// val into one value (a struct, a tuple), NULLs kept; UnpackRow, in a
	// SELECT list, spreads such a value back into columns named cols.
	ArgMaxRow(cols []string, val string) string
	UnpackRow(expr string, cols []string) string
	// RowOrder is an expression ordering a table's rows by arrival (for
	// equal timestamps).
	RowOrder() string
	// AsofLeftJoin joins to each row of left the row of right that
	// matches eq and is the closest to satisfy the inequality ineq
	// (left's column < right's), NULLs where none does.
	AsofLeftJoin(left, right, eq, ineq string) string

	// InColumn is true when expr is one of the values of column col of
	// the table (a WITH name) table.
	InColumn(expr, col, table string) string

	// SemiJoin keeps the rows of left that have a match in right on cond
	// (left and right are table expressions with their aliases).
	SemiJoin(left, right, cond string) string
}

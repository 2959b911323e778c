package query

// Dialect holds what differs between SQL engines for compiled queries. The
// compiler owns the logic (which column, which operator, NULL handling,
// escaping of LIKE patterns, binding every value as an argument); a Dialect
// only spells expressions. Every '?' a method returns is a placeholder the
// compiler binds, and it must come after the placeholders of the expr
// passed in, so that arguments stay in textual order. A Dialect must never
// put a value into the SQL text.
//
// The events table has the same column names in every engine (see
// Columns). String columns hold ” when absent (never NULL); http_status,
// duration_ms and retry_attempt are NULL when absent; trace ids are two
// unsigned 64-bit columns trace_hi and trace_lo, span ids one; attributes
// are two parallel string arrays attr_keys and attr_values.
type Dialect interface {
	// Column returns the expression for a core column, such as "level",
	// "trace_hi" or "attr_keys" (with a table alias if the store uses one).
	Column(name string) string
	// AttrValue returns the expression for the value of the attribute whose
	// key is bound to its one placeholder; NULL or '' when the event has no
	// such attribute. DuckDB: attr_values[list_position(attr_keys, ?)].
	AttrValue() string
	// ContainsFold returns a boolean expression, true when expr contains the
	// bound needle case-insensitively. The compiler binds the needle
	// lower-cased, so contains(lower(expr), ?) is a valid spelling.
	ContainsFold(expr string) string
	// Like returns a boolean expression, true when expr matches the bound
	// LIKE pattern, in which '%' and '_' are wildcards and '\' escapes the
	// next character (the compiler escapes literal '%', '_' and '\').
	Like(expr string) string
	// Match returns a boolean expression, true when expr contains a match
	// of the bound RE2 regular expression (the compiler anchors it with \A
	// and \z when the whole value must match). It must run in time linear
	// in expr, as RE2 does: DuckDB regexp_matches(expr, ?), ClickHouse
	// match(expr, ?).
	Match(expr string) string
	// Glob returns a boolean expression, true when expr matches the bound
	// wildcard pattern, an RE2 expression of literal pieces (quoted)
	// joined by [^\x00]*, anchored with \A and \z when the whole value
	// must match. Match's spelling is a valid one; DuckDB's matches long
	// values in Go, where a query stops at its deadline within a chunk.
	Glob(expr string) string
	// Lower returns expr lower-cased (Unicode-aware).
	Lower(expr string) string
	// ToDouble returns the string expr as a double, NULL when it is not a
	// number (never an error). DuckDB: TRY_CAST(expr AS DOUBLE).
	ToDouble(expr string) string
	// ToString returns the numeric expr rendered as a string.
	ToString(expr string) string
	// Uint64 returns the expression (with one placeholder) and the argument
	// for an unsigned 64-bit id compared with trace_hi, trace_lo, span_id or
	// parent_span_id. Drivers differ here (database/sql itself rejects
	// uint64 values with the high bit set), and the expression should have
	// the column's type so that the engine can prune by min/max.
	Uint64(v uint64) (expr string, arg any)
}

// TextMatcher is a Dialect that can match a group of message terms in one
// call per value, and a wildcard value in a call per value that stops at
// the query's deadline. A query of ManyTexts terms searched for inside
// values (words, phrases, wildcard words, wildcard fields) or more has
// each of its largest groups of message terms alone (joined by AND, OR
// and negation) matched by MatchTexts, and its wildcard fields by
// GlobEach: an engine that sees an interruption only between chunks of
// rows (DuckDB: 2,048) matches each term in its own pass over a chunk,
// and 150 long words over values of 4 KiB made to be slow to match held a
// core 7 to 11 s past the query's deadline (as many attribute wildcards,
// up to 21 s).
type TextMatcher interface {
	// MatchTexts returns a boolean expression, true when expr (the
	// message) matches the bound group of message terms: words, phrases
	// and wildcard words joined by AND, OR and negation, written by
	// EncodeTexts, each matched as Compile matches a *Text.
	MatchTexts(expr string) string
	// GlobEach is Glob for a query of many terms: matched value by
	// value, stopping when the query's context ends.
	GlobEach(expr string) string
}

// ManyTexts is the number of terms searched for inside values from which
// a TextMatcher dialect matches a query's message terms by MatchTexts and
// its wildcard fields by GlobEach.
const ManyTexts = 8

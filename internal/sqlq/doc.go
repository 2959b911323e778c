// Package sqlq is how an analysis states a query once for every engine: it
// builds the SQL through a Dialect, which holds each engine's spelling (the
// search compiler's expressions, see query.Dialect, and the aggregates,
// lists, time buckets and joins the analyses use), into a compiled Query
// (SQL text, bound arguments, the scope it reads, and a Key for caching)
// that a store runs with Executor.Run.
//
// The analyses own their meaning (what counts as a call, a retry, a
// failed journey); a store only executes. DuckDB is the engine today; the
// ClickHouse spelling (ClickHouse, here so that the golden tests show where
// the two differ) is used by the scale-out backend.
//
// A Dialect never puts a value into the SQL text: values are bound as
// arguments ('?'), in textual order. Only an analysis's own constants
// (an attribute key such as 'peer.service', a kind) are spelled as
// literals, through Dialect.Str.
package sqlq

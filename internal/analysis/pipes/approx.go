package pipes

// approxLevel is how a pipeline computes percentiles and uniq, which exactly
// hold every value of their group at once: the levels Run steps through
// when the engine runs out of memory.
type approxLevel int

// The levels, in the order Run tries them.
const (
	// levelExact: exact percentiles (every value sorted) and uniq (every
	// value).
	levelExact approxLevel = iota
	// levelHashedUniq: percentiles from a t-digest (fixed memory a group);
	// uniq counts distinct 64-bit hashes of the values, a fraction of the
	// memory of long strings and exact but for hash collisions (odds
	// about n²/2⁶⁵: 3·10⁻⁶ for ten million distinct values).
	levelHashedUniq
	// levelSketched: uniq from a HyperLogLog too (fixed memory a group; on
	// DuckDB 1.4 a typical error of 10%, see BENCHMARKS.md).
	levelSketched
)

// uniq is the distinct count of arg at the compiler's approxLevel.
func (c *compiler) uniq(arg frag) frag {
	switch c.approx {
	case levelExact:
		c.degradable = true
		return frag{sql: c.d.CountDistinct(arg.sql), args: arg.args, typ: Number}
	case levelHashedUniq:
		c.degradable = true
		// NULL is no value (count(DISTINCT) skips it); its hash would be one
		h := "CASE WHEN " + arg.sql + " IS NOT NULL THEN " + c.d.Hash64(arg.sql) + " END"
		return frag{sql: c.d.CountDistinct(h), args: append(append([]any{}, arg.args...), arg.args...), typ: Number, apx: true}
	}
	return frag{sql: c.d.ApproxDistinct(arg.sql), args: arg.args, typ: Number, apx: true}
}

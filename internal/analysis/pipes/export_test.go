package pipes

import "github.com/lore-dev/lore/internal/sqlq"

// CompileApprox is compile at approximation level 1 (percentiles from a
// t-digest, uniq over hashes) or 2 (uniq from a HyperLogLog too), for the
// tests that run those spellings on an engine.
func CompileApprox(p *Pipeline, d sqlq.Dialect, project, from, to int64, level int) (Compiled, error) {
	return compile(p, d, project, from, to, nil, "", approxLevel(level))
}

// Fill is what Run does with the rows an engine answered c with: a
// timechart's empty buckets filled (buckets.fill), for the tests that run
// c's SQL on an engine themselves.
func Fill(c Compiled, rows [][]any) [][]any {
	if c.fill == nil {
		return rows
	}
	return c.fill.fill(rows)
}

package sqlq

import "strings"

// OutOfMemory reports an engine's refusal to run a query within its
// memory limit (DuckDB's "Out of Memory Error", ClickHouse's
// MEMORY_LIMIT_EXCEEDED): the query asked more than the store was given,
// which a client can answer by asking less or later, not a fault of the
// server's.
func OutOfMemory(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "Out of Memory Error") || strings.Contains(s, "MEMORY_LIMIT_EXCEEDED")
}

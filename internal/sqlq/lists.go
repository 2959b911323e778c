package sqlq

import "strings"

// Strings converts a scanned list of strings (DuckDB's driver scans a
// LIST into []any; others into []string), keeping at most n values that
// are not blank.
func Strings(v any, n int) []string {
	var out []string
	add := func(s string) {
		if strings.TrimSpace(s) != "" && len(out) < n {
			out = append(out, s)
		}
	}
	switch xs := v.(type) {
	case []any:
		for _, x := range xs {
			if s, ok := x.(string); ok {
				add(s)
			}
		}
	case []string:
		for _, s := range xs {
			add(s)
		}
	}
	return out
}

// Int64s converts a scanned list of integers ([]any or []int64), never
// nil.
func Int64s(v any) []int64 {
	switch xs := v.(type) {
	case []int64:
		return append(make([]int64, 0, len(xs)), xs...)
	case []any:
		out := make([]int64, 0, len(xs))
		for _, x := range xs {
			if n, ok := x.(int64); ok {
				out = append(out, n)
			}
		}
		return out
	}
	return []int64{}
}

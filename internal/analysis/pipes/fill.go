package pipes

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// buckets fills a timechart's answer, as Grafana, Kibana and Splunk draw
// one: every bucket of the range, from the range's start aligned to the
// span to the bucket holding its end, for every series (each value of the
// by field), the engine's rows where it had events and a filler row
// elsewhere: 0 for a count (count, sum, uniq, rate), NULL for a value of
// the events (avg, min, max, percentiles), so that a count that fell to
// zero shows as zero and a chart of latencies has a gap where nothing
// happened.
//
// It fills in Go after the one statement ran, in both dialects alike: the
// compiler already refuses a span giving more than MaxRows buckets, and
// the filled answer keeps the cap of MaxRows rows, so the work is bounded
// by it however long the range.
type buckets struct {
	from, to, step int64
	// keys is the answer's group columns (the time first, then the by
	// field if any); zeros is each aggregate column's filler.
	keys  int
	zeros []any
}

// timechartFill is the filling of a pipeline's answer when its last pipe
// is a timechart of step µs buckets over [from, to); nil otherwise (the
// pipes after a timechart see its rows as the engine gives them).
func timechartFill(p *Pipeline, from, to, step int64) *buckets {
	if len(p.Pipes) == 0 || step <= 0 {
		return nil
	}
	st, ok := p.Pipes[len(p.Pipes)-1].Op.(*Stats)
	if !ok || !st.Timechart {
		return nil
	}
	b := &buckets{from: from, to: to, step: step, keys: len(st.By)}
	for _, a := range st.Aggs {
		switch a.Fn {
		case "count", "sum", "uniq":
			b.zeros = append(b.zeros, int64(0))
		case "rate":
			b.zeros = append(b.zeros, float64(0))
		default:
			b.zeros = append(b.zeros, nil)
		}
	}
	return b
}

// fill returns rows (in time order, at most MaxRows, each [time, by
// value if any, aggregates…]) with every bucket of every series, each
// bucket's series in order of their value, at most MaxRows rows. When
// rows hit MaxRows the engine's answer was cut in its last bucket and
// knew nothing after it: the buckets before are filled, that one keeps
// the rows it has, and none after it is made up.
func (b *buckets) fill(rows [][]any) [][]any {
	type at struct {
		t      int64
		series string
	}
	have := make(map[at][]any, len(rows))
	var series [][]any // each series' key values (none without by)
	seen := map[string]bool{}
	if b.keys == 1 {
		series = append(series, nil)
	}
	for _, r := range rows {
		t, ok := r[0].(int64)
		if !ok || len(r) != b.keys+len(b.zeros) {
			return rows // not a timechart's row: left as the engine gave it
		}
		k := seriesKey(r[1:b.keys])
		have[at{t, k}] = r
		if !seen[k] && b.keys > 1 {
			seen[k] = true
			series = append(series, r[1:b.keys])
		}
	}
	slices.SortFunc(series, func(x, y []any) int {
		for i := range x {
			if c := compareValues(x[i], y[i]); c != 0 {
				return c
			}
		}
		return 0
	})
	first, last := floorDiv(b.from, b.step)*b.step, floorDiv(b.to-1, b.step)*b.step
	cut := len(rows) >= MaxRows
	if cut {
		last = rows[len(rows)-1][0].(int64)
	}
	out := make([][]any, 0, min(MaxRows, len(rows)+len(series)*int((last-first)/b.step+1)))
	for t := first; t <= last; t += b.step {
		for _, s := range series {
			if len(out) >= MaxRows {
				return out
			}
			if r, ok := have[at{t, seriesKey(s)}]; ok {
				out = append(out, r)
				continue
			}
			if cut && t == last {
				continue // the engine's answer stopped inside this bucket
			}
			r := make([]any, 0, b.keys+len(b.zeros))
			r = append(append(append(r, t), s...), b.zeros...)
			out = append(out, r)
		}
	}
	return out
}

// seriesKey identifies a series by its key values (their types too: the
// number 1 and the text "1" are two series).
func seriesKey(vals []any) string {
	var b strings.Builder
	for _, v := range vals {
		fmt.Fprintf(&b, "%T:%#v\x00", v, v)
	}
	return b.String()
}

// compareValues orders an answer's values: NULL first, then booleans,
// numbers and texts, each in their own order.
func compareValues(x, y any) int {
	rank := func(v any) int {
		switch v.(type) {
		case nil:
			return 0
		case bool:
			return 1
		case int64, float64:
			return 2
		case string:
			return 3
		}
		return 4
	}
	if c := cmp.Compare(rank(x), rank(y)); c != 0 {
		return c
	}
	switch a := x.(type) {
	case bool:
		b := y.(bool)
		if a == b {
			return 0
		}
		if !a {
			return -1
		}
		return 1
	case int64, float64:
		return cmp.Compare(toFloat(x), toFloat(y))
	case string:
		return cmp.Compare(a, y.(string))
	case nil:
		return 0
	}
	return cmp.Compare(fmt.Sprint(x), fmt.Sprint(y))
}

func toFloat(v any) float64 {
	if i, ok := v.(int64); ok {
		return float64(i)
	}
	return v.(float64)
}

// floorDiv is a / b rounded down (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

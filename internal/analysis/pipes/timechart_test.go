package pipes_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/analysis/pipes"
)

// TestTimechartFillsEmptyBuckets: a timechart answers every bucket of the
// range, from its start aligned to the span to the bucket holding its end,
// as Grafana, Kibana and Splunk draw one: counts (count, sum, uniq, rate)
// are 0 where nothing happened and values of the events (avg, max,
// percentiles) are NULL, so a count that fell to zero shows and a latency
// line has a gap. Checked against the figures computed from the events.
func TestTimechartFillsEmptyBuckets(t *testing.T) {
	s := openStore(t)
	const m = 60 * sec
	// The events span 09:00–10:15; the range starts at 09:07 and ends at
	// 11:07: nine buckets of 15 minutes, 09:00 to 11:00, the last four
	// without events.
	from, to := t0+7*m, t0+127*m
	res := runOver(t, s, `| timechart span=15m count() as n, sum(duration_ms) as sum, uniq(user_id) as users, rate() as rate, avg(duration_ms) as avg, max(duration_ms) as max, p95(duration_ms) as p95`, from, to)
	if got := names(res); got != "time:time,n:number,sum:number,users:number,rate:number,avg:number,max:number,p95:number" {
		t.Fatalf("columns %s", got)
	}
	if len(res.Rows) != 9 {
		t.Fatalf("%d rows, want the 9 buckets of 09:00–11:00: %v", len(res.Rows), res.Rows)
	}
	for i, row := range res.Rows {
		b := t0 + int64(i)*15*m
		var durs []float64
		users := map[string]bool{}
		sum := 0.0
		for _, e := range shop() {
			if e.ProjectID == 1 && e.TS >= max(b, from) && e.TS < min(b+15*m, to) {
				durs = append(durs, e.DurationMS)
				users[e.UserID] = true
				sum += e.DurationMS
			}
		}
		n := float64(len(durs))
		want := []any{b, n, sum, float64(len(users)), n / 900, nil, nil, nil}
		if len(durs) > 0 {
			sort.Float64s(durs)
			want[5], want[6], want[7] = sum/n, durs[len(durs)-1], quantile(durs, 0.95)
		}
		if got, w := render([][]any{row})[0], render([][]any{want})[0]; got != w {
			t.Errorf("bucket %d = %s, want %s", i, got, w)
		}
	}

	// By a field: each series has every bucket, in time order and, within
	// a bucket, in order of the field's value. The 500s are sparse: most
	// of an endpoint's ten minutes have none.
	res = runOver(t, s, `status:500 | timechart span=10m count() as n, avg(duration_ms) as avg by endpoint`, t0, t0+120*m)
	var want [][]any
	for b := t0; b < t0+120*m; b += 10 * m {
		for _, ep := range []string{"/cart", "/pay", "/search"} {
			var durs []float64
			for _, e := range shop() {
				if e.ProjectID == 1 && e.HTTPStatus == 500 && e.Endpoint == ep && e.TS >= b && e.TS < b+10*m {
					durs = append(durs, e.DurationMS)
				}
			}
			row := []any{b, ep, float64(len(durs)), nil}
			if len(durs) > 0 {
				sum := 0.0
				for _, d := range durs {
					sum += d
				}
				row[3] = sum / float64(len(durs))
			}
			want = append(want, row)
		}
	}
	if got, w := strings.Join(render(res.Rows), "\n"), strings.Join(render(want), "\n"); got != w {
		t.Errorf("by endpoint:\n got %s\nwant %s", got, w)
	}

	// The answer keeps its cap of MaxRows rows: 7,200 seconds × 7 users
	// is 50,400 rows, of which the first MaxRows, every second complete
	// but the last.
	res = runOver(t, s, `| timechart span=1s count() by user_id`, t0, t0+120*m)
	if len(res.Rows) != pipes.MaxRows {
		t.Fatalf("%d rows, want the cap %d", len(res.Rows), pipes.MaxRows)
	}
	at := map[string]int64{}
	for _, e := range shop() {
		if e.ProjectID == 1 {
			at[fmt.Sprintf("%d|%s", e.TS, e.UserID)]++
		}
	}
	for k, row := range res.Rows {
		ts, user := t0+int64(k/7)*sec, fmt.Sprintf("u%d", k%7)
		if row[0] != ts || row[1] != user || num(row[2]) != float64(at[fmt.Sprintf("%d|%s", ts, user)]) {
			t.Fatalf("row %d = %v, want [%d %s %d]", k, row, ts, user, at[fmt.Sprintf("%d|%s", ts, user)])
		}
	}

	// A pipe after the timechart reads the engine's rows: the buckets
	// with events.
	res = runOver(t, s, `| timechart span=15m count() as n | where n >= 0`, t0, t0+120*m)
	if len(res.Rows) != 5 {
		t.Errorf("timechart | where: %d rows, want the 5 buckets with events: %v", len(res.Rows), res.Rows)
	}
}

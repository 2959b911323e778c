package pipes

import (
	"fmt"
	"testing"
)

// TestTimechartFillStopsWhereTheEngineStopped: an engine's answer cut at
// MaxRows rows knows nothing after its last row, and may have stopped
// inside its last bucket: the filling makes up no zero there (nor after),
// where a series may have had events the cut left out.
func TestTimechartFillStopsWhereTheEngineStopped(t *testing.T) {
	p, err := Parse(`| timechart span=1s count() by service`)
	if err != nil {
		t.Fatal(err)
	}
	const sec = 1_000_000
	b := timechartFill(p, 0, 7200*sec, sec)
	// three services in every second but the last, which has only "c"
	// (the engine cut "a" and "b" off at MaxRows)
	var rows [][]any
	for ts := int64(0); len(rows) < MaxRows-1; ts += sec {
		for _, s := range []string{"a", "b", "c"} {
			rows = append(rows, []any{ts, s, int64(1)})
		}
	}
	rows = append(rows, []any{rows[len(rows)-1][0].(int64) + sec, "c", int64(1)})
	got := b.fill(rows)
	if fmt.Sprint(got) != fmt.Sprint(rows) {
		t.Errorf("filled a cut answer: %d rows ending %v, want the engine's %d ending %v", len(got), got[len(got)-3:], len(rows), rows[len(rows)-3:])
	}

	// uncut, the last four of those rows are every second of the range
	// for each service (the first MaxRows of them: 0 to 3333 s), and the
	// last second's "a" is 0
	short := rows[MaxRows-4:]
	got = b.fill(short)
	first, last := short[0][0].(int64), short[len(short)-1][0].(int64)
	if len(got) != MaxRows || got[MaxRows-1][0] != last || got[MaxRows-1][1] != "a" {
		t.Errorf("%d rows ending %v, want %d ending [%d a 0]", len(got), got[len(got)-1], MaxRows, last)
	}
	for _, r := range got {
		ts := r[0].(int64)
		want := int64(0)
		if ts >= first && ts < last || ts == last && r[1] == "c" {
			want = 1
		}
		if r[2] != want {
			t.Fatalf("row %v, want count %d", r, want)
		}
	}
}

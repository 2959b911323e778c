package sim

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

func TestProductScaleIsReproducibleAndSized(t *testing.T) {
	c := ProductScale{Events: 40_000, Seed: 3}
	total, identifies := 0, 0
	persons := map[string]bool{}
	for d := range 56 {
		evs := c.Day(d)
		if d == 5 && !reflect.DeepEqual(evs, c.Day(5)) {
			t.Fatal("the same day generated twice differs")
		}
		if !slices.IsSortedFunc(evs, func(a, b ProductEvent) int { return int(a.TS - b.TS) }) {
			t.Fatalf("day %d is not in time order", d)
		}
		from, to := c.Range()
		for _, e := range evs {
			if e.TS < from || e.TS >= to {
				t.Fatalf("event at %d outside [%d, %d)", e.TS, from, to)
			}
			if e.Name == "$identify" {
				identifies++
			}
			persons[e.Device] = true
		}
		total += len(evs)
	}
	if total < 36_000 || total > 44_000 {
		t.Errorf("%d events, want about 40,000", total)
	}
	if len(persons) != c.Persons() {
		t.Errorf("%d persons, want %d", len(persons), c.Persons())
	}
	if identifies == 0 {
		t.Error("no anonymous person was identified")
	}
	var b []byte
	e := c.Day(0)[0]
	b = AppendPostHog(b, &e)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("AppendPostHog wrote invalid JSON %s: %v", b, err)
	}
	if m["event"] != e.Name || m["distinct_id"] != e.Distinct {
		t.Errorf("AppendPostHog = %s, want event %q of %q", b, e.Name, e.Distinct)
	}
}

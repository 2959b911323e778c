package fields

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/store"
)

// BenchmarkDictionary reads the dictionary from a catalogue as large as a
// busy project's month: 30 days × 24 hours × 10 services × 60 fields
// (432,000 hour rows, 1,800 day rows of values), whatever the number of
// events behind it.
func BenchmarkDictionary(b *testing.B) {
	ctx := context.Background()
	st := openStoreTB(b)
	end := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	start := end.Add(-30 * 24 * time.Hour)
	var seen []store.FieldSeen
	var vals []store.FieldValues
	for d := 0; d < 30; d++ {
		day := start.Add(time.Duration(d) * 24 * time.Hour)
		for f := 0; f < 60; f++ {
			var sk sketch
			for i := range 1000 {
				sk.add(uint64(i*7919+f) * 0x9e3779b97f4a7c15)
			}
			vals = append(vals, store.FieldValues{ProjectID: 1, Day: day.UnixMicro(), Field: fmt.Sprint("attr.", f), Sketch: sk[:], Examples: []string{"a", "b", "c"}})
			for h := 0; h < 24; h++ {
				hour := day.Add(time.Duration(h) * time.Hour).UnixMicro()
				for s := 0; s < 10; s++ {
					seen = append(seen, store.FieldSeen{ProjectID: 1, Hour: hour, Field: fmt.Sprint("attr.", f), Type: TypeString,
						Service: fmt.Sprint("svc-", s), Count: 100, FirstTS: hour, LastTS: hour + hourMicros - 1})
				}
			}
		}
	}
	if err := st.RecordFields(ctx, seen, vals); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		span time.Duration
	}{{"24h", 24 * time.Hour}, {"30d", 30 * 24 * time.Hour}} {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				d, err := Reader{Store: st}.Dictionary(ctx, Request{ProjectID: 1, From: end.Add(-c.span), To: end})
				if err != nil || len(d.Fields) != 60 {
					b.Fatalf("dictionary: %d fields, %v", len(d.Fields), err)
				}
			}
		})
	}
}

package monitor

import (
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/meta"
)

// FuzzStateMachine plays a random sequence of readings, mutes and gaps
// through Plan on a grouped monitor with pending and cooldown, and checks
// what people are told: per series, "resolved" only follows a "firing",
// never two firings in a row, never anything while muted, and the
// monitor's state is its worst series'.
func FuzzStateMachine(f *testing.F) {
	f.Add([]byte{0x13, 0x80, 0x27, 0x41, 0x05, 0xff, 0x00, 0x92})
	f.Add([]byte("a flapping service, muted at night"))
	f.Fuzz(func(t *testing.T, steps []byte) {
		m := &meta.Monitor{ID: 1, Name: "f", Kind: meta.MonitorQuery, GroupBy: "service", Op: ">", Threshold: 10,
			Window: "5m", Interval: "1m", Pending: "2m", Cooldown: "5m", Measure: "count"}
		now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
		told := map[string]string{} // the last thing sent per series
		for _, b := range steps {
			now = now.Add(time.Duration(1+b%3) * time.Minute)
			m.Muted = b&0x40 != 0
			var rs []Reading
			for i, key := range []string{"a", "b"} {
				switch (b >> (2 * i)) & 3 {
				case 0: // absent
				case 1:
					rs = append(rs, Reading{Key: key, Value: 3})
				default:
					rs = append(rs, Reading{Key: key, Value: 30})
				}
			}
			ev, fires := Plan(m, rs, nil, now)
			if m.Muted && len(fires) > 0 {
				t.Fatalf("sent %+v while muted", fires)
			}
			for _, f := range fires {
				switch {
				case f.Status == "firing" && told[f.Series] == "firing":
					t.Fatalf("two firings of %q in a row", f.Series)
				case f.Status == "resolved" && told[f.Series] != "firing":
					t.Fatalf("a resolution of %q that never fired", f.Series)
				}
				told[f.Series] = f.Status
			}
			m.Series = merge(m.Series, ev)
			m.State, m.Value = ev.State, ev.Value
			m.StateSince = ev.StateSince.Format(time.RFC3339Nano)
			for _, s := range m.Series {
				if meta.Worse(s.State, m.State) {
					t.Fatalf("series %q is %s but the monitor only %s", s.Key, s.State, m.State)
				}
				if s.Firing != (told[s.Key] == "firing") {
					t.Fatalf("series %q firing=%v but its receivers were last told %q", s.Key, s.Firing, told[s.Key])
				}
			}
		}
	})
}

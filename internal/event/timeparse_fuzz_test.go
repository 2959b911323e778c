package event

import "testing"

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2024-05-01T09:15:40.123Z", "2024-05-01 09:15:40,123+0200", "1714554940.123456", "1.7e9",
		"Sun Dec 04 04:47:44 2005", "01/May/2024:09:15:40 +0000", "2024-13-45", "-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		us, err := ParseTime(s)
		if err == nil && (us <= 0 || us > maxTS) {
			t.Fatalf("ParseTime(%q) = %d: out of range without an error", s, us)
		}
		var e Event
		var m Mapper
		m.Reset(&e)
		_ = m.Set("level", s)
		_ = m.Set("duration", s)
		_ = m.Set("@mt", s)
		_ = m.Set("trace_id", s)
		m.Finish()
	})
}

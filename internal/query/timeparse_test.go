package query

import (
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 11, 21, 14, 30, 0, 0, time.UTC)

func TestParseTime(t *testing.T) {
	f := func(in string, want time.Time) {
		t.Helper()
		got, err := ParseTime(in, testNow)
		if err != nil {
			t.Errorf("ParseTime(%q): %v", in, err)
			return
		}
		if got != want.UnixMicro() {
			t.Errorf("ParseTime(%q) = %s, want %s", in, time.UnixMicro(got).UTC(), want)
		}
	}
	f("now", testNow)
	f(" now ", testNow)
	f("now-15m", testNow.Add(-15*time.Minute))
	f("now-1h", testNow.Add(-time.Hour))
	f("now-7d", testNow.Add(-7*24*time.Hour))
	f("now-1w", testNow.Add(-7*24*time.Hour))
	f("now-1d12h", testNow.Add(-36*time.Hour))
	f("now+5m", testNow.Add(5*time.Minute))
	f("now - 90s", testNow.Add(-90*time.Second))
	f("-1h", testNow.Add(-time.Hour))
	f("-30m", testNow.Add(-30*time.Minute))
	f("2026-11-21T09:15:00Z", time.Date(2026, 11, 21, 9, 15, 0, 0, time.UTC))
	f("2026-11-21T09:15:00.123456Z", time.Date(2026, 11, 21, 9, 15, 0, 123456000, time.UTC))
	f("2026-11-21T09:15:00+02:00", time.Date(2026, 11, 21, 7, 15, 0, 0, time.UTC))
	f("2026-11-21T09:15:00", time.Date(2026, 11, 21, 9, 15, 0, 0, time.UTC))
	f("2026-11-21T09:15:00.5", time.Date(2026, 11, 21, 9, 15, 0, 500000000, time.UTC))
	f("2026-11-21 09:15:00", time.Date(2026, 11, 21, 9, 15, 0, 0, time.UTC))
	f("2026-11-21T09:15", time.Date(2026, 11, 21, 9, 15, 0, 0, time.UTC))
	f("2026-11-21", time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))
	f("1763717700", time.Unix(1763717700, 0))
	f("1763717700.25", time.Unix(1763717700, 250000000))
	f("1763717700123", time.UnixMilli(1763717700123))
	f("1763717700123456", time.UnixMicro(1763717700123456))
	f("1763717700123456789", time.UnixMicro(1763717700123457))
}

func TestParseTimeErrors(t *testing.T) {
	for _, in := range []string{"", "yesterday", "now-", "now-abc", "now*2", "2026-13-01", "2026-11-21T25:00:00Z", "1.2.3", "-", "now-5"} {
		if got, err := ParseTime(in, testNow); err == nil {
			t.Errorf("ParseTime(%q) = %d, want an error", in, got)
		}
	}
}

func TestParseRange(t *testing.T) {
	from, to, err := ParseRange("", "", testNow, time.Hour)
	if err != nil || from != testNow.Add(-time.Hour).UnixMicro() || to != testNow.UnixMicro() {
		t.Errorf(`ParseRange("", "") = %d, %d, %v; want the last hour`, from, to, err)
	}
	from, to, err = ParseRange("now-15m", "now-5m", testNow, time.Hour)
	if err != nil || from != testNow.Add(-15*time.Minute).UnixMicro() || to != testNow.Add(-5*time.Minute).UnixMicro() {
		t.Errorf(`ParseRange("now-15m", "now-5m") = %d, %d, %v`, from, to, err)
	}
	from, _, err = ParseRange("2026-11-20", "", testNow, time.Hour)
	if err != nil || from != time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC).UnixMicro() {
		t.Errorf(`ParseRange("2026-11-20", "") = %d, %v`, from, err)
	}
	if _, _, err := ParseRange("0001-01-01", "", testNow, time.Hour); err == nil || !strings.Contains(err.Error(), "longer than the limit of 400 days") {
		t.Errorf(`ParseRange("0001-01-01", "") = %v, want the range limit`, err)
	}
	if _, _, err := ParseRange("now-399d", "", testNow, time.Hour); err != nil {
		t.Errorf(`ParseRange("now-399d", ""): %v`, err)
	}
	for _, c := range [][2]string{{"now", "now-1h"}, {"now", "now"}, {"", "now-2h"}, {"bogus", ""}, {"", "bogus"}} {
		if _, _, err := ParseRange(c[0], c[1], testNow, time.Hour); err == nil {
			t.Errorf("ParseRange(%q, %q) succeeded, want an error", c[0], c[1])
		}
	}
}

func TestParseStep(t *testing.T) {
	f := func(in string, want time.Duration) {
		t.Helper()
		got, err := ParseStep(in)
		if err != nil {
			t.Errorf("ParseStep(%q): %v", in, err)
			return
		}
		if got != want.Microseconds() {
			t.Errorf("ParseStep(%q) = %dµs, want %s", in, got, want)
		}
	}
	f("1m", time.Minute)
	f("30s", 30*time.Second)
	f("1h", time.Hour)
	f("1d", 24*time.Hour)
	f("1h30m", 90*time.Minute)
	f("500ms", 500*time.Millisecond)
	f("60", time.Minute)
	for _, in := range []string{"", "0s", "-1m", "abc", "1x", "0"} {
		if got, err := ParseStep(in); err == nil {
			t.Errorf("ParseStep(%q) = %d, want an error", in, got)
		}
	}
}

func TestAutoStep(t *testing.T) {
	f := func(span time.Duration, buckets int, want time.Duration) {
		t.Helper()
		from := testNow.UnixMicro()
		if got := AutoStep(from, from+span.Microseconds(), buckets); got != want.Microseconds() {
			t.Errorf("AutoStep(%s, %d) = %s, want %s", span, buckets, time.Duration(got)*time.Microsecond, want)
		}
	}
	f(time.Hour, 60, time.Minute)
	f(time.Hour, 100, time.Minute)
	f(time.Hour, 12, 5*time.Minute)
	f(15*time.Minute, 60, 30*time.Second)
	f(time.Minute, 60, time.Second)
	f(10*time.Second, 60, time.Second)
	f(24*time.Hour, 60, 30*time.Minute)
	f(24*time.Hour, 24, time.Hour)
	f(7*24*time.Hour, 60, 3*time.Hour)
	f(30*24*time.Hour, 60, 12*time.Hour)
	f(365*24*time.Hour, 60, 7*24*time.Hour)
	f(time.Hour, 0, time.Minute)
	f(0, 60, time.Second)
}

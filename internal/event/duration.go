package event

import (
	"strconv"
	"strings"
	"time"
)

// ParseDurationMS reads a duration and returns it in milliseconds. unit is
// the unit of a bare number ("ms", "us", "ns", "s"); a value with its own
// unit overrides it: Go duration strings ("1.5s", "2m3s", "250µs") and a
// number followed by a unit with or without a space ("150 ms", "1.2sec").
func ParseDurationMS(v, unit string) (float64, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return scaleToMS(f, unit)
	}
	if d, err := time.ParseDuration(v); err == nil {
		return float64(d) / 1e6, true
	}
	// "150 ms", "1.5 sec", "20 seconds"
	i := 0
	for i < len(v) && (v[i] == '.' || v[i] == '-' || v[i] == '+' || (v[i] >= '0' && v[i] <= '9')) {
		i++
	}
	if i == 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(v[:i], 64)
	if err != nil {
		return 0, false
	}
	u, ok := unitName(strings.TrimSpace(v[i:]))
	if !ok {
		return 0, false
	}
	return scaleToMS(f, u)
}

func unitName(u string) (string, bool) {
	switch strings.ToLower(u) {
	case "ns", "nanos", "nanoseconds", "nanosecond":
		return "ns", true
	case "us", "µs", "μs", "micros", "microseconds", "microsecond":
		return "us", true
	case "ms", "millis", "milliseconds", "millisecond", "msec", "msecs":
		return "ms", true
	case "s", "sec", "secs", "second", "seconds":
		return "s", true
	case "m", "min", "mins", "minute", "minutes":
		return "m", true
	case "h", "hour", "hours":
		return "h", true
	}
	return "", false
}

func scaleToMS(f float64, unit string) (float64, bool) {
	if f != f || f < 0 || f > 1e18 {
		return 0, false
	}
	switch unit {
	case "ns":
		return f / 1e6, true
	case "us":
		return f / 1e3, true
	case "s":
		return f * 1e3, true
	case "m":
		return f * 60e3, true
	case "h":
		return f * 3600e3, true
	default:
		return f, true
	}
}

package query

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// parseDuration reads a Go duration ("1h30m", "250ms", "1.5s") extended with
// days ("7d") and weeks ("2w"). A leading sign is accepted.
func parseDuration(s string) (time.Duration, error) {
	orig := s
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var total time.Duration
	// Peel off leading day and week components, which Go does not know.
	for {
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		if i == 0 || i >= len(s) || (s[i] != 'd' && s[i] != 'w') {
			break
		}
		v, err := strconv.ParseFloat(s[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q", orig)
		}
		unit := 24 * time.Hour
		if s[i] == 'w' {
			unit *= 7
		}
		if v*float64(unit) > math.MaxInt64/2 {
			return 0, fmt.Errorf("duration %q is too long", orig)
		}
		total += time.Duration(v * float64(unit))
		s = s[i+1:]
	}
	if s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q", orig)
		}
		total += d
	} else if total == 0 && !strings.ContainsAny(orig, "dw") {
		return 0, fmt.Errorf("invalid duration %q", orig)
	}
	if neg {
		total = -total
	}
	return total, nil
}

// ParseTime reads a point in time for the API and the CLI and returns it in
// microseconds since the epoch. It accepts RFC 3339 with or without a
// fraction or zone (no zone means UTC), "2006-01-02 15:04:05", a date
// "2006-01-02", epoch seconds, milliseconds or microseconds (told apart by
// magnitude), "now", and now plus or minus a duration: "now-15m", "now-7d",
// "now+5m", or the shorthand "-1h".
func ParseTime(s string, now time.Time) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, errors.New("cannot parse time: empty")
	}
	if rest, ok := strings.CutPrefix(t, "now"); ok || t[0] == '-' || t[0] == '+' {
		if !ok {
			rest = t
		}
		rest = strings.Join(strings.Fields(rest), "")
		if rest == "" {
			return now.UnixMicro(), nil
		}
		if rest[0] != '-' && rest[0] != '+' {
			return 0, fmt.Errorf("cannot parse time %q: expected now-<duration> or now+<duration>", s)
		}
		d, err := parseDuration(rest)
		if err != nil {
			return 0, fmt.Errorf("cannot parse time %q: %w", s, err)
		}
		return now.Add(d).UnixMicro(), nil
	}
	if isEpoch(t) {
		v, err := strconv.ParseFloat(t, 64)
		if err != nil || math.IsInf(v, 0) {
			return 0, fmt.Errorf("cannot parse time %q as epoch", s)
		}
		switch a := math.Abs(v); {
		case a < 1e11: // seconds until the year 5138
			return int64(math.Round(v * 1e6)), nil
		case a < 1e14: // milliseconds
			return int64(math.Round(v * 1e3)), nil
		case a < 1e17: // microseconds
			return int64(math.Round(v)), nil
		default: // nanoseconds
			return int64(math.Round(v / 1e3)), nil
		}
	}
	for _, layout := range []string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05.999999999",
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04",
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999",
		"2006-01-02 15:04",
		"2006-01-02",
	} {
		if tm, err := time.Parse(layout, t); err == nil {
			return tm.UnixMicro(), nil
		}
	}
	return 0, fmt.Errorf("cannot parse time %q: want RFC 3339, a date, epoch seconds or now-1h", s)
}

func isEpoch(s string) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
		default:
			return false
		}
	}
	return digits > 0
}

// ParseRange reads a time range: an empty from means now-defaultFrom, an
// empty to means now. It is an error when from is not before to.
func ParseRange(from, to string, now time.Time, defaultFrom time.Duration) (fromUS, toUS int64, err error) {
	fromUS, toUS = now.Add(-defaultFrom).UnixMicro(), now.UnixMicro()
	if strings.TrimSpace(from) != "" {
		if fromUS, err = ParseTime(from, now); err != nil {
			return 0, 0, fmt.Errorf("from: %w", err)
		}
	}
	if strings.TrimSpace(to) != "" {
		if toUS, err = ParseTime(to, now); err != nil {
			return 0, 0, fmt.Errorf("to: %w", err)
		}
	}
	if fromUS >= toUS {
		return 0, 0, fmt.Errorf("time range from %q to %q is empty: from must be before to", from, to)
	}
	if toUS-fromUS > MaxRange.Microseconds() {
		return 0, 0, fmt.Errorf("time range from %q to %q is %d days, longer than the limit of %d days",
			from, to, (toUS-fromUS)/(24*time.Hour).Microseconds(), int(MaxRange.Hours()/24))
	}
	return fromUS, toUS, nil
}

// MaxRange is the longest time range a read takes (the README's limits
// table); an analysis may take less (stories: 31 days).
const MaxRange = 400 * 24 * time.Hour

// ParseStep reads a bucket width ("30s", "1m", "1h", "1d", or any Go
// duration; a bare number is seconds) and returns it in microseconds.
func ParseStep(s string) (int64, error) {
	t := strings.TrimSpace(s)
	var us int64
	if v, err := strconv.ParseFloat(t, 64); err == nil && !math.IsInf(v, 0) && !math.IsNaN(v) {
		us = int64(v * 1e6)
	} else {
		d, err := parseDuration(t)
		if err != nil {
			return 0, fmt.Errorf("cannot parse step %q: %w", s, err)
		}
		us = d.Microseconds()
	}
	if us <= 0 {
		return 0, fmt.Errorf("step %q must be at least 1µs", s)
	}
	return us, nil
}

// AutoStep picks a round bucket width (1s, 5s, 10s, 30s, 1m, 5m, 10m, 30m,
// 1h, 3h, 6h, 12h, 1d, then whole days) that cuts [fromUS, toUS) into about
// targetBuckets buckets, never more.
func AutoStep(fromUS, toUS int64, targetBuckets int) int64 {
	const s = int64(time.Second / time.Microsecond)
	steps := []int64{1 * s, 5 * s, 10 * s, 30 * s, 60 * s, 300 * s, 600 * s, 1800 * s,
		3600 * s, 3 * 3600 * s, 6 * 3600 * s, 12 * 3600 * s, 86400 * s}
	if targetBuckets <= 0 {
		targetBuckets = 60
	}
	span := toUS - fromUS
	if span <= 0 {
		return steps[0]
	}
	for _, st := range steps {
		if span/st <= int64(targetBuckets) && (span%st == 0 || span/st < int64(targetBuckets)) {
			return st
		}
	}
	day := steps[len(steps)-1]
	days := (span/int64(targetBuckets) + day - 1) / day
	return days * day
}

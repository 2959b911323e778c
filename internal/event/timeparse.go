package event

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ErrInvalidTime is wrapped by ParseTime's errors.
var ErrInvalidTime = errors.New("invalid timestamp")

// maxTS is 9999-12-31T23:59:59.999999Z in microseconds: timestamps past it
// (or before the epoch) are rejected rather than stored.
const maxTS = 253402300799999999

// ParseTime reads a timestamp as loggers write it and returns microseconds
// since the Unix epoch, UTC:
//
//   - RFC 3339 / ISO 8601 with 'T' or a space, '.' or ',' before the
//     fraction, a zone of Z, ±hh:mm, ±hhmm, ±hh or " UTC", or no zone
//     (taken as UTC): "2024-05-01T09:15:40.123Z", "2024-05-01 09:15:40,123";
//     also "2024/05/01 09:15:40" (Go's log package) and a bare date;
//   - epoch seconds, milliseconds, microseconds or nanoseconds as a number
//     or numeric string, the unit picked by magnitude (below 1e11 seconds,
//     below 1e14 milliseconds, below 1e17 microseconds, else nanoseconds);
//     fractions are kept to the microsecond ("1714554940.123456");
//   - RFC 1123, ANSIC ("Sun Dec 04 04:47:44 2005", as Apache writes),
//     Unix date and the access-log layout "01/May/2024:09:15:40 +0000".
//
// Errors wrap ErrInvalidTime and quote s.
func ParseTime(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("%w: empty value", ErrInvalidTime)
	}
	if us, ok := parseEpoch(s); ok {
		return checkRange(s, us)
	}
	if us, ok, bad := parseISO(s); ok {
		return checkRange(s, us)
	} else if bad {
		return 0, fmt.Errorf("%w: cannot parse %q", ErrInvalidTime, s)
	}
	for _, layout := range fallbackLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return checkRange(s, t.UnixMicro())
		}
	}
	return 0, fmt.Errorf("%w: cannot parse %q", ErrInvalidTime, s)
}

var fallbackLayouts = [...]string{
	time.RFC1123Z,
	time.RFC1123,
	time.ANSIC,
	time.UnixDate,
	time.RubyDate,
	time.RFC850,
	"02/Jan/2006:15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04:05",
	"Jan 2, 2006 15:04:05",
}

func checkRange(s string, us int64) (int64, error) {
	if us <= 0 || us > maxTS {
		return 0, fmt.Errorf("%w: %q is out of range", ErrInvalidTime, s)
	}
	return us, nil
}

// ParseEpoch reads a number of seconds, milliseconds, microseconds or
// nanoseconds since the epoch, picking the unit by magnitude as ParseTime
// does, and returns microseconds. ok is false when s is not a number.
func ParseEpoch(s string) (us int64, ok bool) { return parseEpoch(strings.TrimSpace(s)) }

func parseEpoch(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	i := 0
	if s[0] == '-' || s[0] == '+' {
		i++
	}
	intEnd := i
	for intEnd < len(s) && s[intEnd] >= '0' && s[intEnd] <= '9' {
		intEnd++
	}
	if intEnd == i {
		return 0, false
	}
	if intEnd == len(s) || (s[intEnd] == '.' && allDigits(s[intEnd+1:])) {
		// Exact decimal: integer part and up to nine fraction digits.
		if intEnd-i > 19 {
			return 0, false
		}
		ip, err := strconv.ParseInt(s[:intEnd], 10, 64)
		if err != nil {
			return 0, false
		}
		frac := ""
		if intEnd < len(s) {
			frac = s[intEnd+1:]
		}
		return epochToMicros(ip, frac), true
	}
	// Exponent form, as some encoders print large floats.
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	a := math.Abs(f)
	switch {
	case a < 1e11:
		f *= 1e6
	case a < 1e14:
		f *= 1e3
	case a < 1e17:
	default:
		f /= 1e3
	}
	if math.Abs(f) > 9e18 {
		return 0, false
	}
	return int64(math.Round(f)), true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// epochToMicros scales ip (with decimal fraction digits frac) to
// microseconds by ip's magnitude.
func epochToMicros(ip int64, frac string) int64 {
	a := ip
	if a < 0 {
		a = -a
	}
	var mul int64 // microseconds per unit
	switch {
	case a < 1e11:
		mul = 1e6
	case a < 1e14:
		mul = 1e3
	case a < 1e17:
		mul = 1
	default:
		return ip / 1e3
	}
	us := ip * mul
	// fraction digits of one unit, truncated to the microsecond
	var f int64
	scale := mul
	for j := 0; j < len(frac) && scale > 1; j++ {
		scale /= 10
		f += int64(frac[j]-'0') * scale
	}
	if ip < 0 {
		return us - f
	}
	return us + f
}

// parseISO reads "YYYY-MM-DD[(T| )hh:mm[:ss[(.|,)frac]]][zone]". bad is true
// when s has the shape of such a date but impossible values (month 13), so
// the caller reports it instead of trying other layouts.
func parseISO(s string) (us int64, ok, bad bool) {
	if len(s) < 10 || s[4] != s[7] || (s[4] != '-' && s[4] != '/') {
		return 0, false, false
	}
	y, ok1 := num(s[0:4])
	mo, ok2 := num(s[5:7])
	d, ok3 := num(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return 0, false, false
	}
	var h, mi, sec, nsec int
	rest := s[10:]
	if rest != "" {
		if rest[0] != 'T' && rest[0] != 't' && rest[0] != ' ' && rest[0] != '_' {
			return 0, false, false
		}
		rest = rest[1:]
		if len(rest) < 5 || rest[2] != ':' {
			return 0, false, true
		}
		var okh, okm bool
		h, okh = num(rest[0:2])
		mi, okm = num(rest[3:5])
		if !okh || !okm {
			return 0, false, true
		}
		rest = rest[5:]
		if len(rest) >= 3 && rest[0] == ':' {
			var oks bool
			if sec, oks = num(rest[1:3]); !oks {
				return 0, false, true
			}
			rest = rest[3:]
			if len(rest) > 1 && (rest[0] == '.' || rest[0] == ',') {
				j := 1
				scale := 100000000
				for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
					nsec += int(rest[j]-'0') * scale
					scale /= 10
					j++
				}
				if j == 1 {
					return 0, false, true
				}
				rest = rest[j:]
			}
		}
	}
	off, okz := parseZone(rest)
	if !okz {
		return 0, false, true
	}
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(mo, y) || h > 23 || mi > 59 || sec > 60 {
		return 0, false, true
	}
	if sec == 60 {
		sec = 59 // leap second
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, nsec, time.UTC)
	return t.UnixMicro() - int64(off)*1e6, true, false
}

// parseZone reads what follows the time: nothing (UTC), Z, UTC, GMT,
// ±hh:mm, ±hhmm or ±hh, optionally after a space. It returns the offset
// in seconds east of UTC.
func parseZone(z string) (int, bool) {
	z = strings.TrimLeft(z, " ")
	switch z {
	case "", "Z", "z", "UTC", "GMT", "+00:00", "-00:00", "+0000":
		return 0, true
	}
	if z[0] != '+' && z[0] != '-' {
		return 0, false
	}
	sign := 1
	if z[0] == '-' {
		sign = -1
	}
	d := z[1:]
	var hh, mm string
	switch {
	case len(d) == 5 && d[2] == ':':
		hh, mm = d[:2], d[3:]
	case len(d) == 4:
		hh, mm = d[:2], d[2:]
	case len(d) == 2:
		hh, mm = d, "00"
	default:
		return 0, false
	}
	h, ok1 := num(hh)
	m, ok2 := num(mm)
	if !ok1 || !ok2 || h > 23 || m > 59 {
		return 0, false
	}
	return sign * (h*3600 + m*60), true
}

func num(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(s) > 0
}

func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

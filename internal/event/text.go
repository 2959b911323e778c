package event

import (
	"strings"
	"unicode/utf8"
)

// ValidText is s as a store keeps it: valid UTF-8, with invalid bytes and
// NUL bytes replaced by U+FFFD. Engines reject invalid UTF-8 (DuckDB aborts
// the process on a bound VARCHAR that is not), and a NUL ends a C string.
// Every string bound to a store goes through here; it returns s itself
// (no copy) when s is already valid, which is nearly always.
func ValidText(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == 0 || c >= utf8.RuneSelf {
			return validText(s, i)
		}
	}
	return s
}

// validText is ValidText for s whose bytes before i are plain ASCII.
func validText(s string, i int) string {
	rest := s[i:]
	if strings.IndexByte(rest, 0) < 0 && utf8.ValidString(rest) {
		return s
	}
	rest = strings.ToValidUTF8(rest, "\uFFFD")
	return s[:i] + strings.ReplaceAll(rest, "\x00", "\uFFFD")
}

// CutText is ValidText(s) cut to at most n bytes on a rune boundary, so
// that a cut never leaves half a UTF-8 sequence. n < 0 is taken as 0.
func CutText(s string, n int) string {
	s = ValidText(s)
	if n < 0 {
		n = 0
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

package sourcemap

import (
	"regexp"
	"strings"
)

// Source is a minified file: its text and line starts, to find where a
// minified function is declared.
type Source struct {
	text  string
	lines []int // byte offset of each line's start
}

// NewSource indexes a minified file's lines.
func NewSource(text string) *Source {
	s := &Source{text: text, lines: []int{0}}
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			s.lines = append(s.lines, i+1)
		}
	}
	return s
}

// offset is the byte offset of (line, col), both from 1; -1 when outside.
func (s *Source) offset(line, col int) int {
	if line < 1 || line > len(s.lines) {
		return -1
	}
	o := s.lines[line-1] + col - 1
	if o < 0 || o > len(s.text) {
		return -1
	}
	return o
}

// position is the (line, col), from 1, of byte offset o.
func (s *Source) position(o int) (int, int) {
	lo, hi := 0, len(s.lines)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if s.lines[mid] <= o {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo + 1, o - s.lines[lo] + 1
}

// declarationBefore finds the last declaration of the function id before
// byte offset end: "function id(", "id=function", "id=(…)=>", "id=async",
// "id(…){" as a method; it returns the offset of id there, or -1. The
// nearest one before the frame is the function the frame runs in: a
// minifier reuses short names in separate scopes, never in one.
func (s *Source) declarationBefore(id string, end int) int {
	if end > len(s.text) {
		end = len(s.text)
	}
	q := regexp.QuoteMeta(id)
	re := regexp.MustCompile(`(?:function\*?\s*` + q + `\s*\(|(?:^|[^\w$.])` + q + `\s*[=:]\s*(?:async\s*)?(?:function\b|\(|[\w$]+\s*=>)|(?:^|[;{},]\s*)(?:async\s+|static\s+|get\s+|set\s+)?` + q + `\s*\([^()]*\)\s*\{)`)
	// Search a window before the frame: declarations are close to their
	// bodies' code in a bundle, and the whole file may be megabytes.
	start := max(0, end-256<<10)
	best := -1
	for _, m := range re.FindAllStringIndex(s.text[start:end], -1) {
		i := strings.Index(s.text[start+m[0]:start+m[1]], id)
		if i >= 0 {
			best = start + m[0] + i
		}
	}
	return best
}

// reFuncDecl finds a named function in original source: a declaration, a
// method, or a function assigned to a name.
var reFuncDecl = regexp.MustCompile(`(?:function\*?\s+([\w$]+)\s*\(|([\w$]+)\s*[=:]\s*(?:async\s*)?(?:function\b|\([^()]*\)\s*=>|[\w$]+\s*=>)|^\s*(?:async\s+|static\s+)?([\w$]+)\s*\([^()]*\)\s*\{)`)

var notNames = map[string]bool{"if": true, "for": true, "while": true, "switch": true, "catch": true, "return": true, "function": true, "with": true}

// enclosingFunction guesses the function an original line is in, from the
// source: the nearest declaration at or above it (at most 200 lines up).
// Used when the minified bundle itself was not uploaded.
func enclosingFunction(content string, line int) string {
	lines := strings.Split(content, "\n")
	if line < 1 || line > len(lines) {
		return ""
	}
	for i := line - 1; i >= 0 && i >= line-200; i-- {
		ms := reFuncDecl.FindAllStringSubmatch(lines[i], -1)
		for j := len(ms) - 1; j >= 0; j-- {
			for _, g := range ms[j][1:] {
				if g != "" && !notNames[g] {
					return g
				}
			}
		}
	}
	return ""
}

// contextLines returns up to n lines before line, the line, and up to n
// after, from content.
func contextLines(content string, line, n int) (pre []string, cur string, post []string, ok bool) {
	lines := strings.Split(content, "\n")
	if line < 1 || line > len(lines) {
		return nil, "", nil, false
	}
	trim := func(s string) string {
		s = strings.TrimRight(s, "\r")
		if len(s) > 300 {
			s = s[:300] + "…"
		}
		return s
	}
	for i := max(0, line-1-n); i < line-1; i++ {
		pre = append(pre, trim(lines[i]))
	}
	for i := line; i < len(lines) && i < line+n; i++ {
		post = append(post, trim(lines[i]))
	}
	return pre, trim(lines[line-1]), post, true
}

package issue

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// Frame is one stack frame, as Sentry SDKs send it.
type Frame struct {
	Function    string   `json:"function,omitempty"`
	Module      string   `json:"module,omitempty"`
	Filename    string   `json:"filename,omitempty"`
	AbsPath     string   `json:"abs_path,omitempty"`
	Lineno      int      `json:"lineno,omitempty"`
	Colno       int      `json:"colno,omitempty"`
	InApp       bool     `json:"in_app"`
	ContextLine string   `json:"context_line,omitempty"`
	PreContext  []string `json:"pre_context,omitempty"`
	PostContext []string `json:"post_context,omitempty"`
}

// Exception is one exception of an error event: its type, value (message)
// and stack trace, oldest frame first (Sentry's order).
type Exception struct {
	Type   string  `json:"type,omitempty"`
	Value  string  `json:"value,omitempty"`
	Module string  `json:"module,omitempty"`
	Frames []Frame `json:"frames,omitempty"`
}

// DefaultComponents returns what the default grouping hashes, so tests and
// the API can show why two events group together:
//
//   - when any exception has in-app frames (or, failing that, any frames),
//     the type of each exception and the module and function of each such
//     frame — no line numbers or file paths, so moving code does not split
//     a group, and a different call path does;
//   - otherwise the type of the last exception and its normalized message,
//     or the normalized message alone.
func DefaultComponents(excs []Exception, message string) []string {
	var comps []string
	for _, inAppOnly := range []bool{true, false} {
		comps = comps[:0]
		frames := 0
		for _, e := range excs {
			comps = append(comps, "type:"+e.Type)
			for _, f := range e.Frames {
				if inAppOnly && !f.InApp {
					continue
				}
				fn := f.Function
				if fn == "" {
					fn = "?"
				}
				mod := f.Module
				if mod == "" {
					mod = frameFile(f)
				}
				comps = append(comps, "frame:"+mod+"."+normalizeFunction(fn))
				frames++
			}
		}
		if frames > 0 {
			return comps
		}
	}
	comps = comps[:0]
	if n := len(excs); n > 0 {
		e := excs[n-1]
		comps = append(comps, "type:"+e.Type)
		if e.Value != "" {
			message = e.Value
		}
	}
	return append(comps, "message:"+NormalizeMessage(message))
}

// frameFile is the file of a frame without its directory, for frames that
// name no module (JavaScript, Python without module).
func frameFile(f Frame) string {
	p := f.Filename
	if p == "" {
		p = f.AbsPath
	}
	if i := strings.LastIndexAny(p, "/\\"); i >= 0 {
		p = p[i+1:]
	}
	return p
}

// normalizeFunction removes what changes between builds without changing
// the code path: Go's anonymous function counters (func1.2) and
// JavaScript's "Object.<anonymous>" noise stay; numeric suffixes go.
func normalizeFunction(fn string) string {
	return reFuncNum.ReplaceAllString(fn, "func")
}

var reFuncNum = regexp.MustCompile(`func\d+(\.\d+)*`)

// Masks applied by NormalizeMessage, in order. Each replaces a kind of
// value that differs between occurrences of one bug.
var messageMasks = []struct {
	re   *regexp.Regexp
	mask string
}{
	{regexp.MustCompile(`"[^"]*"|'[^']*'|` + "`[^`]*`"), "<quoted>"},
	{regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`), "<email>"},
	{regexp.MustCompile(`(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`), "<uuid>"},
	{regexp.MustCompile(`\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b`), "<ip>"},
	{regexp.MustCompile(`(?i)\b[0-9a-f:]*::[0-9a-f:]+\b`), "<ip>"},
	{regexp.MustCompile(`(?i)\b0x[0-9a-f]+\b`), "<hex>"},
	{regexp.MustCompile(`(?i)\b(?:[0-9a-f]*[0-9][0-9a-f]*[a-f][0-9a-f]*|[0-9a-f]*[a-f][0-9a-f]*[0-9][0-9a-f]*)\b`), "<hex>"},
	{regexp.MustCompile(`[-+]?\b\d+(\.\d+)?([eE][-+]?\d+)?(ms|s|µs|ns|m|h)?\b`), "<num>"},
}

// NormalizeMessage masks the variable parts of an error message — quoted
// values, emails, UUIDs, IP addresses, hex ids and numbers — so that
// "order 1234 not found" and "order 98 not found" group together.
func NormalizeMessage(m string) string {
	m = strings.TrimSpace(m)
	if len(m) > 1024 {
		m = m[:1024]
	}
	for _, mk := range messageMasks {
		m = mk.re.ReplaceAllString(m, mk.mask)
	}
	return m
}

// DefaultPlaceholder is the fingerprint entry an SDK sends to mean "the
// grouping Lore would do by itself".
const DefaultPlaceholder = "{{ default }}"

// Fingerprint hashes the grouping components into the 32-hex-digit value
// stored in the events' fingerprint column.
func Fingerprint(components []string) string {
	h := sha256.New()
	for _, c := range components {
		h.Write([]byte(c))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Components resolves an SDK-sent fingerprint: each "{{ default }}" entry
// (spelt with or without spaces) is replaced by the default components; an
// empty SDK fingerprint means the default alone.
func Components(sdk []string, def []string) []string {
	if len(sdk) == 0 {
		return def
	}
	out := make([]string, 0, len(sdk)+len(def))
	for _, s := range sdk {
		if isDefault(s) {
			out = append(out, def...)
			continue
		}
		out = append(out, "sdk:"+s)
	}
	return out
}

func isDefault(s string) bool {
	s = strings.ReplaceAll(s, " ", "")
	return s == "{{default}}"
}

// Culprit names where an error happened: the innermost in-app frame of the
// last exception ("module in function"), else its innermost frame.
func Culprit(excs []Exception) string {
	if len(excs) == 0 {
		return ""
	}
	frames := excs[len(excs)-1].Frames
	for _, inAppOnly := range []bool{true, false} {
		for i := len(frames) - 1; i >= 0; i-- {
			f := frames[i]
			if inAppOnly && !f.InApp {
				continue
			}
			mod := f.Module
			if mod == "" {
				mod = frameFile(f)
			}
			if f.Function == "" {
				return mod
			}
			return mod + " in " + f.Function
		}
	}
	return ""
}

// Title is an issue's headline: "Type: message", or the message alone.
func Title(errType, message string) string {
	message = firstLine(message)
	if errType != "" {
		message = strings.TrimPrefix(message, errType+": ")
	}
	switch {
	case errType == "" && message == "":
		return "(no message)"
	case errType == "":
		return message
	case message == "":
		return errType
	}
	return errType + ": " + message
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

package exception

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
//     a group, and a different call path does. A file's content hash
//     ("index-3f9a2b.js") is left out, and so is the function of a
//     minified frame (a build renames rA to nA): when no frame has a
//     usable function, the normalized message of the last exception
//     joins the components;
//   - otherwise the type of the last exception and its normalized message,
//     or the normalized message alone.
func DefaultComponents(excs []Exception, message string) []string {
	var comps []string
	for _, inAppOnly := range []bool{true, false} {
		comps = comps[:0]
		frames, named := 0, 0
		for _, e := range excs {
			comps = append(comps, "type:"+e.Type)
			for _, f := range e.Frames {
				if inAppOnly && !f.InApp {
					continue
				}
				fn := f.Function
				if Minified(f) {
					fn = ""
				}
				if fn == "" {
					fn = "?"
				} else {
					named++
				}
				mod := f.Module
				if mod == "" {
					mod = StableFile(f)
				}
				comps = append(comps, "frame:"+mod+"."+normalizeFunction(fn))
				frames++
			}
		}
		if frames > 0 {
			if named == 0 {
				if n := len(excs); n > 0 && excs[n-1].Value != "" {
					message = excs[n-1].Value
				}
				comps = append(comps, "message:"+NormalizeMessage(message))
			}
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

// StableFile is a frame's file name without its directory, query and
// content hash, the same across builds and hosts: "index-3f9a2b.js",
// "app.3f9a2b1c.js" and "main.3f9a2b.chunk.js?v=2" read "index.js",
// "app.js" and "main.chunk.js".
func StableFile(f Frame) string {
	p := frameFile(f)
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	return reContentHash.ReplaceAllStringFunc(p, func(m string) string {
		if strings.ContainsAny(m[1:], "0123456789") {
			return "."
		}
		return m
	})
}

// reContentHash matches a "-hash" or ".hash" part of a file name: 6 to 32
// letters and digits followed by a dot (the hash contains a digit; checked
// by StableFile, so "vendor-react.js" stays).
var reContentHash = regexp.MustCompile(`[-.][A-Za-z0-9_]{6,32}(?:\.)`)

// Minified reports whether f is a frame of minified JavaScript: a script
// whose lines run past a few hundred columns, or a one- or two-letter
// function name in a .js file. Such names change with every build.
func Minified(f Frame) bool {
	name := frameFile(f)
	if i := strings.IndexAny(name, "?#"); i >= 0 {
		name = name[:i]
	}
	if !strings.HasSuffix(name, ".js") && !strings.HasSuffix(name, ".mjs") && !strings.HasSuffix(name, ".cjs") {
		return false
	}
	if f.Colno > 500 {
		return true
	}
	fn := f.Function
	if i := strings.LastIndexByte(fn, '.'); i >= 0 {
		fn = fn[i+1:]
	}
	return len(fn) > 0 && len(fn) <= 2
}

// normalizeFunction removes what changes between builds without changing
// the code path: Go's anonymous function counters (func1.2) and
// JavaScript's "Object.<anonymous>" noise stay; numeric suffixes go.
func normalizeFunction(fn string) string {
	return reFuncNum.ReplaceAllString(fn, "func")
}

var reFuncNum = regexp.MustCompile(`func\d+(\.\d+)*`)

// Masks applied by NormalizeMessage, in order. Each replaces a kind of
// value that differs between occurrences of one bug. may is a cheap test
// that holds for every text the expression can match (checked by
// FuzzMessageMasks), so that the expression runs only where it may.
var messageMasks = []struct {
	re   *regexp.Regexp
	mask string
	may  func(string) bool
}{
	{regexp.MustCompile(`"[^"]*"|'[^']*'|` + "`[^`]*`"), "<quoted>", func(m string) bool { return strings.ContainsAny(m, "\"'`") }},
	{regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`), "<email>", func(m string) bool { return strings.IndexByte(m, '@') >= 0 }},
	{regexp.MustCompile(`(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`), "<uuid>", func(m string) bool { return strings.Count(m, "-") >= 4 }},
	{regexp.MustCompile(`\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b`), "<ip>", func(m string) bool { return strings.Count(m, ".") >= 3 }},
	{regexp.MustCompile(`(?i)\b[0-9a-f:]*::[0-9a-f:]+\b`), "<ip>", func(m string) bool { return strings.Contains(m, "::") }},
	{regexp.MustCompile(`(?i)\b0x[0-9a-f]+\b`), "<hex>", func(m string) bool { return strings.Contains(m, "0x") || strings.Contains(m, "0X") }},
	{regexp.MustCompile(`(?i)\b(?:[0-9a-f]*[0-9][0-9a-f]*[a-f][0-9a-f]*|[0-9a-f]*[a-f][0-9a-f]*[0-9][0-9a-f]*)\b`), "<hex>", hasDigit},
	{regexp.MustCompile(`[-+]?\b\d+(\.\d+)?([eE][-+]?\d+)?(ms|s|µs|ns|m|h)?\b`), "<num>", hasDigit},
}

// hasDigit reports whether m holds an ASCII digit (\d in Go's regexp).
func hasDigit(m string) bool { return strings.ContainsAny(m, "0123456789") }

// NormalizeMessage masks the variable parts of an error message — quoted
// values, emails, UUIDs, IP addresses, hex ids and numbers — so that
// "order 1234 not found" and "order 98 not found" group together.
func NormalizeMessage(m string) string {
	m = strings.TrimSpace(m)
	if len(m) > 1024 {
		m = m[:1024]
	}
	for _, mk := range messageMasks {
		if mk.may(m) {
			m = mk.re.ReplaceAllString(m, mk.mask)
		}
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
// last exception with a function name ("module in function"), skipping
// anonymous functions (a callback inside reduce) for the nearest named
// in-app frame; else the innermost in-app frame, else the innermost frame.
func Culprit(excs []Exception) string {
	if len(excs) == 0 {
		return ""
	}
	frames := excs[len(excs)-1].Frames
	name := func(f Frame) string {
		mod := f.Module
		if mod == "" {
			mod = StableFile(f)
		}
		if f.Function == "" {
			return mod
		}
		return mod + " in " + f.Function
	}
	for i := len(frames) - 1; i >= 0; i-- {
		if f := frames[i]; f.InApp && !Anonymous(f.Function) {
			return name(f)
		}
	}
	for _, inAppOnly := range []bool{true, false} {
		for i := len(frames) - 1; i >= 0; i-- {
			if f := frames[i]; !inAppOnly || f.InApp {
				return name(f)
			}
		}
	}
	return ""
}

// Anonymous reports whether a frame's function has no name of its own:
// empty, "?", "<anonymous>", "anonymous", or a method of one
// ("Server.?", "HTMLButtonElement.<anonymous>").
func Anonymous(fn string) bool {
	if i := strings.LastIndexByte(fn, '.'); i >= 0 && !strings.HasSuffix(fn, ".") {
		fn = fn[i+1:]
	}
	switch fn {
	case "", "?", "<anonymous>", "anonymous", "<anon>", "<lambda>":
		return true
	}
	return false
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

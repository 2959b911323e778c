package agent

import (
	"regexp"
	"strings"
)

// joiner groups lines into records: a stack trace (Go panics, Java and
// Node "at" frames, Python tracebacks, "Caused by:" chains) stays with the
// line that logged it. JSON lines are always records of their own.
type joiner struct {
	lines []string
	mode  traceMode
	bytes int
}

type traceMode int

const (
	modeNone     traceMode = iota
	modePython             // inside "Traceback (most recent call last):"
	modePythonEx           // after a traceback's exception line (a chained one may follow)
	modeGo                 // inside a Go panic's goroutine dump
)

// Records longer than these are cut, so one runaway trace cannot hold
// the agent's memory.
const (
	maxRecordLines = 2000
	maxRecordBytes = 512 << 10
)

var (
	javaException = regexp.MustCompile(`^(Exception in thread "[^"]*" )?[a-zA-Z_$][\w$]*(\.[\w$]+)+(Exception|Error|Throwable)(: |$)`)
	moreFrames    = regexp.MustCompile(`^\.\.\. \d+ (more|common frames omitted)`)
	goFrame       = regexp.MustCompile(`^[\w./*()\[\]{}-]+\(.*\)$`)
)

// add takes the next line; it returns the record the line completes (the
// previous one, when the line starts a new record), or nil.
func (j *joiner) add(line string) []string {
	if j.continues(line) && len(j.lines) < maxRecordLines && j.bytes+len(line) < maxRecordBytes {
		j.lines = append(j.lines, line)
		j.bytes += len(line) + 1
		return nil
	}
	done := j.flush()
	if strings.TrimSpace(line) == "" {
		return done // a blank line outside a trace is no record
	}
	j.lines = append(j.lines, line)
	j.bytes = len(line) + 1
	j.mode = modeNone
	switch {
	case strings.HasPrefix(line, "panic: "), strings.HasPrefix(line, "fatal error: "), isGoroutine(line):
		j.mode = modeGo
	case strings.HasPrefix(line, "Traceback (most recent call last):"):
		j.mode = modePython
	}
	return done
}

// flush returns the record being joined, if any, and starts afresh.
func (j *joiner) flush() []string {
	if len(j.lines) == 0 {
		return nil
	}
	out := j.lines
	for len(out) > 1 && strings.TrimSpace(out[len(out)-1]) == "" {
		out = out[:len(out)-1]
	}
	j.lines, j.bytes, j.mode = nil, 0, modeNone
	return out
}

// pending reports whether a record is being joined.
func (j *joiner) pending() bool { return len(j.lines) > 0 }

func (j *joiner) continues(line string) bool {
	if len(j.lines) == 0 {
		return false
	}
	if strings.HasPrefix(line, "{") {
		return false
	}
	indented := line != "" && (line[0] == ' ' || line[0] == '\t')
	switch j.mode {
	case modePython:
		if !indented && strings.TrimSpace(line) != "" && !isPythonChain(line) && !strings.HasPrefix(line, "Traceback (") {
			j.mode = modePythonEx // the exception line ends the traceback
		}
		return true
	case modePythonEx:
		switch {
		case strings.TrimSpace(line) == "":
			return true
		case isPythonChain(line), strings.HasPrefix(line, "Traceback (most recent call last):"):
			j.mode = modePython
			return true
		}
		return indented
	case modeGo:
		return line == "" || indented || isGoroutine(line) || strings.HasPrefix(line, "created by ") ||
			strings.HasPrefix(line, "[signal ") || strings.HasPrefix(line, "exit status") || goFrame.MatchString(line)
	}
	switch {
	case indented:
		return true
	case strings.HasPrefix(line, "Caused by:"), strings.HasPrefix(line, "Suppressed:"), moreFrames.MatchString(line):
		return true
	case javaException.MatchString(line):
		return true
	case strings.HasPrefix(line, "Traceback (most recent call last):") && looksLikeError(j.lines[0]):
		j.mode = modePython
		return true
	case (strings.HasPrefix(line, "goroutine ") && isGoroutine(line)) && looksLikeError(j.lines[0]):
		j.mode = modeGo
		return true
	}
	return false
}

func isGoroutine(line string) bool {
	return strings.HasPrefix(line, "goroutine ") && strings.Contains(line, " [") && strings.HasSuffix(line, "]:")
}

func isPythonChain(line string) bool {
	return strings.HasPrefix(line, "During handling of the above exception") || strings.HasPrefix(line, "The above exception was the direct cause")
}

// looksLikeError reports whether a record's first line reports a failure,
// which a traceback printed after it then belongs to.
func looksLikeError(s string) bool {
	l := strings.ToLower(s)
	for _, w := range []string{"error", "exception", "critical", "fatal", "panic", "traceback", "failed"} {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

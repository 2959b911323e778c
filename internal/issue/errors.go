package issue

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/lore-dev/lore/internal/event"
)

// Attribute keys the issues feature reads and writes on error events.
const (
	// AttrExceptions holds the exceptions of an error event as the JSON of
	// []Exception (written by the Sentry decoder).
	AttrExceptions = "sentry.exception"
	// AttrBreadcrumbs holds an error event's breadcrumbs as a JSON array.
	AttrBreadcrumbs = "sentry.breadcrumbs"
	// AttrEventID is the SDK's event id.
	AttrEventID = "sentry.event_id"
	// AttrCulprit is where the error happened ("module in function").
	AttrCulprit = "culprit"
)

// stackAttrs are the attributes a logged stack trace is found in.
var stackAttrs = []string{"exception.stacktrace", "error.stack", "stack", "stacktrace", "error.stacktrace", "stack_trace", "err.stack", "exception"}

// StackText returns the text of a stack trace logged with e, if any.
func StackText(e *event.Event) (string, bool) {
	for _, k := range stackAttrs {
		if v, ok := e.Attr(k); ok && strings.Contains(v, "\n") {
			return v, true
		}
	}
	return "", false
}

// Exceptions returns the exceptions of an error event: those the SDK sent,
// else one built from the error type, the message and a logged stack trace.
func Exceptions(e *event.Event) []Exception {
	if v, ok := e.Attr(AttrExceptions); ok {
		var excs []Exception
		if json.Unmarshal([]byte(v), &excs) == nil {
			return excs
		}
	}
	if e.ErrorType == "" && e.Message == "" {
		return nil
	}
	ex := Exception{Type: e.ErrorType, Value: e.Message}
	if v, ok := e.Attr("exception.message"); ok && v != "" {
		ex.Value = v
	}
	if st, ok := StackText(e); ok {
		ex.Frames = ParseStack(st)
	}
	return []Exception{ex}
}

// hasException reports whether a log or span carries OpenTelemetry
// exception attributes.
func hasException(e *event.Event) bool {
	for _, k := range []string{"exception.type", "exception.message", "exception.stacktrace"} {
		if _, ok := e.Attr(k); ok {
			return true
		}
	}
	return false
}

// toError turns e into an error event when it is one in disguise: a log at
// level error or fatal with a stack trace or exception attributes (changed
// in place, it returns true), or a span with an exception event (a copy of
// kind error is returned beside it).
func toError(e *event.Event) (extra *event.Event) {
	switch e.Kind {
	case event.KindLog:
		if e.Level != event.LevelError && e.Level != event.LevelFatal {
			return nil
		}
		if _, ok := StackText(e); !ok && !hasException(e) {
			return nil
		}
		e.Kind = event.KindError
		if e.ErrorType == "" {
			if v, ok := e.Attr("exception.type"); ok {
				e.ErrorType = v
			}
		}
		if e.ErrorType == "" {
			// A logger that sends only the stack (winston's error with
			// format.errors): its first line names the error.
			if st, ok := StackText(e); ok {
				e.ErrorType = StackErrorType(st)
			}
		}
		return nil
	case event.KindSpan:
		if !hasException(e) || e.ErrorType == "" && e.Level != event.LevelError {
			return nil
		}
		c := *e
		c.Kind = event.KindError
		c.Level = event.LevelError
		c.DurationMS = 0
		if v, ok := e.Attr("exception.message"); ok && v != "" {
			c.Message = v
		}
		c.Attributes = append([]event.Attr(nil), e.Attributes...)
		return &c
	}
	return nil
}

// StackErrorType is the error type a stack trace's text names: the
// "Type: message" line that opens a JavaScript or Java trace
// ("TypeError: Cannot read…", "java.lang.IllegalStateException: …") or
// closes a Python traceback ("ValueError: bad"); "" when none does.
func StackErrorType(stack string) string {
	lines := strings.Split(strings.TrimSpace(stack), "\n")
	line := strings.TrimSpace(lines[0])
	if strings.HasPrefix(line, "Traceback ") {
		line = strings.TrimSpace(lines[len(lines)-1])
	}
	if m := reErrorTypeLine.FindStringSubmatch(line); m != nil {
		return m[1]
	}
	return ""
}

// reErrorTypeLine matches "Type: message" or a bare "Type" line, where
// Type is an identifier, possibly qualified, starting with a capital (the
// last part) — not "panic:" or "error:".
var reErrorTypeLine = regexp.MustCompile(`^((?:[A-Za-z_$][\w$]*[.$])*[A-Z][\w$]*)(?::\s|:?$)`)

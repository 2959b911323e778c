// Package exception is Lore's error model, shared by the decoders that
// read errors (Sentry, PostHog, OpenTelemetry exceptions, logged stack
// traces) and the issue tracker that groups them: exceptions with their
// stack frames, parsing a logged stack trace into frames, normalizing
// frames and messages, and the grouping rules that make a fingerprint. It
// imports nothing of Lore but the event model, so a decoder that uses it
// does not depend on the tracker and its storage.
package exception

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/lore-dev/lore/internal/event"
)

// Attribute keys of error events: what decoders write and the issue
// tracker reads.
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
	// AttrTags lists, comma-separated, the keys of the custom tags an error
	// event was sent with (Sentry's tags).
	AttrTags = "sentry.tags"
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

// FromEvent returns the exceptions of an error event: those the SDK sent,
// else one built from the error type, the message and a logged stack trace.
func FromEvent(e *event.Event) []Exception {
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

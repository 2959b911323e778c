package issue

import (
	"github.com/lore-dev/lore/internal/exception"

	"github.com/lore-dev/lore/internal/event"
)

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
		if _, ok := exception.StackText(e); !ok && !hasException(e) {
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
			if st, ok := exception.StackText(e); ok {
				e.ErrorType = exception.StackErrorType(st)
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

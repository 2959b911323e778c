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

// toError turns e into an error event when it is one in disguise (every
// error is an issue):
//
//   - a log at one of the project's issue levels (error and fatal unless
//     the settings say otherwise) is changed in place to kind error,
//     whether or not it names an error type or carries a stack trace;
//   - a span that recorded an exception (an exception event, OpenTelemetry's
//     exception.* attributes, or a stack trace), at an issue level, gets a
//     copy of kind error beside it (returned), so that the span stays in
//     its trace. A failed span that only names an error type (error.type,
//     a status) is not copied: the error logs or SDK exception of that span
//     are its issue events, and copying it too would count one failure
//     twice (the simulated shop's failures are a typed span and an error
//     log each).
//
// A log or span that names no error type takes the one its exception
// attributes or stack trace name, if any.
func toError(e *event.Event, levels levelSet) (extra *event.Event) {
	switch e.Kind {
	case event.KindLog:
		if !levels.has(e.Level) {
			return nil
		}
		e.Kind = event.KindError
		fillErrorType(e)
		return nil
	case event.KindSpan:
		if _, stack := exception.StackText(e); !stack && !hasException(e) {
			return nil
		}
		level := e.Level
		if level == "" || level == event.LevelInfo {
			// A span records failure in its status and exception
			// events, not in a level.
			level = event.LevelError
		}
		if !levels.has(level) {
			return nil
		}
		c := *e
		c.Kind = event.KindError
		c.Level = level
		c.DurationMS = 0
		if v, ok := e.Attr("exception.message"); ok && v != "" {
			c.Message = v
		}
		c.Attributes = append([]event.Attr(nil), e.Attributes...)
		fillErrorType(&c)
		return &c
	}
	return nil
}

// fillErrorType gives an error event without an error type the one its
// exception attributes or stack trace name.
func fillErrorType(e *event.Event) {
	if e.ErrorType != "" {
		return
	}
	if v, ok := e.Attr("exception.type"); ok {
		e.ErrorType = v
		return
	}
	// A logger that sends only the stack (winston's error with
	// format.errors): its first line names the error.
	if st, ok := exception.StackText(e); ok {
		e.ErrorType = exception.StackErrorType(st)
	}
}

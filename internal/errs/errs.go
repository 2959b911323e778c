// Package errs is Lore's error taxonomy: a few kinds of failure (invalid
// input, too large, not found, conflict, unsupported, overloaded,
// unauthorized, forbidden, timed out) that every layer wraps its errors in,
// so that the HTTP layer maps each kind to a status and a JSON body in one
// place (internal/server's writeError). An error of no kind is internal: its
// text is logged, never shown to a client.
package errs

import (
	"errors"
	"fmt"
	"strings"
)

// Kind is what went wrong, as a client needs to know it.
type Kind int

// The kinds. Internal is the zero value: an error nobody classified.
const (
	Internal     Kind = iota
	Invalid           // the request is malformed: 400
	TooLarge          // the request is larger than a limit: 413
	NotFound          // what it names does not exist: 404
	Conflict          // it contradicts the current state: 409
	Unsupported       // this server or store cannot answer it: 501
	Overloaded        // try again later (RetryAfter): 429
	Unavailable       // busy or shutting down, try again later: 503
	Timeout           // it ran past its deadline: 503
	Unauthorized      // no key, or an unknown one: 401
	Forbidden         // the key may not do this: 403
	MediaType         // the body's content type is not one the route reads: 415
	NotAllowed        // the route does not take this method: 405
	Canceled          // the client went away before the answer: 499 (nobody reads it)
)

var kindNames = [...]string{"internal", "invalid", "too large", "not found", "conflict", "unsupported",
	"overloaded", "unavailable", "timeout", "unauthorized", "forbidden", "media type", "not allowed", "canceled"}

func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("kind(%d)", int(k))
	}
	return kindNames[k]
}

// Error is an error of a Kind. Msg is written for the client: it says what
// was wrong with the request, quoting the bad value. Err, when set, is the
// cause, for logs and errors.Is; it is never shown to a client.
type Error struct {
	Kind       Kind
	Msg        string
	Detail     any // optional JSON-able detail for the client
	RetryAfter int // seconds; for Overloaded and Unavailable
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil && e.Msg == "" {
		return e.Err.Error()
	}
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error of kind with a client-facing message.
func New(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Wrap classifies err as kind, with msg for the client and err kept as the
// cause. Wrap(kind, nil, …) is New.
func Wrap(kind Kind, err error, format string, args ...any) *Error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...), Err: err}
}

// Invalidf is New(Invalid, …): the most common kind.
func Invalidf(format string, args ...any) *Error { return New(Invalid, format, args...) }

// NotFoundf is New(NotFound, …).
func NotFoundf(format string, args ...any) *Error { return New(NotFound, format, args...) }

// As finds the first *Error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// KindOf is the kind of the first *Error in err's chain, Internal when none.
func KindOf(err error) Kind {
	if e, ok := As(err); ok {
		return e.Kind
	}
	return Internal
}

// Is reports whether err is of kind.
func Is(err error, kind Kind) bool { return err != nil && KindOf(err) == kind }

// Message is what a client is told of err, an error of a kind: its text,
// with the context wrapped around the kinded error, less the kinded
// error's cause (Err), which is for logs only. A sentinel that leads the
// text as a label (fmt.Errorf("%w: a monitor named %q exists", ErrNameTaken, n))
// is left out: the words after it say what was wrong. When the cause's text
// cannot be cut off the end (it was wrapped mid-sentence), it is the
// kinded error's own Msg. An error of no kind has no message for clients:
// Message returns "".
func Message(err error) string {
	e, ok := As(err)
	if !ok || e.Kind == Internal {
		return ""
	}
	text := err.Error()
	if e.Err == nil {
		if rest, ok := strings.CutPrefix(text, e.Msg+": "); ok && rest != "" {
			return rest // a sentinel as a label ("%w: name %q taken"): what follows says it
		}
		return text
	}
	if cut, ok := strings.CutSuffix(text, ": "+e.Err.Error()); ok && e.Msg != "" {
		return cut
	}
	return e.Msg
}

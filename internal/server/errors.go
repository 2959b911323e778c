package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/lore-dev/lore/internal/errs"
)

// Error is an API error with its HTTP status. Handlers return it (or any
// error, which becomes a 500) and the wrapper renders
// {"error": "...", "detail": ...}.
type Error struct {
	Status     int
	Msg        string
	Detail     any
	RetryAfter int // seconds; set for 429 and 503
}

func (e *Error) Error() string { return e.Msg }

func errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Msg: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *Error {
	return errorf(http.StatusBadRequest, format, args...)
}

// handlerFunc is the shape of every API handler: data or a typed error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) (any, error)

// rawJSON is a pre-rendered JSON body.
type rawJSON []byte

// written means the handler wrote the response itself.
type written struct{}

func (s *Server) wrap(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := h(w, r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		switch v := v.(type) {
		case written:
		case rawJSON:
			w.Header().Set("Content-Type", "application/json")
			w.Write(v)
		default:
			writeJSON(w, http.StatusOK, v)
		}
	}
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := s.asError(r, err)
	if r.ContentLength != 0 {
		// The body may be unread (refused before reading it, or cut off):
		// close rather than let the server drain a body that may trickle
		// for as long as the read timeout.
		w.Header().Set("Connection", "close")
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	body := map[string]any{"error": e.Msg}
	if e.Detail != nil {
		body["detail"] = e.Detail
	}
	writeJSON(w, e.Status, body)
}

// asError is what a client is told of err: its status and a message
// that says what was wrong with the request. An error of no kind is
// internal: it is logged with a reference, and the client gets only the
// reference, never the internal text.
func (s *Server) asError(r *http.Request, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if ke, ok := errs.As(err); ok && ke.Kind != errs.Internal {
		return &Error{Status: kindStatus[ke.Kind], Msg: ke.Msg, Detail: ke.Detail, RetryAfter: ke.RetryAfter}
	}
	switch {
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		return &Error{Status: 499, Msg: "request canceled"}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: http.StatusServiceUnavailable, Msg: fmt.Sprintf(
			"the request ran past the server's %s limit (--query-timeout): narrow the time range or the query", s.d.Limits.QueryTimeout)}
	}
	ref := newRef()
	s.log.ErrorContext(r.Context(), "request failed", "ref", ref, "method", r.Method, "path", r.URL.Path, "err", err)
	return &Error{Status: http.StatusInternalServerError, Msg: "internal error (reference " + ref + " in the server's log)"}
}

// kindStatus is the HTTP status of each error kind.
var kindStatus = map[errs.Kind]int{
	errs.Internal:     http.StatusInternalServerError,
	errs.Invalid:      http.StatusBadRequest,
	errs.TooLarge:     http.StatusRequestEntityTooLarge,
	errs.NotFound:     http.StatusNotFound,
	errs.Conflict:     http.StatusConflict,
	errs.Unsupported:  http.StatusNotImplemented,
	errs.Overloaded:   http.StatusTooManyRequests,
	errs.Unavailable:  http.StatusServiceUnavailable,
	errs.Timeout:      http.StatusServiceUnavailable,
	errs.Unauthorized: http.StatusUnauthorized,
	errs.Forbidden:    http.StatusForbidden,
}

// newRef is a short random reference that ties a client's 500 to its log
// line.
func newRef() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshal(v)
	if err != nil {
		b = []byte(`{"error":"internal error: cannot encode the response"}`)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
	w.Write([]byte{'\n'})
}

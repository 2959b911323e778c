package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/lore-dev/lore/internal/event"
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
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	body := map[string]any{"error": e.Msg}
	if e.Detail != nil {
		body["detail"] = e.Detail
	}
	writeJSON(w, e.Status, body)
}

// asError is the *Error an error from a handler is answered with: itself,
// or 499, 503 or 500 for the rest.
func (s *Server) asError(r *http.Request, err error) *Error {
	var e *Error
	if !errors.As(err, &e) {
		switch {
		case errors.Is(err, context.Canceled):
			e = &Error{Status: 499, Msg: "request canceled"}
		case errors.Is(err, context.DeadlineExceeded):
			e = &Error{Status: http.StatusServiceUnavailable, Msg: "request timed out", RetryAfter: 1}
		default:
			s.log.ErrorContext(r.Context(), "request failed", "path", r.URL.Path, "err", err)
			e = &Error{Status: http.StatusInternalServerError, Msg: "internal error: " + err.Error()}
		}
	}
	return e
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshal(v)
	if err != nil {
		b = append(event.AppendJSONString([]byte(`{"error":`), "cannot encode response: "+err.Error()), '}')
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
	w.Write([]byte{'\n'})
}

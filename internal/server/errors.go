package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"

	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/sqlq"
)

// apiError is what a client is told of an error: its status, a message
// that says what was wrong with the request (quoting the bad value), an
// optional detail and, for overload, the seconds to wait. Handlers never
// build one: they return errors of an errs kind, and asError maps them,
// in this one place.
type apiError struct {
	Status     int
	Msg        string
	Detail     any
	RetryAfter int // seconds; set for 429 and 503
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

// asError is what a client is told of err: the status of its kind
// (kindStatus) and its message (errs.Message). An error of no kind is
// internal: it is logged once, at ERROR with its cause and a reference,
// and the client gets only the reference, never the internal text. A
// deadline that passed is a Timeout and a client that went away Canceled,
// whatever layer returned them.
func (s *Server) asError(r *http.Request, err error) *apiError {
	ke, ok := errs.As(err)
	switch {
	case ok && ke.Kind != errs.Internal:
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		ke = errs.New(errs.Canceled, "request canceled")
		err = ke
	case errors.Is(err, context.DeadlineExceeded):
		ke = errs.Wrap(errs.Timeout, err, "the request ran past the server's %s limit (--query-timeout): narrow the time range or the query", s.d.Limits.QueryTimeout)
		err = ke
	case sqlq.OutOfMemory(err):
		// The store's engine refused the query within its memory limit:
		// the client can ask less, or later; the operator can give more.
		s.log.WarnContext(r.Context(), "request needed more than the store's memory", "method", r.Method, "path", r.URL.Path, "err", err)
		ke = &errs.Error{Kind: errs.Unavailable, RetryAfter: 5, Err: err,
			Msg: "the store ran out of its memory limit (--store-memory) answering this request: narrow the time range or the query, or give the store more memory"}
		err = ke
	default:
		ref := newRef()
		s.log.ErrorContext(r.Context(), "request failed", "ref", ref, "method", r.Method, "path", r.URL.Path, "err", err)
		return &apiError{Status: http.StatusInternalServerError, Msg: "internal error (reference " + ref + " in the server's log)"}
	}
	msg := errs.Message(err)
	if msg == "" {
		msg = ke.Kind.String()
	}
	return &apiError{Status: kindStatus[ke.Kind], Msg: msg, Detail: ke.Detail, RetryAfter: ke.RetryAfter}
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
	errs.MediaType:    http.StatusUnsupportedMediaType,
	errs.NotAllowed:   http.StatusMethodNotAllowed,
	errs.Canceled:     499, // nginx's "client closed request"; the client is gone
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

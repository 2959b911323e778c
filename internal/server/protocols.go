package server

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest"
	"github.com/lore-dev/lore/internal/ingest/dedup"
	"github.com/lore-dev/lore/internal/meta"
)

// errorRenderer writes an error in one protocol's own shape (an
// Elasticsearch error object, Loki's plain text, …).
type errorRenderer func(w http.ResponseWriter, e *Error)

// protocolIngest registers an ingest route of a shipper's protocol: the
// same key check and in-flight limit as the native routes, but every error,
// authentication's too, rendered in the protocol's shape.
func (s *Server) protocolIngest(mux *http.ServeMux, pattern string, h handlerFunc, render errorRenderer) {
	mux.Handle(pattern, s.instrument(pattern, s.wrapAs(render, s.requireRole(meta.RoleIngest, s.limitInflight(pattern, h)))))
}

// wrapAs is wrap with errors rendered by render.
func (s *Server) wrapAs(render errorRenderer, h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := h(w, r)
		if err != nil {
			e := s.asError(r, err)
			if e.RetryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
			}
			render(w, e)
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

// apiKey reads the key of "Authorization: ApiKey …", as Elasticsearch
// clients send it: the key itself, or base64 of "id:key" (Logstash's and
// Filebeat's api_key setting) or of the key.
func apiKey(h string) (string, bool) {
	v, ok := strings.CutPrefix(h, "ApiKey ")
	if !ok {
		return "", false
	}
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "lore_") {
		return v, true
	}
	if b, err := base64.StdEncoding.DecodeString(v); err == nil {
		s := string(b)
		if _, k, found := strings.Cut(s, ":"); found {
			return k, true
		}
		return s, true
	}
	return v, true
}

// ingestEvents processes and durably stores the events of one request of
// a listener's or handler's protocol, counting them under path: the path
// that every protocol shares until the one ingest sink lands.
func (s *Server) ingestEvents(ctx context.Context, path string, events []event.Event) error {
	now := s.now().UnixMicro()
	for i := range events {
		s.d.Limits.Event.Apply(&events[i], now)
	}
	if len(events) > 0 && s.d.Process != nil {
		var err error
		if events, err = s.d.Process(ctx, events); err != nil {
			return err
		}
	}
	if len(events) == 0 {
		return nil
	}
	if err := s.d.Ingest.Submit(ctx, events); err != nil {
		if s.d.IsOverloaded(err) {
			s.rejected.Add(float64(len(events)), path, "overloaded")
			return &Error{Status: http.StatusTooManyRequests, Msg: "ingest queue is full; retry after the given delay", RetryAfter: s.d.Ingest.RetryAfter()}
		}
		return err
	}
	s.accepted.Add(float64(len(events)), path)
	return nil
}

// Sink is the ingest path for listeners outside the HTTP server.
func (s *Server) Sink() ingest.Sink { return listenerSink{s} }

type listenerSink struct{ s *Server }

var _ ingest.Sink = listenerSink{}

func (l listenerSink) Authenticate(ctx context.Context, key string) (int64, error) {
	p, err := l.s.authenticate(ctx, key, meta.RoleIngest, "missing API key")
	var e *Error
	if errors.As(err, &e) {
		if e.Status == http.StatusForbidden {
			return 0, fmt.Errorf("%w: %s", ingest.ErrForbidden, e.Msg)
		}
		return 0, fmt.Errorf("%w: %s", ingest.ErrUnauthorized, e.Msg)
	}
	return p.ProjectID, err
}

func (l listenerSink) Submit(ctx context.Context, path string, events []event.Event) error {
	err := l.s.ingestEvents(ctx, path, events)
	var e *Error
	if errors.As(err, &e) && (e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable) {
		return fmt.Errorf("%w: %s", ingest.ErrOverloaded, e.Msg)
	}
	return err
}

// Rejected counts records a listener refused (they have no answer to carry
// the reason; the listener logs it).
func (l listenerSink) Rejected(path, reason string, n int) {
	l.s.rejected.Add(float64(n), path, reason)
}

// idempotent checks a request's Idempotency-Key (lore agent sends one per
// batch): dup means a request with that key was stored before, and this
// one must store nothing. Otherwise done(stored) must be called when the
// request ends, so a retry of a failed request is stored.
func (s *Server) idempotent(r *http.Request, path string) (done func(stored bool), dup bool, err error) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		return func(bool) {}, false, nil
	}
	if len(key) > 256 {
		return func(bool) {}, false, badRequest("Idempotency-Key is %d bytes long (max 256)", len(key))
	}
	k := dedup.Key(principal(r).ProjectID, path, key)
	switch s.seen.Reserve(k) {
	case dedup.Stored:
		s.rejected.Add(1, path, "duplicate")
		return func(bool) {}, true, nil
	case dedup.Pending:
		return func(bool) {}, false, &Error{Status: http.StatusConflict, Msg: "a request with this Idempotency-Key is being stored; retry it", RetryAfter: 1}
	}
	return func(stored bool) {
		if stored {
			s.seen.Commit([]uint64{k})
		} else {
			s.seen.Release([]uint64{k})
		}
	}, false, nil
}

package server

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/lore-dev/lore/internal/auth"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/ingest/dedup"
	"github.com/lore-dev/lore/internal/meta"
)

// errorRenderer writes an error in one protocol's own shape (an
// Elasticsearch error object, Loki's plain text, …).
type errorRenderer func(w http.ResponseWriter, e *apiError)

// protocolIngest registers an ingest route of a shipper's protocol: the
// same key check and in-flight limit as the native routes, but every error,
// authentication's too, rendered in the protocol's shape.
func (s *Server) protocolIngest(mux *routeMux, pattern string, h handlerFunc, render errorRenderer) {
	s.addRoute(pattern, auth.Ingest)
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
		return func(bool) {}, false, errs.Invalidf("Idempotency-Key is %d bytes long (max 256)", len(key))
	}
	k := dedup.Key(principal(r).ProjectID, path, key)
	switch s.seen.Reserve(k) {
	case dedup.Stored:
		s.d.Sink.Reject(path, "duplicate", 1)
		return func(bool) {}, true, nil
	case dedup.Pending:
		return func(bool) {}, false, &errs.Error{Kind: errs.Conflict, Msg: "a request with this Idempotency-Key is being stored; retry it", RetryAfter: 1}
	}
	return func(stored bool) {
		if stored {
			s.seen.Commit([]uint64{k})
		} else {
			s.seen.Release([]uint64{k})
		}
	}, false, nil
}

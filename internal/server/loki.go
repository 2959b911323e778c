package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/ingest/loki"
)

// lokiRoutes serves Loki's push API.
func (s *Server) lokiRoutes(mux *routeMux) {
	s.protocolIngest(mux, "POST /loki/api/v1/push", s.handleLokiPush, renderText)
	s.protocolIngest(mux, "POST /api/prom/push", s.handleLokiPush, renderText) // Loki's legacy path
}

// renderText answers an error as Loki does: the message as plain text.
func renderText(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.Status)
	fmt.Fprintln(w, e.Msg)
}

// handleLokiPush stores the entries of a push request and answers 204, or
// 400 naming the refused entries (the others are stored, as Loki does).
func (s *Server) handleLokiPush(w http.ResponseWriter, r *http.Request) (any, error) {
	const path = "/loki/api/v1/push"
	body, err := s.readBody(r, path)
	if err != nil {
		return nil, err
	}
	p := principal(r)
	res, err := loki.Decode(body, r.Header.Get("Content-Type"), loki.Options{
		ProjectID: p.ProjectID, Now: s.now().UnixMicro(), MaxLines: s.d.Limits.MaxLines, MaxBytes: s.d.Limits.MaxBodyBytes,
	})
	switch {
	case errors.Is(err, loki.ErrUnsupportedContentType):
		s.d.Sink.Reject(path, "unsupported content type", 1)
		return nil, errs.New(errs.MediaType, "%v", err)
	case errors.Is(err, loki.ErrTooManyEntries):
		s.d.Sink.Reject(path, "too many lines", 1)
		return nil, errs.New(errs.TooLarge, "%v", err)
	case err != nil:
		s.d.Sink.Reject(path, "undecodable", 1)
		return nil, errs.Invalidf("%v", err)
	}
	if err := s.submit(r, path, res.Events); err != nil {
		return nil, err
	}
	if len(res.Errors) > 0 {
		s.d.Sink.Reject(path, "invalid entry", len(res.Errors))
		var b strings.Builder
		fmt.Fprintf(&b, "%d of %d entries refused, the others stored:", len(res.Errors), res.Entries)
		for i, e := range res.Errors {
			if i == 20 {
				fmt.Fprintf(&b, "\n… and %d more", len(res.Errors)-i)
				break
			}
			b.WriteString("\n")
			b.WriteString(e.String())
		}
		return nil, errs.Invalidf("%s", b.String())
	}
	w.WriteHeader(http.StatusNoContent)
	return written{}, nil
}

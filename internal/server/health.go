package server

import (
	"net/http"

	"github.com/lore-dev/lore/internal/errs"
)

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) (any, error) {
	return map[string]string{"status": "ok"}, nil
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.d.Ready != nil {
		if err := s.d.Ready(r.Context()); err != nil {
			return nil, &errs.Error{Kind: errs.Unavailable, Msg: "not ready: " + err.Error(), RetryAfter: 1}
		}
	}
	return map[string]string{"status": "ready"}, nil
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.d.Metrics.Write(w)
}

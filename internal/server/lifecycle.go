package server

import (
	"context"
	"io"
	"net/http"

	"github.com/lore-dev/lore/internal/errs"
)

// LifecycleService keeps the projects' data lifecycle settings (privacy,
// retention, sampling), by name (*lifecycle.Service).
type LifecycleService interface {
	Settings(ctx context.Context, project int64, name string) (any, error)
	SetSettings(ctx context.Context, project int64, name string, body []byte) (any, error)
	// Describe tells, in words, the retention and what is scrubbed.
	Describe(ctx context.Context, project int64) (retention string, rules []string, err error)
}

// lifecycleRoutes serves GET and PUT /api/v1/settings/{name}. Changing
// what is scrubbed or kept is a project admin's act (adminRoutes);
// reading it, a viewer's.
func (s *Server) lifecycleRoutes(read route) {
	if s.d.Lifecycle == nil {
		return
	}
	read("GET /api/v1/settings/{name}", s.handleLifecycleSettings)
	read("PUT /api/v1/settings/{name}", s.handlePutLifecycleSettings)
}

func (s *Server) handleLifecycleSettings(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.d.Lifecycle.Settings(r.Context(), principal(r).ProjectID, r.PathValue("name"))
}

// handlePutLifecycleSettings changes the fields the body names, keeping
// the others.
func (s *Server) handlePutLifecycleSettings(w http.ResponseWriter, r *http.Request) (any, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, errs.Invalidf("read body: %v", err)
	}
	return s.d.Lifecycle.SetSettings(r.Context(), principal(r).ProjectID, r.PathValue("name"), body)
}

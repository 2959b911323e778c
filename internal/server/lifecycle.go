package server

import (
	"context"
	"io"
	"net/http"
)

// LifecycleService keeps the projects' data lifecycle settings (privacy,
// retention, sampling), by name (*lifecycle.Service).
type LifecycleService interface {
	Settings(ctx context.Context, project int64, name string) (any, error)
	SetSettings(ctx context.Context, project int64, name string, body []byte) (any, error)
}

// lifecycleRoutes serves GET and PUT /api/v1/settings/{name}. Changing
// what is scrubbed or kept is an administrator's act: admin is the route
// for it (the read key until Lore has an admin role).
func (s *Server) lifecycleRoutes(admin route) {
	if s.d.Lifecycle == nil {
		return
	}
	admin("GET /api/v1/settings/{name}", s.handleLifecycleSettings)
	admin("PUT /api/v1/settings/{name}", s.handlePutLifecycleSettings)
}

func (s *Server) handleLifecycleSettings(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.d.Lifecycle.Settings(r.Context(), principal(r).ProjectID, r.PathValue("name"))
}

// handlePutLifecycleSettings changes the fields the body names, keeping
// the others.
func (s *Server) handlePutLifecycleSettings(w http.ResponseWriter, r *http.Request) (any, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, badRequest("read body: %v", err)
	}
	return s.d.Lifecycle.SetSettings(r.Context(), principal(r).ProjectID, r.PathValue("name"), body)
}

package server

import (
	"context"
	"net/http"
	"time"

	"github.com/lore-dev/lore/internal/fields"
)

// FieldsService answers the data dictionary (fields.Reader).
type FieldsService interface {
	Dictionary(ctx context.Context, r fields.Request) (fields.Dictionary, error)
}

var _ FieldsService = fields.Reader{}

// fieldsRoutes registers the data dictionary, the dashboards and saved
// searches (dashboards.go) and the project's settings (settings.go).
func (s *Server) fieldsRoutes(_ *routeMux, _, read route) {
	if s.d.Fields != nil {
		read("GET /api/v1/fields", s.handleFields)
	}
	s.dashboardRoutes(read)
	if s.d.Project != nil {
		read("GET /api/v1/project", s.handleProject)
	}
}

// handleFields serves GET /api/v1/fields?from=&to= (default: the last 24 hours).
func (s *Server) handleFields(w http.ResponseWriter, r *http.Request) (any, error) {
	p, err := s.readParams(r, 24*time.Hour)
	if err != nil {
		return nil, err
	}
	return s.d.Fields.Dictionary(r.Context(), fields.Request{ProjectID: p.project,
		From: time.UnixMicro(p.rng.From), To: time.UnixMicro(p.rng.To)})
}

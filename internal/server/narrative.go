package server

import "net/http"

// NarrativeService is what the narrative routes need. (Placeholder until the
// narrative feature lands; its engineer replaces this file.)
type NarrativeService interface{}

// narrativeRoutes registers the narrative feature's routes.
func (s *Server) narrativeRoutes(mux *http.ServeMux, ingest, read route) {}

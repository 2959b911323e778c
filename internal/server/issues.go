package server

import "net/http"

// IssuesService is what the issues routes need. (Placeholder until the
// issues feature lands; its engineer replaces this file.)
type IssuesService interface{}

// issueRoutes registers the issues feature's routes.
func (s *Server) issueRoutes(mux *http.ServeMux, ingest, read route) {}

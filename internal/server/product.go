package server

import "net/http"

// ProductService is what the product routes need. (Placeholder until the
// product feature lands; its engineer replaces this file.)
type ProductService interface{}

// productRoutes registers the product feature's routes.
func (s *Server) productRoutes(mux *http.ServeMux, ingest, read route) {}

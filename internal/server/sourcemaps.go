package server

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/ingest"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/sourcemap"
)

// SourceMapService keeps the files uploaded for releases (source maps and
// their minified bundles), from which browser errors' frames are
// symbolicated at ingest.
type SourceMapService interface {
	PutSourceMapFile(ctx context.Context, project int64, release, name string, body []byte) error
	SourceMapUploads(ctx context.Context, project int64, release string) ([]meta.SourceMapUpload, error)
	DeleteSourceMaps(ctx context.Context, project int64, release string) (int64, error)
}

// maxSourceMapBytes bounds one uploaded file.
const maxSourceMapBytes = 64 << 20

// sourceMapRoutes registers the upload API `lore sourcemaps upload` uses;
// uploading needs a read key (a project member's, not the public ingest
// key browsers carry).
func (s *Server) sourceMapRoutes(read route) {
	if s.d.SourceMaps == nil {
		return
	}
	read("POST /api/v1/sourcemaps", s.handleUploadSourceMap)
	read("GET /api/v1/sourcemaps", s.handleListSourceMaps)
	read("DELETE /api/v1/sourcemaps", s.handleDeleteSourceMaps)
}

func releaseParam(r *http.Request) (string, error) {
	rel := strings.TrimSpace(r.URL.Query().Get("release"))
	if rel == "" || len(rel) > 200 {
		return "", errs.Invalidf("release must be given (?release=), at most 200 bytes, got %q", rel)
	}
	return rel, nil
}

// handleUploadSourceMap stores one file: POST
// /api/v1/sourcemaps?release=R&name=assets/index-3f9a2b.js.map with the
// file as the body (gzip allowed). The name is the file's path as the
// browser loads it, relative to the site (a frame's URL path ends with
// it). A map that does not parse is refused with the reason.
func (s *Server) handleUploadSourceMap(w http.ResponseWriter, r *http.Request) (any, error) {
	rel, err := releaseParam(r)
	if err != nil {
		return nil, err
	}
	name := strings.TrimPrefix(strings.TrimSpace(r.URL.Query().Get("name")), "/")
	if name == "" || len(name) > 1024 || strings.Contains(name, "..") || strings.ContainsAny(name, "\\\x00") {
		return nil, errs.Invalidf("name must be the file's path relative to the site (?name=assets/app.js.map), got %q", name)
	}
	body, err := ingest.ReadBody(r, maxSourceMapBytes)
	switch {
	case errors.Is(err, ingest.ErrTooLarge):
		return nil, errs.New(errs.TooLarge, "%s is larger than %d bytes", name, maxSourceMapBytes)
	case err != nil:
		return nil, errs.Invalidf("cannot read %s: %v", name, err)
	}
	if strings.HasSuffix(name, ".map") {
		if _, err := sourcemap.Parse(body); err != nil {
			return nil, errs.Invalidf("%s: %v", name, err)
		}
	}
	if err := s.d.SourceMaps.PutSourceMapFile(r.Context(), principal(r).ProjectID, rel, name, body); err != nil {
		return nil, err
	}
	return map[string]any{"release": rel, "name": name, "size": len(body)}, nil
}

func (s *Server) handleListSourceMaps(w http.ResponseWriter, r *http.Request) (any, error) {
	rel, err := releaseParam(r)
	if err != nil {
		return nil, err
	}
	files, err := s.d.SourceMaps.SourceMapUploads(r.Context(), principal(r).ProjectID, rel)
	if err != nil {
		return nil, err
	}
	return map[string]any{"release": rel, "files": files}, nil
}

func (s *Server) handleDeleteSourceMaps(w http.ResponseWriter, r *http.Request) (any, error) {
	rel, err := releaseParam(r)
	if err != nil {
		return nil, err
	}
	n, err := s.d.SourceMaps.DeleteSourceMaps(r.Context(), principal(r).ProjectID, rel)
	if err != nil {
		return nil, err
	}
	return map[string]any{"release": rel, "deleted": n}, nil
}

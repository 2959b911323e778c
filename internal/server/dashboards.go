package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/meta"
)

// DashboardsService stores dashboards and saved searches (*meta.Store).
type DashboardsService interface {
	Dashboards(ctx context.Context, project int64) ([]meta.Dashboard, error)
	Dashboard(ctx context.Context, project, id int64) (meta.Dashboard, error)
	SaveDashboard(ctx context.Context, project int64, d meta.Dashboard, upsert bool) (meta.Dashboard, error)
	DeleteDashboard(ctx context.Context, project, id int64) error
	SavedSearches(ctx context.Context, project int64) ([]meta.SavedSearch, error)
	SavedSearch(ctx context.Context, project, id int64) (meta.SavedSearch, error)
	SaveSearch(ctx context.Context, project int64, s meta.SavedSearch, upsert bool) (meta.SavedSearch, error)
	DeleteSearch(ctx context.Context, project, id int64) error
}

var _ DashboardsService = (*meta.Store)(nil)

// maxDocBody bounds a dashboard or import body.
const maxDocBody = 1 << 20

// docs adapts one kind of document (dashboards or saved searches) to the
// shared handlers below.
type docs[T meta.Dashboard | meta.SavedSearch] struct {
	list   func(ctx context.Context, project int64) ([]T, error)
	get    func(ctx context.Context, project, id int64) (T, error)
	save   func(ctx context.Context, project int64, v T, upsert bool) (T, error)
	delete func(ctx context.Context, project, id int64) error
	setID  func(v *T, id int64)
	key    string // the list's key in JSON answers
}

// dashboardRoutes registers the dashboards and saved searches: JSON CRUD,
// YAML export (?format=yaml, or an id ending in .yaml) and YAML import
// (upserting by name). Writes take the read key: Lore has no admin role
// yet, and the UI, which holds a read key, saves dashboards.
func (s *Server) dashboardRoutes(read route) {
	d := s.d.Dashboards
	if d == nil {
		return
	}
	docRoutes(read, "/api/v1/dashboards", docs[meta.Dashboard]{list: d.Dashboards, get: d.Dashboard, save: d.SaveDashboard,
		delete: d.DeleteDashboard, setID: func(v *meta.Dashboard, id int64) { v.ID = id }, key: "dashboards"})
	docRoutes(read, "/api/v1/searches", docs[meta.SavedSearch]{list: d.SavedSearches, get: d.SavedSearch, save: d.SaveSearch,
		delete: d.DeleteSearch, setID: func(v *meta.SavedSearch, id int64) { v.ID = id }, key: "searches"})
}

func docRoutes[T meta.Dashboard | meta.SavedSearch](read route, base string, h docs[T]) {
	read("GET "+base, func(w http.ResponseWriter, r *http.Request) (any, error) {
		items, err := h.list(r.Context(), principal(r).ProjectID)
		if err != nil {
			return nil, err
		}
		if wantYAML(r) {
			return writeYAML(w, items)
		}
		return map[string]any{h.key: items}, nil
	})
	read("POST "+base, func(w http.ResponseWriter, r *http.Request) (any, error) {
		var v T
		if err := decodeDoc(r, &v); err != nil {
			return nil, err
		}
		h.setID(&v, 0)
		out, err := h.save(r.Context(), principal(r).ProjectID, v, false)
		return out, err
	})
	read("POST "+base+"/import", func(w http.ResponseWriter, r *http.Request) (any, error) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxDocBody))
		if err != nil {
			return nil, errs.New(errs.TooLarge, "import body over %d bytes", maxDocBody)
		}
		items, err := meta.UnmarshalYAML[T](body)
		if err != nil {
			return nil, errs.Invalidf("%s", err.Error())
		}
		// Check every document before storing any, so an import is all or nothing
		// as far as validation goes.
		for i := range items {
			if err := validateDoc(&items[i]); err != nil {
				return nil, errs.Invalidf("YAML document %d: %s", i+1, err.Error())
			}
		}
		out := make([]T, 0, len(items))
		for _, v := range items {
			saved, err := h.save(r.Context(), principal(r).ProjectID, v, true)
			if err != nil {
				return nil, err
			}
			out = append(out, saved)
		}
		return map[string]any{"imported": len(out), h.key: out}, nil
	})
	read("GET "+base+"/{id}", func(w http.ResponseWriter, r *http.Request) (any, error) {
		id, asYAML, err := docID(r)
		if err != nil {
			return nil, err
		}
		v, err := h.get(r.Context(), principal(r).ProjectID, id)
		if err != nil {
			return nil, err
		}
		if asYAML || wantYAML(r) {
			return writeYAML(w, []T{v})
		}
		return v, nil
	})
	read("PUT "+base+"/{id}", func(w http.ResponseWriter, r *http.Request) (any, error) {
		id, _, err := docID(r)
		if err != nil {
			return nil, err
		}
		var v T
		if err := decodeDoc(r, &v); err != nil {
			return nil, err
		}
		h.setID(&v, id)
		out, err := h.save(r.Context(), principal(r).ProjectID, v, false)
		return out, err
	})
	read("DELETE "+base+"/{id}", func(w http.ResponseWriter, r *http.Request) (any, error) {
		id, _, err := docID(r)
		if err != nil {
			return nil, err
		}
		if err := h.delete(r.Context(), principal(r).ProjectID, id); err != nil {
			return nil, err
		}
		return map[string]any{"deleted": id}, nil
	})
}

func validateDoc(v any) error {
	switch v := v.(type) {
	case *meta.Dashboard:
		return v.Validate()
	case *meta.SavedSearch:
		return v.Validate()
	}
	return nil
}

// docID reads {id}, which may end in ".yaml" to ask for YAML.
func docID(r *http.Request) (int64, bool, error) {
	raw := r.PathValue("id")
	s, asYAML := strings.CutSuffix(raw, ".yaml")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, false, errs.Invalidf("bad id %q: want a number (or NUMBER.yaml)", raw)
	}
	return id, asYAML, nil
}

// decodeDoc reads a JSON body, or YAML when the content type says so.
func decodeDoc(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxDocBody+1))
	if err != nil {
		return errs.Invalidf("read body: %s", err.Error())
	}
	if len(body) > maxDocBody {
		return errs.New(errs.TooLarge, "body over %d bytes", maxDocBody)
	}
	if strings.Contains(r.Header.Get("Content-Type"), "yaml") {
		switch v := v.(type) {
		case *meta.Dashboard:
			items, err := meta.UnmarshalYAML[meta.Dashboard](body)
			if err != nil {
				return errs.Invalidf("%s", err.Error())
			}
			*v = items[0]
		case *meta.SavedSearch:
			items, err := meta.UnmarshalYAML[meta.SavedSearch](body)
			if err != nil {
				return errs.Invalidf("%s", err.Error())
			}
			*v = items[0]
		}
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errs.Invalidf("bad JSON body: %s", err.Error())
	}
	return nil
}

func wantYAML(r *http.Request) bool {
	return r.URL.Query().Get("format") == "yaml" || strings.Contains(r.Header.Get("Accept"), "yaml")
}

func writeYAML[T meta.Dashboard | meta.SavedSearch](w http.ResponseWriter, items []T) (any, error) {
	b, err := meta.MarshalYAML(items)
	if err != nil {
		return nil, err
	}
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Write(b)
	return written{}, nil
}

package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/lore-dev/lore/internal/check"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/meta"
)

// ChecksService stores uptime checks with their uptime, runs one on
// demand and sums up a project's status; internal/app joins the metadata
// store, the events and the check runner.
type ChecksService interface {
	Checks(ctx context.Context, project int64) ([]meta.Check, error)
	Check(ctx context.Context, project, id int64) (meta.Check, error)
	SaveCheck(ctx context.Context, project int64, c meta.Check) (meta.Check, error)
	DeleteCheck(ctx context.Context, project, id int64) error
	RunCheck(ctx context.Context, project, id int64) (meta.Check, error)
	Status(ctx context.Context, project int64) (check.Summary, error)
}

// ChecksResponse is the answer of GET /api/v1/checks.
type ChecksResponse struct {
	Checks []meta.Check `json:"checks"`
	Down   int          `json:"down"`
}

// checkRoutes registers the uptime checks API and the status summary.
// Writes take the read key, as monitors do.
func (s *Server) checkRoutes(_ *routeMux, _, read route) {
	c := s.d.Checks
	if c == nil {
		return
	}
	read("GET /api/v1/checks", func(w http.ResponseWriter, r *http.Request) (any, error) {
		cs, err := c.Checks(r.Context(), principal(r).ProjectID)
		if err != nil {
			return nil, err
		}
		out := ChecksResponse{Checks: cs}
		for _, x := range cs {
			if x.Status == meta.CheckDown {
				out.Down++
			}
		}
		return out, nil
	})
	read("POST /api/v1/checks", func(w http.ResponseWriter, r *http.Request) (any, error) {
		var v meta.Check
		if err := decodeRule(w, r, "check", &v); err != nil {
			return nil, err
		}
		v.ID = 0
		out, err := c.SaveCheck(r.Context(), principal(r).ProjectID, v)
		return out, err
	})
	read("GET /api/v1/checks/{id}", func(w http.ResponseWriter, r *http.Request) (any, error) {
		id, err := pathID(r, "check")
		if err != nil {
			return nil, err
		}
		out, err := c.Check(r.Context(), principal(r).ProjectID, id)
		return out, err
	})
	read("PUT /api/v1/checks/{id}", func(w http.ResponseWriter, r *http.Request) (any, error) {
		id, err := pathID(r, "check")
		if err != nil {
			return nil, err
		}
		var v meta.Check
		if err := decodeRule(w, r, "check", &v); err != nil {
			return nil, err
		}
		v.ID = id
		out, err := c.SaveCheck(r.Context(), principal(r).ProjectID, v)
		return out, err
	})
	read("DELETE /api/v1/checks/{id}", func(w http.ResponseWriter, r *http.Request) (any, error) {
		id, err := pathID(r, "check")
		if err != nil {
			return nil, err
		}
		if err := c.DeleteCheck(r.Context(), principal(r).ProjectID, id); err != nil {
			return nil, err
		}
		return map[string]any{"deleted": id}, nil
	})
	read("POST /api/v1/checks/{id}/run", func(w http.ResponseWriter, r *http.Request) (any, error) {
		id, err := pathID(r, "check")
		if err != nil {
			return nil, err
		}
		out, err := c.RunCheck(r.Context(), principal(r).ProjectID, id)
		return out, err
	})
	read("GET /api/v1/status", func(w http.ResponseWriter, r *http.Request) (any, error) {
		return c.Status(r.Context(), principal(r).ProjectID)
	})
}

func pathID(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.Invalidf("bad %s id %q", what, r.PathValue("id"))
	}
	return id, nil
}

// decodeRule reads a check, channel or monitor from a JSON body of at most
// 64 KiB, refusing unknown fields.
func decodeRule(w http.ResponseWriter, r *http.Request, what string, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errs.Invalidf("bad %s JSON: %v", what, err)
	}
	return nil
}

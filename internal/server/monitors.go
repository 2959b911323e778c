package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/lore-dev/lore/internal/analysis/pipes"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/meta"
)

// MonitorsService stores monitors (*meta.Store) and evaluates one on
// demand (*monitor.Evaluator); internal/app joins the two.
type MonitorsService interface {
	Monitors(ctx context.Context, project int64) ([]meta.Monitor, error)
	Monitor(ctx context.Context, project, id int64) (meta.Monitor, error)
	SaveMonitor(ctx context.Context, project int64, m meta.Monitor) (meta.Monitor, error)
	DeleteMonitor(ctx context.Context, project, id int64) error
	MonitorHistory(ctx context.Context, project, id int64, limit int) ([]meta.MonitorEvent, error)
	Evaluate(ctx context.Context, project, id int64) (meta.Monitor, error)
	Attempts(ctx context.Context, project, channel, monitor int64, limit int) ([]meta.Attempt, error)
	StoryTypes() []string
}

// MonitorOptions is the answer of GET /api/v1/monitors/options: what a
// monitor's fields may be, for forms.
type MonitorOptions struct {
	Kinds      []string `json:"kinds"`
	GroupBy    []string `json:"group_by"`
	Signals    []string `json:"signals"`
	StoryTypes []string `json:"story_types"`
	Severities []string `json:"severities"`
}

// monitorHistory is how many state changes a monitor's detail shows.
const monitorHistory = 100

// MonitorsResponse is the answer of GET /api/v1/monitors: the monitors by
// name and how many are in alert ("monitors down" on the Overview).
type MonitorsResponse struct {
	Monitors []meta.Monitor `json:"monitors"`
	Alerting int            `json:"alerting"`
}

// monitorRoutes registers the monitors API. Writes take the read key, as
// dashboards do: Lore's roles are only ingest and read until the security
// issue adds users, and the UI, which holds a read key, edits monitors.
func (s *Server) monitorRoutes(_ *routeMux, _, read route) {
	m := s.d.Monitors
	if m == nil {
		return
	}
	read("GET /api/v1/monitors", func(w http.ResponseWriter, r *http.Request) (any, error) {
		ms, err := m.Monitors(r.Context(), principal(r).ProjectID)
		if err != nil {
			return nil, err
		}
		out := MonitorsResponse{Monitors: ms}
		for _, x := range ms {
			if x.State == meta.StateAlert {
				out.Alerting++
			}
		}
		return out, nil
	})
	read("GET /api/v1/monitors/options", func(w http.ResponseWriter, r *http.Request) (any, error) {
		return MonitorOptions{Kinds: meta.MonitorKinds, GroupBy: meta.GroupFields, Signals: meta.BaselineSignals,
			StoryTypes: m.StoryTypes(), Severities: []string{"info", "warning", "critical"}}, nil
	})
	read("GET /api/v1/monitors/{id}/deliveries", func(w http.ResponseWriter, r *http.Request) (any, error) {
		id, err := monitorID(r)
		if err != nil {
			return nil, err
		}
		p := principal(r).ProjectID
		if _, err := m.Monitor(r.Context(), p, id); err != nil {
			return nil, err
		}
		a, err := m.Attempts(r.Context(), p, 0, id, limitParam(r, maxDeliveries))
		return DeliveriesResponse{Attempts: a}, err
	})
	read("POST /api/v1/monitors", func(w http.ResponseWriter, r *http.Request) (any, error) {
		var v meta.Monitor
		if err := decodeMonitor(w, r, &v); err != nil {
			return nil, err
		}
		v.ID = 0
		out, err := m.SaveMonitor(r.Context(), principal(r).ProjectID, v)
		return out, monitorError(v, err)
	})
	read("GET /api/v1/monitors/{id}", func(w http.ResponseWriter, r *http.Request) (any, error) {
		id, err := monitorID(r)
		if err != nil {
			return nil, err
		}
		p := principal(r).ProjectID
		out, err := m.Monitor(r.Context(), p, id)
		if err != nil {
			return nil, err
		}
		if out.History, err = m.MonitorHistory(r.Context(), p, id, monitorHistory); err != nil {
			return nil, err
		}
		return out, nil
	})
	read("PUT /api/v1/monitors/{id}", func(w http.ResponseWriter, r *http.Request) (any, error) {
		id, err := monitorID(r)
		if err != nil {
			return nil, err
		}
		var v meta.Monitor
		if err := decodeMonitor(w, r, &v); err != nil {
			return nil, err
		}
		v.ID = id
		out, err := m.SaveMonitor(r.Context(), principal(r).ProjectID, v)
		return out, monitorError(v, err)
	})
	read("DELETE /api/v1/monitors/{id}", func(w http.ResponseWriter, r *http.Request) (any, error) {
		id, err := monitorID(r)
		if err != nil {
			return nil, err
		}
		if err := m.DeleteMonitor(r.Context(), principal(r).ProjectID, id); err != nil {
			return nil, err
		}
		return map[string]any{"deleted": id}, nil
	})
	read("POST /api/v1/monitors/{id}/evaluate", func(w http.ResponseWriter, r *http.Request) (any, error) {
		id, err := monitorID(r)
		if err != nil {
			return nil, err
		}
		out, err := m.Evaluate(r.Context(), principal(r).ProjectID, id)
		if err != nil && out.ID == 0 {
			return nil, err
		}
		// A failed measurement is on the monitor (last_error); the answer is
		// still the monitor.
		return out, nil
	})
}

func monitorID(r *http.Request) (int64, error) { return pathID(r, "monitor") }

func decodeMonitor(w http.ResponseWriter, r *http.Request, v *meta.Monitor) error {
	return decodeRule(w, r, "monitor", v)
}

// monitorError gives a refused monitor whose query's pipes do not parse or
// compile the detail GET /api/v1/query gives (QueryErrorDetail: the pipe,
// its name, the column in the query), so a form can mark the pipe; its
// message is unchanged. Any other error is returned as it is.
func monitorError(m meta.Monitor, err error) error {
	var pe *pipes.Error
	if err == nil || !errors.As(err, &pe) {
		return err
	}
	return &errs.Error{Kind: errs.Invalid, Msg: errs.Message(err), Detail: QueryErrorDetail{Q: m.Query, Pipe: pe.Pipe, Name: pe.Name, Column: pe.Column}}
}

package server

import (
	"context"
	"net/http"

	"github.com/lore-dev/lore/internal/lifecycle"
	"github.com/lore-dev/lore/internal/meta"
)

// ProjectService describes the key's project (*meta.Store).
type ProjectService interface {
	Project(ctx context.Context, id int64) (meta.Project, error)
	Keys(ctx context.Context, project int64) ([]meta.KeyInfo, error)
}

var _ ProjectService = (*meta.Store)(nil)

// projectAnswer is GET /api/v1/project: what the Settings page shows.
type projectAnswer struct {
	Project   meta.Project   `json:"project"`
	Keys      []meta.KeyInfo `json:"keys"`
	KeyID     int64          `json:"key_id"` // the key this request used
	Retention string         `json:"retention"`
	PIIRules  []string       `json:"pii_rules"`
	// Disk is the disk watermark's last measure and drop (absent when
	// no watermark is set): the UI's warning card.
	Disk *lifecycle.DiskStatus `json:"disk,omitempty"`
	// Listeners are the protocol listeners on ports of their own, so the
	// page says which are on and fills their ports into the snippets.
	Listeners Listeners `json:"listeners"`
}

// Listeners are the addresses the protocol listeners beside HTTP are bound
// to; never their keys. An empty OTLPGRPC or list is off.
type Listeners struct {
	OTLPGRPC string   `json:"otlp_grpc"` // e.g. "[::]:4317"; "" when off
	Syslog   []string `json:"syslog"`    // each on TCP and UDP
	Forward  []string `json:"forward"`   // Fluent forward
}

// handleProject serves GET /api/v1/project: the project, its keys (role,
// prefix and creation time; secrets are not stored), retention and PII
// rules, and the protocol listeners' addresses.
func (s *Server) handleProject(w http.ResponseWriter, r *http.Request) (any, error) {
	p := principal(r)
	proj, err := s.d.Project.Project(r.Context(), p.ProjectID)
	if err != nil {
		return nil, err
	}
	keys, err := s.d.Project.Keys(r.Context(), p.ProjectID)
	if err != nil {
		return nil, err
	}
	out := projectAnswer{Project: proj, Keys: keys, KeyID: p.KeyID,
		Retention: "events are kept until deleted", PIIRules: []string{}}
	if s.d.Lifecycle != nil {
		ret, rules, err := s.d.Lifecycle.Describe(r.Context(), p.ProjectID)
		if err != nil {
			return nil, err
		}
		out.Retention, out.PIIRules = ret, rules
	}
	if s.d.Disk != nil {
		out.Disk = s.d.Disk()
	}
	if s.d.Listeners != nil {
		out.Listeners = s.d.Listeners()
	}
	if out.Listeners.Syslog == nil {
		out.Listeners.Syslog = []string{}
	}
	if out.Listeners.Forward == nil {
		out.Listeners.Forward = []string{}
	}
	return out, nil
}

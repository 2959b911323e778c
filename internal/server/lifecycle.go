package server

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/lore-dev/lore/internal/auth"

	"github.com/lore-dev/lore/internal/errs"
)

// LifecycleService keeps the projects' data lifecycle settings (privacy,
// retention, sampling), by name (*lifecycle.Service).
type LifecycleService interface {
	Settings(ctx context.Context, project int64, name string) (any, error)
	SetSettings(ctx context.Context, project int64, name string, body []byte) (any, error)
	// Describe tells, in words, the retention and what is scrubbed.
	Describe(ctx context.Context, project int64) (retention string, rules []string, err error)
}

// lifecycleRoutes serves GET and PUT /api/v1/settings/{name}. Changing
// what is scrubbed or kept is a project admin's act (adminRoutes);
// reading it, a viewer's.
func (s *Server) lifecycleRoutes(mux *routeMux, read route) {
	if s.d.Backup != nil {
		const pattern = "POST /api/v1/backup"
		s.addRoute(pattern, auth.ServerAdmin)
		mux.Handle(pattern, s.instrument(pattern, s.wrap(s.access(pattern, auth.ServerAdmin, s.handleBackup))))
	}
	if s.d.Erase != nil {
		read("DELETE /api/v1/persons/{id}", s.handleErasePerson)
	}
	if s.d.Lifecycle == nil {
		return
	}
	read("GET /api/v1/settings/{name}", s.handleLifecycleSettings)
	read("PUT /api/v1/settings/{name}", s.handlePutLifecycleSettings)
}

func (s *Server) handleLifecycleSettings(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.d.Lifecycle.Settings(r.Context(), principal(r).ProjectID, r.PathValue("name"))
}

// handlePutLifecycleSettings changes the fields the body names, keeping
// the others.
func (s *Server) handlePutLifecycleSettings(w http.ResponseWriter, r *http.Request) (any, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, errs.Invalidf("read body: %v", err)
	}
	return s.d.Lifecycle.SetSettings(r.Context(), principal(r).ProjectID, r.PathValue("name"), body)
}

// Backup writes a consistent snapshot of the whole server's data as a
// gzip'd tar (app.Backup).
type Backup func(ctx context.Context, w io.Writer) error

// handleBackup streams a backup of every project: a server admin's act.
// An error before the first byte is answered as usual; after it the
// archive is cut short, which Restore reports.
func (s *Server) handleBackup(w http.ResponseWriter, r *http.Request) (any, error) {
	cw := &countingWriter{w: w, header: func() {
		w.Header().Set("Content-Type", "application/gzip")
		w.Header().Set("Content-Disposition", `attachment; filename="lore-backup-`+s.now().UTC().Format("20060102T150405Z")+`.tar.gz"`)
	}}
	// A backup outlives the server's write timeout.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	if err := s.d.Backup(r.Context(), cw); err != nil {
		if cw.n == 0 {
			return nil, err
		}
		s.log.Warn("backup cut short", "bytes", cw.n, "err", err)
	}
	return written{}, nil
}

// countingWriter sets the headers before the first byte and counts bytes.
type countingWriter struct {
	w      io.Writer
	header func()
	n      int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.n == 0 && c.header != nil {
		c.header()
		c.header = nil
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Erase deletes a person's events, identities and recordings (a GDPR
// request; app.ErasePerson).
type Erase func(ctx context.Context, project int64, userID string) (Erasure, error)

// Erasure is what erasing a person deleted.
type Erasure struct {
	UserID     string `json:"user_id"`
	Events     int64  `json:"erased_events"`
	Recordings int64  `json:"erased_recordings"`
}

// handleErasePerson serves DELETE /api/v1/persons/{id}: a project admin's
// act, audited like every write.
func (s *Server) handleErasePerson(w http.ResponseWriter, r *http.Request) (any, error) {
	id := r.PathValue("id")
	if id == "" {
		return nil, errs.Invalidf("no person id")
	}
	return s.d.Erase(r.Context(), principal(r).ProjectID, id)
}

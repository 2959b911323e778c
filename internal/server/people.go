package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/lore-dev/lore/internal/auth"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/meta"
)

// PeopleService keeps users, sessions, members, keys, projects and the
// audit log (*meta.Store).
type PeopleService interface {
	Sessions
	CheckLogin(ctx context.Context, email, password string) (meta.User, error)
	NewSession(ctx context.Context, user int64, ttl time.Duration) (token, csrf string, err error)
	EndSession(ctx context.Context, token string) error
	UseLoginLink(ctx context.Context, token string) (meta.User, error)
	NewLoginLink(ctx context.Context, user int64, ttl time.Duration) (string, error)
	SetPassword(ctx context.Context, user int64, password string) error
	UserByEmail(ctx context.Context, email string) (meta.User, error)
	AddUser(ctx context.Context, email, password string, serverAdmin bool) (meta.User, error)
	UserBySSO(ctx context.Context, issuer, subject, email string, provision bool) (meta.SSOSignIn, error)
	Members(ctx context.Context, project int64) ([]meta.Member, error)
	SetMember(ctx context.Context, project, user int64, role meta.Role) error
	RemoveMember(ctx context.Context, project, user int64) error
	Keys(ctx context.Context, project int64) ([]meta.KeyInfo, error)
	CreateKeyExpiring(ctx context.Context, project int64, role meta.Role, ttl time.Duration) (string, meta.KeyInfo, error)
	RotateKey(ctx context.Context, project, id int64, overlap time.Duration) (string, meta.KeyInfo, error)
	RevokeKey(ctx context.Context, project, id int64) error
	AuditLog(ctx context.Context, project int64, withServer bool, limit int, before int64) ([]meta.AuditEntry, error)
	Project(ctx context.Context, id int64) (meta.Project, error)
	CreateProject(ctx context.Context, name string) (meta.NewProject, error)
	AllowedOrigins(ctx context.Context, project int64) ([]string, error)
	SetAllowedOrigins(ctx context.Context, project int64, origins []string) ([]string, error)
}

var _ PeopleService = (*meta.Store)(nil)

// LoginOptions say how sessions are given out.
type LoginOptions struct {
	SessionTTL time.Duration // how long a session lasts; default 7 days
	// AllowHTTP gives sessions over plain HTTP to clients not on loopback
	// (lore serve --allow-http-login): their cookies then cross the
	// network in clear. Without it, signing in needs TLS or loopback.
	AllowHTTP bool
}

// Login rate limits: past loginBurst failures for one client address or
// one email within loginWindow, sign-in answers 429 until the window ends.
const (
	loginBurst  = 10
	loginWindow = 5 * time.Minute
)

// loginLimiter counts failed sign-ins per client address and per email.
type loginLimiter struct {
	now  func() time.Time
	mu   sync.Mutex
	seen map[string]*loginCount
}

type loginCount struct {
	n     int
	start time.Time
}

func newLoginLimiter(now func() time.Time) *loginLimiter {
	return &loginLimiter{now: now, seen: map[string]*loginCount{}}
}

// wait returns how long the keys must wait (0: they may try).
func (l *loginLimiter) wait(keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var most time.Duration
	for _, k := range keys {
		c := l.seen[k]
		if c == nil || now.Sub(c.start) >= loginWindow {
			continue
		}
		if c.n >= loginBurst {
			most = max(most, loginWindow-now.Sub(c.start))
		}
	}
	return most
}

// fail counts a failure for each key.
func (l *loginLimiter) fail(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.seen) > 100_000 { // bounded: drop the windows that ended
		for k, c := range l.seen {
			if now.Sub(c.start) >= loginWindow {
				delete(l.seen, k)
			}
		}
	}
	for _, k := range keys {
		c := l.seen[k]
		if c == nil || now.Sub(c.start) >= loginWindow {
			c = &loginCount{start: now}
			l.seen[k] = c
		}
		c.n++
	}
}

// peopleRoutes serves signing in and out, the signed-in user, projects,
// members, keys and the audit log.
func (s *Server) peopleRoutes(mux *routeMux) {
	if s.d.People == nil {
		return
	}
	public := func(pattern string, h handlerFunc) {
		s.addRoute(pattern, auth.Public)
		mux.Handle(pattern, s.instrument(pattern, s.wrap(h)))
	}
	project := func(pattern string, a auth.Action, h handlerFunc) {
		s.addRoute(pattern, a)
		mux.Handle(pattern, s.instrument(pattern, s.wrap(s.access(pattern, a, s.deadline(h)))))
	}
	public("POST /api/v1/auth/login", s.handleLogin)
	public("POST /api/v1/auth/link", s.handleLoginLink)
	public("POST /api/v1/auth/logout", s.handleLogout)
	public("GET /api/v1/auth/me", s.handleMe)
	public("PUT /api/v1/auth/password", s.handleSetPassword)
	public("GET /api/v1/auth/methods", s.handleAuthMethods)
	if s.d.SSO != nil {
		public("GET "+oidcStartPath, s.handleOIDCStart)
		public("GET "+oidcCallbackPath, s.handleOIDCCallback)
	}
	project("GET /api/v1/projects", auth.Read, s.handleProjects)
	project("POST /api/v1/projects", auth.ServerAdmin, s.handleCreateProject)
	if s.d.DeleteProject != nil {
		// No query deadline: the events' deletion has its own (app).
		const pattern = "DELETE /api/v1/projects/{id}"
		s.addRoute(pattern, auth.ServerAdmin)
		mux.Handle(pattern, s.instrument(pattern, s.wrap(s.access(pattern, auth.ServerAdmin, s.handleDeleteProject))))
	}
	project("GET /api/v1/members", auth.Admin, s.handleMembers)
	project("PUT /api/v1/members", auth.Admin, s.handleSetMember)
	project("DELETE /api/v1/members/{user}", auth.Admin, s.handleRemoveMember)
	project("GET /api/v1/keys", auth.Admin, s.handleKeys)
	project("POST /api/v1/keys", auth.Admin, s.handleCreateKey)
	project("POST /api/v1/keys/{id}/rotate", auth.Admin, s.handleRotateKey)
	project("DELETE /api/v1/keys/{id}", auth.Admin, s.handleRevokeKey)
	project("GET /api/v1/audit", auth.Admin, s.handleAudit)
	project("GET /api/v1/origins", auth.Read, s.handleOrigins)
	project("PUT /api/v1/origins", auth.Admin, s.handleSetOrigins)
}

func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errs.Invalidf("bad JSON body: %v", err)
	}
	return nil
}

// startSession sets the session and CSRF cookies for a user. Sessions are
// only given over TLS (Secure cookies) or to loopback clients, unless
// AllowHTTP.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u meta.User) (any, error) {
	if err := s.newSession(w, r, u, "login"); err != nil {
		return nil, err
	}
	return map[string]any{"user": u}, nil
}

// newSession sets the session and CSRF cookies and records the sign-in
// (action) in the audit log.
func (s *Server) newSession(w http.ResponseWriter, r *http.Request, u meta.User, action string) error {
	if r.TLS == nil && !isLoopback(r) && !s.d.Login.AllowHTTP {
		return errs.New(errs.Forbidden, "signing in needs TLS (lore serve --tls-cert/--tls-key) or loopback; "+
			"--allow-http-login allows plain HTTP")
	}
	ttl := s.d.Login.SessionTTL
	if ttl <= 0 {
		ttl = 7 * 24 * time.Hour
	}
	token, csrf, err := s.d.People.NewSession(r.Context(), u.ID, ttl)
	if err != nil {
		return err
	}
	secure := r.TLS != nil
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", MaxAge: int(ttl.Seconds()),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: csrf, Path: "/", MaxAge: int(ttl.Seconds()),
		Secure: secure, SameSite: http.SameSiteStrictMode})
	s.audit(r, meta.Principal{UserID: u.ID, User: u.Email}, action, http.StatusOK)
	return nil
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) (any, error) {
	if err := sameOrigin(r); err != nil {
		return nil, err
	}
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	keys := []string{"ip:" + remoteIP(r), "email:" + in.Email}
	if d := s.logins.wait(keys...); d > 0 {
		return nil, &errs.Error{Kind: errs.Overloaded, Msg: "too many failed sign-ins: wait and try again",
			RetryAfter: int(d.Seconds()) + 1}
	}
	u, err := s.d.People.CheckLogin(r.Context(), in.Email, in.Password)
	if errors.Is(err, meta.ErrBadLogin) {
		s.logins.fail(keys...)
		s.audit(r, meta.Principal{User: in.Email, UserID: -1}, "login failed", http.StatusUnauthorized)
		return nil, errs.New(errs.Unauthorized, "%s", meta.ErrBadLogin)
	}
	if err != nil {
		return nil, err
	}
	return s.startSession(w, r, u)
}

// handleLoginLink spends a one-time login link (the first start's, or one
// an admin made for a new member) for a session.
func (s *Server) handleLoginLink(w http.ResponseWriter, r *http.Request) (any, error) {
	if err := sameOrigin(r); err != nil {
		return nil, err
	}
	var in struct {
		Token string `json:"token"`
	}
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	keys := []string{"ip:" + remoteIP(r)}
	if d := s.logins.wait(keys...); d > 0 {
		return nil, &errs.Error{Kind: errs.Overloaded, Msg: "too many failed sign-ins: wait and try again",
			RetryAfter: int(d.Seconds()) + 1}
	}
	u, err := s.d.People.UseLoginLink(r.Context(), in.Token)
	if errors.Is(err, meta.ErrBadLogin) {
		s.logins.fail(keys...)
		return nil, errs.New(errs.Unauthorized, "this login link was used already, expired or is wrong: ask an admin for a new one")
	}
	if err != nil {
		return nil, err
	}
	return s.startSession(w, r, u)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) (any, error) {
	c, err := r.Cookie(sessionCookie)
	if err == nil {
		if err := s.checkCSRF(r); err != nil {
			return nil, err
		}
		if err := s.d.People.EndSession(r.Context(), c.Value); err != nil {
			return nil, err
		}
	}
	for _, n := range []string{sessionCookie, csrfCookie} {
		http.SetCookie(w, &http.Cookie{Name: n, Value: "", Path: "/", MaxAge: -1, HttpOnly: n == sessionCookie})
	}
	return map[string]any{"signed_out": true}, nil
}

// meAnswer is GET /api/v1/auth/me: who the request acts as. A browser
// that is not signed in gets signed_in false (not a 401, so that the UI's
// first question logs no error).
type meAnswer struct {
	SignedIn bool               `json:"signed_in"`
	User     *meta.User         `json:"user,omitempty"` // none for a key
	KeyID    int64              `json:"key_id,omitempty"`
	Project  int64              `json:"project"`
	Role     meta.Role          `json:"role"`
	Projects []meta.ProjectRole `json:"projects"`
	// Can lists the actions the role may take, for the UI to show only
	// what works.
	Can map[auth.Action]bool `json:"can"`
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) (any, error) {
	p, _, err := s.whoIs(r)
	if errs.Is(err, errs.Unauthorized) && bearer(r) == "" {
		return meAnswer{Projects: []meta.ProjectRole{}, Can: map[auth.Action]bool{}}, nil
	}
	if err != nil {
		return nil, err
	}
	if !auth.Allow(p, auth.Read) {
		return nil, errs.New(errs.Forbidden, "%s", auth.Denied(p.Role, auth.Read))
	}
	out := meAnswer{SignedIn: true, KeyID: p.KeyID, Project: p.ProjectID, Role: p.Role, Projects: []meta.ProjectRole{}, Can: map[auth.Action]bool{}}
	for _, a := range []auth.Action{auth.Read, auth.Write, auth.Admin, auth.ServerAdmin} {
		out.Can[a] = auth.Allow(p, a)
	}
	if p.UserID != 0 {
		u, err := s.d.People.UserByEmail(r.Context(), p.User)
		if err != nil {
			return nil, err
		}
		out.User = &u
		ps, err := s.d.Sessions.UserProjects(r.Context(), u)
		if err != nil {
			return nil, err
		}
		out.Projects = ps
	} else {
		proj, err := s.d.People.Project(r.Context(), p.ProjectID)
		if err != nil {
			return nil, err
		}
		out.Projects = []meta.ProjectRole{{Project: proj, Role: p.Role}}
	}
	return out, nil
}

func (s *Server) handleSetPassword(w http.ResponseWriter, r *http.Request) (any, error) {
	p, viaCookie, err := s.whoIs(r)
	if err != nil {
		return nil, err
	}
	if !viaCookie || p.UserID == 0 {
		return nil, errs.New(errs.Forbidden, "only a signed-in user can set their password")
	}
	if err := s.checkCSRF(r); err != nil {
		return nil, err
	}
	var in struct {
		Current string `json:"current"`
		New     string `json:"new"`
	}
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	u, err := s.d.People.UserByEmail(r.Context(), p.User)
	if err != nil {
		return nil, err
	}
	if u.HasPassword {
		if _, err := s.d.People.CheckLogin(r.Context(), p.User, in.Current); errors.Is(err, meta.ErrBadLogin) {
			return nil, errs.New(errs.Forbidden, "the current password is wrong")
		} else if err != nil {
			return nil, err
		}
	}
	if err := s.d.People.SetPassword(r.Context(), u.ID, in.New); err != nil {
		if errors.Is(err, meta.ErrNotFound) {
			return nil, err
		}
		return nil, errs.Invalidf("%v", err)
	}
	s.audit(r, p, "set password", http.StatusOK)
	// Setting a password ends every session: start a new one here.
	return s.startSession(w, r, u)
}

func (s *Server) handleProjects(w http.ResponseWriter, r *http.Request) (any, error) {
	p := principal(r)
	if p.UserID != 0 {
		return s.d.Sessions.UserProjects(r.Context(), meta.User{ID: p.UserID, Email: p.User, ServerAdmin: p.ServerAdmin})
	}
	proj, err := s.d.People.Project(r.Context(), p.ProjectID)
	if err != nil {
		return nil, err
	}
	return []meta.ProjectRole{{Project: proj, Role: p.Role}}, nil
}

// handleCreateProject makes a project and its first ingest and read keys,
// returned once: server admins only (a project admin's role is in their
// own project). The server admin who made it is its admin.
func (s *Server) handleCreateProject(w http.ResponseWriter, r *http.Request) (any, error) {
	p := principal(r)
	var in struct {
		Name string `json:"name"`
	}
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	proj, err := s.d.People.CreateProject(r.Context(), in.Name)
	if err != nil {
		return nil, errs.Invalidf("%v", err)
	}
	if err := s.d.People.SetMember(r.Context(), proj.ID, p.UserID, meta.RoleAdmin); err != nil {
		return nil, err
	}
	return proj, nil
}

// DeleteProject deletes a project, its metadata and its events, once
// confirm is its name (app.DeleteProject).
type DeleteProject func(ctx context.Context, id int64, confirm string) (ProjectDeletion, error)

// ProjectDeletion is what deleting a project did.
type ProjectDeletion struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Events int64  `json:"deleted_events"` // from the hot store (DuckDB); 0 on ClickHouse
	// EventsPending: the events' deletion failed or ran past its
	// deadline; the server finishes it in the background.
	EventsPending bool `json:"events_pending"`
}

// handleDeleteProject serves DELETE /api/v1/projects/{id}?confirm=NAME
// (or a JSON body {"confirm": NAME}): a server admin's act, refused
// without the project's name, and for the default project. Like every
// server admin's act it is audited as a server entry (access), not in
// the project's audit log, which goes with it.
func (s *Server) handleDeleteProject(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := pathInt(r, "id")
	if err != nil {
		return nil, err
	}
	confirm, given := r.URL.Query()["confirm"]
	in := struct {
		Confirm string `json:"confirm"`
	}{}
	if len(confirm) > 0 {
		in.Confirm = confirm[0]
	} else if r.ContentLength != 0 {
		if err := decodeBody(r, &in); err != nil {
			return nil, err
		}
		given = in.Confirm != ""
	}
	if !given {
		return nil, errs.Invalidf("delete project %d: confirm with its name (?confirm=NAME, or a JSON body {\"confirm\": NAME})", id)
	}
	// The events' deletion may outlast the server's write timeout.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	return s.d.DeleteProject(r.Context(), id, in.Confirm)
}

func (s *Server) handleMembers(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.d.People.Members(r.Context(), principal(r).ProjectID)
}

// handleSetMember gives a user (made now if new) a role in the project. A
// new user gets the password given, or else a one-time login link valid
// for 7 days, returned once for the admin to hand over.
func (s *Server) handleSetMember(w http.ResponseWriter, r *http.Request) (any, error) {
	p := principal(r)
	var in struct {
		Email    string `json:"email"`
		Role     string `json:"role"`
		Password string `json:"password,omitempty"`
	}
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	role, err := meta.ParseMemberRole(in.Role)
	if err != nil {
		return nil, errs.Invalidf("%v", err)
	}
	out := map[string]any{}
	u, err := s.d.People.UserByEmail(r.Context(), in.Email)
	if errors.Is(err, meta.ErrNotFound) {
		if u, err = s.d.People.AddUser(r.Context(), in.Email, in.Password, false); err != nil {
			return nil, errs.Invalidf("%v", err)
		}
		out["created"] = true
		if in.Password == "" {
			link, err := s.d.People.NewLoginLink(r.Context(), u.ID, 7*24*time.Hour)
			if err != nil {
				return nil, err
			}
			out["login_link"] = "/#/login?link=" + link
		}
	} else if err != nil {
		return nil, err
	}
	if err := s.d.People.SetMember(r.Context(), p.ProjectID, u.ID, role); err != nil {
		return nil, err
	}
	out["member"] = meta.Member{User: u, Role: role}
	return out, nil
}

func pathInt(r *http.Request, name string) (int64, error) {
	v := r.PathValue(name)
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.Invalidf("%s %q: want a positive integer", name, v)
	}
	return id, nil
}

func (s *Server) handleRemoveMember(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := pathInt(r, "user")
	if err != nil {
		return nil, err
	}
	if err := s.d.People.RemoveMember(r.Context(), principal(r).ProjectID, id); err != nil {
		return nil, err
	}
	return map[string]any{"removed": id}, nil
}

func (s *Server) handleKeys(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.d.People.Keys(r.Context(), principal(r).ProjectID)
}

// parseTTL reads a duration like "90d", "12h" or "30m" ("" is 0).
func parseTTL(what, v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	if n, ok := cutSuffixInt(v, "d"); ok {
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, errs.Invalidf("%s %q: want a duration like 90d, 12h or 30m", what, v)
	}
	return d, nil
}

func cutSuffixInt(v, suffix string) (int64, bool) {
	if len(v) <= len(suffix) || v[len(v)-len(suffix):] != suffix {
		return 0, false
	}
	n, err := strconv.ParseInt(v[:len(v)-len(suffix)], 10, 64)
	return n, err == nil && n >= 0 && n < 100_000
}

// keyAnswer is a new key, shown once.
type keyAnswer struct {
	Key  string       `json:"key"`
	Info meta.KeyInfo `json:"info"`
}

func (s *Server) handleCreateKey(w http.ResponseWriter, r *http.Request) (any, error) {
	var in struct {
		Role      string `json:"role"`
		ExpiresIn string `json:"expires_in,omitempty"`
	}
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	role, err := meta.ParseKeyRole(in.Role)
	if err != nil {
		return nil, errs.Invalidf("%v", err)
	}
	ttl, err := parseTTL("expires_in", in.ExpiresIn)
	if err != nil {
		return nil, err
	}
	k, info, err := s.d.People.CreateKeyExpiring(r.Context(), principal(r).ProjectID, role, ttl)
	if err != nil {
		return nil, err
	}
	return keyAnswer{Key: k, Info: info}, nil
}

func (s *Server) handleRotateKey(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := pathInt(r, "id")
	if err != nil {
		return nil, err
	}
	in := struct {
		Overlap string `json:"overlap"`
	}{Overlap: "24h"} // "0s" revokes the old key at once
	if r.ContentLength != 0 {
		if err := decodeBody(r, &in); err != nil {
			return nil, err
		}
	}
	overlap, err := parseTTL("overlap", in.Overlap)
	if err != nil {
		return nil, err
	}
	k, info, err := s.d.People.RotateKey(r.Context(), principal(r).ProjectID, id, overlap)
	if err != nil {
		return nil, err
	}
	return keyAnswer{Key: k, Info: info}, nil
}

func (s *Server) handleRevokeKey(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := pathInt(r, "id")
	if err != nil {
		return nil, err
	}
	if err := s.d.People.RevokeKey(r.Context(), principal(r).ProjectID, id); err != nil {
		return nil, err
	}
	return map[string]any{"revoked": id}, nil
}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) (any, error) {
	p := principal(r)
	q := r.URL.Query()
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, errs.Invalidf("limit %q: want 1 to 1000", v)
		}
		limit = n
	}
	var before int64
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, errs.Invalidf("before %q: want an entry id", v)
		}
		before = n
	}
	entries, err := s.d.People.AuditLog(r.Context(), p.ProjectID, p.ServerAdmin, limit, before)
	if err != nil {
		return nil, err
	}
	return map[string]any{"entries": entries}, nil
}

// originsAnswer is a project's allowed origins for its browser keys.
type originsAnswer struct {
	AllowedOrigins []string `json:"allowed_origins"`
}

func (s *Server) handleOrigins(w http.ResponseWriter, r *http.Request) (any, error) {
	list, err := s.d.People.AllowedOrigins(r.Context(), principal(r).ProjectID)
	if err != nil {
		return nil, err
	}
	return originsAnswer{AllowedOrigins: list}, nil
}

// handleSetOrigins replaces the project's allowed origins: browser keys
// then work only from pages there (none: from anywhere).
func (s *Server) handleSetOrigins(w http.ResponseWriter, r *http.Request) (any, error) {
	var in originsAnswer
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	list, err := s.d.People.SetAllowedOrigins(r.Context(), principal(r).ProjectID, in.AllowedOrigins)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, err
	}
	if err != nil {
		return nil, errs.Invalidf("%v", err)
	}
	return originsAnswer{AllowedOrigins: list}, nil
}

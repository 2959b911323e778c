package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/lore-dev/lore/internal/auth"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/meta"
)

// RouteInfo is one route of the server's table and the action the access
// policy (auth.Allow) requires for it.
type RouteInfo struct {
	Pattern string      // "GET /api/v1/monitors/{id}"
	Action  auth.Action // what auth.Allow is asked
}

// RouteActions returns every route the handler serves, in the order
// registered, with its action: the access tests walk it (every route ×
// every role). Routes lists the same patterns.
func (s *Server) RouteActions() []RouteInfo {
	s.routes()
	s.tableMu.Lock()
	defer s.tableMu.Unlock()
	return append([]RouteInfo(nil), s.table...)
}

// addRoute records a route in the table.
func (s *Server) addRoute(pattern string, a auth.Action) {
	s.table = append(s.table, RouteInfo{Pattern: pattern, Action: a})
}

// adminRoutes are the project API routes only a project admin may use;
// every other route registered through `read` needs auth.Read for GET and
// auth.Write for the rest (actionFor). A new settings route is added here.
var adminRoutes = map[string]bool{
	"PUT /api/v1/capture/settings":         true,
	"PUT /api/v1/issues/settings":          true,
	"PUT /api/v1/settings/{name}":          true, // privacy, retention (lifecycle.go)
	"DELETE /api/v1/persons/{id}":          true, // erasing a person (lifecycle.go)
	"POST /api/v1/channels":                true,
	"PUT /api/v1/channels/{id}":            true,
	"DELETE /api/v1/channels/{id}":         true,
	"POST /api/v1/channels/{id}/test":      true,
	"GET /api/v1/channels/{id}/deliveries": true,
}

// readPosts are the analyses that take their question as a POST body:
// they read.
var readPosts = map[string]bool{
	"POST /api/v1/funnels":   true,
	"POST /api/v1/retention": true,
	"POST /api/v1/paths":     true,
	"POST /api/v1/trends":    true,
	"POST /api/v1/sql":       true, // read-only SQL (sql.go)
}

// actionFor is the action a project API route needs: its entry in
// adminRoutes, else reading for GET (and readPosts) and writing for every
// other method.
func actionFor(pattern string) auth.Action {
	if adminRoutes[pattern] {
		return auth.Admin
	}
	if readPosts[pattern] {
		return auth.Read
	}
	if m, _, _ := strings.Cut(pattern, " "); m == http.MethodGet || m == http.MethodHead {
		return auth.Read
	}
	return auth.Write
}

// Sessions resolves browser sessions and users' roles (*meta.Store); nil
// serves keys only.
type Sessions interface {
	Session(ctx context.Context, token string) (meta.Session, error)
	UserPrincipal(ctx context.Context, u meta.User, project int64) (meta.Principal, error)
	UserProjects(ctx context.Context, u meta.User) ([]meta.ProjectRole, error)
}

// Auditor records what members and admins do (*meta.Store).
type Auditor interface {
	Audit(ctx context.Context, e meta.AuditEntry) error
}

var (
	_ Sessions = (*meta.Store)(nil)
	_ Auditor  = (*meta.Store)(nil)
)

// Cookie names: the session (HTTP-only) and its CSRF token (readable by
// the UI, which sends it back in X-CSRF-Token on every write).
const (
	sessionCookie = "lore_session"
	csrfCookie    = "lore_csrf"
	csrfHeader    = "X-CSRF-Token"
	projectHeader = "X-Lore-Project"
)

// Allowed is the access check for code outside the route table (a
// handler that decides on a part of its answer): whether the request's
// principal may take action. It is auth.Allow on the request's role.
func Allowed(r *http.Request, a auth.Action) bool {
	return auth.Allow(principal(r), a)
}

// access puts h behind the policy: it finds who the request acts as (a key
// in the request, or a session cookie), asks auth.Allow for action, checks
// a cookie-authenticated write's CSRF token and origin, and records every
// change (a write to a route above Read) in the audit log.
func (s *Server) access(pattern string, action auth.Action, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) (any, error) {
		p, viaCookie, err := s.whoIs(r)
		if err != nil {
			return nil, err
		}
		if !auth.Allow(p, action) {
			return nil, errs.New(errs.Forbidden, "%s", auth.Denied(p.Role, action))
		}
		if viaCookie && !safeMethod(r.Method) {
			if err := s.checkCSRF(r); err != nil {
				return nil, err
			}
		}
		r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
		if safeMethod(r.Method) || action == auth.Read || action == auth.Public || action == auth.Ingest {
			return h(w, r) // reading changes nothing: not audited
		}
		v, err := h(w, r)
		if action == auth.ServerAdmin {
			p.ProjectID = 0 // a server entry (making and deleting projects, backups): no project's
		}
		s.audit(r, p, pattern, statusOf(err))
		return v, err
	}
}

// audit records an action; a failure to record is logged, not returned
// (the action is done).
func (s *Server) audit(r *http.Request, p meta.Principal, action string, status int) {
	if s.d.Audit == nil {
		return
	}
	e := meta.AuditEntry{ProjectID: p.ProjectID, Actor: p.Actor(), Action: action, Target: r.URL.Path,
		Remote: remoteIP(r), Status: status}
	if err := s.d.Audit.Audit(context.WithoutCancel(r.Context()), e); err != nil {
		s.log.Error("cannot write the audit log", "action", action, "err", err)
	}
}

// statusOf is the status an error will be answered with (200 for none).
func statusOf(err error) int {
	if err == nil {
		return http.StatusOK
	}
	if ke, ok := errs.As(err); ok {
		return kindStatus[ke.Kind]
	}
	return http.StatusInternalServerError
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// whoIs finds the request's principal: a key (Authorization and the other
// places protocols put it) wins; else the session cookie, in the project
// the request names (X-Lore-Project or ?project=, default the user's
// first). viaCookie says the cookie was used (writes then need CSRF).
func (s *Server) whoIs(r *http.Request) (p meta.Principal, viaCookie bool, err error) {
	if key := bearer(r); key != "" {
		p, err := s.d.Auth.Authenticate(r.Context(), key)
		if errors.Is(err, meta.ErrUnknownKey) {
			return p, false, errs.New(errs.Unauthorized, "unknown API key")
		}
		return p, false, err
	}
	c, cerr := r.Cookie(sessionCookie)
	if cerr != nil || s.d.Sessions == nil {
		return p, false, errs.New(errs.Unauthorized, "not signed in: log in, or send \"Authorization: Bearer KEY\"")
	}
	sess, err := s.d.Sessions.Session(r.Context(), c.Value)
	if errors.Is(err, meta.ErrNoSession) || errors.Is(err, meta.ErrNotFound) {
		return p, true, errs.New(errs.Unauthorized, "%s", meta.ErrNoSession)
	}
	if err != nil {
		return p, true, err
	}
	project, err := s.requestProject(r, sess.User)
	if err != nil {
		return p, true, err
	}
	p, err = s.d.Sessions.UserPrincipal(r.Context(), sess.User, project)
	if errors.Is(err, meta.ErrNotFound) {
		// Not a member: the project is not there for this user.
		return p, true, errs.New(errs.NotFound, "project %d: not found", project)
	}
	return p, true, err
}

// requestProject is the project a session's request is about.
func (s *Server) requestProject(r *http.Request, u meta.User) (int64, error) {
	v := r.Header.Get(projectHeader)
	if v == "" {
		v = r.URL.Query().Get("project")
	}
	if v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return 0, errs.Invalidf("project %q: want a project id", v)
		}
		return id, nil
	}
	ps, err := s.d.Sessions.UserProjects(r.Context(), u)
	if err != nil {
		return 0, err
	}
	if len(ps) == 0 {
		return 0, errs.New(errs.Forbidden, "%s belongs to no project yet: ask an admin to add you", u.Email)
	}
	return ps[0].ID, nil
}

// checkCSRF refuses a cookie-authenticated write without the session's
// CSRF token in X-CSRF-Token, or from another origin.
func (s *Server) checkCSRF(r *http.Request) error {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return errs.New(errs.Forbidden, "missing session")
	}
	sess, err := s.d.Sessions.Session(r.Context(), c.Value)
	if err != nil {
		return errs.New(errs.Unauthorized, "%s", meta.ErrNoSession)
	}
	got := r.Header.Get(csrfHeader)
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) != 1 {
		return errs.New(errs.Forbidden, "missing or wrong %s header: a signed-in browser's writes must send the lore_csrf cookie's value in it", csrfHeader)
	}
	return sameOrigin(r)
}

// sameOrigin refuses a browser request sent from another site (its Origin
// names another host): signing in and cookie-authenticated writes (a page
// elsewhere must not sign a browser into an account of its choosing, nor
// act with its session).
func sameOrigin(r *http.Request) error {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if o == "null" || err != nil || u.Host != r.Host {
			return errs.New(errs.Forbidden, "cross-origin request from %q refused", o)
		}
	}
	return nil
}

// remoteIP is the client's address (the connection's; Lore trusts no
// forwarding header).
func remoteIP(r *http.Request) string {
	h, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return h
}

// isLoopback says whether the request came over loopback.
func isLoopback(r *http.Request) bool {
	ip := net.ParseIP(remoteIP(r))
	return ip != nil && ip.IsLoopback()
}

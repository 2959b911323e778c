package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/lore-dev/lore/internal/auth/sso"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/meta"
)

// SSO is an OpenID Connect provider people sign in through (*sso.Provider).
type SSO interface {
	Name() string
	Config() sso.Config
	Begin(ctx context.Context, redirectURL string) (string, sso.Flow, error)
	Finish(ctx context.Context, redirectURL string, f sso.Flow, state, code string) (sso.Identity, error)
}

var _ SSO = (*sso.Provider)(nil)

const (
	// oidcCookie keeps the sign-in under way (state, nonce, PKCE
	// verifier) between leaving for the provider and coming back; sent
	// only to the callback.
	oidcCookie       = "lore_oidc"
	oidcCallbackPath = "/api/v1/auth/oidc/callback"
	oidcStartPath    = "/api/v1/auth/oidc/start"
)

// authMethods is GET /api/v1/auth/methods: how one may sign in, for the
// login page.
type authMethods struct {
	Password bool        `json:"password"`
	OIDC     *oidcMethod `json:"oidc,omitempty"`
}

type oidcMethod struct {
	Name  string `json:"name"`
	Start string `json:"start"`
}

func (s *Server) handleAuthMethods(w http.ResponseWriter, r *http.Request) (any, error) {
	out := authMethods{Password: true}
	if s.d.SSO != nil {
		out.OIDC = &oidcMethod{Name: s.d.SSO.Name(), Start: oidcStartPath}
	}
	return out, nil
}

// oidcRedirect is the callback URL the provider sends the browser to.
func (s *Server) oidcRedirect(r *http.Request) string {
	if u := s.d.SSO.Config().RedirectURL; u != "" {
		return u
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + oidcCallbackPath
}

// handleOIDCStart sends the browser to the provider, keeping the flow in
// an HTTP-only cookie for the callback.
func (s *Server) handleOIDCStart(w http.ResponseWriter, r *http.Request) (any, error) {
	to, f, err := s.d.SSO.Begin(r.Context(), s.oidcRedirect(r))
	if err != nil {
		// The browser followed a link: back to the login page, which says why.
		s.log.Error("cannot start an OIDC sign-in", "err", err)
		http.Redirect(w, r, "/#/login?error="+url.QueryEscape("The sign-in provider cannot be reached: try again, or sign in with a password."), http.StatusSeeOther)
		return written{}, nil
	}
	b, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: base64.RawURLEncoding.EncodeToString(b),
		Path: oidcCallbackPath, MaxAge: 600, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, to, http.StatusFound)
	return written{}, nil
}

// readFlow reads the flow cookie (a zero Flow when missing or bad: the
// state check then fails).
func readFlow(r *http.Request) sso.Flow {
	var f sso.Flow
	c, err := r.Cookie(oidcCookie)
	if err != nil {
		return f
	}
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return f
	}
	if json.Unmarshal(b, &f) != nil {
		return sso.Flow{}
	}
	return f
}

// handleOIDCCallback finishes a sign-in: the state, code, ID token and
// nonce are checked (sso.Provider.Finish), the person is matched to a user
// by email or made one, and a session starts. The browser goes back to
// the UI, or to the login page with the reason it failed.
func (s *Server) handleOIDCCallback(w http.ResponseWriter, r *http.Request) (any, error) {
	f := readFlow(r)
	// The flow is spent whatever happens.
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: oidcCallbackPath, MaxAge: -1, HttpOnly: true})
	u, err := s.oidcUser(r, f)
	if err == nil {
		err = s.newSession(w, r, u, "login (oidc)")
	}
	if err != nil {
		msg := err.Error()
		if e, ok := errs.As(err); ok {
			msg = e.Msg
		}
		s.log.Info("OIDC sign-in refused", "remote", remoteIP(r), "err", err)
		s.audit(r, meta.Principal{User: "oidc", UserID: -1}, "login failed (oidc)", http.StatusUnauthorized)
		http.Redirect(w, r, "/#/login?error="+url.QueryEscape(msg), http.StatusSeeOther)
		return written{}, nil
	}
	http.Redirect(w, r, "/#/", http.StatusSeeOther)
	return written{}, nil
}

// oidcUser is the user the provider's answer signs in: the user linked to
// the provider's subject (whatever email it sends now), else an existing
// user with the verified email, linked now, else a new one (a viewer of
// the configured project, or the role the claim maps to) when the email's
// domain is allowed. A mapped role is set on every sign-in.
func (s *Server) oidcUser(r *http.Request, f sso.Flow) (meta.User, error) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return meta.User{}, errs.New(errs.Unauthorized, "the provider refused the sign-in: %s %s", e, q.Get("error_description"))
	}
	id, err := s.d.SSO.Finish(r.Context(), s.oidcRedirect(r), f, q.Get("state"), q.Get("code"))
	if err != nil {
		return meta.User{}, errs.New(errs.Unauthorized, "sign-in refused: %v", err)
	}
	cfg := s.d.SSO.Config()
	role, mapped := cfg.Role(id)
	in, err := s.d.People.UserBySSO(r.Context(), cfg.Issuer, id.Subject, id.Email, cfg.MayProvision(id))
	switch {
	case errors.Is(err, meta.ErrNotFound):
		return meta.User{}, errs.New(errs.Forbidden, "%s has no Lore account: ask an admin to add you", id.Email)
	case errors.Is(err, meta.ErrIdentityConflict):
		return meta.User{}, errs.New(errs.Forbidden, "%v: ask an admin", err)
	case err != nil:
		return meta.User{}, err
	}
	u := in.User
	if in.OldEmail != "" {
		s.log.Info("OIDC sign-in changed a user's email", "user", u.ID, "from", in.OldEmail, "to", u.Email)
	}
	if in.Created && !mapped {
		role, mapped = meta.RoleViewer, true
	}
	if mapped {
		if err := s.d.People.SetMember(r.Context(), cfg.Project, u.ID, role); err != nil {
			return meta.User{}, err
		}
	}
	return u, nil
}

package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/auth/sso"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/server"
)

// FirstLogin is the admin made on the first start, and the one-time login
// link to print (the token goes after PublicURL + "/#/login?link=").
type FirstLogin struct {
	Email string
	Link  string // the token; "" when the admin's password was given
}

// ensurePeople pins the admin key and, when no user exists yet, makes the
// first admin: a server admin and admin of project 1, with the password
// given (Config.AdminPassword) or a one-time login link valid 24 hours.
func (a *App) ensurePeople(ctx context.Context) error {
	cfg := a.cfg
	if cfg.AdminKey != "" {
		added, err := a.meta.PinKey(ctx, 1, meta.RoleAdmin, cfg.AdminKey)
		if err != nil {
			return err
		}
		if added {
			a.Bootstrap.AdminKey = cfg.AdminKey
		}
	}
	n, err := a.meta.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	email := cfg.AdminEmail
	if email == "" {
		email = "admin@localhost"
	}
	u, err := a.meta.AddUser(ctx, email, cfg.AdminPassword, true)
	if errors.Is(err, meta.ErrExists) {
		return nil // another node sharing the metadata made it meanwhile
	}
	if err != nil {
		return fmt.Errorf("make the first admin: %w", err)
	}
	if err := a.meta.SetMember(ctx, 1, u.ID, meta.RoleAdmin); err != nil {
		return err
	}
	a.FirstLogin = &FirstLogin{Email: u.Email}
	if cfg.AdminPassword == "" {
		if a.FirstLogin.Link, err = a.meta.NewLoginLink(ctx, u.ID, 24*time.Hour); err != nil {
			return err
		}
	}
	return nil
}

// PublicURL is Lore's address as people reach it (Config.PublicURL, or
// http://localhost:PORT).
func (a *App) PublicURL() string { return a.publicURL() }

// RouteActions is the server's route table with each route's action (the
// access tests walk it).
func (a *App) RouteActions() []server.RouteInfo { return a.srv.RouteActions() }

// Meta is the metadata store (projects, keys, users), for tests and
// commands that manage them.
func (a *App) Meta() *meta.Store { return a.meta }

// openSSO sets up the OpenID Connect provider, when configured; its
// callback is under PublicURL when no redirect URL is given.
func (a *App) openSSO(d *server.Deps) error {
	if a.cfg.OIDC == nil {
		return nil
	}
	c := *a.cfg.OIDC
	if c.RedirectURL == "" && a.cfg.PublicURL != "" {
		c.RedirectURL = strings.TrimRight(a.cfg.PublicURL, "/") + "/api/v1/auth/oidc/callback"
	}
	p, err := sso.New(c)
	if err != nil {
		return err
	}
	d.SSO = p
	return nil
}

// configureTLS loads the certificate and key when both are given.
func (a *App) configureTLS() error {
	c, k := a.cfg.TLSCert, a.cfg.TLSKey
	if c == "" && k == "" {
		return nil
	}
	if c == "" || k == "" {
		return fmt.Errorf("TLS needs both --tls-cert and --tls-key (got cert %q, key %q)", c, k)
	}
	cert, err := tls.LoadX509KeyPair(c, k)
	if err != nil {
		return fmt.Errorf("load TLS certificate %q and key %q: %w", c, k, err)
	}
	a.http.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	return nil
}

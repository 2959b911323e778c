// Package sso signs people in through an OpenID Connect provider: the
// authorization code flow with PKCE (RFC 7636), state and nonce, and the ID
// token's signature checked against the provider's published keys (JWKS),
// its issuer, audience and expiry (OpenID Connect Core 1.0 §3.1.3.7). The
// provider is found through its discovery document
// (/.well-known/openid-configuration).
//
// The package knows nothing of Lore's users: Finish returns the verified
// Identity, and Config.Decide says whether and as what it may come in.
package sso

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/lore-dev/lore/internal/meta"
)

// Config says which provider to use and who may come in through it.
type Config struct {
	// Issuer is the provider's issuer URL; its discovery document is at
	// Issuer + "/.well-known/openid-configuration".
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is where the provider sends the browser back: Lore's
	// /api/v1/auth/oidc/callback as registered at the provider. Empty: made
	// from the request's host.
	RedirectURL string
	// Project is the project new users join and RoleMap's roles are in;
	// default 1.
	Project int64
	// Name is shown on the button ("Sign in with Name"); default "SSO".
	Name string
	// AllowedDomains are the email domains whose people are made users
	// (viewers of the default project) on their first sign-in; "*" allows
	// every verified email. Empty: only existing users (matched by email)
	// may sign in.
	AllowedDomains []string
	// RoleClaim names a claim (a string or a list of strings, e.g.
	// "groups") and RoleMap maps its values to roles in the default
	// project; the highest role that matches wins, and is set on every
	// sign-in. Without a match a new user is a viewer and an existing
	// user keeps their roles.
	RoleClaim string
	RoleMap   map[string]meta.Role
	// SkipEmailVerified accepts ID tokens without email_verified: true
	// (for providers that do not send it). Off by default: an unverified
	// email could name someone else's account.
	SkipEmailVerified bool
	// HTTPClient reaches the provider; nil uses one with a 10 s timeout.
	HTTPClient *http.Client
	// Now is the clock the ID token's expiry is checked against; nil is
	// time.Now.
	Now func() time.Time
}

// Identity is what a verified ID token says of the person.
type Identity struct {
	Subject string
	Email   string
	// Roles are the claim's values (Config.RoleClaim) as given.
	Roles []string
}

// Flow is one sign-in under way: what the browser keeps (in an HTTP-only
// cookie) between leaving for the provider and coming back.
type Flow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"` // the PKCE code verifier
}

// Provider is one OpenID Connect provider. Discovery happens on first use
// (and again after a failure), so Lore starts while the provider is down.
type Provider struct {
	cfg    Config
	client *http.Client

	mu       sync.Mutex
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
}

// New checks cfg; it does not reach the provider.
func New(cfg Config) (*Provider, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" {
		return nil, fmt.Errorf("OIDC needs an issuer and a client id (got issuer %q, client id %q)", cfg.Issuer, cfg.ClientID)
	}
	if err := checkIssuer(cfg.Issuer); err != nil {
		return nil, err
	}
	if cfg.Project == 0 {
		cfg.Project = 1
	}
	for v, r := range cfg.RoleMap {
		if _, err := meta.ParseMemberRole(string(r)); err != nil {
			return nil, fmt.Errorf("OIDC role map %q=%q: %w", v, r, err)
		}
	}
	if cfg.Name == "" {
		cfg.Name = "SSO"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Provider{cfg: cfg, client: client}, nil
}

// checkIssuer wants an https URL, or http on loopback (for a provider
// run on the same machine, as the tests do).
func checkIssuer(issuer string) error {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return fmt.Errorf("OIDC issuer %q: want an https:// URL", issuer)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		h := u.Hostname()
		if ip := net.ParseIP(h); h == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
	}
	return fmt.Errorf("OIDC issuer %q: want an https:// URL (http only on loopback)", issuer)
}

// Name is the provider's name for the sign-in button.
func (p *Provider) Name() string { return p.cfg.Name }

// Config is the provider's configuration.
func (p *Provider) Config() Config { return p.cfg }

// discover fetches the discovery document once it works.
func (p *Provider) discover(ctx context.Context) (*oidc.Provider, *oidc.IDTokenVerifier, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.provider != nil {
		return p.provider, p.verifier, nil
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, p.client), 15*time.Second)
	defer cancel()
	prov, err := oidc.NewProvider(ctx, p.cfg.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("OIDC discovery at %q: %w", p.cfg.Issuer, err)
	}
	// Keys are fetched with the client above (the key set keeps the
	// discovery context's values, not its deadline).
	p.provider = prov
	p.verifier = prov.Verifier(&oidc.Config{ClientID: p.cfg.ClientID, Now: p.cfg.Now,
		SupportedSigningAlgs: []string{oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512, oidc.PS256, oidc.EdDSA}})
	return p.provider, p.verifier, nil
}

func (p *Provider) oauth(prov *oidc.Provider, redirectURL string) *oauth2.Config {
	ep := prov.Endpoint()
	ep.AuthStyle = authStyle(prov)
	return &oauth2.Config{ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, Endpoint: ep,
		RedirectURL: redirectURL, Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
}

// authStyle is how the client authenticates at the token endpoint: HTTP
// Basic unless the provider only takes the secret in the form (discovery's
// token_endpoint_auth_methods_supported; Basic is the default of OpenID
// Connect Discovery 1.0 §3). Chosen once: guessing would send a code
// twice, and a provider spends a code on its first use.
func authStyle(prov *oidc.Provider) oauth2.AuthStyle {
	var d struct {
		Methods []string `json:"token_endpoint_auth_methods_supported"`
	}
	if prov.Claims(&d) != nil || len(d.Methods) == 0 || slices.Contains(d.Methods, "client_secret_basic") {
		return oauth2.AuthStyleInHeader
	}
	if slices.Contains(d.Methods, "client_secret_post") {
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleInHeader
}

// random is 32 bytes of randomness, URL-safe.
func random() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Begin starts a sign-in: the provider's authorization URL to send the
// browser to, and the Flow to keep until it comes back to redirectURL.
func (p *Provider) Begin(ctx context.Context, redirectURL string) (string, Flow, error) {
	prov, _, err := p.discover(ctx)
	if err != nil {
		return "", Flow{}, err
	}
	f := Flow{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier()}
	u := p.oauth(prov, redirectURL).AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier))
	return u, f, nil
}

// Errors of Finish, for tests and the audit log.
var (
	ErrState = errors.New("the sign-in's state does not match (start again from Lore's sign-in page)")
	ErrNonce = errors.New("the ID token's nonce does not match this sign-in")
)

// Finish completes a sign-in the provider sent back with state and code:
// the state must be the flow's, the code is exchanged (with the PKCE
// verifier) for tokens, and the ID token must be signed by one of the
// provider's keys, issued by it to this client, unexpired, and carry the
// flow's nonce and a verified email.
func (p *Provider) Finish(ctx context.Context, redirectURL string, f Flow, state, code string) (Identity, error) {
	if f.State == "" || subtle.ConstantTimeCompare([]byte(state), []byte(f.State)) != 1 {
		return Identity{}, ErrState
	}
	if code == "" {
		return Identity{}, errors.New("the provider sent no authorization code")
	}
	prov, verifier, err := p.discover(ctx)
	if err != nil {
		return Identity{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	tok, err := p.oauth(prov, redirectURL).Exchange(context.WithValue(ctx, oauth2.HTTPClient, p.client), code,
		oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return Identity{}, fmt.Errorf("exchange the authorization code at %q: %w", prov.Endpoint().TokenURL, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Identity{}, errors.New("the provider's token answer has no id_token")
	}
	idt, err := verifier.Verify(oidc.ClientContext(ctx, p.client), raw)
	if err != nil {
		return Identity{}, fmt.Errorf("ID token refused: %w", err)
	}
	if f.Nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return Identity{}, ErrNonce
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, fmt.Errorf("ID token claims: %w", err)
	}
	id := Identity{Subject: idt.Subject}
	id.Email, _ = claims["email"].(string)
	if id.Email == "" {
		return Identity{}, errors.New("the ID token has no email (ask for the email scope at the provider)")
	}
	if !p.cfg.SkipEmailVerified && !emailVerified(claims["email_verified"]) {
		return Identity{}, fmt.Errorf("the provider has not verified the email %q (email_verified is not true)", id.Email)
	}
	if p.cfg.RoleClaim != "" {
		id.Roles = strs(claims[p.cfg.RoleClaim])
	}
	return id, nil
}

// emailVerified reads email_verified, a boolean (some providers send the
// string "true").
func emailVerified(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

// strs reads a claim that is a string or a list of strings.
func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// Role is the role the identity's claim maps to in the default project
// (the highest of RoleMap's matches), and whether any matched.
func (c Config) Role(id Identity) (meta.Role, bool) {
	var best meta.Role
	for _, v := range id.Roles {
		if r, ok := c.RoleMap[v]; ok && rank(r) > rank(best) {
			best = r
		}
	}
	return best, best != ""
}

func rank(r meta.Role) int {
	switch r {
	case meta.RoleViewer:
		return 1
	case meta.RoleMember:
		return 2
	case meta.RoleAdmin:
		return 3
	}
	return 0
}

// MayProvision says whether an identity without a user may be made one:
// its email's domain is allowed.
func (c Config) MayProvision(id Identity) bool {
	_, domain, ok := strings.Cut(id.Email, "@")
	if !ok {
		return false
	}
	for _, d := range c.AllowedDomains {
		if d == "*" || strings.EqualFold(strings.TrimPrefix(d, "@"), domain) {
			return true
		}
	}
	return false
}

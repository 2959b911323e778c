// Package ssotest is a small OpenID Connect provider for tests: discovery,
// a JWKS, an authorize endpoint that signs in whoever the test says (at
// once, or after a sign-in form when Form is set) and a token endpoint
// that checks the client's secret, the code's redirect URI and the PKCE
// verifier, and answers with an RS256 ID token. Tests make it misbehave
// (wrong audience, nonce or issuer, an expired token, a signature by a
// key it does not publish) through Next. Its command (cmd/ssoprovider)
// runs it for the browser tests; neither is part of the lore binary.
package ssotest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Login is who the next sign-in is, and how the provider answers it.
type Login struct {
	Subject       string
	Email         string
	EmailVerified bool
	Claims        map[string]any // more claims (e.g. "groups")

	// Misbehaviour, each off when zero.
	Audience   string        // the ID token's aud instead of the client id
	Issuer     string        // its iss instead of the provider's
	Nonce      string        // its nonce instead of the one asked for
	ExpiresIn  time.Duration // default 10 minutes; negative: expired
	SignWithIt bool          // sign with a key the JWKS does not publish
}

// Provider is the running provider.
type Provider struct {
	URL          string // the issuer; set before the first request
	ClientID     string
	ClientSecret string
	// Form makes the authorize endpoint show a sign-in page whose email
	// field (filled with Next's) says who signs in, as a real provider's
	// login form does, instead of signing Next in at once.
	Form bool

	key   *rsa.PrivateKey // published in the JWKS
	other *rsa.PrivateKey // not published

	mu    sync.Mutex
	next  Login
	codes map[string]grant
	// Authorizations counts authorize requests; Exchanges counts codes
	// exchanged.
	Authorizations, Exchanges int
}

type grant struct {
	login       Login
	nonce       string
	challenge   string
	redirectURI string
}

// New makes a provider for clientID/secret; serve its Handler and set
// its URL.
func New(clientID, secret string) (*Provider, error) {
	p := &Provider{ClientID: clientID, ClientSecret: secret, codes: map[string]grant{}}
	var err error
	if p.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return nil, fmt.Errorf("provider key: %w", err)
	}
	if p.other, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return nil, fmt.Errorf("provider key: %w", err)
	}
	return p, nil
}

// Handler serves the provider's endpoints.
func (p *Provider) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /authorize", p.approve)
	mux.HandleFunc("POST /token", p.token)
	return mux
}

// Start runs a provider for clientID/secret until the test ends.
func Start(t testing.TB, clientID, secret string) *Provider {
	t.Helper()
	p, err := New(clientID, secret)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p.Handler())
	p.URL = srv.URL
	t.Cleanup(srv.Close)
	return p
}

// Next sets who the next sign-ins are and how they are answered.
func (p *Provider) Next(l Login) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next = l
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.URL,
		"authorization_endpoint":                p.URL + "/authorize",
		"token_endpoint":                        p.URL + "/token",
		"jwks_uri":                              p.URL + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
	})
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &p.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
}

// authorize signs in p.next at once and sends the browser back with a
// code, as a provider does after its login form; with Form it shows that
// form first.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	back, ok := p.checkAuthorize(w, q)
	if !ok {
		return
	}
	p.mu.Lock()
	l, form := p.next, p.Form
	p.mu.Unlock()
	if form {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := formPage.Execute(w, map[string]any{"Query": q, "Email": l.Email}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
		return
	}
	p.grant(w, r, back, q, l)
}

// approve is the sign-in form's answer: the email typed signs in (with
// Next's subject when it is Next's email, else one made from the email),
// verified.
func (p *Provider) approve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	back, ok := p.checkAuthorize(w, r.PostForm)
	if !ok {
		return
	}
	email := r.PostForm.Get("email")
	if email == "" {
		http.Error(w, "give an email", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	l := p.next
	p.mu.Unlock()
	if email != l.Email {
		l = Login{Subject: "ssotest|" + email, Email: email, EmailVerified: true}
	}
	p.grant(w, r, back, r.PostForm, l)
}

// checkAuthorize checks an authorization request's parameters and returns
// where to send the browser back; on false it has answered.
func (p *Provider) checkAuthorize(w http.ResponseWriter, q url.Values) (*url.URL, bool) {
	back, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("client_id") != p.ClientID:
		http.Error(w, "unknown client_id", http.StatusBadRequest)
	case err != nil || back.Host == "":
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
	case q.Get("response_type") != "code":
		http.Error(w, "response_type must be code", http.StatusBadRequest)
	case q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256":
		http.Error(w, "PKCE (S256) required", http.StatusBadRequest)
	default:
		return back, true
	}
	return nil, false
}

// grant makes a code for l and sends the browser back with it.
func (p *Provider) grant(w http.ResponseWriter, r *http.Request, back *url.URL, q url.Values, l Login) {
	code := rand.Text()
	p.mu.Lock()
	p.Authorizations++
	p.codes[code] = grant{login: l, nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirectURI: q.Get("redirect_uri")}
	p.mu.Unlock()
	v := back.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// formPage is the sign-in form (Form): the authorization request rides
// along in hidden fields.
var formPage = template.Must(template.New("form").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Sign in – Test ID</title>
<style>body{font:15px system-ui,sans-serif;max-width:360px;margin:60px auto}label,input,button{display:block;width:100%;margin:6px 0}input,button{padding:8px;box-sizing:border-box}</style>
</head><body>
<h1>Test ID</h1>
<p>A test OpenID Connect provider: whoever you say you are signs in.</p>
<form method="post" action="/authorize">
{{range $k, $v := .Query}}{{if ne $k "email"}}<input type="hidden" name="{{$k}}" value="{{index $v 0}}">{{end}}{{end}}
<label for="email">Email</label><input id="email" name="email" type="email" value="{{.Email}}" required>
<button type="submit">Continue</button>
</form>
</body></html>
`))

func tokenError(w http.ResponseWriter, code, desc string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": desc})
}

// token exchanges a code once, for the client that asked for it, with the
// verifier whose S256 is the challenge.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, "invalid_request", err.Error())
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != p.ClientID || secret != p.ClientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	p.mu.Lock()
	g, found := p.codes[r.PostForm.Get("code")]
	delete(p.codes, r.PostForm.Get("code"))
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case r.PostForm.Get("grant_type") != "authorization_code":
		tokenError(w, "unsupported_grant_type", "")
		return
	case !found:
		tokenError(w, "invalid_grant", "unknown or used code")
		return
	case r.PostForm.Get("redirect_uri") != g.redirectURI:
		tokenError(w, "invalid_grant", "redirect_uri differs from the authorization request's")
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		tokenError(w, "invalid_grant", "PKCE verifier does not match the challenge")
		return
	}
	idt, err := p.idToken(g)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	p.mu.Lock()
	p.Exchanges++
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": rand.Text(), "token_type": "Bearer",
		"expires_in": 3600, "id_token": idt})
}

// idToken signs the ID token of a grant.
func (p *Provider) idToken(g grant) (string, error) {
	l := g.login
	now := time.Now()
	exp := l.ExpiresIn
	if exp == 0 {
		exp = 10 * time.Minute
	}
	claims := map[string]any{}
	for k, v := range l.Claims {
		claims[k] = v
	}
	claims["iss"] = p.URL
	claims["sub"] = l.Subject
	claims["aud"] = p.ClientID
	claims["iat"] = now.Add(min(exp, 0) - time.Minute).Unix()
	claims["exp"] = now.Add(exp).Unix()
	claims["nonce"] = g.nonce
	claims["email"] = l.Email
	claims["email_verified"] = l.EmailVerified
	if l.Audience != "" {
		claims["aud"] = l.Audience
	}
	if l.Issuer != "" {
		claims["iss"] = l.Issuer
	}
	if l.Nonce != "" {
		claims["nonce"] = l.Nonce
	}
	key := p.key
	if l.SignWithIt {
		key = p.other
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

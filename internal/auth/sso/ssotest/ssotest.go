// Package ssotest is a small OpenID Connect provider for tests: discovery,
// a JWKS, an authorize endpoint that signs in whoever the test says (no
// login form) and a token endpoint that checks the client's secret, the
// code's redirect URI and the PKCE verifier, and answers with an RS256
// ID token. Tests make it misbehave (wrong audience, nonce or issuer, an
// expired token, a signature by a key it does not publish) through Next.
package ssotest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
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
	URL          string // the issuer
	ClientID     string
	ClientSecret string

	srv   *httptest.Server
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

// Start runs a provider for clientID/secret until the test ends.
func Start(t testing.TB, clientID, secret string) *Provider {
	t.Helper()
	p := &Provider{ClientID: clientID, ClientSecret: secret, codes: map[string]grant{}}
	var err error
	if p.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if p.other, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewServer(mux)
	p.URL = p.srv.URL
	t.Cleanup(p.srv.Close)
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
// code, as a provider does after its login form.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	back, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("client_id") != p.ClientID:
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	case err != nil || back.Host == "":
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code":
		http.Error(w, "response_type must be code", http.StatusBadRequest)
		return
	case q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256":
		http.Error(w, "PKCE (S256) required", http.StatusBadRequest)
		return
	}
	code := rand.Text()
	p.mu.Lock()
	p.Authorizations++
	p.codes[code] = grant{login: p.next, nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirectURI: q.Get("redirect_uri")}
	p.mu.Unlock()
	v := back.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

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

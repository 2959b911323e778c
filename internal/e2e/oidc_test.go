package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/internal/auth/sso"
	"github.com/lore-dev/lore/internal/auth/sso/ssotest"
	"github.com/lore-dev/lore/internal/meta"
)

// oidcBrowser is a browser going through the OIDC sign-in by hand: it
// follows no redirect on its own, so each step is seen.
type oidcBrowser struct {
	t      *testing.T
	base   string
	jar    http.CookieJar
	client *http.Client
}

func newOIDCBrowser(t *testing.T, base string) *oidcBrowser {
	jar, _ := cookiejar.New(nil)
	return &oidcBrowser{t: t, base: base, jar: jar, client: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// get fetches u and returns the status and Location.
func (b *oidcBrowser) get(u string) (int, string) {
	b.t.Helper()
	resp, err := b.client.Get(u)
	if err != nil {
		b.t.Fatalf("GET %s: %v", u, err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

// signIn walks the login button's link to the provider and back; tamper,
// when set, changes the callback URL the provider sent the browser to.
// It returns where Lore sends the browser at the end.
func (b *oidcBrowser) signIn(tamper func(*url.URL)) string {
	b.t.Helper()
	code, toProvider := b.get(b.base + "/api/v1/auth/oidc/start")
	if code != http.StatusFound || toProvider == "" {
		b.t.Fatalf("start: %d %q, want a redirect to the provider", code, toProvider)
	}
	pu, _ := url.Parse(toProvider)
	q := pu.Query()
	for _, p := range []string{"state", "nonce", "code_challenge"} {
		if q.Get(p) == "" {
			b.t.Fatalf("the authorization request has no %s: %s", p, toProvider)
		}
	}
	if q.Get("code_challenge_method") != "S256" || !strings.Contains(q.Get("scope"), "openid") {
		b.t.Fatalf("authorization request: want PKCE S256 and scope openid: %s", toProvider)
	}
	code, back := b.get(toProvider)
	if code != http.StatusFound || !strings.HasPrefix(back, b.base+"/api/v1/auth/oidc/callback?") {
		b.t.Fatalf("provider: %d %q, want a redirect to Lore's callback", code, back)
	}
	bu, _ := url.Parse(back)
	if tamper != nil {
		tamper(bu)
	}
	code, end := b.get(bu.String())
	if code != http.StatusSeeOther {
		b.t.Fatalf("callback: %d %q, want 303", code, end)
	}
	return end
}

// me is GET /api/v1/auth/me with the browser's cookies.
func (b *oidcBrowser) me() (signedIn bool, email string, role meta.Role) {
	b.t.Helper()
	resp, err := b.client.Get(b.base + "/api/v1/auth/me")
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		SignedIn bool `json:"signed_in"`
		User     *struct {
			Email string `json:"email"`
		} `json:"user"`
		Role meta.Role `json:"role"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		b.t.Fatal(err)
	}
	if out.User != nil {
		email = out.User.Email
	}
	return out.SignedIn, email, out.Role
}

func (b *oidcBrowser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.base + "/api/v1/auth/oidc/callback")
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestOIDCSignIn signs people in through an OpenID Connect provider the
// test runs (ssotest: discovery, JWKS, authorize, token, RS256 ID tokens),
// end to end through Lore's handlers: the login page's link → the provider
// → the callback → a session cookie → /api/v1/auth/me. New people of an
// allowed domain become viewers, existing users are matched by email, a
// group claim maps to a role; a wrong state, nonce, audience or issuer, an
// expired token, a bad signature, an unverified email, a replayed code, a
// changed PKCE verifier and a callback without the flow's cookie are each
// refused with no session.
func TestOIDCSignIn(t *testing.T) {
	idp := ssotest.Start(t, "lore-client", "lore-secret")
	a := startApp(t, func(c *app.Config) {
		c.OIDC = &sso.Config{Issuer: idp.URL, ClientID: "lore-client", ClientSecret: "lore-secret", Name: "TestIdP",
			AllowedDomains: []string{"example.com"}, RoleClaim: "groups",
			RoleMap: map[string]meta.Role{"lore-admins": meta.RoleAdmin, "lore-devs": meta.RoleMember}}
	})
	base := a.URL()
	ctx := context.Background()

	// The login page learns of the provider.
	resp, err := http.Get(base + "/api/v1/auth/methods")
	if err != nil {
		t.Fatal(err)
	}
	var methods struct {
		Password bool
		OIDC     *struct{ Name, Start string }
	}
	json.NewDecoder(resp.Body).Decode(&methods)
	resp.Body.Close()
	if methods.OIDC == nil || methods.OIDC.Name != "TestIdP" || methods.OIDC.Start != "/api/v1/auth/oidc/start" {
		t.Fatalf("auth methods: %+v", methods)
	}

	t.Run("new person of an allowed domain becomes a viewer", func(t *testing.T) {
		idp.Next(ssotest.Login{Subject: "s-ann", Email: "ann@example.com", EmailVerified: true})
		b := newOIDCBrowser(t, base)
		if end := b.signIn(nil); end != "/#/" {
			t.Fatalf("sign-in ended at %q", end)
		}
		if b.cookie("lore_oidc") != nil {
			t.Error("the flow's cookie is still there after the callback")
		}
		in, email, role := b.me()
		if !in || email != "ann@example.com" || role != meta.RoleViewer {
			t.Fatalf("me: signed in %v as %q, %q; want ann@example.com, viewer", in, email, role)
		}
		// A viewer's session cannot write.
		c := caller{name: "ann", client: b.client}
		u, _ := url.Parse(base)
		for _, ck := range b.jar.Cookies(u) {
			if ck.Name == "lore_csrf" {
				c.csrf = ck.Value
			}
		}
		if code, body := c.do(t, "POST", base+"/api/v1/dashboards", []byte(`{"name":"x","panels":[]}`), nil); code != 403 {
			t.Errorf("an OIDC viewer creates a dashboard: %d %s", code, body)
		}
		// Signing out ends it.
		if code, _ := c.do(t, "POST", base+"/api/v1/auth/logout", nil, nil); code != 200 {
			t.Errorf("logout: %d", code)
		}
		if in, _, _ := b.me(); in {
			t.Error("still signed in after logout")
		}
	})

	t.Run("existing user matched by email keeps their role", func(t *testing.T) {
		u, err := a.Meta().AddUser(ctx, "bob@elsewhere.org", "", false)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Meta().SetMember(ctx, 1, u.ID, meta.RoleMember); err != nil {
			t.Fatal(err)
		}
		idp.Next(ssotest.Login{Subject: "s-bob", Email: "BOB@elsewhere.org", EmailVerified: true})
		b := newOIDCBrowser(t, base)
		if end := b.signIn(nil); end != "/#/" {
			t.Fatalf("sign-in ended at %q", end)
		}
		if in, email, role := b.me(); !in || email != "bob@elsewhere.org" || role != meta.RoleMember {
			t.Fatalf("me: %v %q %q; want bob@elsewhere.org, member", in, email, role)
		}
	})

	t.Run("group claim maps to a role", func(t *testing.T) {
		idp.Next(ssotest.Login{Subject: "s-cat", Email: "cat@example.com", EmailVerified: true,
			Claims: map[string]any{"groups": []string{"staff", "lore-admins"}}})
		b := newOIDCBrowser(t, base)
		b.signIn(nil)
		if in, email, role := b.me(); !in || email != "cat@example.com" || role != meta.RoleAdmin {
			t.Fatalf("me: %v %q %q; want cat@example.com, admin", in, email, role)
		}
	})

	good := ssotest.Login{Subject: "s-dan", Email: "dan@example.com", EmailVerified: true}
	refused := []struct {
		name   string
		login  ssotest.Login
		tamper func(*url.URL)
		why    string // in the login page's error
	}{
		{"stranger of another domain", ssotest.Login{Subject: "s-eve", Email: "eve@evil.test", EmailVerified: true}, nil, "has no Lore account"},
		{"bad state", good, func(u *url.URL) { setQuery(u, "state", "forged") }, "state does not match"},
		{"bad nonce", withLogin(good, func(l *ssotest.Login) { l.Nonce = "replayed-nonce" }), nil, "nonce does not match"},
		{"wrong audience", withLogin(good, func(l *ssotest.Login) { l.Audience = "another-client" }), nil, "audience"},
		{"wrong issuer", withLogin(good, func(l *ssotest.Login) { l.Issuer = "https://evil.test" }), nil, "different provider"},
		{"expired token", withLogin(good, func(l *ssotest.Login) { l.ExpiresIn = -time.Minute }), nil, "expired"},
		{"bad signature", withLogin(good, func(l *ssotest.Login) { l.SignWithIt = true }), nil, "signature"},
		{"unverified email", withLogin(good, func(l *ssotest.Login) { l.EmailVerified = false }), nil, "not verified"},
		{"provider refused", good, func(u *url.URL) { setQuery(u, "error", "access_denied"); setQuery(u, "code", "") }, "access_denied"},
		{"no code", good, func(u *url.URL) { setQuery(u, "code", "") }, "no authorization code"},
	}
	for _, c := range refused {
		t.Run("refused: "+c.name, func(t *testing.T) {
			idp.Next(c.login)
			b := newOIDCBrowser(t, base)
			end := b.signIn(c.tamper)
			if !strings.HasPrefix(end, "/#/login?error=") {
				t.Fatalf("ended at %q, want the login page with an error", end)
			}
			why, _ := url.QueryUnescape(strings.TrimPrefix(end, "/#/login?error="))
			if !strings.Contains(why, c.why) {
				t.Errorf("error %q does not say %q", why, c.why)
			}
			if b.cookie("lore_session") != nil {
				t.Error("a session cookie was set")
			}
			if in, email, _ := b.me(); in {
				t.Errorf("signed in as %q", email)
			}
		})
	}
	if _, err := a.Meta().UserByEmail(ctx, "eve@evil.test"); err == nil {
		t.Error("a stranger of another domain was made a user")
	}

	t.Run("refused: callback without the flow's cookie (login CSRF)", func(t *testing.T) {
		idp.Next(good)
		victim := newOIDCBrowser(t, base)
		attacker := newOIDCBrowser(t, base)
		// The attacker starts a sign-in and sends the victim the callback.
		attacker.signIn(func(u *url.URL) {
			code, end := victim.get(u.String())
			if code != http.StatusSeeOther || !strings.Contains(end, "error=") {
				t.Errorf("victim's callback: %d %q, want refused", code, end)
			}
		})
		if in, email, _ := victim.me(); in {
			t.Errorf("the victim was signed in as %q", email)
		}
	})

	t.Run("refused: replayed code", func(t *testing.T) {
		idp.Next(good)
		b := newOIDCBrowser(t, base)
		var callback string
		if end := b.signIn(func(u *url.URL) { callback = u.String() }); end != "/#/" {
			t.Fatalf("first use: %q", end)
		}
		// Again, with a fresh flow cookie of the same state: the code is spent.
		b2 := newOIDCBrowser(t, base)
		b2.get(base + "/api/v1/auth/oidc/start")
		f := decodeFlow(t, b2.cookie("lore_oidc"))
		cu, _ := url.Parse(callback)
		setQuery(cu, "state", f.State)
		code, end := b2.get(cu.String())
		if code != http.StatusSeeOther || !strings.Contains(end, "error=") {
			t.Errorf("replayed code: %d %q, want refused", code, end)
		}
		if in, _, _ := b2.me(); in {
			t.Error("a replayed code signed in")
		}
	})

	t.Run("refused: changed PKCE verifier", func(t *testing.T) {
		idp.Next(good)
		b := newOIDCBrowser(t, base)
		end := b.signIn(func(u *url.URL) {
			f := decodeFlow(t, b.cookie("lore_oidc"))
			f.Verifier = strings.Repeat("A", 43)
			raw, _ := json.Marshal(f)
			cu, _ := url.Parse(base + "/api/v1/auth/oidc/callback")
			b.jar.SetCookies(cu, []*http.Cookie{{Name: "lore_oidc", Value: base64.RawURLEncoding.EncodeToString(raw), Path: "/api/v1/auth/oidc/callback"}})
		})
		if !strings.Contains(end, "error=") || !strings.Contains(end, "PKCE") {
			t.Errorf("changed verifier: %q, want refused by the provider (PKCE)", end)
		}
	})

	t.Run("provider down: back to the login page", func(t *testing.T) {
		down := startApp(t, func(c *app.Config) {
			c.OIDC = &sso.Config{Issuer: "http://127.0.0.1:1", ClientID: "lore-client"}
		})
		b := newOIDCBrowser(t, down.URL())
		code, loc := b.get(down.URL() + "/api/v1/auth/oidc/start")
		if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/#/login?error=") || !strings.Contains(loc, "cannot+be+reached") {
			t.Errorf("start with the provider down: %d %q", code, loc)
		}
	})

	// The audit log has the sign-ins and the refusals.
	// (Sign-ins belong to no project: a server admin sees them.)
	entries, err := a.Meta().AuditLog(ctx, 1, true, 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range entries {
		seen[e.Action]++
	}
	if seen["login (oidc)"] < 4 || seen["login failed (oidc)"] < len(refused) {
		t.Errorf("audit log lacks the OIDC sign-ins: %v", seen)
	}
}

func withLogin(l ssotest.Login, f func(*ssotest.Login)) ssotest.Login {
	f(&l)
	return l
}

func setQuery(u *url.URL, k, v string) {
	q := u.Query()
	if v == "" {
		q.Del(k)
	} else {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
}

func decodeFlow(t *testing.T, c *http.Cookie) sso.Flow {
	t.Helper()
	if c == nil {
		t.Fatal("no lore_oidc cookie")
	}
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		t.Fatal(err)
	}
	var f sso.Flow
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

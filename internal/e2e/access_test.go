package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/internal/auth"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/testcert"
)

// caller is one principal of the access tests: a key or a signed-in
// browser (a cookie jar and its CSRF token).
type caller struct {
	name    string
	role    meta.Role // what auth.Allow is asked about; "" for a stranger
	server  bool      // a server admin
	key     string
	client  *http.Client
	csrf    string
	project string // X-Lore-Project, for a session
}

func (c caller) do(t *testing.T, method, u string, body []byte, hdr map[string]string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	if c.project != "" {
		req.Header.Set("X-Lore-Project", c.project)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	cl := c.client
	if cl == nil {
		cl = http.DefaultClient
	}
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatalf("%s %s as %s: %v", method, u, c.name, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// signIn logs a user in and returns a caller holding the session.
func signIn(t *testing.T, base, name, email, password string, role meta.Role, project int64) caller {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := caller{name: name, role: role, client: &http.Client{Jar: jar}, project: fmt.Sprint(project)}
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	code, b := c.do(t, "POST", base+"/api/v1/auth/login", body, nil)
	if code != 200 {
		t.Fatalf("sign in %s: %d %s", email, code, b)
	}
	u, _ := url.Parse(base)
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "lore_csrf" {
			c.csrf = ck.Value
		}
	}
	if c.csrf == "" {
		t.Fatal("no lore_csrf cookie after signing in")
	}
	return c
}

// concrete fills a pattern's wildcards with values that name nothing, so
// that an allowed write changes nothing (it answers 400 or 404).
func concrete(pattern string) (method, path string, ok bool) {
	method, path, ok = strings.Cut(pattern, " ")
	if !ok {
		return "", "", false
	}
	r := strings.NewReplacer("{id}", "999999", "{user}", "999999", "{by}", "trace", "{session}", "nosuchsession",
		"{key}", "nosuchkey", "{writeKey}", "nosuchkey", "{index}", "nosuchindex", "{project}", "999999")
	return method, r.Replace(path), true
}

// TestAccessMatrix walks every route of the server's table with every
// role — keys of each scope, signed-in viewers, members and admins, an
// admin of another project and nobody — and checks each gets exactly what
// auth.Allow grants: 401 without credentials, 403 for a role below the
// route's action, and anything but 401/403 for a role at or above it. An
// admin of project 2 asking about project 1 gets 404 everywhere.
func TestAccessMatrix(t *testing.T) {
	a := startApp(t, func(c *app.Config) {
		c.AdminKey = adminKey
		c.AdminEmail, c.AdminPassword = "root@example.com", "root-password-1"
	})
	base := a.URL()
	ctx := context.Background()
	m := a.Meta()
	p2, err := m.CreateProject(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	callers := []caller{{name: "nobody"}}
	for _, r := range []meta.Role{meta.RoleIngest, meta.RoleBrowser, meta.RoleRead, meta.RoleMember, meta.RoleAdmin} {
		k, err := m.CreateKey(ctx, 1, r)
		if err != nil {
			t.Fatal(err)
		}
		callers = append(callers, caller{name: string(r) + " key", role: r, key: k})
	}
	for _, r := range []meta.Role{meta.RoleViewer, meta.RoleMember, meta.RoleAdmin} {
		email := string(r) + "@example.com"
		u, err := m.AddUser(ctx, email, "password-"+string(r), false)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.SetMember(ctx, 1, u.ID, r); err != nil {
			t.Fatal(err)
		}
		callers = append(callers, signIn(t, base, "signed-in "+string(r), email, "password-"+string(r), r, 1))
	}
	stranger, err := m.AddUser(ctx, "stranger@example.com", "password-stranger", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetMember(ctx, p2.ID, stranger.ID, meta.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	strange := signIn(t, base, "admin of project 2", "stranger@example.com", "password-stranger", "", 1)
	root := signIn(t, base, "server admin", "root@example.com", "root-password-1", meta.RoleAdmin, 1)
	root.server = true
	callers = append(callers, root)

	routes := a.RouteActions()
	if len(routes) < 80 {
		t.Fatalf("the route table has %d routes; expected every route of the server", len(routes))
	}
	walked := 0
	for _, rt := range routes {
		method, path, ok := concrete(rt.Pattern)
		if !ok || rt.Action == auth.Public || method == "OPTIONS" {
			continue
		}
		walked++
		var body []byte
		if method != "GET" && method != "HEAD" && method != "DELETE" {
			body = []byte(`{}`)
		}
		for _, c := range callers {
			code, b := c.do(t, method, base+path, body, nil)
			what := fmt.Sprintf("%s as %s: %d %.200s", rt.Pattern, c.name, code, b)
			switch {
			case c.role == "" && c.key == "" && c.client == nil:
				if code != 401 {
					t.Errorf("%s: want 401 without credentials", what)
				}
			case (rt.Action == auth.Ingest || rt.Action == auth.BrowserIngest) && c.key == "":
				if code != 401 { // a session never ingests: ingest routes look at keys only
					t.Errorf("%s: want 401 (ingest needs a key)", what)
				}
			case auth.Allow(meta.Principal{Role: c.role, ServerAdmin: c.server, UserID: 1}, rt.Action):
				if rt.Pattern == "POST /api/v1/replay" && strings.Contains(b, "session recording is off") {
					break // the project records no sessions: the handler's own 403, past the key check
				}
				if code == 401 || code == 403 {
					t.Errorf("%s: the policy allows a %s to %s", what, c.role, rt.Action)
				}
			default:
				if code != 403 {
					t.Errorf("%s: want 403 (a %s may not %s)", what, c.role, rt.Action)
				}
			}
		}
		if rt.Action != auth.Ingest && rt.Action != auth.BrowserIngest {
			if code, b := strange.do(t, method, base+path, body, nil); code != 404 {
				t.Errorf("%s as an admin of project 2 asking for project 1: %d %.200s; want 404", rt.Pattern, code, b)
			}
		}
	}
	t.Logf("walked %d routes × %d callers", walked, len(callers)+1)
}

// TestAccessAcrossProjects: what a member makes in project 1 is not seen,
// changed or deleted from project 2, by a key or a session, and the audit
// log of each project tells who did what.
func TestAccessAcrossProjects(t *testing.T) {
	a := startApp(t, func(c *app.Config) { c.AdminKey = adminKey })
	base := a.URL()
	ctx := context.Background()
	m := a.Meta()
	p2, err := m.CreateProject(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	k2, err := m.CreateKey(ctx, p2.ID, meta.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	u, err := m.AddUser(ctx, "ann@example.com", "ann-password-1", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetMember(ctx, 1, u.ID, meta.RoleMember); err != nil {
		t.Fatal(err)
	}
	ann := signIn(t, base, "ann", "ann@example.com", "ann-password-1", meta.RoleMember, 1)
	other := caller{name: "project 2's admin key", key: k2}

	code, b := ann.do(t, "POST", base+"/api/v1/dashboards", []byte(`{"name":"ann's board","panels":[]}`), nil)
	if code != 200 {
		t.Fatalf("ann creates a dashboard: %d %s", code, b)
	}
	var d struct{ ID int64 }
	json.Unmarshal([]byte(b), &d)
	dash := fmt.Sprintf("%s/api/v1/dashboards/%d", base, d.ID)
	if code, b := other.do(t, "GET", dash, nil, nil); code != 404 {
		t.Errorf("project 2 reads project 1's dashboard: %d %s", code, b)
	}
	if code, b := other.do(t, "DELETE", dash, nil, nil); code != 404 {
		t.Errorf("project 2 deletes project 1's dashboard: %d %s", code, b)
	}
	if code, b := other.do(t, "GET", base+"/api/v1/dashboards", nil, nil); code != 200 || strings.Contains(b, "ann's board") {
		t.Errorf("project 2's dashboards list project 1's: %d %s", code, b)
	}
	if code, _ := ann.do(t, "GET", dash, nil, nil); code != 200 {
		t.Errorf("ann cannot read her dashboard: %d", code)
	}
	// The audit log: project 1's has ann's change, project 2's does not.
	admin1 := caller{name: "admin key", key: adminKey}
	if code, b := admin1.do(t, "GET", base+"/api/v1/audit", nil, nil); code != 200 ||
		!strings.Contains(b, `"actor":"user:ann@example.com"`) || !strings.Contains(b, `"action":"POST /api/v1/dashboards"`) {
		t.Errorf("project 1's audit log lacks ann's dashboard: %d %s", code, b)
	}
	if _, b := admin1.do(t, "GET", base+"/api/v1/audit", nil, nil); strings.Contains(b, `"action":"GET `) {
		t.Errorf("the audit log records reads: %s", b)
	}
	if code, b := other.do(t, "GET", base+"/api/v1/audit", nil, nil); code != 200 || strings.Contains(b, "ann@example.com") {
		t.Errorf("project 2's audit log shows project 1's actions: %d %s", code, b)
	}
}

// TestSessions: CSRF, origin, logout, revocation and login limits.
func TestSessions(t *testing.T) {
	a := startApp(t, func(c *app.Config) {
		c.AdminKey = adminKey
		c.AdminEmail, c.AdminPassword = "root@example.com", "root-password-1"
	})
	base := a.URL()
	root := signIn(t, base, "root", "root@example.com", "root-password-1", meta.RoleAdmin, 1)
	board := []byte(`{"name":"b","panels":[]}`)
	noCSRF := root
	noCSRF.csrf = ""
	if code, b := noCSRF.do(t, "POST", base+"/api/v1/dashboards", board, nil); code != 403 || !strings.Contains(b, "X-CSRF-Token") {
		t.Errorf("a cookie write without the CSRF token: %d %s", code, b)
	}
	wrong := root
	wrong.csrf = "0123"
	if code, _ := wrong.do(t, "POST", base+"/api/v1/dashboards", board, nil); code != 403 {
		t.Errorf("a cookie write with a wrong CSRF token: %d", code)
	}
	if code, b := root.do(t, "POST", base+"/api/v1/dashboards", board, map[string]string{"Origin": "https://evil.example"}); code != 403 || !strings.Contains(b, "cross-origin") {
		t.Errorf("a cross-origin cookie write: %d %s", code, b)
	}
	login := []byte(`{"email":"root@example.com","password":"root-password-1"}`)
	if code, b := (caller{name: "evil page"}).do(t, "POST", base+"/api/v1/auth/login", login, map[string]string{"Origin": "https://evil.example"}); code != 403 {
		t.Errorf("a sign-in posted from another site: %d %s", code, b)
	}
	if code, b := root.do(t, "POST", base+"/api/v1/dashboards", board, nil); code != 200 {
		t.Fatalf("a cookie write with the token: %d %s", code, b)
	}
	// A key made and revoked through the API stops at once.
	code, b := root.do(t, "POST", base+"/api/v1/keys", []byte(`{"role":"read"}`), nil)
	if code != 200 {
		t.Fatalf("create a key: %d %s", code, b)
	}
	var nk struct {
		Key  string
		Info meta.KeyInfo
	}
	json.Unmarshal([]byte(b), &nk)
	reader := caller{name: "new read key", key: nk.Key}
	if code, _ := reader.do(t, "GET", base+"/api/v1/dashboards", nil, nil); code != 200 {
		t.Fatalf("the new key reads: %d", code)
	}
	if code, b := reader.do(t, "POST", base+"/api/v1/dashboards", board, nil); code != 403 {
		t.Errorf("a read key writes a dashboard: %d %s", code, b)
	}
	if code, b := root.do(t, "DELETE", fmt.Sprintf("%s/api/v1/keys/%d", base, nk.Info.ID), nil, nil); code != 200 {
		t.Fatalf("revoke: %d %s", code, b)
	}
	if code, _ := reader.do(t, "GET", base+"/api/v1/dashboards", nil, nil); code != 401 {
		t.Errorf("a revoked key still reads: %d", code)
	}
	// Rotation: the old key works through the overlap, the new one at once.
	code, b = root.do(t, "POST", base+"/api/v1/keys", []byte(`{"role":"read"}`), nil)
	json.Unmarshal([]byte(b), &nk)
	code, b = root.do(t, "POST", fmt.Sprintf("%s/api/v1/keys/%d/rotate", base, nk.Info.ID), []byte(`{"overlap":"1h"}`), nil)
	var rot struct{ Key string }
	json.Unmarshal([]byte(b), &rot)
	if code != 200 || rot.Key == "" {
		t.Fatalf("rotate: %d %s", code, b)
	}
	for _, k := range []string{nk.Key, rot.Key} {
		if code, _ := (caller{name: "rotated", key: k}).do(t, "GET", base+"/api/v1/dashboards", nil, nil); code != 200 {
			t.Errorf("during the overlap a key fails: %d", code)
		}
	}
	// Logout ends the session on the server: the cookie no longer works.
	if code, b := root.do(t, "POST", base+"/api/v1/auth/logout", nil, nil); code != 200 {
		t.Fatalf("logout: %d %s", code, b)
	}
	if code, _ := root.do(t, "GET", base+"/api/v1/dashboards", nil, nil); code != 401 {
		t.Errorf("after logout the session still reads: %d", code)
	}
	// Wrong passwords: 401, then 429 with Retry-After past the limit.
	bad := []byte(`{"email":"root@example.com","password":"nope-nope-nope"}`)
	var last int
	for i := 0; i < 12; i++ {
		last, _ = (caller{name: "guesser"}).do(t, "POST", base+"/api/v1/auth/login", bad, nil)
		if i == 0 && last != 401 {
			t.Errorf("a wrong password: %d", last)
		}
	}
	if last != 429 {
		t.Errorf("after 12 wrong passwords: %d, want 429", last)
	}
}

// TestUsersCLI: lore users add prints a one-time login link that signs the
// new user in once, with the role given, beside a running server; lore
// users remove ends their session at once; lore keys rotate keeps the old
// key through the overlap.
func TestUsersCLI(t *testing.T) {
	dir := t.TempDir()
	a := startApp(t, func(c *app.Config) { c.DataDir = dir })
	base := a.URL()
	out, errOut, code := runCLI(t, "users", "add", "--data", dir, "ann@example.com", "--role", "viewer", "--url", base)
	if code != 0 {
		t.Fatalf("users add: %d %s %s", code, out, errOut)
	}
	_, token, ok := strings.Cut(strings.TrimSpace(out), "#/login?link=")
	if !ok {
		t.Fatalf("users add printed no login link:\n%s", out)
	}
	jar, _ := cookiejar.New(nil)
	ann := caller{name: "ann", client: &http.Client{Jar: jar}}
	body, _ := json.Marshal(map[string]string{"token": token})
	if code, b := ann.do(t, "POST", base+"/api/v1/auth/link", body, nil); code != 200 {
		t.Fatalf("the login link: %d %s", code, b)
	}
	if code, b := ann.do(t, "GET", base+"/api/v1/auth/me", nil, nil); code != 200 || !strings.Contains(b, `"role":"viewer"`) {
		t.Errorf("ann signed in by link: %d %s", code, b)
	}
	if code, _ := (caller{name: "again"}).do(t, "POST", base+"/api/v1/auth/link", body, nil); code != 401 {
		t.Errorf("a login link used twice: %d, want 401", code)
	}
	out, _, _ = runCLI(t, "users", "list", "--data", dir)
	if !strings.Contains(out, "ann@example.com") || !strings.Contains(out, "1:viewer") || !strings.Contains(out, "admin@localhost") {
		t.Errorf("users list:\n%s", out)
	}
	if out, errOut, code := runCLI(t, "users", "remove", "--data", dir, "ann@example.com"); code != 0 {
		t.Fatalf("users remove: %s %s", out, errOut)
	}
	if code, b := ann.do(t, "GET", base+"/api/v1/auth/me", nil, nil); code != 200 || !strings.Contains(b, `"signed_in":false`) {
		t.Errorf("a removed user's session still works: %d %s", code, b)
	}
	if code, _ := ann.do(t, "GET", base+"/api/v1/dashboards", nil, nil); code != 401 {
		t.Errorf("a removed user's session still reads: %d", code)
	}
	// The first start made admin@localhost with a one-time link.
	if a.FirstLogin == nil || a.FirstLogin.Email != "admin@localhost" || a.FirstLogin.Link == "" {
		t.Errorf("first start: %+v", a.FirstLogin)
	}
}

// TestTLSAndSecureCookies: with --tls-cert/--tls-key Lore answers HTTPS
// over HTTP/2, and its session cookies are Secure and HTTP-only.
func TestTLSAndSecureCookies(t *testing.T) {
	ca, err := testcert.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Server(time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	a := startApp(t, func(c *app.Config) {
		c.TLSCert, c.TLSKey = certFile, keyFile
		c.AdminEmail, c.AdminPassword = "root@example.com", "root-password-1"
	})
	if !strings.HasPrefix(a.URL(), "https://") {
		t.Fatalf("URL %s", a.URL())
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool}, ForceAttemptHTTP2: true}}
	resp, err := client.Post(a.URL()+"/api/v1/auth/login", "application/json", strings.NewReader(`{"email":"root@example.com","password":"root-password-1"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.ProtoMajor != 2 {
		t.Fatalf("login over TLS: %d %s", resp.StatusCode, resp.Proto)
	}
	var session, csrf *http.Cookie
	for _, c := range resp.Cookies() {
		switch c.Name {
		case "lore_session":
			session = c
		case "lore_csrf":
			csrf = c
		}
	}
	if session == nil || !session.Secure || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
		t.Errorf("session cookie: %+v", session)
	}
	if csrf == nil || !csrf.Secure || csrf.HttpOnly {
		t.Errorf("csrf cookie (Secure, readable by the UI): %+v", csrf)
	}
}

package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/internal/meta"
)

// TestPasswordChange: a signed-in user changes their password with the
// current one (PUT /api/v1/auth/password): a wrong current password, a
// short new one, a write without the CSRF token and a key are refused;
// after the change the old password no longer signs in, the new one does,
// every other session of theirs has ended, and the browser that changed it
// stays signed in. A user without a password (a login link's) sets one.
func TestPasswordChange(t *testing.T) {
	a := startApp(t, func(c *app.Config) { c.AdminKey = adminKey })
	base := a.URL()
	ctx := context.Background()
	m := a.Meta()
	u, err := m.AddUser(ctx, "ann@example.com", "old-password-1", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetMember(ctx, 1, u.ID, meta.RoleViewer); err != nil {
		t.Fatal(err)
	}
	ann := signIn(t, base, "ann", "ann@example.com", "old-password-1", meta.RoleViewer, 1)
	other := signIn(t, base, "ann elsewhere", "ann@example.com", "old-password-1", meta.RoleViewer, 1)
	change := func(c caller, current, next string) (int, string) {
		t.Helper()
		b, _ := json.Marshal(map[string]string{"current": current, "new": next})
		return c.do(t, "PUT", base+"/api/v1/auth/password", b, nil)
	}

	if code, b := change(ann, "wrong-password", "new-password-22"); code != 403 || !strings.Contains(b, "current password is wrong") {
		t.Errorf("wrong current password: %d %s", code, b)
	}
	if code, b := change(ann, "old-password-1", "short"); code != 400 || !strings.Contains(b, "10") {
		t.Errorf("short new password: %d %s", code, b)
	}
	noCSRF := ann
	noCSRF.csrf = ""
	if code, b := change(noCSRF, "old-password-1", "new-password-22"); code != 403 || !strings.Contains(b, "X-CSRF-Token") {
		t.Errorf("without the CSRF token: %d %s", code, b)
	}
	if code, b := change(ann, "old-password-1", "new-password-22"); code != 200 {
		// (None of the refusals above changed it.)
		t.Fatalf("change: %d %s", code, b)
	}
	if code, b := change(caller{name: "admin key", key: adminKey}, "x", "new-password-33"); code != 403 {
		t.Errorf("a key sets a password: %d %s", code, b)
	}

	// The browser that changed it is still signed in (a new session).
	if code, b := ann.do(t, "GET", base+"/api/v1/auth/me", nil, nil); code != 200 || !strings.Contains(b, `"signed_in":true`) || !strings.Contains(b, `"has_password":true`) {
		t.Errorf("after the change, me: %d %s", code, b)
	}
	// The other session ended.
	if code, b := other.do(t, "GET", base+"/api/v1/search?q=x", nil, nil); code != 401 {
		t.Errorf("another session after the change: %d %s", code, b)
	}
	// Old password refused, new one works.
	body, _ := json.Marshal(map[string]string{"email": "ann@example.com", "password": "old-password-1"})
	if code, b := (caller{name: "stranger"}).do(t, "POST", base+"/api/v1/auth/login", body, nil); code != 401 {
		t.Errorf("old password signs in: %d %s", code, b)
	}
	signIn(t, base, "ann again", "ann@example.com", "new-password-22", meta.RoleViewer, 1)

	// The change is in the audit log (a sign-in belongs to no project).
	entries, err := m.AuditLog(ctx, 1, true, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		found = found || (e.Action == "set password" && e.Actor == "user:ann@example.com" && e.Status == 200)
	}
	if !found {
		t.Errorf("no 'set password' in the audit log: %+v", entries)
	}

	// A user without a password (signed in by a login link) sets one
	// without a current password.
	bob, err := m.AddUser(ctx, "bob@example.com", "", false)
	if err != nil {
		t.Fatal(err)
	}
	m.SetMember(ctx, 1, bob.ID, meta.RoleViewer)
	link, err := m.NewLoginLink(ctx, bob.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	bc := signInByLink(t, base, link)
	if code, b := change(bc, "", "bob-password-1"); code != 200 {
		t.Fatalf("bob sets a first password: %d %s", code, b)
	}
	signIn(t, base, "bob", "bob@example.com", "bob-password-1", meta.RoleViewer, 1)
}

// signInByLink spends a one-time login link for a session.
func signInByLink(t *testing.T, base, token string) caller {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := caller{name: "by link", client: &http.Client{Jar: jar}}
	body, _ := json.Marshal(map[string]string{"token": token})
	if code, b := c.do(t, "POST", base+"/api/v1/auth/link", body, nil); code != 200 {
		t.Fatalf("login link: %d %s", code, b)
	}
	u, _ := url.Parse(base)
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "lore_csrf" {
			c.csrf = ck.Value
		}
	}
	return c
}

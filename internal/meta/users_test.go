package meta

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func openTest(t *testing.T, where string) *Store {
	t.Helper()
	s, err := Open(context.Background(), where)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.EnsureDefaultProject(context.Background(), "", ""); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPasswords(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q is not argon2id's PHC string", h)
	}
	if ok, err := CheckPassword(h, "correct horse battery"); !ok || err != nil {
		t.Errorf("the right password: %v %v", ok, err)
	}
	if ok, _ := CheckPassword(h, "correct horse batterY"); ok {
		t.Error("a wrong password matches")
	}
	if h2, _ := HashPassword("correct horse battery"); h2 == h {
		t.Error("two hashes of one password are equal: no salt")
	}
	if _, err := HashPassword("short"); err == nil {
		t.Error("a 5-character password is accepted")
	}
	for _, bad := range []string{"x", "$argon2id$v=19$m=0,t=2,p=1$AAAA$AAAA", "$bcrypt$…", "$argon2id$v=19$m=99999999,t=2,p=1$AAAA$AAAA"} {
		if ok, err := CheckPassword(bad, "anything"); ok || err == nil {
			t.Errorf("CheckPassword(%q) = %v, %v; want an error", bad, ok, err)
		}
	}
}

func TestUsersSessionsLinks(t *testing.T) { engines(t, testUsersSessionsLinks) }

func testUsersSessionsLinks(t *testing.T, where string) {
	ctx := context.Background()
	s := openTest(t, where)
	u, err := s.AddUser(ctx, "ann@example.com", "ann-password-1", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddUser(ctx, "ANN@example.com", "ann-password-1", false); !errors.Is(err, ErrExists) {
		t.Errorf("the same email in other case: %v", err)
	}
	if _, err := s.AddUser(ctx, "not an email", "", false); err == nil {
		t.Error("a bad email is accepted")
	}
	if _, err := s.CheckLogin(ctx, "ann@example.com", "wrong-password"); !errors.Is(err, ErrBadLogin) {
		t.Errorf("a wrong password: %v", err)
	}
	if _, err := s.CheckLogin(ctx, "bob@example.com", "ann-password-1"); !errors.Is(err, ErrBadLogin) {
		t.Errorf("an unknown email: %v", err)
	}
	if got, err := s.CheckLogin(ctx, "ann@example.com", "ann-password-1"); err != nil || got.ID != u.ID {
		t.Errorf("the right login: %v %v", got, err)
	}
	// Not a member: no principal in project 1; then a viewer.
	if _, err := s.UserPrincipal(ctx, u, 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("a non-member's principal: %v", err)
	}
	if err := s.SetMember(ctx, 1, u.ID, RoleViewer); err != nil {
		t.Fatal(err)
	}
	if p, err := s.UserPrincipal(ctx, u, 1); err != nil || p.Role != RoleViewer || p.Actor() != "user:ann@example.com" {
		t.Errorf("a viewer's principal: %+v %v", p, err)
	}
	// Sessions: stored hashed, ended by a new password.
	token, csrf, err := s.NewSession(ctx, u.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if sess, err := s.Session(ctx, token); err != nil || sess.User.ID != u.ID || sess.CSRF != csrf {
		t.Errorf("session: %+v %v", sess, err)
	}
	var n int
	s.db.QueryRowContext(context.Background(), `SELECT count(*) FROM sessions WHERE hash = ?`, token).Scan(&n)
	if n != 0 {
		t.Error("a session token is stored in plain text")
	}
	if err := s.SetPassword(ctx, u.ID, "ann-password-2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, token); !errors.Is(err, ErrNoSession) {
		t.Errorf("a session after a new password: %v", err)
	}
	expired, _, _ := s.NewSession(ctx, u.ID, -time.Second)
	if _, err := s.Session(ctx, expired); !errors.Is(err, ErrNoSession) {
		t.Errorf("an expired session: %v", err)
	}
	// Login links work once.
	link, err := s.NewLoginLink(ctx, u.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.UseLoginLink(ctx, link); err != nil || got.ID != u.ID {
		t.Errorf("a login link: %v %v", got, err)
	}
	if _, err := s.UseLoginLink(ctx, link); !errors.Is(err, ErrBadLogin) {
		t.Errorf("a login link used twice: %v", err)
	}
	// Removing the user ends everything.
	token, _, _ = s.NewSession(ctx, u.ID, time.Hour)
	if err := s.RemoveUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, token); !errors.Is(err, ErrNoSession) {
		t.Errorf("a removed user's session: %v", err)
	}
}

func TestKeysExpireRotateRevoke(t *testing.T) { engines(t, testKeysExpireRotateRevoke) }

func testKeysExpireRotateRevoke(t *testing.T, where string) {
	ctx := context.Background()
	s := openTest(t, where)
	k, info, err := s.CreateKeyExpiring(ctx, 1, RoleMember, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(k, "lore_mb_") || info.ExpiresAt == "" {
		t.Errorf("member key %q, %+v", k, info)
	}
	if p, err := s.Authenticate(ctx, k); err != nil || p.Role != RoleMember {
		t.Errorf("the member key: %+v %v", p, err)
	}
	// Expired: refused.
	if _, err := s.db.ExecContext(context.Background(), `UPDATE api_keys SET expires_at = ? WHERE id = ?`, time.Now().Add(-time.Second).Unix(), info.ID); err != nil {
		t.Fatal(err)
	}
	s.forgetAll()
	if _, err := s.Authenticate(ctx, k); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("an expired key: %v", err)
	}
	// Rotation with no overlap revokes the old key at once, cache and all.
	old, oldInfo, _ := s.CreateKeyExpiring(ctx, 1, RoleRead, 0)
	if _, err := s.Authenticate(ctx, old); err != nil {
		t.Fatal(err)
	}
	nk, _, err := s.RotateKey(ctx, 1, oldInfo.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, old); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("the rotated-out key still works: %v", err)
	}
	if p, err := s.Authenticate(ctx, nk); err != nil || p.Role != RoleRead {
		t.Errorf("the new key: %+v %v", p, err)
	}
	if _, err := ParseKeyRole("viewer"); err == nil {
		t.Error("a key with the viewer role")
	}
}

func TestBrowserKeysAndOrigins(t *testing.T) { engines(t, testBrowserKeysAndOrigins) }

func testBrowserKeysAndOrigins(t *testing.T, where string) {
	s := openTest(t, where)
	ctx := context.Background()
	k, err := s.CreateKey(ctx, 1, RoleBrowser)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(k, "lore_br_") {
		t.Errorf("browser key %q: want the lore_br_ prefix", k)
	}
	if p, err := s.Authenticate(ctx, k); err != nil || p.Role != RoleBrowser {
		t.Fatalf("authenticate a browser key: %+v %v", p, err)
	}
	if o, err := s.AllowedOrigins(ctx, 1); err != nil || len(o) != 0 {
		t.Fatalf("no origins at first: %v %v", o, err)
	}
	got, err := s.SetAllowedOrigins(ctx, 1, []string{"https://Shop.example.com/", "https://*.example.org", "http://localhost:5173", "https://shop.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"http://localhost:5173", "https://*.example.org", "https://shop.example.com"}
	if !slices.Equal(got, want) {
		t.Errorf("set: %v, want %v", got, want)
	}
	if o, _ := s.AllowedOrigins(ctx, 1); !slices.Equal(o, want) {
		t.Errorf("read back at once: %v", o)
	}
	for _, bad := range []string{"shop.example.com", "https://shop.example.com/path", "ftp://x.example", "https://a.*.example.com", "https://*", "https://user@x.example", "*"} {
		if _, err := s.SetAllowedOrigins(ctx, 1, []string{bad}); err == nil {
			t.Errorf("origin %q accepted", bad)
		}
	}
	if _, err := s.SetAllowedOrigins(ctx, 99, nil); err == nil {
		t.Error("origins of a project that does not exist")
	}
	for origin, ok := range map[string]bool{
		"https://shop.example.com": true, "HTTPS://SHOP.EXAMPLE.COM": true, "http://shop.example.com": false,
		"https://shop.example.com:8443": false, "https://a.example.org": true, "https://a.b.example.org": true,
		"https://example.org": false, "https://evilexample.org": false, "http://a.example.org": false,
		"http://localhost:5173": true, "http://localhost": false, "null": false, "": false,
	} {
		if got := OriginAllowed(want, origin); got != ok {
			t.Errorf("OriginAllowed(%q) = %v, want %v", origin, got, ok)
		}
	}
}

// TestCreateProject: a new project comes with an ingest and a read key of
// its own (and no other), a name is 1 to 100 characters, and a rename
// keeps the id.
func TestCreateProject(t *testing.T) { engines(t, testCreateProject) }

func testCreateProject(t *testing.T, where string) {
	ctx := context.Background()
	s := openTest(t, where)
	p, err := s.CreateProject(ctx, "  shop  ")
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != 2 || p.Name != "shop" {
		t.Fatalf("project %+v", p.Project)
	}
	for k, want := range map[string]Role{p.IngestKey: RoleIngest, p.ReadKey: RoleRead} {
		got, err := s.Authenticate(ctx, k)
		if err != nil || got.ProjectID != p.ID || got.Role != want {
			t.Errorf("key %.8s…: %+v %v; want %s of project %d", k, got, err, want, p.ID)
		}
	}
	if ks, _ := s.Keys(ctx, p.ID); len(ks) != 2 {
		t.Errorf("keys of the new project: %+v", ks)
	}
	for _, bad := range []string{"", "   ", strings.Repeat("x", 101)} {
		if _, err := s.CreateProject(ctx, bad); err == nil {
			t.Errorf("CreateProject(%q) worked", bad)
		}
	}
	if ps, _ := s.Projects(ctx); len(ps) != 2 {
		t.Errorf("refused names made projects: %+v", ps)
	}
	r, err := s.RenameProject(ctx, p.ID, "shop (prod)")
	if err != nil || r.ID != p.ID || r.Name != "shop (prod)" {
		t.Errorf("rename: %+v %v", r, err)
	}
	if _, err := s.RenameProject(ctx, 99, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("rename of no project: %v", err)
	}
	if _, err := s.RenameProject(ctx, p.ID, ""); err == nil {
		t.Error("renamed to nothing")
	}
}

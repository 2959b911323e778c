package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/internal/auth/sso"
	"github.com/lore-dev/lore/internal/auth/sso/ssotest"
	"github.com/lore-dev/lore/internal/meta"
)

// TestOIDCSubjectLink: Lore knows a person at the provider by their
// subject, not their email. When the provider changes someone's email,
// they sign in to the same account (its email follows, its role stays);
// when it changes to the email of another Lore user, they still get
// their own account, never the other's; and an email given to someone
// new at the provider (another subject) does not open the account
// linked to the old subject.
func TestOIDCSubjectLink(t *testing.T) {
	idp := ssotest.Start(t, "lore-client", "lore-secret")
	a := startApp(t, func(c *app.Config) {
		c.OIDC = &sso.Config{Issuer: idp.URL, ClientID: "lore-client", ClientSecret: "lore-secret", Name: "TestIdP",
			AllowedDomains: []string{"example.com"}}
	})
	base := a.URL()
	ctx := context.Background()
	m := a.Meta()
	// Bob is a member with a password and no single sign-on.
	bob, err := m.AddUser(ctx, "bob@example.com", "bob-password-1", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetMember(ctx, 1, bob.ID, meta.RoleMember); err != nil {
		t.Fatal(err)
	}
	signInAs := func(l ssotest.Login) (*oidcBrowser, string) {
		t.Helper()
		idp.Next(l)
		b := newOIDCBrowser(t, base)
		return b, b.signIn(nil)
	}
	userOf := func(email string) meta.User {
		t.Helper()
		u, err := m.UserByEmail(ctx, email)
		if err != nil {
			t.Fatalf("user %s: %v", email, err)
		}
		return u
	}

	// Ann's first sign-in makes her (a viewer) and links subject s-ann.
	if _, end := signInAs(ssotest.Login{Subject: "s-ann", Email: "ann@example.com", EmailVerified: true}); end != "/#/" {
		t.Fatalf("ann's first sign-in ended at %q", end)
	}
	ann := userOf("ann@example.com")
	if err := m.SetMember(ctx, 1, ann.ID, meta.RoleAdmin); err != nil { // an admin makes her admin
		t.Fatal(err)
	}

	// The provider renames her: the same account, now with the new email.
	b, end := signInAs(ssotest.Login{Subject: "s-ann", Email: "ann.lee@example.com", EmailVerified: true})
	if in, email, role := b.me(); end != "/#/" || !in || email != "ann.lee@example.com" || role != meta.RoleAdmin {
		t.Fatalf("after the email change: %q, signed in %v as %q, %q; want ann.lee@example.com, admin", end, in, email, role)
	}
	if u := userOf("ann.lee@example.com"); u.ID != ann.ID {
		t.Errorf("the renamed sign-in is user %d; want ann's %d", u.ID, ann.ID)
	}
	if _, err := m.UserByEmail(ctx, "ann@example.com"); err == nil {
		t.Error("the old email is still a user: the account was copied, not followed")
	}

	// The provider gives her Bob's email: still Ann's account, not Bob's.
	b, end = signInAs(ssotest.Login{Subject: "s-ann", Email: "bob@example.com", EmailVerified: true})
	if in, email, role := b.me(); end != "/#/" || !in || email != "ann.lee@example.com" || role != meta.RoleAdmin {
		t.Errorf("s-ann with bob's email: %q, signed in %v as %q, %q; want ann.lee@example.com (admin), never bob", end, in, email, role)
	}
	if u := userOf("bob@example.com"); u.ID != bob.ID || !u.HasPassword {
		t.Errorf("bob's account changed: %+v", u)
	}

	// Someone new at the provider gets Ann's current email: refused.
	b, end = signInAs(ssotest.Login{Subject: "s-zed", Email: "ann.lee@example.com", EmailVerified: true})
	if in, _, _ := b.me(); in || !strings.Contains(end, "#/login?error=") || !strings.Contains(end, "linked+to+another+identity") {
		t.Errorf("another subject with ann's email: ended at %q, signed in %v; want refused", end, in)
	}

	// Bob's first single sign-on links him by his verified email.
	b, _ = signInAs(ssotest.Login{Subject: "s-bob", Email: "bob@example.com", EmailVerified: true})
	if in, email, role := b.me(); !in || email != "bob@example.com" || role != meta.RoleMember {
		t.Errorf("bob by single sign-on: %v %q %q", in, email, role)
	}
	// Removing a user removes the link: the same subject comes back as a
	// new user (a viewer, not the admin she was).
	if err := m.RemoveUser(ctx, ann.ID); err != nil {
		t.Fatal(err)
	}
	b, _ = signInAs(ssotest.Login{Subject: "s-ann", Email: "ann.lee@example.com", EmailVerified: true})
	if in, email, role := b.me(); !in || email != "ann.lee@example.com" || role != meta.RoleViewer {
		t.Errorf("s-ann after her user was removed: %v %q %q; want a new viewer", in, email, role)
	}
}

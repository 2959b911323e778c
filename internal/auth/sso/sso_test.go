package sso

import (
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/meta"
)

func TestNewChecksConfig(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string // in the error; "" for none
	}{
		{Config{Issuer: "https://idp.example.com", ClientID: "lore"}, ""},
		{Config{Issuer: "http://127.0.0.1:9000", ClientID: "lore"}, ""},
		{Config{Issuer: "http://localhost:9000/realms/x", ClientID: "lore"}, ""},
		{Config{Issuer: "http://idp.example.com", ClientID: "lore"}, "http only on loopback"},
		{Config{Issuer: "idp.example.com", ClientID: "lore"}, "want an https:// URL"},
		{Config{Issuer: "https://idp.example.com"}, "client id"},
		{Config{ClientID: "lore"}, "issuer"},
		{Config{Issuer: "https://idp.example.com", ClientID: "lore", RoleMap: map[string]meta.Role{"g": "owner"}}, `"g"="owner"`},
	} {
		p, err := New(c.cfg)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v: %v", c.cfg, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%+v: error %v, want %q", c.cfg, err, c.want)
		case err == nil && (p.Config().Project != 1 || p.Name() != "SSO"):
			t.Errorf("defaults: project %d, name %q", p.Config().Project, p.Name())
		}
	}
}

func TestRoleAndProvision(t *testing.T) {
	c := Config{AllowedDomains: []string{"example.com", "@Corp.example"},
		RoleMap: map[string]meta.Role{"devs": meta.RoleMember, "ops": meta.RoleAdmin, "all": meta.RoleViewer}}
	for _, tc := range []struct {
		roles []string
		want  meta.Role
	}{
		{nil, ""}, {[]string{"other"}, ""}, {[]string{"all"}, meta.RoleViewer},
		{[]string{"all", "devs"}, meta.RoleMember}, {[]string{"ops", "devs", "all"}, meta.RoleAdmin},
	} {
		r, ok := c.Role(Identity{Roles: tc.roles})
		if r != tc.want || ok != (tc.want != "") {
			t.Errorf("roles %v: %q %v, want %q", tc.roles, r, ok, tc.want)
		}
	}
	for email, want := range map[string]bool{
		"ann@example.com": true, "ann@EXAMPLE.com": true, "bob@corp.example": true,
		"eve@example.com.evil.test": false, "eve@sub.example.com": false, "no-at-sign": false, "": false,
	} {
		if got := c.MayProvision(Identity{Email: email}); got != want {
			t.Errorf("MayProvision(%q) = %v, want %v", email, got, want)
		}
	}
	if !(Config{AllowedDomains: []string{"*"}}).MayProvision(Identity{Email: "x@y.z"}) {
		t.Error(`"*" does not allow every domain`)
	}
	if (Config{}).MayProvision(Identity{Email: "x@y.z"}) {
		t.Error("no allowed domains provisions")
	}
}

func TestClaims(t *testing.T) {
	if !emailVerified(true) || !emailVerified("true") || emailVerified(false) || emailVerified(nil) || emailVerified("yes") {
		t.Error("emailVerified")
	}
	if got := strs([]any{"a", 1, "b"}); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("strs list: %v", got)
	}
	if got := strs("one"); len(got) != 1 {
		t.Errorf("strs string: %v", got)
	}
	if strs(42) != nil {
		t.Error("strs number")
	}
}

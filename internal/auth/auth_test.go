package auth

import (
	"testing"

	"github.com/lore-dev/lore/internal/meta"
)

// TestAllow states the whole policy as a table: each role against each
// action.
func TestAllow(t *testing.T) {
	roles := []meta.Role{meta.RoleIngest, meta.RoleBrowser, meta.RoleRead, meta.RoleViewer, meta.RoleMember, meta.RoleAdmin, ""}
	want := map[Action][]bool{ // in the order of roles
		Public:        {true, true, true, true, true, true, true},
		Ingest:        {true, false, false, false, false, false, false},
		BrowserIngest: {true, true, false, false, false, false, false},
		Read:          {false, false, true, true, true, true, false},
		Write:         {false, false, false, false, true, true, false},
		Admin:         {false, false, false, false, false, true, false},
	}
	for a, ws := range want {
		for i, r := range roles {
			if got := Allow(meta.Principal{Role: r, KeyID: 1}, a); got != ws[i] {
				t.Errorf("Allow(%q, %s) = %v, want %v", r, a, got, ws[i])
			}
		}
	}
	if Allow(meta.Principal{Role: meta.RoleAdmin, KeyID: 3}, ServerAdmin) {
		t.Error("an admin key may create projects")
	}
	if Allow(meta.Principal{Role: meta.RoleAdmin, UserID: 2}, ServerAdmin) {
		t.Error("a project admin who is not a server admin may create projects")
	}
	if !Allow(meta.Principal{Role: meta.RoleAdmin, UserID: 1, ServerAdmin: true}, ServerAdmin) {
		t.Error("a server admin may not create projects")
	}
	if Allow(meta.Principal{Role: meta.RoleAdmin}, Action("unknown")) {
		t.Error("an unknown action is allowed")
	}
}

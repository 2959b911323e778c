// Package auth is Lore's access policy: which role may take which action.
// Every HTTP route names the Action it needs (internal/server's route
// table), and Allow is the one function that decides; nothing else in Lore
// compares roles.
package auth

import (
	"fmt"

	"github.com/lore-dev/lore/internal/meta"
)

// Action is what a request does, from the policy's point of view.
type Action string

// Actions, from least to most trusted (Ingest stands apart: an ingest key
// can only send events, and nothing else may).
const (
	// Public needs no credentials: health, the SDK's files, the login
	// page, and browser endpoints whose project key is in the URL.
	Public Action = "public"
	// Ingest sends events: ingest keys only.
	Ingest Action = "ingest"
	// BrowserIngest sends events to a browser SDK's endpoint: ingest keys,
	// and browser keys (whose origin the server checks against the
	// project's allowed origins).
	BrowserIngest Action = "browser-ingest"
	// Read reads a project's data and settings: read keys, viewers and up.
	Read Action = "read"
	// Write changes what members change: monitors, checks, dashboards,
	// saved searches, issue states, source maps.
	Write Action = "write"
	// Admin changes keys, members, settings, channels and retention, and
	// reads the audit log.
	Admin Action = "admin"
	// ServerAdmin creates projects: users made server admins only (the
	// first admin is one).
	ServerAdmin Action = "server-admin"
)

// rank orders the roles that read; ingest has none.
func rank(r meta.Role) int {
	switch r {
	case meta.RoleRead, meta.RoleViewer:
		return 1
	case meta.RoleMember:
		return 2
	case meta.RoleAdmin:
		return 3
	}
	return 0
}

// Allow says whether a principal may take action: the one access check
// of Lore.
func Allow(p meta.Principal, a Action) bool {
	role := p.Role
	switch a {
	case Public:
		return true
	case Ingest:
		return role == meta.RoleIngest
	case BrowserIngest:
		return role == meta.RoleIngest || role == meta.RoleBrowser
	case Read:
		return rank(role) >= 1
	case Write:
		return rank(role) >= 2
	case Admin:
		return rank(role) >= 3
	case ServerAdmin:
		return p.ServerAdmin && p.UserID != 0
	}
	return false
}

// Denied explains, for a 403, why role may not take action.
func Denied(role meta.Role, a Action) string {
	switch {
	case role == meta.RoleBrowser && a == Ingest:
		return "a browser key only sends events to the browser SDKs' endpoints; this one needs an ingest key"
	case role == meta.RoleBrowser:
		return "a browser key only sends events from web pages; reading needs a read key"
	case (a == Ingest || a == BrowserIngest) && role == meta.RoleRead:
		return "this key can only read; ingesting needs an ingest key"
	case a == Ingest || a == BrowserIngest:
		return fmt.Sprintf("this %s credential cannot ingest; ingesting needs an ingest key", role)
	case role == meta.RoleIngest:
		return "this key can only ingest; reading needs a read key"
	case a == Write:
		return fmt.Sprintf("a %s can only read; this change needs a member or admin (a member's session, or a key with the member scope)", role)
	case a == Admin:
		return fmt.Sprintf("a %s cannot do this; it needs a project admin", role)
	case a == ServerAdmin:
		return "only a server admin (signed in) can do this"
	}
	return fmt.Sprintf("a %s may not %s", role, a)
}

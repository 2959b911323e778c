// Package meta keeps Lore's metadata — projects, API keys, users, their
// roles and sessions, the audit log, issue states and rules, monitors,
// channels and the notification outbox, checks, dashboards, settings and
// source maps — in embedded SQLite (modernc.org/sqlite, no cgo) or, for
// several Lore nodes, in PostgreSQL (pgx), with one schema and one
// migration set for both (migrations.go, dialect.go). Keys and session tokens are stored
// only as SHA-256 hashes, passwords as argon2id hashes: a key is shown
// once, when it is created, and cannot be recovered from the database.
package meta

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Role is what a key or a project's member may do; internal/auth.Allow
// says which actions each role may take.
type Role string

// Roles. An ingest key can only write events; a read key can only read. A
// user's role in a project is viewer (reads), member (also monitors,
// dashboards, saved searches, checks, issue changes) or admin (also keys,
// members, settings, channels); a key may carry the member or admin scope
// too, for scripts. A browser key is the public ingest key web pages
// carry: it sends events only to the browser SDKs' endpoints, and only from
// the project's allowed origins.
const (
	RoleIngest  Role = "ingest"
	RoleBrowser Role = "browser"
	RoleRead    Role = "read"
	RoleViewer  Role = "viewer"
	RoleMember  Role = "member"
	RoleAdmin   Role = "admin"
)

// ParseKeyRole checks a key's role: ingest, browser, read, member or admin.
func ParseKeyRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleIngest, RoleBrowser, RoleRead, RoleMember, RoleAdmin:
		return r, nil
	}
	return "", fmt.Errorf("key role %q: want ingest, browser, read, member or admin", s)
}

// ParseMemberRole checks a member's role: viewer, member or admin.
func ParseMemberRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleViewer, RoleMember, RoleAdmin:
		return r, nil
	}
	return "", fmt.Errorf("member role %q: want viewer, member or admin", s)
}

// ErrUnknownKey is returned by Authenticate for a key that does not exist.
var ErrUnknownKey = errors.New("unknown API key")

// Principal is who a request acts as: a key (KeyID) or a signed-in user
// (UserID), in one project with one role.
type Principal struct {
	ProjectID int64
	Role      Role
	KeyID     int64
	UserID    int64
	User      string // the user's email; "" for a key
	// ServerAdmin users may create projects and manage every project.
	ServerAdmin bool
}

// Actor names the principal in the audit log: "user:ann@x" or "key:12".
func (p Principal) Actor() string {
	if p.UserID != 0 {
		return "user:" + p.User
	}
	return fmt.Sprintf("key:%d", p.KeyID)
}

// keyCacheTTL bounds how long an authenticated key is remembered without
// asking the database again: a key revoked by another process (lore keys
// revoke) stops working within it; one revoked through this Store at once.
const keyCacheTTL = 2 * time.Second

type cachedKey struct {
	p       Principal
	at      time.Time
	expires int64 // unix seconds; 0 never
}

// Store is the metadata database. It is safe for concurrent use.
type Store struct {
	db *db

	mu    sync.RWMutex
	cache map[[32]byte]cachedKey // key hash → principal, for keyCacheTTL

	originsMu sync.Mutex
	origins   map[int64]cachedOrigins // project → allowed origins, for keyCacheTTL
}

// Open opens the metadata database and applies the migrations. where is
// the path of an SQLite file (created if needed), or a PostgreSQL URL
// (postgres://user:password@host:port/db?sslmode=…) whose database exists.
func Open(ctx context.Context, where string) (*Store, error) {
	var (
		d   *sql.DB
		e   engine
		err error
	)
	if isPostgres(where) {
		e = postgresEngine
		d, err = openPostgres(ctx, where)
	} else {
		d, err = openSQLite(where)
	}
	if err != nil {
		return nil, err
	}
	s := &Store{db: &db{sql: d, e: e}, cache: map[[32]byte]cachedKey{}, origins: map[int64]cachedOrigins{}}
	if err := s.migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return s, nil
}

func openSQLite(path string) (*sql.DB, error) {
	// Transactions take the write lock when they begin (IMMEDIATE), so that
	// one that reads and then writes waits for another process's writer
	// (busy_timeout) instead of failing with SQLITE_BUSY when it upgrades.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	d, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open metadata %q: %w", path, err)
	}
	d.SetMaxOpenConns(1)
	return d, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Bootstrap is the result of EnsureDefaultProject.
type Bootstrap struct {
	Created   bool   // project 1 was created now
	IngestKey string // the plain keys, set only when they were generated or given now
	ReadKey   string
	AdminKey  string // set by the app when it pinned an admin key now
}

// EnsureDefaultProject creates project 1 on first start. Keys given as
// arguments are used (and, when the project already exists, added if they
// are not known yet, so scripts can pin keys); empty ones are generated.
// Only hashes are stored.
func (s *Store) EnsureDefaultProject(ctx context.Context, ingestKey, readKey string) (Bootstrap, error) {
	var b Bootstrap
	// Nodes starting together over one database may both get here: the
	// insert decides which one creates project 1 (and prints its keys).
	res, err := s.db.ExecContext(ctx, `INSERT INTO projects (id, name, created_at) VALUES (1, 'default', ?) ON CONFLICT DO NOTHING`, time.Now().Unix())
	if err != nil {
		return b, fmt.Errorf("create project 1: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		if err := s.db.e.syncIDs(ctx, s.db, "projects"); err != nil {
			return b, err
		}
		b.Created = true
		if ingestKey == "" {
			ingestKey = NewKey(RoleIngest)
		}
		if readKey == "" {
			readKey = NewKey(RoleRead)
		}
	}
	for _, k := range []struct {
		key  string
		role Role
		out  *string
	}{{ingestKey, RoleIngest, &b.IngestKey}, {readKey, RoleRead, &b.ReadKey}} {
		if k.key == "" {
			continue
		}
		added, err := s.addKey(ctx, 1, k.role, k.key)
		if err != nil {
			return b, err
		}
		if added || b.Created {
			*k.out = k.key
		}
	}
	return b, nil
}

// CreateKey makes a new key for a project and returns it in plain text; it
// is the only time the key is visible. A project that does not exist is
// ErrNotFound: a key for it would work, for a tenant nobody made.
func (s *Store) CreateKey(ctx context.Context, projectID int64, role Role) (string, error) {
	if _, err := s.Project(ctx, projectID); err != nil {
		return "", fmt.Errorf("create %s key: %w", role, err)
	}
	k := NewKey(role)
	if _, err := s.addKey(ctx, projectID, role, k); err != nil {
		return "", err
	}
	return k, nil
}

func (s *Store) addKey(ctx context.Context, projectID int64, role Role, key string) (bool, error) {
	h := hashKey(key)
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO api_keys (project_id, role, hash, prefix, created_at) VALUES (?, ?, ?, ?, ?)
		 ON CONFLICT(hash) DO NOTHING`,
		projectID, string(role), hex.EncodeToString(h[:]), keyPrefix(key), time.Now().Unix())
	if err != nil {
		return false, fmt.Errorf("store %s key for project %d: %w", role, projectID, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// Authenticate finds the project and role of a plain key.
func (s *Store) Authenticate(ctx context.Context, key string) (Principal, error) {
	key = strings.TrimSpace(key)
	if key == "" {
		return Principal{}, ErrUnknownKey
	}
	h := hashKey(key)
	now := time.Now()
	s.mu.RLock()
	c, ok := s.cache[h]
	s.mu.RUnlock()
	if ok && now.Sub(c.at) < keyCacheTTL && (c.expires == 0 || now.Unix() < c.expires) {
		return c.p, nil
	}
	var p Principal
	var role string
	var expires sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT id, project_id, role, expires_at FROM api_keys WHERE hash = ?`,
		hex.EncodeToString(h[:])).Scan(&p.KeyID, &p.ProjectID, &role, &expires)
	if errors.Is(err, sql.ErrNoRows) || (expires.Valid && now.Unix() >= expires.Int64) {
		s.forget(h)
		return Principal{}, ErrUnknownKey
	}
	if err != nil {
		return Principal{}, fmt.Errorf("look up API key: %w", err)
	}
	p.Role = Role(role)
	s.mu.Lock()
	s.cache[h] = cachedKey{p: p, at: now, expires: expires.Int64}
	s.mu.Unlock()
	return p, nil
}

func (s *Store) forget(h [32]byte) {
	s.mu.Lock()
	delete(s.cache, h)
	s.mu.Unlock()
}

// forgetAll empties the key cache: after a revocation, so that the key
// stops working at once.
func (s *Store) forgetAll() {
	s.mu.Lock()
	clear(s.cache)
	s.mu.Unlock()
}

// NewKey returns a fresh random key whose prefix tells its role.
func NewKey(role Role) string {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Errorf("crypto/rand: %w", err)) // never happens on Linux
	}
	p := "lore_in_"
	switch role {
	case RoleRead:
		p = "lore_rd_"
	case RoleMember:
		p = "lore_mb_"
	case RoleAdmin:
		p = "lore_ad_"
	case RoleBrowser:
		p = "lore_br_"
	}
	return p + hex.EncodeToString(b[:])
}

func hashKey(k string) [32]byte { return sha256.Sum256([]byte(k)) }

// keyPrefix is what is kept of a key in plain text, to tell keys apart
// in lists: its first third, at most 12 characters (the role prefix and 4
// of the 32 random hex digits of a generated key), so that a short pinned
// key is never stored whole.
func keyPrefix(k string) string {
	return k[:min(12, len(k)/3)]
}

// Ping checks that the metadata database answers: a query, not only a
// connection (SQLite's file opened, PostgreSQL's server reached).
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.db.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("metadata database: %w", err)
	}
	return nil
}

package meta

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// ErrBadLogin is a login whose email or password is wrong (which of the
// two is not told).
var ErrBadLogin = errors.New("wrong email or password")

// ErrNoSession is a session token that is unknown or expired.
var ErrNoSession = errors.New("not signed in, or the session expired")

// User is a person who signs in.
type User struct {
	ID          int64  `json:"id"`
	Email       string `json:"email"`
	ServerAdmin bool   `json:"server_admin"`
	HasPassword bool   `json:"has_password"`
	CreatedAt   string `json:"created_at"`
}

// Member is a user's role in a project.
type Member struct {
	User
	Role Role `json:"role"`
}

// ProjectRole is a project a user belongs to, with the user's role there.
type ProjectRole struct {
	Project
	Role Role `json:"role"`
}

func checkEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > 254 {
		return "", fmt.Errorf("email %q: not an address like ann@example.com", email)
	}
	return email, nil
}

// CountUsers returns how many users exist.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// AddUser creates a user. An empty password leaves the user unable to
// sign in but by a one-time login link (NewLoginLink).
func (s *Store) AddUser(ctx context.Context, email, password string, serverAdmin bool) (User, error) {
	email, err := checkEmail(email)
	if err != nil {
		return User{}, err
	}
	hash := ""
	if password != "" {
		if hash, err = HashPassword(password); err != nil {
			return User{}, err
		}
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO users (email, password, server_admin, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, email, hash, serverAdmin, time.Now().Unix())
	if err != nil {
		return User{}, fmt.Errorf("add user %q: %w", email, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return User{}, fmt.Errorf("add user %q: %w", email, ErrExists)
	}
	return s.UserByEmail(ctx, email)
}

// ErrExists is a name that is taken.
var ErrExists = errors.New("already exists")

const userCols = `id, email, password != '', server_admin, created_at`

func scanUser(sc interface{ Scan(...any) error }) (User, error) {
	var u User
	var created int64
	err := sc.Scan(&u.ID, &u.Email, &u.HasPassword, &u.ServerAdmin, &created)
	u.CreatedAt = unixTime(created)
	return u, err
}

// UserByEmail finds a user, or ErrNotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE lower(email) = lower(?)`, strings.TrimSpace(email)))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("user %q: %w", email, ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("read user %q: %w", email, err)
	}
	return u, nil
}

// UserByID finds a user, or ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("read user %d: %w", id, err)
	}
	return u, nil
}

// Users lists every user, oldest first.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	out := []User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// RemoveUser deletes a user, their memberships, sessions and links.
func (s *Store) RemoveUser(ctx context.Context, id int64) error {
	return s.retry(ctx, func() error { return s.removeUser(ctx, id) })
}

// removeUser is one attempt at RemoveUser.
func (s *Store) removeUser(ctx context.Context, id int64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("remove user %d: %w", id, err)
	}
	defer tx.Rollback()
	for _, q := range []string{`DELETE FROM members WHERE user_id = ?`, `DELETE FROM sessions WHERE user_id = ?`,
		`DELETE FROM login_links WHERE user_id = ?`, `DELETE FROM identities WHERE user_id = ?`} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("remove user %d: %w", id, err)
		}
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("remove user %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	return tx.Commit()
}

// SetPassword replaces a user's password and ends their sessions.
func (s *Store) SetPassword(ctx context.Context, id int64, password string) error {
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE users SET password = ? WHERE id = ?`, hash, id)
	if err != nil {
		return fmt.Errorf("set user %d's password: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	return s.EndSessions(ctx, id)
}

// dummyHash is checked against when the email is unknown, so that a wrong
// email takes as long as a wrong password.
var dummyHash, _ = HashPassword("lore-no-such-user-password")

// CheckLogin returns the user whose email and password these are, or
// ErrBadLogin.
func (s *Store) CheckLogin(ctx context.Context, email, password string) (User, error) {
	var hash string
	err := s.db.QueryRowContext(ctx, `SELECT password FROM users WHERE lower(email) = lower(?)`, strings.TrimSpace(email)).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		_, _ = CheckPassword(dummyHash, password)
		return User{}, ErrBadLogin
	}
	if err != nil {
		return User{}, fmt.Errorf("look up user %q: %w", email, err)
	}
	ok, err := CheckPassword(hash, password)
	if err != nil {
		return User{}, fmt.Errorf("user %q: %w", email, err)
	}
	if !ok {
		return User{}, ErrBadLogin
	}
	return s.UserByEmail(ctx, email)
}

// SetMember gives a user a role in a project (adding or changing it).
func (s *Store) SetMember(ctx context.Context, project, user int64, role Role) error {
	if _, err := ParseMemberRole(string(role)); err != nil {
		return err
	}
	if _, err := s.Project(ctx, project); err != nil {
		return err
	}
	if _, err := s.UserByID(ctx, user); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO members (project_id, user_id, role) VALUES (?, ?, ?)
		ON CONFLICT(project_id, user_id) DO UPDATE SET role = excluded.role`, project, user, string(role)); err != nil {
		return fmt.Errorf("make user %d %s of project %d: %w", user, role, project, err)
	}
	return nil
}

// RemoveMember takes a user out of a project.
func (s *Store) RemoveMember(ctx context.Context, project, user int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM members WHERE project_id = ? AND user_id = ?`, project, user)
	if err != nil {
		return fmt.Errorf("remove user %d from project %d: %w", user, project, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %d in project %d: %w", user, project, ErrNotFound)
	}
	return nil
}

// Members lists a project's members.
func (s *Store) Members(ctx context.Context, project int64) ([]Member, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT u.id, u.email, u.password != '', u.server_admin, u.created_at, m.role
		FROM members m JOIN users u ON u.id = m.user_id WHERE m.project_id = ? ORDER BY u.id`, project)
	if err != nil {
		return nil, fmt.Errorf("list members of project %d: %w", project, err)
	}
	defer rows.Close()
	out := []Member{}
	for rows.Next() {
		var m Member
		var created int64
		if err := rows.Scan(&m.ID, &m.Email, &m.HasPassword, &m.ServerAdmin, &created, &m.Role); err != nil {
			return nil, fmt.Errorf("list members of project %d: %w", project, err)
		}
		m.CreatedAt = unixTime(created)
		out = append(out, m)
	}
	return out, rows.Err()
}

// UserProjects lists the projects a user may open, with the user's role:
// a server admin is admin of every project.
func (s *Store) UserProjects(ctx context.Context, u User) ([]ProjectRole, error) {
	q := `SELECT p.id, p.name, p.created_at, m.role FROM members m JOIN projects p ON p.id = m.project_id WHERE m.user_id = ? ORDER BY p.id`
	args := []any{u.ID}
	if u.ServerAdmin {
		q, args = `SELECT id, name, created_at, 'admin' FROM projects ORDER BY id`, nil
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list projects of user %d: %w", u.ID, err)
	}
	defer rows.Close()
	out := []ProjectRole{}
	for rows.Next() {
		var p ProjectRole
		var created int64
		if err := rows.Scan(&p.ID, &p.Name, &created, &p.Role); err != nil {
			return nil, fmt.Errorf("list projects of user %d: %w", u.ID, err)
		}
		p.CreatedAt = unixTime(created)
		out = append(out, p)
	}
	return out, rows.Err()
}

// Projects lists every project.
func (s *Store) Projects(ctx context.Context) ([]Project, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, created_at FROM projects ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	defer rows.Close()
	out := []Project{}
	for rows.Next() {
		var p Project
		var created int64
		if err := rows.Scan(&p.ID, &p.Name, &created); err != nil {
			return nil, fmt.Errorf("list projects: %w", err)
		}
		p.CreatedAt = unixTime(created)
		out = append(out, p)
	}
	return out, rows.Err()
}

// NewProject is a project just made, with its first keys in plain text:
// the only time they are visible (only their hashes are stored).
type NewProject struct {
	Project
	IngestKey string `json:"ingest_key"`
	ReadKey   string `json:"read_key"`
}

// CreateProject makes a project and its first ingest and read keys, in
// one transaction, with an id no deleted project had (keepDeletedIDs:
// SQLite hands the id of a deleted last row to the next one).
func (s *Store) CreateProject(ctx context.Context, name string) (out NewProject, err error) {
	err = s.retry(ctx, func() error {
		out, err = s.createProject(ctx, name)
		return err
	})
	return out, err
}

// createProject is one attempt at CreateProject.
func (s *Store) createProject(ctx context.Context, name string) (NewProject, error) {
	name, err := projectName(name)
	if err != nil {
		return NewProject{}, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return NewProject{}, fmt.Errorf("create project %q: %w", name, err)
	}
	defer tx.Rollback()
	now := time.Now().Unix()
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO projects (name, created_at) VALUES (?, ?) RETURNING id`, name, now).Scan(&id); err != nil {
		return NewProject{}, fmt.Errorf("create project %q: %w", name, err)
	}
	if id, err = keepDeletedIDs(ctx, tx, id); err != nil {
		return NewProject{}, fmt.Errorf("create project %q: %w", name, err)
	}
	out := NewProject{Project: Project{ID: id, Name: name, CreatedAt: unixTime(now)},
		IngestKey: NewKey(RoleIngest), ReadKey: NewKey(RoleRead)}
	for _, k := range []struct {
		role Role
		key  string
	}{{RoleIngest, out.IngestKey}, {RoleRead, out.ReadKey}} {
		h := hashKey(k.key)
		if _, err := tx.ExecContext(ctx, `INSERT INTO api_keys (project_id, role, hash, prefix, created_at) VALUES (?, ?, ?, ?, ?)`,
			id, string(k.role), hex.EncodeToString(h[:]), keyPrefix(k.key), now); err != nil {
			return NewProject{}, fmt.Errorf("store %s key of new project %q: %w", k.role, name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return NewProject{}, fmt.Errorf("create project %q: %w", name, err)
	}
	return out, nil
}

// RenameProject changes a project's name.
func (s *Store) RenameProject(ctx context.Context, id int64, name string) (Project, error) {
	name, err := projectName(name)
	if err != nil {
		return Project{}, err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE projects SET name = ? WHERE id = ?`, name, id)
	if err != nil {
		return Project{}, fmt.Errorf("rename project %d to %q: %w", id, name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Project{}, fmt.Errorf("project %d: %w", id, ErrNotFound)
	}
	return s.Project(ctx, id)
}

func projectName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", fmt.Errorf("project name %q: give 1 to 100 characters", name)
	}
	return name, nil
}

// UserPrincipal is who a signed-in user acts as in a project: their role
// there (admin for a server admin), or ErrNotFound when they are not a
// member (the project is not shown to them at all).
func (s *Store) UserPrincipal(ctx context.Context, u User, project int64) (Principal, error) {
	p := Principal{ProjectID: project, UserID: u.ID, User: u.Email, ServerAdmin: u.ServerAdmin}
	if u.ServerAdmin {
		if _, err := s.Project(ctx, project); err != nil {
			return p, err
		}
		p.Role = RoleAdmin
		return p, nil
	}
	var role string
	err := s.db.QueryRowContext(ctx, `SELECT role FROM members WHERE project_id = ? AND user_id = ?`, project, u.ID).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("project %d: %w", project, ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("read user %d's role in project %d: %w", u.ID, project, err)
	}
	p.Role = Role(role)
	return p, nil
}

// Session is a signed-in browser.
type Session struct {
	User User
	CSRF string // sent back by the browser in X-CSRF-Token on every write
}

func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Errorf("crypto/rand: %w", err)) // never happens on Linux
	}
	return hex.EncodeToString(b[:])
}

func tokenHash(t string) string {
	h := hashKey(t)
	return hex.EncodeToString(h[:])
}

// NewSession starts a session for a user, valid for ttl; the token is
// stored hashed.
func (s *Store) NewSession(ctx context.Context, user int64, ttl time.Duration) (token, csrf string, err error) {
	token, csrf = randomToken(), randomToken()
	now := time.Now()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, now.Unix()); err != nil {
		return "", "", fmt.Errorf("drop expired sessions: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO sessions (hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		tokenHash(token), user, csrf, now.Unix(), now.Add(ttl).Unix()); err != nil {
		return "", "", fmt.Errorf("start a session for user %d: %w", user, err)
	}
	return token, csrf, nil
}

// Session finds a live session by its token, or ErrNoSession. It is read
// from the database each time: ending a session, removing a user or
// resetting a password takes effect at once.
func (s *Store) Session(ctx context.Context, token string) (Session, error) {
	if token == "" || len(token) > 128 {
		return Session{}, ErrNoSession
	}
	var sess Session
	var user int64
	err := s.db.QueryRowContext(ctx, `SELECT user_id, csrf FROM sessions WHERE hash = ? AND expires_at > ?`,
		tokenHash(token), time.Now().Unix()).Scan(&user, &sess.CSRF)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("look up session: %w", err)
	}
	if sess.User, err = s.UserByID(ctx, user); err != nil {
		return Session{}, err
	}
	return sess, nil
}

// EndSession signs a browser out.
func (s *Store) EndSession(ctx context.Context, token string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, tokenHash(token)); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// EndSessions signs a user out everywhere.
func (s *Store) EndSessions(ctx context.Context, user int64) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, user); err != nil {
		return fmt.Errorf("end user %d's sessions: %w", user, err)
	}
	return nil
}

// NewLoginLink makes a one-time login token for a user, valid for ttl.
func (s *Store) NewLoginLink(ctx context.Context, user int64, ttl time.Duration) (string, error) {
	t := randomToken()
	if _, err := s.db.ExecContext(ctx, `INSERT INTO login_links (hash, user_id, expires_at) VALUES (?, ?, ?)`,
		tokenHash(t), user, time.Now().Add(ttl).Unix()); err != nil {
		return "", fmt.Errorf("make a login link for user %d: %w", user, err)
	}
	return t, nil
}

// UseLoginLink spends a one-time login token and returns its user; a
// token used, expired or unknown is ErrBadLogin.
func (s *Store) UseLoginLink(ctx context.Context, token string) (User, error) {
	var user, expires int64
	err := s.db.QueryRowContext(ctx, `DELETE FROM login_links WHERE hash = ? RETURNING user_id, expires_at`, tokenHash(token)).Scan(&user, &expires)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && time.Now().Unix() >= expires) {
		return User{}, ErrBadLogin
	}
	if err != nil {
		return User{}, fmt.Errorf("use login link: %w", err)
	}
	return s.UserByID(ctx, user)
}

// AuditEntry is one action in the audit log.
type AuditEntry struct {
	ID        int64  `json:"id"`
	TS        string `json:"ts"`
	ProjectID int64  `json:"project_id"`
	Actor     string `json:"actor"`  // "user:ann@example.com" or "key:12"
	Action    string `json:"action"` // "POST /api/v1/monitors", "login"
	Target    string `json:"target"` // the path, or what was acted on
	Remote    string `json:"remote"` // the client's address
	Status    int    `json:"status"`
}

// Audit records an action.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO audit (ts, project_id, actor, action, target, remote, status) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		time.Now().UnixMicro(), e.ProjectID, e.Actor, e.Action, e.Target, e.Remote, e.Status); err != nil {
		return fmt.Errorf("write audit entry %q: %w", e.Action, err)
	}
	return nil
}

// AuditLog lists a project's audit entries, newest first: at most limit,
// older than id before (0: from the newest). withServer adds the entries
// of no project (logins, users, projects), for a server admin.
func (s *Store) AuditLog(ctx context.Context, project int64, withServer bool, limit int, before int64) ([]AuditEntry, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	other := int64(-1)
	if withServer {
		other = 0
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, ts, project_id, actor, action, target, remote, status FROM audit
		WHERE project_id IN (?, ?) AND id < ? ORDER BY id DESC LIMIT ?`, project, other, before, limit)
	if err != nil {
		return nil, fmt.Errorf("read the audit log of project %d: %w", project, err)
	}
	defer rows.Close()
	out := []AuditEntry{}
	for rows.Next() {
		var e AuditEntry
		var ts int64
		if err := rows.Scan(&e.ID, &ts, &e.ProjectID, &e.Actor, &e.Action, &e.Target, &e.Remote, &e.Status); err != nil {
			return nil, fmt.Errorf("read the audit log of project %d: %w", project, err)
		}
		e.TS = time.UnixMicro(ts).UTC().Format(time.RFC3339Nano)
		out = append(out, e)
	}
	return out, rows.Err()
}

// PinKey adds a key given in plain text (a script's pinned key) to a
// project with a role, unless it is known already; it says whether it was
// added.
func (s *Store) PinKey(ctx context.Context, project int64, role Role, key string) (bool, error) {
	if _, err := ParseKeyRole(string(role)); err != nil {
		return false, err
	}
	return s.addKey(ctx, project, role, key)
}

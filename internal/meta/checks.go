package meta

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Check statuses. A check is unknown until its first result.
const (
	CheckUp      = "up"
	CheckDown    = "down"
	CheckUnknown = "unknown"
)

// Check defaults and bounds.
const (
	DefaultCheckInterval = "1m"
	DefaultCheckTimeout  = "10s"
	MinCheckInterval     = 5 * time.Second
	MaxCheckInterval     = 24 * time.Hour
	MaxCheckTimeout      = time.Minute
	MaxExpectBody        = 1024
)

// Check is an uptime check — an HTTP(S) URL fetched on an interval — and
// its latest result. The rule's fields are the user's; Status,
// StatusSince, LastCheck and Uptime are Lore's and are ignored on save.
type Check struct {
	ID           int64  `json:"id"`
	ProjectID    int64  `json:"-"`
	Name         string `json:"name"`
	URL          string `json:"url"`
	Interval     string `json:"interval"`                // default 1m, at least 5s
	Timeout      string `json:"timeout"`                 // default 10s, at most the interval and 1m
	ExpectStatus int    `json:"expect_status,omitempty"` // 0: any 2xx or 3xx
	ExpectBody   string `json:"expect_body,omitempty"`   // text the body must contain

	Status      string       `json:"status"`
	StatusSince string       `json:"status_since,omitempty"`
	Uptime      *float64     `json:"uptime"` // 0–1 over the last 24 h; filled by the API, nil without results
	LastCheck   *CheckResult `json:"last_check"`
	CreatedAt   string       `json:"created_at,omitempty"`
	UpdatedAt   string       `json:"updated_at,omitempty"`
}

// CheckResult is one run of a check.
type CheckResult struct {
	At         string  `json:"at"`
	StatusCode int     `json:"status_code"` // 0 when no answer came
	LatencyMS  float64 `json:"latency_ms"`
	Error      string  `json:"error"` // why it is down; "" when up
	// TLS: the certificate the server presented (https only).
	TLSExpiresAt string `json:"tls_expires_at,omitempty"`
	TLSDaysLeft  *int   `json:"tls_days_left,omitempty"`
	TLSExpiring  bool   `json:"tls_expiring,omitempty"` // expires within 14 days
}

// Up reports whether the result counts as up.
func (r *CheckResult) Up() bool { return r.Error == "" }

// Validate normalises a check's rule and checks it.
func (c *Check) Validate() error {
	c.Name = strings.TrimSpace(c.Name)
	if c.Name == "" {
		return errors.New("a check needs a name")
	}
	if len(c.Name) > 200 {
		return fmt.Errorf("check name %.40q… is longer than 200 bytes", c.Name)
	}
	c.URL = strings.TrimSpace(c.URL)
	u, err := url.Parse(c.URL)
	if c.URL == "" {
		return errors.New("a check needs a url")
	}
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("url %q is not an http or https URL", c.URL)
	}
	if c.Interval == "" {
		c.Interval = DefaultCheckInterval
	}
	iv, err := durationOf("interval", c.Interval)
	if err != nil {
		return err
	}
	if iv < MinCheckInterval || iv > MaxCheckInterval {
		return fmt.Errorf("interval %q is not between %s and %s", c.Interval, MinCheckInterval, MaxCheckInterval)
	}
	if c.Timeout == "" {
		c.Timeout = DefaultCheckTimeout
		if iv < 10*time.Second {
			c.Timeout = c.Interval
		}
	}
	to, err := durationOf("timeout", c.Timeout)
	if err != nil {
		return err
	}
	if to > iv || to > MaxCheckTimeout {
		return fmt.Errorf("timeout %q is longer than the interval %q or %s", c.Timeout, c.Interval, MaxCheckTimeout)
	}
	if c.ExpectStatus != 0 && (c.ExpectStatus < 100 || c.ExpectStatus > 599) {
		return fmt.Errorf("expect_status %d is not an HTTP status", c.ExpectStatus)
	}
	if len(c.ExpectBody) > MaxExpectBody {
		return fmt.Errorf("expect_body is longer than %d bytes", MaxExpectBody)
	}
	return nil
}

// IntervalDuration is the check's interval; call on a validated check.
func (c *Check) IntervalDuration() time.Duration {
	d, _ := durationOf("interval", c.Interval)
	return d
}

// TimeoutDuration is the check's timeout; call on a validated check.
func (c *Check) TimeoutDuration() time.Duration { d, _ := durationOf("timeout", c.Timeout); return d }

const checkCols = `id, project_id, body, status, status_since, last_result, created_at, updated_at`

func scanCheck(r rowScanner) (Check, error) {
	var (
		c                      Check
		id, project            int64
		body, status, last     string
		since, created, update int64
	)
	if err := r.Scan(&id, &project, &body, &status, &since, &last, &created, &update); err != nil {
		return c, err
	}
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		return c, fmt.Errorf("decode check %d: %w", id, err)
	}
	c.ID, c.ProjectID, c.Status = id, project, status
	if since > 0 {
		c.StatusSince = time.UnixMicro(since).UTC().Format(time.RFC3339Nano)
	}
	if last != "" {
		c.LastCheck = new(CheckResult)
		if err := json.Unmarshal([]byte(last), c.LastCheck); err != nil {
			return c, fmt.Errorf("decode last result of check %d: %w", id, err)
		}
	}
	c.CreatedAt, c.UpdatedAt = unixTime(created), unixTime(update)
	return c, nil
}

func (s *Store) listChecks(ctx context.Context, where string, args ...any) ([]Check, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+checkCols+` FROM checks `+where+` ORDER BY name`, args...)
	if err != nil {
		return nil, fmt.Errorf("list checks: %w", err)
	}
	defer rows.Close()
	out := []Check{}
	for rows.Next() {
		c, err := scanCheck(rows)
		if err != nil {
			return nil, fmt.Errorf("list checks: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Checks lists a project's checks by name.
func (s *Store) Checks(ctx context.Context, project int64) ([]Check, error) {
	return s.listChecks(ctx, `WHERE project_id = ?`, project)
}

// CheckSchedule is when a check last ran, for the runner.
type CheckSchedule struct {
	Check
	LastRun time.Time // zero: never
}

// AllChecks lists every project's checks with when each last ran.
func (s *Store) AllChecks(ctx context.Context) ([]CheckSchedule, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+checkCols+`, last_run FROM checks ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list checks: %w", err)
	}
	defer rows.Close()
	var out []CheckSchedule
	for rows.Next() {
		var (
			c                      Check
			id, project            int64
			body, status, last     string
			since, created, update int64
			run                    int64
		)
		if err := rows.Scan(&id, &project, &body, &status, &since, &last, &created, &update, &run); err != nil {
			return nil, fmt.Errorf("list checks: %w", err)
		}
		if err := json.Unmarshal([]byte(body), &c); err != nil {
			return nil, fmt.Errorf("decode check %d: %w", id, err)
		}
		c.ID, c.ProjectID, c.Status = id, project, status
		cs := CheckSchedule{Check: c}
		if run > 0 {
			cs.LastRun = time.UnixMicro(run)
		}
		out = append(out, cs)
	}
	return out, rows.Err()
}

// Check returns one check, or ErrNotFound.
func (s *Store) Check(ctx context.Context, project, id int64) (Check, error) {
	c, err := scanCheck(s.db.QueryRowContext(ctx, `SELECT `+checkCols+` FROM checks WHERE project_id = ? AND id = ?`, project, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("check %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("read check %d: %w", id, err)
	}
	return c, nil
}

// SaveCheck validates and stores a check's rule: new when c.ID is 0, else
// it replaces check c.ID's rule and keeps its results. A changed rule runs
// at once.
func (s *Store) SaveCheck(ctx context.Context, project int64, c Check) (Check, error) {
	if err := c.Validate(); err != nil {
		return Check{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	rule := Check{Name: c.Name, URL: c.URL, Interval: c.Interval, Timeout: c.Timeout, ExpectStatus: c.ExpectStatus, ExpectBody: c.ExpectBody}
	body, err := json.Marshal(rule)
	if err != nil {
		return Check{}, fmt.Errorf("encode check %q: %w", c.Name, err)
	}
	now := time.Now().Unix()
	id := c.ID
	if id == 0 {
		err = s.db.QueryRowContext(ctx, `INSERT INTO checks (project_id, name, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			project, c.Name, string(body), now, now).Scan(&id)
	} else {
		var res sql.Result
		res, err = s.db.ExecContext(ctx, `UPDATE checks SET name = ?, body = ?, updated_at = ?, last_run = 0 WHERE project_id = ? AND id = ?`,
			c.Name, string(body), now, project, id)
		if err == nil {
			if n, _ := res.RowsAffected(); n == 0 {
				return Check{}, fmt.Errorf("check %d: %w", id, ErrNotFound)
			}
		}
	}
	if err != nil {
		if isUniqueViolation(err) {
			return Check{}, fmt.Errorf("%w: a check named %q exists already", ErrNameTaken, c.Name)
		}
		return Check{}, fmt.Errorf("store check %q: %w", c.Name, err)
	}
	return s.Check(ctx, project, id)
}

// DeleteCheck deletes a check, or returns ErrNotFound. Its results stay
// in the events; monitors of kind check that name it report an error.
func (s *Store) DeleteCheck(ctx context.Context, project, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM checks WHERE project_id = ? AND id = ?`, project, id)
	if err != nil {
		return fmt.Errorf("delete check %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("check %d: %w", id, ErrNotFound)
	}
	return nil
}

// RecordCheckResult stores a check's latest result, which started at at,
// and its status (up or down), with the time the status began; at is also
// when the check last ran, from which the next run is scheduled (across
// restarts too). It reports whether the status changed. A check deleted
// meanwhile gives ErrNotFound. When follows is not nil the run was
// scheduled from the check's last run at *follows (zero: never): if
// another run was recorded since (another node's, while a lease changed
// hands), nothing is recorded and the error is ErrSuperseded.
func (s *Store) RecordCheckResult(ctx context.Context, id int64, r CheckResult, at time.Time, follows *time.Time) (changed bool, err error) {
	err = s.retry(ctx, func() error {
		changed, err = s.recordCheckResult(ctx, id, r, at, follows)
		return err
	})
	return changed, err
}

// recordCheckResult is one attempt at RecordCheckResult.
func (s *Store) recordCheckResult(ctx context.Context, id int64, r CheckResult, at time.Time, follows *time.Time) (changed bool, err error) {
	status := CheckDown
	if r.Up() {
		status = CheckUp
	}
	body, err := json.Marshal(r)
	if err != nil {
		return false, fmt.Errorf("encode result of check %d: %w", id, err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("record result of check %d: %w", id, err)
	}
	defer tx.Rollback()
	var (
		was     string
		lastRun int64
	)
	if err := tx.QueryRowContext(ctx, `SELECT status, last_run FROM checks WHERE id = ?`, id).Scan(&was, &lastRun); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return false, fmt.Errorf("check %d: %w", id, ErrNotFound)
		}
		return false, fmt.Errorf("record result of check %d: %w", id, err)
	}
	if follows != nil && lastRun != timeMicros(*follows) {
		return false, fmt.Errorf("run of check %d scheduled from %s, last run %s: %w", id,
			microsTime(timeMicros(*follows)).Format(time.RFC3339Nano), microsTime(lastRun).Format(time.RFC3339Nano), ErrSuperseded)
	}
	changed = was != status
	if _, err := tx.ExecContext(ctx, `UPDATE checks SET status = ?, last_result = ?, last_run = ?,
		status_since = CASE WHEN status <> ? OR status_since = 0 THEN ? ELSE status_since END WHERE id = ?`,
		status, string(body), at.UnixMicro(), status, at.UnixMicro(), id); err != nil {
		return false, fmt.Errorf("record result of check %d: %w", id, err)
	}
	return changed, tx.Commit()
}

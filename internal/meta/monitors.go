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
	"unicode"

	"github.com/lore-dev/lore/internal/query"
)

// Monitor kinds: what a monitor measures over its window.
const (
	MonitorQuery     = "query"      // matching events: count, or rate per minute (Measure)
	MonitorLatency   = "latency"    // p95 of duration_ms of matching spans, in ms
	MonitorErrorRate = "error_rate" // errors / all matching events, a fraction
	MonitorIssue     = "issue"      // new and regressed issues
)

// MonitorKinds lists the valid monitor kinds.
var MonitorKinds = []string{MonitorQuery, MonitorLatency, MonitorErrorRate, MonitorIssue}

// Monitor states. A monitor starts in no_data until its first evaluation.
const (
	StateOK     = "ok"
	StateAlert  = "alert"
	StateNoData = "no_data"
)

// Monitor defaults and bounds.
const (
	DefaultMonitorWindow   = "5m"
	DefaultMonitorInterval = "1m"
	MinMonitorInterval     = 10 * time.Second
	MaxMonitorWindow       = 7 * 24 * time.Hour
)

// Monitor is an alert rule and its current state. The rule's fields are
// the user's; State, Value, LastEvaluated, LastError and StateSince are
// the evaluator's and are ignored on save.
type Monitor struct {
	ID        int64   `json:"id"`
	ProjectID int64   `json:"-"`
	Name      string  `json:"name"`
	Kind      string  `json:"kind"`
	Query     string  `json:"query"`             // in the search syntax; "" matches everything
	Measure   string  `json:"measure,omitempty"` // query monitors: "count" (default) or "rate" (per minute)
	Op        string  `json:"op"`                // >, >=, < or <=; default >
	Threshold float64 `json:"threshold"`
	Window    string  `json:"window"`   // e.g. "5m" (default)
	Interval  string  `json:"interval"` // e.g. "1m" (default), at least 10s
	Webhook   string  `json:"webhook,omitempty"`
	Muted     bool    `json:"muted"` // evaluated, but never notifies

	State         string         `json:"state"`
	Value         *float64       `json:"value"` // nil without data
	LastEvaluated string         `json:"last_evaluated,omitempty"`
	LastError     string         `json:"last_error,omitempty"`
	StateSince    string         `json:"state_since,omitempty"`
	CreatedAt     string         `json:"created_at,omitempty"`
	UpdatedAt     string         `json:"updated_at,omitempty"`
	History       []MonitorEvent `json:"history,omitempty"` // newest first; filled by the detail only
}

// MonitorEvent is one change of a monitor's state.
type MonitorEvent struct {
	ID        int64    `json:"id"`
	MonitorID int64    `json:"monitor_id"`
	At        string   `json:"at"`
	From      string   `json:"from"`
	To        string   `json:"to"`
	Value     *float64 `json:"value"`
	Threshold float64  `json:"threshold"`
}

// MonitorStatus is what one evaluation leaves on a monitor.
type MonitorStatus struct {
	State      string
	Value      *float64
	At         time.Time
	Error      string
	StateSince time.Time // when State began (At when it changed now)
}

// Validate normalises a monitor's rule (defaults filled in) and checks
// it: a name, a known kind, a query that parses, a comparison, a window
// above zero and an interval of 10s or more, a webhook that is an http(s)
// URL.
func (m *Monitor) Validate() error {
	m.Name = strings.TrimSpace(m.Name)
	if m.Name == "" {
		return errors.New("a monitor needs a name")
	}
	switch m.Kind {
	case MonitorQuery, MonitorLatency, MonitorErrorRate, MonitorIssue:
	case "":
		return fmt.Errorf("a monitor needs a kind (one of %s)", strings.Join(MonitorKinds, ", "))
	default:
		return fmt.Errorf("unknown monitor kind %q (want one of %s)", m.Kind, strings.Join(MonitorKinds, ", "))
	}
	m.Query = strings.TrimSpace(m.Query)
	if _, err := query.Parse(m.Query); err != nil {
		return fmt.Errorf("bad query %q: %w", m.Query, err)
	}
	switch m.Measure {
	case "":
		if m.Kind == MonitorQuery {
			m.Measure = "count"
		}
	case "count", "rate":
		if m.Kind != MonitorQuery {
			return fmt.Errorf("measure %q applies to query monitors only", m.Measure)
		}
	default:
		return fmt.Errorf("unknown measure %q (want count or rate)", m.Measure)
	}
	switch m.Op {
	case "":
		m.Op = ">"
	case ">", ">=", "<", "<=":
	default:
		return fmt.Errorf("unknown comparison %q (want >, >=, < or <=)", m.Op)
	}
	if m.Kind == MonitorErrorRate && (m.Threshold < 0 || m.Threshold > 1) {
		return fmt.Errorf("an error_rate threshold is a fraction between 0 and 1, got %g", m.Threshold)
	}
	if m.Window == "" {
		m.Window = DefaultMonitorWindow
	}
	w, err := durationOf("window", m.Window)
	if err != nil {
		return err
	}
	if w > MaxMonitorWindow {
		return fmt.Errorf("window %q is longer than %s", m.Window, MaxMonitorWindow)
	}
	if m.Interval == "" {
		m.Interval = DefaultMonitorInterval
	}
	iv, err := durationOf("interval", m.Interval)
	if err != nil {
		return err
	}
	if iv < MinMonitorInterval {
		return fmt.Errorf("interval %q is shorter than %s", m.Interval, MinMonitorInterval)
	}
	m.Webhook = strings.TrimSpace(m.Webhook)
	if m.Webhook != "" {
		u, err := url.Parse(m.Webhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("webhook %q is not an http or https URL", m.Webhook)
		}
	}
	return nil
}

func durationOf(what, s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	digits := strings.TrimLeft(t, "0.")
	if strings.HasPrefix(t, "-") || (t != "" && (digits == "" || unicode.IsLetter(rune(digits[0])))) {
		return 0, fmt.Errorf("%s %q must be above zero (e.g. 5m)", what, s)
	}
	us, err := query.ParseStep(t)
	if err != nil {
		return 0, fmt.Errorf("bad %s %q (want a duration such as 30s, 5m or 1h): %w", what, s, err)
	}
	return time.Duration(us) * time.Microsecond, nil
}

// WindowDuration is the monitor's window; call on a validated monitor.
func (m *Monitor) WindowDuration() time.Duration { d, _ := durationOf("window", m.Window); return d }

// IntervalDuration is the monitor's evaluation interval; call on a
// validated monitor.
func (m *Monitor) IntervalDuration() time.Duration {
	d, _ := durationOf("interval", m.Interval)
	return d
}

// MigrateMonitors creates the monitors and their state history tables; the
// monitors feature calls it when it opens.
func (s *Store) MigrateMonitors(ctx context.Context) error {
	const schema = `
CREATE TABLE IF NOT EXISTS monitors (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  body TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'no_data',
  value REAL,
  last_eval INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  state_since INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (project_id, name)
);
CREATE TABLE IF NOT EXISTS monitor_events (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL,
  monitor_id INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  value REAL,
  threshold REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS monitor_events_monitor ON monitor_events (monitor_id, ts);`
	if _, err := s.db.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("create monitors schema: %w", err)
	}
	return nil
}

const monitorCols = `id, project_id, body, state, value, last_eval, last_error, state_since, created_at, updated_at`

func scanMonitor(r rowScanner) (Monitor, error) {
	var (
		m                            Monitor
		body                         string
		value                        sql.NullFloat64
		lastEval, since, created, up int64
	)
	var (
		id, project      int64
		state, lastError string
	)
	if err := r.Scan(&id, &project, &body, &state, &value, &lastEval, &lastError, &since, &created, &up); err != nil {
		return m, err
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return m, fmt.Errorf("decode monitor %d: %w", id, err)
	}
	m.ID, m.ProjectID, m.State, m.LastError = id, project, state, lastError
	if value.Valid {
		v := value.Float64
		m.Value = &v
	}
	if lastEval > 0 {
		m.LastEvaluated = time.UnixMicro(lastEval).UTC().Format(time.RFC3339Nano)
	}
	if since > 0 {
		m.StateSince = time.UnixMicro(since).UTC().Format(time.RFC3339Nano)
	}
	m.CreatedAt, m.UpdatedAt = unixTime(created), unixTime(up)
	return m, nil
}

func (s *Store) listMonitors(ctx context.Context, where string, args ...any) ([]Monitor, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+monitorCols+` FROM monitors `+where+` ORDER BY name`, args...)
	if err != nil {
		return nil, fmt.Errorf("list monitors: %w", err)
	}
	defer rows.Close()
	out := []Monitor{}
	for rows.Next() {
		m, err := scanMonitor(rows)
		if err != nil {
			return nil, fmt.Errorf("list monitors: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Monitors lists a project's monitors by name.
func (s *Store) Monitors(ctx context.Context, project int64) ([]Monitor, error) {
	return s.listMonitors(ctx, `WHERE project_id = ?`, project)
}

// AllMonitors lists the monitors of every project, for the evaluator.
func (s *Store) AllMonitors(ctx context.Context) ([]Monitor, error) {
	return s.listMonitors(ctx, ``)
}

// Monitor returns one monitor, or ErrNotFound.
func (s *Store) Monitor(ctx context.Context, project, id int64) (Monitor, error) {
	m, err := scanMonitor(s.db.QueryRowContext(ctx, `SELECT `+monitorCols+` FROM monitors WHERE project_id = ? AND id = ?`, project, id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, fmt.Errorf("monitor %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return m, fmt.Errorf("read monitor %d: %w", id, err)
	}
	return m, nil
}

// SaveMonitor validates and stores a monitor's rule: a new monitor when
// m.ID is 0, else it replaces the rule of monitor m.ID and keeps its
// state. It returns the stored monitor.
func (s *Store) SaveMonitor(ctx context.Context, project int64, m Monitor) (Monitor, error) {
	if err := m.Validate(); err != nil {
		return Monitor{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	rule := m
	rule.ID, rule.ProjectID, rule.State, rule.Value, rule.LastEvaluated = 0, 0, "", nil, ""
	rule.LastError, rule.StateSince, rule.CreatedAt, rule.UpdatedAt, rule.History = "", "", "", "", nil
	body, err := json.Marshal(rule)
	if err != nil {
		return Monitor{}, fmt.Errorf("encode monitor %q: %w", m.Name, err)
	}
	now := time.Now().Unix()
	id := m.ID
	if id == 0 {
		var res sql.Result
		res, err = s.db.ExecContext(ctx, `INSERT INTO monitors (project_id, name, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			project, m.Name, string(body), now, now)
		if err == nil {
			id, err = res.LastInsertId()
		}
	} else {
		var res sql.Result
		res, err = s.db.ExecContext(ctx, `UPDATE monitors SET name = ?, body = ?, updated_at = ? WHERE project_id = ? AND id = ?`,
			m.Name, string(body), now, project, id)
		if err == nil {
			if n, _ := res.RowsAffected(); n == 0 {
				return Monitor{}, fmt.Errorf("monitor %d: %w", id, ErrNotFound)
			}
		}
	}
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint") {
			return Monitor{}, fmt.Errorf("%w: a monitor named %q exists already", ErrNameTaken, m.Name)
		}
		return Monitor{}, fmt.Errorf("store monitor %q: %w", m.Name, err)
	}
	return s.Monitor(ctx, project, id)
}

// DeleteMonitor deletes a monitor and its history, or returns ErrNotFound.
func (s *Store) DeleteMonitor(ctx context.Context, project, id int64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete monitor %d: %w", id, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM monitors WHERE project_id = ? AND id = ?`, project, id)
	if err != nil {
		return fmt.Errorf("delete monitor %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("monitor %d: %w", id, ErrNotFound)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM monitor_events WHERE project_id = ? AND monitor_id = ?`, project, id); err != nil {
		return fmt.Errorf("delete history of monitor %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete monitor %d: %w", id, err)
	}
	return nil
}

// RecordMonitorStatus stores an evaluation's outcome and, when from is not
// st.State, the change in the monitor's history, in one transaction. A
// monitor deleted meanwhile gives ErrNotFound.
func (s *Store) RecordMonitorStatus(ctx context.Context, project, id int64, from string, threshold float64, st MonitorStatus) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record state of monitor %d: %w", id, err)
	}
	defer tx.Rollback()
	var value any
	if st.Value != nil {
		value = *st.Value
	}
	res, err := tx.ExecContext(ctx, `UPDATE monitors SET state = ?, value = ?, last_eval = ?, last_error = ?, state_since = ? WHERE project_id = ? AND id = ?`,
		st.State, value, st.At.UnixMicro(), st.Error, st.StateSince.UnixMicro(), project, id)
	if err != nil {
		return fmt.Errorf("record state of monitor %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("monitor %d: %w", id, ErrNotFound)
	}
	if from != st.State {
		if _, err := tx.ExecContext(ctx, `INSERT INTO monitor_events (project_id, monitor_id, ts, from_state, to_state, value, threshold) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			project, id, st.At.UnixMicro(), from, st.State, value, threshold); err != nil {
			return fmt.Errorf("record state change of monitor %d: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record state of monitor %d: %w", id, err)
	}
	return nil
}

// MonitorHistory returns a monitor's state changes, newest first, at most
// limit of them.
func (s *Store) MonitorHistory(ctx context.Context, project, id int64, limit int) ([]MonitorEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, monitor_id, ts, from_state, to_state, value, threshold FROM monitor_events
		WHERE project_id = ? AND monitor_id = ? ORDER BY ts DESC, id DESC LIMIT ?`, project, id, limit)
	if err != nil {
		return nil, fmt.Errorf("read history of monitor %d: %w", id, err)
	}
	defer rows.Close()
	out := []MonitorEvent{}
	for rows.Next() {
		var (
			e     MonitorEvent
			ts    int64
			value sql.NullFloat64
		)
		if err := rows.Scan(&e.ID, &e.MonitorID, &ts, &e.From, &e.To, &value, &e.Threshold); err != nil {
			return nil, fmt.Errorf("read history of monitor %d: %w", id, err)
		}
		e.At = time.UnixMicro(ts).UTC().Format(time.RFC3339Nano)
		if value.Valid {
			v := value.Float64
			e.Value = &v
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

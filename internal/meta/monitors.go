package meta

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
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
	MonitorIssue     = "issue"      // new and regressed issues, or one issue's events or users
	MonitorCheck     = "check"      // an uptime check: down, or days left on its certificate
	MonitorStory     = "story"      // story cards of a type and severity appearing
	MonitorBaseline  = "baseline"   // a service's signal leaving its robust baseline
	MonitorAggregate = "aggregate"  // a column of a pipeline's stats (Measure), one series per group
)

// MonitorKinds lists the valid monitor kinds.
var MonitorKinds = []string{MonitorQuery, MonitorLatency, MonitorErrorRate, MonitorIssue, MonitorCheck, MonitorStory, MonitorBaseline, MonitorAggregate}

// Monitor states. A monitor starts in no_data until its first evaluation.
// Each series (group) of a monitor goes ok → pending (its condition holds,
// for less than the pending duration) → alert → ok again, which is when a
// "resolved" notification is sent; error is a monitor whose measurement
// failed (timed out, a bad store answer): its series keep their states.
const (
	StateOK      = "ok"
	StatePending = "pending"
	StateAlert   = "alert"
	StateNoData  = "no_data"
	StateError   = "error"
)

// Monitor defaults and bounds.
const (
	DefaultMonitorWindow    = "5m"
	DefaultMonitorInterval  = "1m"
	DefaultMonitorTimeout   = "30s"
	MinMonitorInterval      = 10 * time.Second
	MinCheckMonitorInterval = 5 * time.Second
	MaxMonitorWindow        = 7 * 24 * time.Hour
	MaxMonitorTimeout       = 5 * time.Minute
	MaxMonitorPending       = 24 * time.Hour
	MaxMonitorCooldown      = 7 * 24 * time.Hour
	MaxMonitorChannels      = 20
	// MaxMonitorGroups bounds the series of a grouped monitor: the
	// groups with the highest values are kept.
	MaxMonitorGroups = 100
)

// GroupFields are the fields a query, error_rate or latency monitor may be
// grouped by: one series, and one alert, per value.
var GroupFields = []string{"service", "endpoint", "env", "host"}

// BaselineSignals are the signals a baseline monitor watches (the
// narrative engine's per-service signals).
var BaselineSignals = []string{"error_rate", "p95_ms", "retries", "error_logs"}

// Monitor is an alert rule and its current state. The rule's fields are
// the user's; State, Value, LastEvaluated, LastError, StateSince and
// Series are the evaluator's and are ignored on save.
type Monitor struct {
	ID        int64        `json:"id"`
	ProjectID int64        `json:"-"`
	Name      string       `json:"name"`
	Kind      string       `json:"kind"`
	Query     string       `json:"query"`             // in the search syntax; "" matches everything; aggregate: a pipeline
	Measure   string       `json:"measure,omitempty"` // query: count|rate; issue: new|events|users; check: down|tls_days; aggregate: a column
	Op        string       `json:"op"`                // >, >=, < or <=; default >
	Threshold float64      `json:"threshold"`
	Window    string       `json:"window"`               // e.g. "5m" (default)
	Interval  string       `json:"interval"`             // e.g. "1m" (default), at least 10s (5s for checks)
	GroupBy   string       `json:"group_by,omitempty"`   // query, error_rate, latency: one series per value of this field
	Pending   string       `json:"pending,omitempty"`    // how long the condition holds before alert; "" alerts at once
	Cooldown  string       `json:"cooldown,omitempty"`   // least time between two alert notifications of a series
	Timeout   string       `json:"timeout,omitempty"`    // an evaluation longer than this is cut off (error); default 30s
	Webhook   string       `json:"webhook,omitempty"`    // posted the generic JSON, as a webhook channel
	Channels  []int64      `json:"channels,omitempty"`   // channel ids (GET /api/v1/channels)
	Muted     bool         `json:"muted"`                // evaluated, but never notifies
	Mute      []MuteWindow `json:"mute,omitempty"`       // windows when it notifies nobody
	Check     int64        `json:"check,omitempty"`      // kind check: the check's id
	StoryType string       `json:"story_type,omitempty"` // kind story: the card type; "" any
	Severity  string       `json:"severity,omitempty"`   // kind story: least severity (default warning); baseline: warning (default) or critical
	Signal    string       `json:"signal,omitempty"`     // kind baseline: error_rate, p95_ms, retries or error_logs
	Service   string       `json:"service,omitempty"`    // kinds story, baseline: only this service; "" every one

	State         string         `json:"state"`
	MutedNow      bool           `json:"muted_now"`             // muted, or inside a mute window, as it is read
	Value         *float64       `json:"value"`                 // nil without data; of the worst series when grouped
	Approximate   bool           `json:"approximate,omitempty"` // Value is an estimate (Series.Approximate)
	Sampled       int64          `json:"sampled,omitempty"`     // the events kept by sampling among those Value measured
	LastEvaluated string         `json:"last_evaluated,omitempty"`
	LastError     string         `json:"last_error,omitempty"`
	StateSince    string         `json:"state_since,omitempty"`
	CreatedAt     string         `json:"created_at,omitempty"`
	UpdatedAt     string         `json:"updated_at,omitempty"`
	Series        []Series       `json:"series,omitempty"`  // one per group, worst first
	History       []MonitorEvent `json:"history,omitempty"` // newest first; filled by the detail only
}

// MonitorEvent is one change of a monitor's state, or of one of its
// series; Note says what was sent ("notified", "resolved: notified") or
// why not ("muted", "cooldown", "no channel"), that a notification failed
// for good (RecordAttempt, FailedNote), or the error.
type MonitorEvent struct {
	ID        int64    `json:"id"`
	MonitorID int64    `json:"monitor_id"`
	At        string   `json:"at"`
	Series    string   `json:"series,omitempty"`
	From      string   `json:"from"`
	To        string   `json:"to"`
	Value     *float64 `json:"value"`
	Threshold float64  `json:"threshold"`
	Note      string   `json:"note,omitempty"`
	// Approximate marks a Value that is an estimate (Series.Approximate).
	Approximate bool `json:"approximate,omitempty"`
}

// Validate normalises a monitor's rule (defaults filled in) and checks
// it: a name, a known kind with what it needs, a query that parses, a
// comparison, durations in bounds, a webhook that is an http(s) URL.
func (m *Monitor) Validate() error {
	m.Name = strings.TrimSpace(m.Name)
	if m.Name == "" {
		return errors.New("a monitor needs a name")
	}
	if !slices.Contains(MonitorKinds, m.Kind) {
		if m.Kind == "" {
			return fmt.Errorf("a monitor needs a kind (one of %s)", strings.Join(MonitorKinds, ", "))
		}
		return fmt.Errorf("unknown monitor kind %q (want one of %s)", m.Kind, strings.Join(MonitorKinds, ", "))
	}
	m.Query = strings.TrimSpace(m.Query)
	if m.Kind == MonitorAggregate {
		a, err := AggregateOf(m.Query, m.Measure)
		if err != nil {
			return fmt.Errorf("bad query %q: %w", m.Query, err)
		}
		m.Measure = a.Measure
	} else if _, err := query.Parse(m.Query); err != nil {
		return fmt.Errorf("bad query %q: %w", m.Query, err)
	}
	if err := m.validateKind(); err != nil {
		return err
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
	if m.Kind == MonitorBaseline && w < 3*time.Minute {
		return fmt.Errorf("a baseline monitor's window %q is shorter than 3m: a departure lasts 3 minutes at least", m.Window)
	}
	if m.Interval == "" {
		m.Interval = DefaultMonitorInterval
	}
	iv, err := durationOf("interval", m.Interval)
	if err != nil {
		return err
	}
	least := MinMonitorInterval
	if m.Kind == MonitorCheck {
		least = MinCheckMonitorInterval
	}
	if iv < least {
		return fmt.Errorf("interval %q is shorter than %s", m.Interval, least)
	}
	if m.Timeout == "" {
		m.Timeout = DefaultMonitorTimeout
	}
	if err := boundedDuration("timeout", m.Timeout, false, MaxMonitorTimeout); err != nil {
		return err
	}
	if err := boundedDuration("pending", m.Pending, true, MaxMonitorPending); err != nil {
		return err
	}
	if err := boundedDuration("cooldown", m.Cooldown, true, MaxMonitorCooldown); err != nil {
		return err
	}
	m.Webhook = strings.TrimSpace(m.Webhook)
	if m.Webhook != "" {
		u, err := url.Parse(m.Webhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("webhook %q is not an http or https URL", m.Webhook)
		}
	}
	if len(m.Channels) > MaxMonitorChannels {
		return fmt.Errorf("a monitor notifies at most %d channels, got %d", MaxMonitorChannels, len(m.Channels))
	}
	seen := map[int64]bool{}
	chans := m.Channels[:0]
	for _, id := range m.Channels {
		if id <= 0 {
			return fmt.Errorf("bad channel id %d", id)
		}
		if !seen[id] {
			seen[id] = true
			chans = append(chans, id)
		}
	}
	m.Channels = chans
	if len(m.Mute) > 20 {
		return fmt.Errorf("a monitor has at most 20 mute windows, got %d", len(m.Mute))
	}
	for i := range m.Mute {
		if err := m.Mute[i].validate(); err != nil {
			return err
		}
	}
	return nil
}

// validateKind checks and defaults the fields that depend on the kind.
func (m *Monitor) validateKind() error {
	only := func(field, value string, kinds ...string) error {
		if value != "" && !slices.Contains(kinds, m.Kind) {
			return fmt.Errorf("%s applies to %s monitors only", field, strings.Join(kinds, " and "))
		}
		return nil
	}
	for _, e := range []error{
		only("story_type", m.StoryType, MonitorStory),
		only("signal", m.Signal, MonitorBaseline),
		only("service", m.Service, MonitorStory, MonitorBaseline),
		only("severity", m.Severity, MonitorStory, MonitorBaseline),
		only("group_by", m.GroupBy, MonitorQuery, MonitorErrorRate, MonitorLatency),
	} {
		if e != nil {
			return e
		}
	}
	if m.Check != 0 && m.Kind != MonitorCheck {
		return errors.New("check applies to check monitors only")
	}
	if m.GroupBy != "" && !slices.Contains(GroupFields, m.GroupBy) {
		return fmt.Errorf("cannot group by %q (want one of %s)", m.GroupBy, strings.Join(GroupFields, ", "))
	}
	measures := map[string][]string{
		MonitorQuery: {"count", "rate"},
		MonitorIssue: {"new", "events", "users"},
		MonitorCheck: {"down", "tls_days"},
	}[m.Kind]
	switch {
	case m.Kind == MonitorAggregate: // a column of the answer, checked with the query
	case m.Measure == "" && len(measures) > 0:
		m.Measure = measures[0]
	case m.Measure != "" && len(measures) == 0:
		return fmt.Errorf("measure %q applies to query, issue, check and aggregate monitors only", m.Measure)
	case m.Measure != "" && !slices.Contains(measures, m.Measure):
		return fmt.Errorf("unknown measure %q for %s monitors (want %s)", m.Measure, m.Kind, strings.Join(measures, " or "))
	}
	switch m.Kind {
	case MonitorCheck:
		if m.Check <= 0 {
			return errors.New("a check monitor needs \"check\": the id of an uptime check")
		}
		if m.Query != "" {
			return errors.New("a check monitor takes no query")
		}
		if m.Measure == "down" {
			// The value is 1 while the check is down.
			m.Op, m.Threshold = ">=", 1
		} else if m.Op == "" && m.Threshold == 0 {
			m.Op, m.Threshold = "<", 14
		}
	case MonitorStory:
		if m.Query != "" {
			return errors.New("a story monitor takes no query (story_type, severity and service choose the cards)")
		}
		if m.Severity == "" {
			m.Severity = "warning"
		}
		if !slices.Contains([]string{"info", "warning", "critical"}, m.Severity) {
			return fmt.Errorf("unknown severity %q (want info, warning or critical)", m.Severity)
		}
		if m.StoryType != "" && strings.Trim(m.StoryType, "abcdefghijklmnopqrstuvwxyz_") != "" {
			return fmt.Errorf("bad story_type %q", m.StoryType)
		}
	case MonitorBaseline:
		if m.Query != "" {
			return errors.New("a baseline monitor takes no query (signal and service choose the series)")
		}
		if !slices.Contains(BaselineSignals, m.Signal) {
			return fmt.Errorf("a baseline monitor needs a signal (one of %s), got %q", strings.Join(BaselineSignals, ", "), m.Signal)
		}
		if m.Window == "" {
			m.Window = "15m" // a departure lasts 3 minutes at least; the window remembers it
		}
		if m.Severity == "" {
			m.Severity = "warning"
		}
		if m.Severity != "warning" && m.Severity != "critical" {
			return fmt.Errorf("a baseline monitor's severity is warning or critical, got %q", m.Severity)
		}
	}
	return nil
}

// boundedDuration checks an optional duration field.
func boundedDuration(what, s string, zeroOK bool, most time.Duration) error {
	if s == "" || (zeroOK && strings.Trim(s, "0smh") == "") {
		return nil
	}
	d, err := durationOf(what, s)
	if err != nil {
		return err
	}
	if d > most {
		return fmt.Errorf("%s %q is longer than %s", what, s, most)
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

// PendingDuration is how long a condition holds before it alerts.
func (m *Monitor) PendingDuration() time.Duration { d, _ := durationOf("pending", m.Pending); return d }

// CooldownDuration is the least time between two alert notifications of
// one series.
func (m *Monitor) CooldownDuration() time.Duration {
	d, _ := durationOf("cooldown", m.Cooldown)
	return d
}

// TimeoutDuration bounds one evaluation.
func (m *Monitor) TimeoutDuration() time.Duration {
	if d, err := durationOf("timeout", m.Timeout); err == nil && m.Timeout != "" {
		return d
	}
	d, _ := durationOf("timeout", DefaultMonitorTimeout)
	return d
}

// IntervalDuration is the monitor's evaluation interval; call on a
// validated monitor.
func (m *Monitor) IntervalDuration() time.Duration {
	d, _ := durationOf("interval", m.Interval)
	return d
}

const monitorCols = `id, project_id, body, state, value, last_eval, last_error, state_since, created_at, updated_at, approximate, sampled`

func scanMonitor(r rowScanner) (Monitor, error) {
	var (
		m                            Monitor
		body                         string
		value                        sql.NullFloat64
		lastEval, since, created, up int64
		approximate, sampled         int64
	)
	var (
		id, project      int64
		state, lastError string
	)
	if err := r.Scan(&id, &project, &body, &state, &value, &lastEval, &lastError, &since, &created, &up, &approximate, &sampled); err != nil {
		return m, err
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return m, fmt.Errorf("decode monitor %d: %w", id, err)
	}
	m.ID, m.ProjectID, m.State, m.LastError = id, project, state, lastError
	m.Approximate, m.Sampled = approximate == 1, sampled
	m.MutedNow = m.MutedAt(time.Now())
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
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	return out, s.withSeries(ctx, out)
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
	m.Series, err = s.MonitorSeries(ctx, id)
	return m, err
}

// SaveMonitor validates and stores a monitor's rule: a new monitor when
// m.ID is 0, else it replaces the rule of monitor m.ID and keeps its
// state. It returns the stored monitor.
func (s *Store) SaveMonitor(ctx context.Context, project int64, m Monitor) (Monitor, error) {
	if err := m.Validate(); err != nil {
		return Monitor{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := s.monitorRefs(ctx, project, m); err != nil {
		return Monitor{}, err
	}
	rule := m
	rule.ID, rule.ProjectID, rule.State, rule.Value, rule.LastEvaluated = 0, 0, "", nil, ""
	rule.LastError, rule.StateSince, rule.CreatedAt, rule.UpdatedAt, rule.History, rule.Series = "", "", "", "", nil, nil
	rule.MutedNow, rule.Approximate, rule.Sampled = false, false, 0
	body, err := json.Marshal(rule)
	if err != nil {
		return Monitor{}, fmt.Errorf("encode monitor %q: %w", m.Name, err)
	}
	now := time.Now().Unix()
	id := m.ID
	if id == 0 {
		err = s.db.QueryRowContext(ctx, `INSERT INTO monitors (project_id, name, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			project, m.Name, string(body), now, now).Scan(&id)
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
		if isUniqueViolation(err) {
			return Monitor{}, fmt.Errorf("%w: a monitor named %q exists already", ErrNameTaken, m.Name)
		}
		return Monitor{}, fmt.Errorf("store monitor %q: %w", m.Name, err)
	}
	return s.Monitor(ctx, project, id)
}

// DeleteMonitor deletes a monitor and its history, or returns ErrNotFound.
func (s *Store) DeleteMonitor(ctx context.Context, project, id int64) error {
	return s.retry(ctx, func() error { return s.deleteMonitor(ctx, project, id) })
}

// deleteMonitor is one attempt at DeleteMonitor.
func (s *Store) deleteMonitor(ctx context.Context, project, id int64) error {
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
	if _, err := tx.ExecContext(ctx, `DELETE FROM monitor_series WHERE monitor_id = ?`, id); err != nil {
		return fmt.Errorf("delete series of monitor %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM notifications WHERE project_id = ? AND monitor_id = ?`, project, id); err != nil {
		return fmt.Errorf("delete notifications of monitor %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM notification_attempts WHERE project_id = ? AND monitor_id = ?`, project, id); err != nil {
		return fmt.Errorf("delete deliveries of monitor %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete monitor %d: %w", id, err)
	}
	return nil
}

// monitorRefs checks that the channels and the check a monitor names are
// the project's.
func (s *Store) monitorRefs(ctx context.Context, project int64, m Monitor) error {
	for _, id := range m.Channels {
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM channels WHERE project_id = ? AND id = ?`, project, id).Scan(&n); err != nil {
			return fmt.Errorf("look up channel %d: %w", id, err)
		}
		if n == 0 {
			return fmt.Errorf("%w: no channel %d in this project (GET /api/v1/channels lists them)", ErrInvalid, id)
		}
	}
	if m.Kind == MonitorCheck {
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM checks WHERE project_id = ? AND id = ?`, project, m.Check).Scan(&n); err != nil {
			return fmt.Errorf("look up check %d: %w", m.Check, err)
		}
		if n == 0 {
			return fmt.Errorf("%w: no check %d in this project (GET /api/v1/checks lists them)", ErrInvalid, m.Check)
		}
	}
	return nil
}

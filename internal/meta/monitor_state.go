package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Series is the state of one group of a monitor (Key "" when the monitor
// is not grouped): its state machine's position, and whether an alert
// notification went out that no "resolved" has followed yet.
type Series struct {
	Key       string    `json:"key"`
	State     string    `json:"state"`
	Value     *float64  `json:"value"`
	Threshold *float64  `json:"threshold,omitempty"` // when it is the series' own (a baseline's warning level)
	Since     time.Time `json:"since,omitzero"`      // when State began
	Firing    bool      `json:"firing"`              // an alert was notified and not resolved yet
	LastFired time.Time `json:"last_fired,omitzero"` // the last alert notification (cooldown)
	LastSeen  time.Time `json:"last_seen,omitzero"`  // the last evaluation that measured it
	// Approximate marks a Value that is an estimate, not an exact
	// measure: a count (or rate) before sampling, estimated from the
	// events the project's sampling kept (Sampled of them, each weighted
	// by 1/lore.sample_rate), or an aggregate the store computed
	// approximately. Absent, the value is exact.
	Approximate bool  `json:"approximate,omitempty"`
	Sampled     int64 `json:"sampled,omitempty"` // the events kept by sampling among those measured
}

// stateRank orders states worst first, for a monitor's summary state.
var stateRank = map[string]int{StateAlert: 5, StatePending: 4, StateError: 3, StateOK: 2, StateNoData: 1}

// Worse reports whether state a is worse than b.
func Worse(a, b string) bool { return stateRank[a] > stateRank[b] }

// MonitorSeries returns a monitor's series, worst first.
func (s *Store) MonitorSeries(ctx context.Context, id int64) ([]Series, error) {
	all, err := s.seriesOf(ctx, `WHERE monitor_id = ?`, id)
	if err != nil {
		return nil, err
	}
	return all[id], nil
}

// seriesOf reads series by monitor id, each monitor's worst first.
func (s *Store) seriesOf(ctx context.Context, where string, args ...any) (map[int64][]Series, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT monitor_id, key, state, value, threshold, since, firing, last_fired, last_seen, approximate, sampled FROM monitor_series `+where+`
		ORDER BY monitor_id, CASE state WHEN 'alert' THEN 0 WHEN 'pending' THEN 1 WHEN 'ok' THEN 2 ELSE 3 END, value DESC, key`, args...)
	if err != nil {
		return nil, fmt.Errorf("read monitor series: %w", err)
	}
	defer rows.Close()
	out := map[int64][]Series{}
	for rows.Next() {
		var (
			id                           int64
			sr                           Series
			value, threshold             sql.NullFloat64
			since, fired, seen, firing64 int64
			approximate                  int64
		)
		if err := rows.Scan(&id, &sr.Key, &sr.State, &value, &threshold, &since, &firing64, &fired, &seen, &approximate, &sr.Sampled); err != nil {
			return nil, fmt.Errorf("read monitor series: %w", err)
		}
		if value.Valid {
			sr.Value = &value.Float64
		}
		if threshold.Valid {
			sr.Threshold = &threshold.Float64
		}
		sr.Firing, sr.Approximate = firing64 == 1, approximate == 1
		sr.Since, sr.LastFired, sr.LastSeen = microsTime(since), microsTime(fired), microsTime(seen)
		out[id] = append(out[id], sr)
	}
	return out, rows.Err()
}

func microsTime(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

func timeMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// withSeries fills each monitor's series.
func (s *Store) withSeries(ctx context.Context, ms []Monitor) error {
	if len(ms) == 0 {
		return nil
	}
	ids := make([]string, len(ms))
	args := make([]any, len(ms))
	for i, m := range ms {
		ids[i], args[i] = "?", m.ID
	}
	all, err := s.seriesOf(ctx, `WHERE monitor_id IN (`+strings.Join(ids, ",")+`)`, args...)
	if err != nil {
		return err
	}
	for i := range ms {
		ms[i].Series = all[ms[i].ID]
	}
	return nil
}

// Evaluation is what one evaluation of a monitor leaves: the monitor's
// summary (State is the worst series', or error), the series it measured
// or moved, the series it forgets, the changes for the history and the
// notifications to deliver — stored in one transaction, so a restart
// never sees a state without its notification or the reverse.
type Evaluation struct {
	At         time.Time
	State      string
	Value      *float64
	Error      string
	StateSince time.Time
	// Approximate and Sampled: of Value, as in Series.
	Approximate bool
	Sampled     int64
	Series      []Series
	Drop        []string       // series keys to forget
	Changes     []MonitorEvent // At is ignored: they happen at At
	Outgoing    []Outgoing
	// Follows, when set, is the last evaluation this one was planned
	// from (the monitor's LastEvaluated as read; zero: never evaluated):
	// the evaluation is recorded only if it is still the last one, else
	// RecordEvaluation returns ErrSuperseded and records nothing, so that
	// two nodes evaluating a monitor at once notify once.
	Follows *time.Time
}

// RecordEvaluation stores an evaluation. A monitor deleted meanwhile
// gives ErrNotFound; one evaluated meanwhile, when e.Follows is set,
// ErrSuperseded.
func (s *Store) RecordEvaluation(ctx context.Context, project, id int64, e Evaluation) error {
	return s.retry(ctx, func() error { return s.recordEvaluation(ctx, project, id, e) })
}

// recordEvaluation is one attempt at RecordEvaluation.
func (s *Store) recordEvaluation(ctx context.Context, project, id int64, e Evaluation) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record state of monitor %d: %w", id, err)
	}
	defer tx.Rollback()
	fenced, follows := 0, int64(0)
	if e.Follows != nil {
		fenced, follows = 1, timeMicros(*e.Follows)
	}
	res, err := tx.ExecContext(ctx, `UPDATE monitors SET state = ?, value = ?, last_eval = ?, last_error = ?, state_since = ?, approximate = ?, sampled = ?
		WHERE project_id = ? AND id = ? AND (? = 0 OR last_eval = ?)`,
		e.State, nullable(e.Value), e.At.UnixMicro(), e.Error, timeMicros(e.StateSince), boolInt(e.Approximate), e.Sampled, project, id, fenced, follows)
	if err != nil {
		return fmt.Errorf("record state of monitor %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var last int64
		switch err := tx.QueryRowContext(ctx, `SELECT last_eval FROM monitors WHERE project_id = ? AND id = ?`, project, id).Scan(&last); {
		case errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("monitor %d: %w", id, ErrNotFound)
		case err != nil:
			return fmt.Errorf("record state of monitor %d: %w", id, err)
		}
		return fmt.Errorf("evaluation of monitor %d planned from %s, last evaluated %s: %w", id,
			microsTime(follows).Format(time.RFC3339Nano), microsTime(last).Format(time.RFC3339Nano), ErrSuperseded)
	}
	for _, sr := range e.Series {
		if _, err := tx.ExecContext(ctx, `INSERT INTO monitor_series (monitor_id, key, state, value, threshold, since, firing, last_fired, last_seen, approximate, sampled)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (monitor_id, key) DO UPDATE SET state = excluded.state, value = excluded.value, threshold = excluded.threshold,
				since = excluded.since, firing = excluded.firing, last_fired = excluded.last_fired, last_seen = excluded.last_seen,
				approximate = excluded.approximate, sampled = excluded.sampled`,
			id, sr.Key, sr.State, nullable(sr.Value), nullable(sr.Threshold), timeMicros(sr.Since), boolInt(sr.Firing), timeMicros(sr.LastFired), timeMicros(sr.LastSeen),
			boolInt(sr.Approximate), sr.Sampled); err != nil {
			return fmt.Errorf("record series %q of monitor %d: %w", sr.Key, id, err)
		}
	}
	for _, k := range e.Drop {
		if _, err := tx.ExecContext(ctx, `DELETE FROM monitor_series WHERE monitor_id = ? AND key = ?`, id, k); err != nil {
			return fmt.Errorf("forget series %q of monitor %d: %w", k, id, err)
		}
	}
	events := make([]int64, len(e.Changes))
	for i, c := range e.Changes {
		if err := tx.QueryRowContext(ctx, `INSERT INTO monitor_events (project_id, monitor_id, ts, from_state, to_state, value, threshold, series, note, approximate)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			project, id, e.At.UnixMicro(), c.From, c.To, nullable(c.Value), c.Threshold, c.Series, c.Note, boolInt(c.Approximate)).Scan(&events[i]); err != nil {
			return fmt.Errorf("record state change of monitor %d: %w", id, err)
		}
	}
	if err := insertOutgoing(ctx, tx, e.At, e.Outgoing, events); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record state of monitor %d: %w", id, err)
	}
	return nil
}

func nullable(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

// MonitorHistory returns a monitor's state changes, newest first, at most
// limit of them.
func (s *Store) MonitorHistory(ctx context.Context, project, id int64, limit int) ([]MonitorEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, monitor_id, ts, from_state, to_state, value, threshold, series, note, approximate FROM monitor_events
		WHERE project_id = ? AND monitor_id = ? ORDER BY ts DESC, id DESC LIMIT ?`, project, id, limit)
	if err != nil {
		return nil, fmt.Errorf("read history of monitor %d: %w", id, err)
	}
	defer rows.Close()
	out := []MonitorEvent{}
	for rows.Next() {
		var (
			e           MonitorEvent
			ts          int64
			value       sql.NullFloat64
			approximate int64
		)
		if err := rows.Scan(&e.ID, &e.MonitorID, &ts, &e.From, &e.To, &value, &e.Threshold, &e.Series, &e.Note, &approximate); err != nil {
			return nil, fmt.Errorf("read history of monitor %d: %w", id, err)
		}
		e.At = time.UnixMicro(ts).UTC().Format(time.RFC3339Nano)
		e.Approximate = approximate == 1
		if value.Valid {
			v := value.Float64
			e.Value = &v
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

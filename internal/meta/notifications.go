package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Notification states in the outbox.
const (
	NotificationPending = "pending"
	NotificationSent    = "sent"
	NotificationFailed  = "failed" // gave up after the last attempt
)

// Outgoing is a notification to deliver to one channel (or, with
// ChannelID 0, to a monitor's own webhook URL). Body is what the sender
// renders from, the notification as JSON.
type Outgoing struct {
	ID        int64
	ProjectID int64
	ChannelID int64
	URL       string
	MonitorID int64
	Body      []byte
	Attempts  int
	NextAt    time.Time // when the next attempt is due
	CreatedAt time.Time
	// Change is the history change this notifies, as its position in
	// the Evaluation's Changes counted from 1 (0: none). When the
	// notification fails for good, that change's note says so.
	Change int
}

// Attempt is one try at delivering a notification.
type Attempt struct {
	ID             int64   `json:"id"`
	NotificationID int64   `json:"notification_id"`
	ChannelID      int64   `json:"channel_id"`
	MonitorID      int64   `json:"monitor_id"`
	Attempt        int     `json:"attempt"` // 1 for the first try
	At             string  `json:"at"`
	OK             bool    `json:"ok"`
	DurationMS     float64 `json:"duration_ms"`
	Error          string  `json:"error,omitempty"`
	// Final is set on the last attempt of a notification: sent, or
	// failed for good.
	Final string `json:"final,omitempty"`
}

// insertOutgoing queues out; events are the ids of the evaluation's
// changes, in order, for each notification's Change.
func insertOutgoing(ctx context.Context, tx *txn, now time.Time, out []Outgoing, events []int64) error {
	for _, o := range out {
		var event int64
		if o.Change >= 1 && o.Change <= len(events) {
			event = events[o.Change-1]
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO notifications (project_id, channel_id, url, monitor_id, body, status, next_at, created_at, event_id)
			VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)`, o.ProjectID, o.ChannelID, o.URL, o.MonitorID, string(o.Body), now.UnixMicro(), now.UnixMicro(), event); err != nil {
			return fmt.Errorf("queue notification of monitor %d: %w", o.MonitorID, err)
		}
	}
	return nil
}

// PendingNotifications lists up to limit notifications waiting for
// delivery, oldest first (due or not: a channel's notifications go out in
// order, so one waiting to be retried holds back those behind it).
func (s *Store) PendingNotifications(ctx context.Context, limit int) ([]Outgoing, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, project_id, channel_id, url, monitor_id, body, attempts, next_at, created_at FROM notifications
		WHERE status = 'pending' ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list pending notifications: %w", err)
	}
	defer rows.Close()
	var out []Outgoing
	for rows.Next() {
		var (
			o             Outgoing
			body          string
			next, created int64
		)
		if err := rows.Scan(&o.ID, &o.ProjectID, &o.ChannelID, &o.URL, &o.MonitorID, &body, &o.Attempts, &next, &created); err != nil {
			return nil, fmt.Errorf("list pending notifications: %w", err)
		}
		o.Body, o.NextAt, o.CreatedAt = []byte(body), time.UnixMicro(next), time.UnixMicro(created)
		out = append(out, o)
	}
	return out, rows.Err()
}

// ClaimNotification takes notification o, as it was read, for one attempt
// until until: it stops being due (its next attempt moves to until), so
// that no other dispatcher — another node's — sends it meanwhile. ok is
// false when it was claimed or attempted since o was read: it must not be
// sent. The claim ends with RecordAttempt or ReleaseNotification, or
// lapses at until when its node died during the attempt.
func (s *Store) ClaimNotification(ctx context.Context, o Outgoing, until time.Time) (ok bool, err error) {
	res, err := s.db.ExecContext(ctx, `UPDATE notifications SET next_at = ? WHERE id = ? AND status = 'pending' AND attempts = ? AND next_at = ?`,
		until.UnixMicro(), o.ID, o.Attempts, o.NextAt.UnixMicro())
	if err != nil {
		return false, fmt.Errorf("claim notification %d: %w", o.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim notification %d: %w", o.ID, err)
	}
	return n == 1, nil
}

// ReleaseNotification gives back a claim (ClaimNotification until until)
// whose attempt was not made (the node is stopping): o is due again as it
// was.
func (s *Store) ReleaseNotification(ctx context.Context, o Outgoing, until time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE notifications SET next_at = ? WHERE id = ? AND status = 'pending' AND attempts = ? AND next_at = ?`,
		o.NextAt.UnixMicro(), o.ID, o.Attempts, until.UnixMicro()); err != nil {
		return fmt.Errorf("release notification %d: %w", o.ID, err)
	}
	return nil
}

// RecordAttempt logs an attempt at notification o and moves it on: sent
// when a.OK, failed when next is zero (no more attempts), else pending
// again until next. A notification that failed for good makes the note of
// the history change it notified say so (FailedNote). An attempt recorded
// since o was read (by another node) gives ErrSuperseded and records
// nothing.
func (s *Store) RecordAttempt(ctx context.Context, o Outgoing, a Attempt, at, next time.Time) error {
	return s.retry(ctx, func() error { return s.recordAttempt(ctx, o, a, at, next) })
}

// recordAttempt is one attempt at RecordAttempt.
func (s *Store) recordAttempt(ctx context.Context, o Outgoing, a Attempt, at, next time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record attempt at notification %d: %w", o.ID, err)
	}
	defer tx.Rollback()
	status := NotificationPending
	switch {
	case a.OK:
		status = NotificationSent
	case next.IsZero():
		status = NotificationFailed
	}
	res, err := tx.ExecContext(ctx, `UPDATE notifications SET status = ?, attempts = ?, next_at = ?, last_error = ? WHERE id = ? AND status = 'pending' AND attempts = ?`,
		status, a.Attempt, next.UnixMicro(), a.Error, o.ID, o.Attempts)
	if err != nil {
		return fmt.Errorf("record attempt at notification %d: %w", o.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("attempt %d at notification %d: %w", a.Attempt, o.ID, ErrSuperseded)
	}
	ok := 0
	if a.OK {
		ok = 1
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO notification_attempts (project_id, notification_id, channel_id, monitor_id, attempt, at, ok, duration_ms, error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, o.ProjectID, o.ID, o.ChannelID, o.MonitorID, a.Attempt, at.UnixMicro(), ok, a.DurationMS, a.Error); err != nil {
		return fmt.Errorf("log attempt at notification %d: %w", o.ID, err)
	}
	if status == NotificationFailed {
		if err := noteFailure(ctx, tx, o, a.Error); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record attempt at notification %d: %w", o.ID, err)
	}
	return nil
}

// noteFailure makes the history change notification o notified (if any)
// say that o failed for good, with err.
func noteFailure(ctx context.Context, tx *txn, o Outgoing, errText string) error {
	var (
		event int64
		note  string
	)
	err := tx.QueryRowContext(ctx, `SELECT e.id, e.note FROM notifications n JOIN monitor_events e ON e.id = n.event_id WHERE n.id = ?`, o.ID).Scan(&event, &note)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // no change to note: queued without one, or pruned
	}
	if err != nil {
		return fmt.Errorf("read the change notification %d notified: %w", o.ID, err)
	}
	dest := "webhook"
	if o.ChannelID != 0 {
		var name string
		switch err := tx.QueryRowContext(ctx, `SELECT name FROM channels WHERE id = ?`, o.ChannelID).Scan(&name); {
		case err == nil:
			dest = strconv.Quote(name)
		case errors.Is(err, sql.ErrNoRows):
			dest = "channel #" + strconv.FormatInt(o.ChannelID, 10)
		default:
			return fmt.Errorf("read channel %d of notification %d: %w", o.ChannelID, o.ID, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE monitor_events SET note = ? WHERE id = ?`, FailedNote(note, dest, errText), event); err != nil {
		return fmt.Errorf("note the failure of notification %d: %w", o.ID, err)
	}
	return nil
}

// FailedNote is the history note of a change, noted note, whose
// notification to dest (a channel's quoted name, or "webhook") failed
// for good with errText: "notification to dest failed: errText", after
// "resolved: " for a resolution; a second failure is added after "; ".
func FailedNote(note, dest, errText string) string {
	if len(errText) > 300 {
		errText = errText[:300] + "…"
	}
	switch {
	case strings.Contains(note, "failed"):
		note += "; to " + dest + ": " + errText
	case strings.HasPrefix(note, "resolved"):
		note = "resolved: notification to " + dest + " failed: " + errText
	default:
		note = "notification to " + dest + " failed: " + errText
	}
	if len(note) > 2000 {
		note = note[:2000] + "…"
	}
	return note
}

// Attempts lists the latest delivery attempts of a project, newest first:
// to one channel when channel is not 0, of one monitor when monitor is
// not 0.
func (s *Store) Attempts(ctx context.Context, project, channel, monitor int64, limit int) ([]Attempt, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT a.id, a.notification_id, a.channel_id, a.monitor_id, a.attempt, a.at, a.ok, a.duration_ms, a.error,
			CASE WHEN n.status <> 'pending' AND n.attempts = a.attempt THEN n.status ELSE '' END
		FROM notification_attempts a LEFT JOIN notifications n ON n.id = a.notification_id
		WHERE a.project_id = ? AND (? = 0 OR a.channel_id = ?) AND (? = 0 OR a.monitor_id = ?)
		ORDER BY a.at DESC, a.id DESC LIMIT ?`, project, channel, channel, monitor, monitor, limit)
	if err != nil {
		return nil, fmt.Errorf("list delivery attempts: %w", err)
	}
	defer rows.Close()
	out := []Attempt{}
	for rows.Next() {
		var (
			a  Attempt
			at int64
			ok int
			fn sql.NullString
		)
		if err := rows.Scan(&a.ID, &a.NotificationID, &a.ChannelID, &a.MonitorID, &a.Attempt, &at, &ok, &a.DurationMS, &a.Error, &fn); err != nil {
			return nil, fmt.Errorf("list delivery attempts: %w", err)
		}
		a.OK, a.Final = ok == 1, fn.String
		a.At = time.UnixMicro(at).UTC().Format(time.RFC3339Nano)
		out = append(out, a)
	}
	return out, rows.Err()
}

// PruneNotifications forgets delivered and failed notifications, and
// attempts, older than before.
func (s *Store) PruneNotifications(ctx context.Context, before time.Time) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM notifications WHERE status <> 'pending' AND created_at < ?`, before.UnixMicro()); err != nil {
		return fmt.Errorf("prune notifications: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM notification_attempts WHERE at < ?`, before.UnixMicro()); err != nil {
		return fmt.Errorf("prune delivery attempts: %w", err)
	}
	return nil
}

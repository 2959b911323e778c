package lifecycle

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/lore-dev/lore/internal/event"
)

// RetentionName is the name of the projects' retention settings document.
const RetentionName = "retention"

// Default retention, in days, by kind of event.
const (
	DefaultLogsDays   = 30
	DefaultSpansDays  = 14
	DefaultErrorsDays = 90
	DefaultEventsDays = 730 // product events and page views: two years
	DefaultChecksDays = 90
	maxDays           = 36500
)

// Retention is a project's retention settings: how many days each kind of
// event is kept. 0 is the default.
type Retention struct {
	LogsDays   int `json:"logs_days"`   // logs, and session replays' events
	SpansDays  int `json:"spans_days"`  // spans
	ErrorsDays int `json:"errors_days"` // error events
	EventsDays int `json:"events_days"` // product events and page views
	ChecksDays int `json:"checks_days"` // uptime check results
	// ReplaysDays keeps the project's session recordings fewer days than
	// the server's --replay-retention (0: the server's; the shorter of
	// the two applies).
	ReplaysDays int `json:"replays_days"`
}

// Validate checks every figure is 0 (the default) to 36500 days.
func (r Retention) Validate() error {
	for name, d := range map[string]int{"logs_days": r.LogsDays, "spans_days": r.SpansDays,
		"errors_days": r.ErrorsDays, "events_days": r.EventsDays, "checks_days": r.ChecksDays, "replays_days": r.ReplaysDays} {
		if d < 0 || d > maxDays {
			return fmt.Errorf("%s %d: want 0 (the default) to %d days", name, d, maxDays)
		}
	}
	return nil
}

// MarshalJSON shows the defaults filled in.
func (r Retention) MarshalJSON() ([]byte, error) {
	type plain Retention
	return json.Marshal(plain(r.withDefaults()))
}

func (r Retention) withDefaults() Retention {
	def := func(d *int, v int) {
		if *d == 0 {
			*d = v
		}
	}
	def(&r.LogsDays, DefaultLogsDays)
	def(&r.SpansDays, DefaultSpansDays)
	def(&r.ErrorsDays, DefaultErrorsDays)
	def(&r.EventsDays, DefaultEventsDays)
	def(&r.ChecksDays, DefaultChecksDays)
	return r
}

// Days is the days kept by kind of event, defaults filled in.
func (r Retention) Days() map[string]int {
	r = r.withDefaults()
	return map[string]int{
		event.KindLog: r.LogsDays, "replay": r.LogsDays,
		event.KindSpan:  r.SpansDays,
		event.KindError: r.ErrorsDays,
		event.KindEvent: r.EventsDays, event.KindPageview: r.EventsDays,
		event.KindCheck: r.ChecksDays,
	}
}

// Events is the events store as retention sees it (*duckdb.Store).
type Events interface {
	DeleteEvents(ctx context.Context, project int64, kind string, before int64) (int64, error)
	// DeleteSideBefore deletes what the side indexes hold of a
	// project's time before before, and the token filters of emptied
	// blocks before emptyBefore; it returns the rows it deleted (0 when
	// there were none, which is most runs: then no remembered answer
	// need be dropped).
	DeleteSideBefore(ctx context.Context, project int64, emptyBefore, before int64) (int64, error)
	// Reindex rebuilds the in-memory indexes (product, errors) from
	// what is left, and checkpoints.
	Reindex(ctx context.Context) error
}

// archiveExpirer removes archived days beyond the archive's own
// retention (*duckdb.Store, Options.ArchiveRetention).
type archiveExpirer interface {
	ExpireArchive(ctx context.Context, now time.Time) (int, error)
}

// Recordings are the session recordings (replay.Blobs).
type Recordings interface {
	ExpireProject(ctx context.Context, project, before int64) (sessions int64, bytes int64, err error)
}

// Projects lists the projects (*meta.Store).
type Projects interface {
	ProjectIDs(ctx context.Context) ([]int64, error)
}

// RetentionConfig is what a Retainer is built from.
type RetentionConfig struct {
	Settings Store
	Projects Projects
	// Events, when set, are deleted by the projects' retention; nil
	// leaves them to another Retainer (on several nodes sharing one events
	// store, one node's, while each node expires its own recordings).
	Events Events
	// Recordings, when set, are expired by the projects' replays_days.
	Recordings Recordings
	// Every is how often retention runs (default 1 h); each run has
	// Deadline to finish (default 10 min).
	Every, Deadline time.Duration
	Now             func() time.Time
	Log             *slog.Logger
	// Deleted is told how many events of a kind a run deleted; may be nil.
	Deleted func(kind string, n int64)
	// Manual: no background loop, runs only when asked (tests).
	Manual bool
}

// Retainer deletes, per project and kind, the whole days older than the
// project's retention, and what the side indexes hold of days no kind
// keeps any more. Deleted rows' space is reused at once and given back to
// the file system when the store next opens (duckdb Options.CompactFree).
type Retainer struct {
	cfg RetentionConfig
}

// NewRetainer builds a Retainer.
func NewRetainer(cfg RetentionConfig) *Retainer {
	if cfg.Every <= 0 {
		cfg.Every = time.Hour
	}
	if cfg.Deadline <= 0 {
		cfg.Deadline = 10 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Retainer{cfg: cfg}
}

// Deleted is what one run deleted: events by project and kind.
type Deleted map[int64]map[string]int64

// Run enforces every project's retention once, within the deadline.
func (r *Retainer) Run(ctx context.Context) (Deleted, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Deadline)
	defer cancel()
	ids, err := r.cfg.Projects.ProjectIDs(ctx)
	if err != nil {
		return nil, err
	}
	today := r.cfg.Now().UTC().Truncate(24 * time.Hour)
	out := Deleted{}
	total := int64(0)
	for _, p := range ids {
		doc, err := r.cfg.Settings.ProjectSettings(ctx, p, RetentionName)
		if err != nil {
			return out, err
		}
		var st Retention
		if err := json.Unmarshal(doc, &st); err != nil || st.Validate() != nil {
			r.cfg.Log.Warn("retention settings unreadable; using the defaults", "project", p, "err", err)
			st = Retention{}
		}
		if r.cfg.Events != nil {
			n, err := r.deleteEvents(ctx, p, st, today, out)
			if err != nil {
				return out, err
			}
			total += n
		}
		if st.ReplaysDays > 0 && r.cfg.Recordings != nil {
			n, _, err := r.cfg.Recordings.ExpireProject(ctx, p, today.AddDate(0, 0, -st.ReplaysDays).UnixMilli())
			if err != nil {
				return out, fmt.Errorf("retention of project %d's recordings: %w", p, err)
			}
			if n > 0 {
				r.cfg.Log.Info("retention deleted session recordings", "project", p, "sessions", n)
			}
		}
	}
	if r.cfg.Events == nil {
		return out, nil
	}
	// The archive's own retention; a failure is reported after the
	// reindex below, and tried again at the next run.
	var archErr error
	if ae, ok := r.cfg.Events.(archiveExpirer); ok {
		if _, err := ae.ExpireArchive(ctx, r.cfg.Now()); err != nil {
			archErr = fmt.Errorf("retention of the archive: %w", err)
		}
	}
	if total > 0 {
		// Forget the deleted events in the in-memory indexes (funnels,
		// retention, paths, issues' counts), and fold the deletions into
		// the file, so their blocks are free for new rows (and counted
		// free for the compaction at the next open).
		if err := r.cfg.Events.Reindex(ctx); err != nil {
			return out, err
		}
		r.cfg.Log.Info("retention deleted old events", "events", total, "by_project", out)
	}
	return out, archErr
}

// deleteEvents deletes project p's events of each kind older than st
// keeps them (from the start of today's UTC day), and what the side
// indexes hold of days no kind keeps; it adds what it deleted to out and
// returns how many events.
func (r *Retainer) deleteEvents(ctx context.Context, p int64, st Retention, today time.Time, out Deleted) (int64, error) {
	days := st.Days()
	kinds := make([]string, 0, len(days))
	longest, shortest := 0, maxDays
	for k, d := range days {
		kinds = append(kinds, k)
		longest, shortest = max(longest, d), min(shortest, d)
	}
	sort.Strings(kinds)
	total := int64(0)
	for _, k := range kinds {
		before := today.AddDate(0, 0, -days[k]).UnixMicro()
		n, err := r.cfg.Events.DeleteEvents(ctx, p, k, before)
		if err != nil {
			return total, fmt.Errorf("retention of project %d: %w", p, err)
		}
		if n > 0 {
			if out[p] == nil {
				out[p] = map[string]int64{}
			}
			out[p][k] = n
			total += n
			if r.cfg.Deleted != nil {
				r.cfg.Deleted(k, n)
			}
		}
	}
	if _, err := r.cfg.Events.DeleteSideBefore(ctx, p, today.AddDate(0, 0, -shortest).UnixMicro(), today.AddDate(0, 0, -longest).UnixMicro()); err != nil {
		return total, fmt.Errorf("retention of project %d: %w", p, err)
	}
	return total, nil
}

// Loop runs retention now and then every Every until ctx ends; a failed
// run is logged and retried at the next.
func (r *Retainer) Loop(ctx context.Context) {
	t := time.NewTicker(r.cfg.Every)
	defer t.Stop()
	for {
		if _, err := r.Run(ctx); err != nil && ctx.Err() == nil {
			r.cfg.Log.Warn("retention run failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

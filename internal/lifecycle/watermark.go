package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// WatermarkConfig is what a Watermark is built from. With neither
// MaxDataBytes nor a free-space floor it does nothing.
type WatermarkConfig struct {
	// Dir is the data directory, measured whole.
	Dir string
	// MaxDataBytes caps the data directory's size (0: no cap).
	MaxDataBytes int64
	// MinFreeBytes and MinFreePercent keep at least this much of the
	// data directory's file system free (the larger of the two; 0: none).
	MinFreeBytes   int64
	MinFreePercent float64
	// Every is how often the disk is measured (default 1 min); a check
	// that drops days has Deadline to finish (default 10 min).
	Every, Deadline time.Duration

	Events   WatermarkEvents
	Projects Projects
	Now      func() time.Time
	Log      *slog.Logger
	// Dropped is told the events each check dropped; may be nil.
	Dropped func(n int64)
	// Disk measures the file system (default: statfs of Dir).
	Disk func(dir string) (free, total int64, err error)
	// Manual: no background loop, checks only when asked (tests).
	Manual bool
}

// WatermarkEvents is the events store as the watermark sees it
// (*duckdb.Store, through a DayCounts adapter).
type WatermarkEvents interface {
	Events
	DayCounts(ctx context.Context) ([]DayCount, error)
	Stats(ctx context.Context) (store.Stats, error)
}

// DayCount is how many events a UTC day holds, all projects and kinds.
type DayCount struct {
	Day    int64 // the day's start, µs
	Events int64
}

// DiskStatus is the disk as the watermark last saw it, and the last time
// it dropped days: what the UI's warning card shows.
type DiskStatus struct {
	DataBytes    int64     `json:"data_bytes"`     // the data directory's size, less the space deleted rows left for reuse
	FreeBytes    int64     `json:"free_bytes"`     // free on its file system, plus that space
	MaxDataBytes int64     `json:"max_data_bytes"` // the cap (0: none)
	MinFreeBytes int64     `json:"min_free_bytes"` // the floor (0: none)
	CheckedAt    time.Time `json:"checked_at"`
	// Dropped is the last time the watermark deleted days, if it ever did
	// since the server started.
	Dropped *DiskDrop `json:"dropped,omitempty"`
}

// DiskDrop is one time the watermark deleted the oldest days.
type DiskDrop struct {
	At     time.Time `json:"at"`
	Before time.Time `json:"before"` // every event before this day's start is gone
	Days   int       `json:"days"`
	Events int64     `json:"events"`
	Reason string    `json:"reason"`
	// Short: the newest day alone is over the watermark; it was kept.
	Short bool `json:"short,omitempty"`
	// Unarchived: the cold tier could not be written, so some of the
	// days were dropped without being archived.
	Unarchived bool `json:"unarchived,omitempty"`
}

// unarchivedDeleter deletes without archiving (*duckdb.Store): the
// watermark's last resort when the archive cannot be written.
type unarchivedDeleter interface {
	DeleteEventsUnarchived(ctx context.Context, project int64, kind string, before int64) (int64, error)
}

// Watermark keeps the disk from filling: when the data directory passes
// its cap or its file system's free space falls under the floor, it
// deletes the oldest whole days of every project and kind — as many as
// the estimate says free enough, never today's — logs a warning and
// keeps the drop for the UI's warning card. Deleted rows' space is reused
// by new rows at once (so the file stops growing) and given back to the
// file system when the store next opens; until then the watermark counts
// it as free: the events store's size is estimated as its rows times the
// fewest bytes per row its file has been seen to take.
type Watermark struct {
	cfg WatermarkConfig

	mu     sync.Mutex
	status DiskStatus
	perRow float64 // the events file's fewest bytes per row seen
}

// NewWatermark builds a Watermark.
func NewWatermark(cfg WatermarkConfig) *Watermark {
	if cfg.Every <= 0 {
		cfg.Every = time.Minute
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
	if cfg.Disk == nil {
		cfg.Disk = diskSpace
	}
	return &Watermark{cfg: cfg}
}

// On reports whether a cap or a floor is set.
func (w *Watermark) On() bool {
	return w.cfg.MaxDataBytes > 0 || w.cfg.MinFreeBytes > 0 || w.cfg.MinFreePercent > 0
}

// Status is the disk as last measured.
func (w *Watermark) Status() DiskStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := w.status
	if st.Dropped != nil {
		d := *st.Dropped
		st.Dropped = &d
	}
	return st
}

// Check measures the disk and, over the watermark, drops the oldest days.
// It returns the drop, or nil.
func (w *Watermark) Check(ctx context.Context) (*DiskDrop, error) {
	if !w.On() {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Deadline)
	defer cancel()
	w.mu.Lock()
	defer w.mu.Unlock()
	st, err := w.cfg.Events.Stats(ctx)
	if err != nil {
		return nil, err
	}
	// The events file's bytes per row, as tight as it has been seen: the
	// file is compacted at open, deleted rows leave slack inside it that
	// new rows reuse, and a checkpoint after deleting rewrites row groups
	// (the file grows for a while). The slack counts as free.
	if st.Events > 0 {
		if r := float64(st.DiskBytes) / float64(st.Events); w.perRow == 0 || r < w.perRow {
			w.perRow = r
		}
	}
	slack := max(0, st.DiskBytes-int64(w.perRow*float64(st.Events)))
	size, err := dirSize(w.cfg.Dir)
	if err != nil {
		return nil, err
	}
	free, total, err := w.cfg.Disk(w.cfg.Dir)
	floor := max(w.cfg.MinFreeBytes, int64(w.cfg.MinFreePercent/100*float64(total)))
	if err != nil {
		if w.cfg.MinFreeBytes > 0 || w.cfg.MinFreePercent > 0 {
			return nil, fmt.Errorf("disk watermark: %w", err)
		}
		free, floor = 0, 0 // the cap alone
	}
	used, avail := size-slack, free+slack
	w.status.DataBytes, w.status.FreeBytes, w.status.CheckedAt = used, avail, w.cfg.Now().UTC()
	w.status.MaxDataBytes, w.status.MinFreeBytes = w.cfg.MaxDataBytes, floor
	// Over the watermark, drop 5% of the data more than needed, so that
	// the next check does not drop again at once.
	need, reason := int64(0), ""
	if w.cfg.MaxDataBytes > 0 && used > w.cfg.MaxDataBytes {
		need, reason = used-w.cfg.MaxDataBytes+used/20, fmt.Sprintf("the data directory takes %s, over its cap of %s", Bytes(used), Bytes(w.cfg.MaxDataBytes))
	}
	if floor > 0 && avail < floor && floor-avail+used/20 > need {
		need, reason = floor-avail+used/20, fmt.Sprintf("%s free on the disk, under the floor of %s", Bytes(avail), Bytes(floor))
	}
	perRow := w.perRow
	if need <= 0 || perRow <= 0 {
		return nil, nil
	}
	days, err := w.cfg.Events.DayCounts(ctx)
	if err != nil {
		return nil, err
	}
	today := w.cfg.Now().UTC().Truncate(24 * time.Hour).UnixMicro()
	drop := &DiskDrop{At: w.cfg.Now().UTC(), Reason: reason}
	var cut int64
	freed := int64(0)
	for _, d := range days {
		if freed >= need {
			break
		}
		if d.Day >= today {
			drop.Short = true
			break
		}
		cut = d.Day + int64(24*time.Hour/time.Microsecond)
		freed += int64(perRow * float64(d.Events))
		drop.Days++
	}
	if drop.Days == 0 {
		w.cfg.Log.Warn("disk watermark: over it, and only today's events are left; nothing dropped", "reason", reason)
		drop.Short = true
		w.status.Dropped = drop
		return drop, nil
	}
	drop.Before = time.UnixMicro(cut).UTC()
	ids, err := w.cfg.Projects.ProjectIDs(ctx)
	if err != nil {
		return nil, err
	}
	kinds := []string{event.KindLog, event.KindSpan, event.KindError, event.KindEvent, event.KindPageview, event.KindCheck, "replay"}
	for _, p := range ids {
		for _, k := range kinds {
			n, err := w.cfg.Events.DeleteEvents(ctx, p, k, cut)
			if ud, ok := w.cfg.Events.(unarchivedDeleter); ok && errors.Is(err, store.ErrArchive) {
				// Keeping the disk from filling comes first: a full disk
				// also stops ingest.
				w.cfg.Log.Error("disk watermark: the archive cannot be written; dropping the oldest days without archiving them",
					"project", p, "kind", k, "err", err)
				drop.Unarchived = true
				n, err = ud.DeleteEventsUnarchived(ctx, p, k, cut)
			}
			drop.Events += n
			if err != nil {
				return drop, fmt.Errorf("disk watermark: %w", err)
			}
		}
		if _, err := w.cfg.Events.DeleteSideBefore(ctx, p, cut, cut); err != nil {
			return drop, fmt.Errorf("disk watermark: %w", err)
		}
	}
	if err := w.cfg.Events.Reindex(ctx); err != nil {
		return drop, fmt.Errorf("disk watermark: %w", err)
	}
	w.status.DataBytes -= int64(perRow * float64(drop.Events))
	w.status.FreeBytes += int64(perRow * float64(drop.Events))
	w.status.Dropped = drop
	if w.cfg.Dropped != nil {
		w.cfg.Dropped(drop.Events)
	}
	w.cfg.Log.Warn("disk watermark: dropped the oldest days", "reason", reason, "days", drop.Days, "before", drop.Before.Format(time.DateOnly),
		"events", drop.Events, "short", drop.Short)
	return drop, nil
}

// Loop checks now and then every Every until ctx ends.
func (w *Watermark) Loop(ctx context.Context) {
	if !w.On() {
		return
	}
	t := time.NewTicker(w.cfg.Every)
	defer t.Stop()
	for {
		if _, err := w.Check(ctx); err != nil && ctx.Err() == nil {
			w.cfg.Log.Warn("disk watermark check failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// dirSize is the bytes of the files under dir.
func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a file removed meanwhile
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("measure %q: %w", dir, err)
	}
	return n, nil
}

// Bytes formats a size: 1.5 GiB.
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), 0
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTP"[i-1])
}

// ParseSize reads a size: a number of bytes with an optional unit (B,
// KB, MB, GB, TB by 1000; KiB, MiB, GiB, TiB by 1024): "50GB", "512MiB".
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.ToUpper(strings.TrimSpace(t[i:]))
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("size %q: want a number of bytes with an optional unit (50GB, 512MiB)", s)
	}
	mult := map[string]float64{"": 1, "B": 1, "K": 1e3, "KB": 1e3, "M": 1e6, "MB": 1e6, "G": 1e9, "GB": 1e9, "T": 1e12, "TB": 1e12,
		"KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30, "TIB": 1 << 40}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("size %q: unknown unit %q (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)", s, unit)
	}
	if v*mult >= math.MaxInt64/2 {
		return 0, fmt.Errorf("size %q: too large", s)
	}
	return int64(v * mult), nil
}

// ParseFloor reads a free-space floor: a share of the disk ("5%") or a
// size ("10GB"); "0" is none.
func ParseFloor(s string) (bytes int64, percent float64, err error) {
	t := strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(t, "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || v < 0 || v >= 100 {
			return 0, 0, fmt.Errorf("free disk floor %q: want a share from 0%% to 99%%, or a size", s)
		}
		return 0, v, nil
	}
	n, err := ParseSize(t)
	if err != nil {
		return 0, 0, fmt.Errorf("free disk floor: %w", err)
	}
	return n, 0, nil
}

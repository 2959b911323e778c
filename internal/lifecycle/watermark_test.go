package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/duckdb"
)

// dayCounted adapts the DuckDB store to WatermarkEvents (as the app does).
type dayCounted struct{ *duckdb.Store }

func (d dayCounted) DayCounts(ctx context.Context) ([]DayCount, error) {
	got, err := d.Store.DayCounts(ctx)
	out := make([]DayCount, len(got))
	for i, c := range got {
		out[i] = DayCount{Day: c.Day, Events: c.Events}
	}
	return out, err
}

type oneProject struct{}

func (oneProject) ProjectIDs(context.Context) ([]int64, error) { return []int64{1}, nil }

// openStore opens a DuckDB events store in a directory of the test's,
// closed when the test ends.
func openStore(t *testing.T) (string, *duckdb.Store) {
	t.Helper()
	dir := t.TempDir()
	s, err := duckdb.Open(context.Background(), dir, duckdb.Options{MemoryLimit: "256MB"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return dir, s
}

// fillDays appends n log lines a day for days days ending today.
func fillDays(t *testing.T, s *duckdb.Store, today time.Time, days, n int) {
	t.Helper()
	for d := range days {
		day := today.AddDate(0, 0, d-days+1)
		evs := make([]event.Event, n)
		for i := range evs {
			evs[i] = event.Event{ProjectID: 1, Kind: event.KindLog, Service: "shop", TS: day.Add(time.Duration(i) * time.Second).UnixMicro(),
				Message: fmt.Sprintf("order %d of day %d for customer %x", i, d, uint64(i)*0x9e3779b97f4a7c15)}
		}
		if err := s.Append(context.Background(), store.Batch{Seq: uint64(d + 1), Events: evs}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestWatermarkDropsTheOldestDays fills a store with ten days of logs and
// caps its data directory at 60% of what it takes: the oldest days go,
// today never, the drop is kept for the warning card, and the next check
// counts the deleted rows' space as free rather than dropping more.
func TestWatermarkDropsTheOldestDays(t *testing.T) {
	ctx := context.Background()
	dir, s := openStore(t)
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	today := now.Truncate(24 * time.Hour)
	fillDays(t, s, today, 10, 5000)
	full, err := dirSize(dir)
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	var dropped int64
	w := NewWatermark(WatermarkConfig{Dir: dir, MaxDataBytes: full * 6 / 10, Events: dayCounted{s}, Projects: oneProject{},
		Now: func() time.Time { return now }, Disk: func(string) (int64, int64, error) { return 1 << 40, 2 << 40, nil },
		Dropped: func(n int64) { dropped += n }, Log: slogTo(&logs)})
	drop, err := w.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if drop == nil || drop.Days < 4 || drop.Days > 6 || drop.Short || drop.Events != int64(drop.Days)*5000 || dropped != drop.Events {
		t.Fatalf("drop %+v (counted %d), want 4 to 6 whole days of 5000 events", drop, dropped)
	}
	days, _ := s.DayCounts(ctx)
	if len(days) != 10-drop.Days || time.UnixMicro(days[0].Day).UTC() != drop.Before {
		t.Errorf("days left %+v after dropping those before %s", days, drop.Before)
	}
	if !strings.Contains(logs.String(), "dropped the oldest days") || !strings.Contains(logs.String(), "over its cap") {
		t.Errorf("no warning logged: %s", logs.String())
	}
	st := w.Status()
	if st.Dropped == nil || st.Dropped.Days != drop.Days || st.DataBytes > full*6/10+full/20 {
		t.Errorf("status %+v after the drop (full %d)", st, full)
	}
	// The file has not shrunk yet; the freed rows count as free.
	if again, err := w.Check(ctx); err != nil || again != nil {
		t.Errorf("second check dropped %+v (%v): the deleted rows' space was not counted free", again, err)
	}
	// Over a cap nothing fits under, every day but today goes, and the
	// drop says it fell short.
	w.cfg.MaxDataBytes = 1
	drop, err = w.Check(ctx)
	if err != nil || drop == nil || !drop.Short || drop.Before != today {
		t.Fatalf("at a cap nothing fits: %+v (%v)", drop, err)
	}
	days, _ = s.DayCounts(ctx)
	if len(days) != 1 || days[0].Day != today.UnixMicro() {
		t.Errorf("days left %+v, want today's alone", days)
	}
}

// TestWatermarkFreeDiskFloor drops days when the file system's free space
// is under the floor, and nothing when it is not.
func TestWatermarkFreeDiskFloor(t *testing.T) {
	ctx := context.Background()
	dir, s := openStore(t)
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	fillDays(t, s, now.Truncate(24*time.Hour), 3, 2000)
	free := int64(50 << 30)
	w := NewWatermark(WatermarkConfig{Dir: dir, MinFreePercent: 5, Events: dayCounted{s}, Projects: oneProject{},
		Now: func() time.Time { return now }, Disk: func(string) (int64, int64, error) { return free, 100 << 30, nil }})
	if drop, err := w.Check(ctx); err != nil || drop != nil {
		t.Fatalf("50%% free: dropped %+v (%v)", drop, err)
	}
	free = 5<<30 - 10_000
	drop, err := w.Check(ctx)
	if err != nil || drop == nil || drop.Days != 1 || !strings.Contains(drop.Reason, "under the floor of 5.0 GiB") {
		t.Fatalf("just under 5%% free: dropped %+v (%v), want the oldest day", drop, err)
	}
	if w.Status().MinFreeBytes != 5<<30 {
		t.Errorf("floor %d", w.Status().MinFreeBytes)
	}
}

// slogTo logs text to b.
func slogTo(b *strings.Builder) *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

func TestParseSizeAndFloor(t *testing.T) {
	for in, want := range map[string]int64{"50GB": 50e9, "512MiB": 512 << 20, "1.5 GiB": 3 << 29, "100": 100, "0": 0, "2tb": 2e12} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "GB", "-1GB", "5 parsecs", "1e3"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
	if b, p, err := ParseFloor("5%"); err != nil || b != 0 || p != 5 {
		t.Errorf("ParseFloor(5%%) = %d, %v, %v", b, p, err)
	}
	if b, p, err := ParseFloor("10GiB"); err != nil || b != 10<<30 || p != 0 {
		t.Errorf("ParseFloor(10GiB) = %d, %v, %v", b, p, err)
	}
	for _, bad := range []string{"100%", "x%", "-2%", "lots"} {
		if _, _, err := ParseFloor(bad); err == nil {
			t.Errorf("ParseFloor(%q) accepted", bad)
		}
	}
}

// FuzzParseSize: a size or floor from a flag or the environment never
// panics, is never negative, and a size accepted reads the same with its
// unit spelt in lower case.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"50GB", "512MiB", "1.5 GiB", "0", "5%", "99.9%", "10 tb", "", "GB", "1e3", "-1", "1..2MB", "９GB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err == nil {
			if n < 0 {
				t.Fatalf("ParseSize(%q) = %d", s, n)
			}
			if m, err := ParseSize(strings.ToLower(s)); err != nil || m != n {
				t.Fatalf("ParseSize(%q) = %d but lower case %d, %v", s, n, m, err)
			}
		}
		b, p, err := ParseFloor(s)
		if err == nil && (b < 0 || p < 0 || p >= 100) {
			t.Fatalf("ParseFloor(%q) = %d, %v", s, b, p)
		}
	})
}

// TestWatermarkDropsWhenTheArchiveCannotBeWritten: retention keeps what
// it cannot archive, but the watermark, keeping the disk from filling,
// drops the oldest days anyway, says so and logs an error.
func TestWatermarkDropsWhenTheArchiveCannotBeWritten(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	blocked := filepath.Join(t.TempDir(), "not-a-directory")
	if err := os.WriteFile(blocked, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := duckdb.Open(ctx, dir, duckdb.Options{MemoryLimit: "256MB", ArchiveDir: filepath.Join(blocked, "archive")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	fillDays(t, s, now.Truncate(24*time.Hour), 4, 2000)
	if n, err := s.DeleteEvents(ctx, 1, event.KindLog, now.AddDate(0, 0, -1).UnixMicro()); !errors.Is(err, store.ErrArchive) || n != 0 {
		t.Fatalf("retention's delete with an unwritable archive: %d, %v; want nothing deleted, ErrArchive", n, err)
	}
	var logs strings.Builder
	w := NewWatermark(WatermarkConfig{Dir: dir, MaxDataBytes: 1, Events: dayCounted{s}, Projects: oneProject{},
		Now: func() time.Time { return now }, Disk: func(string) (int64, int64, error) { return 1 << 40, 2 << 40, nil }, Log: slogTo(&logs)})
	drop, err := w.Check(ctx)
	if err != nil || drop == nil || !drop.Unarchived || drop.Days != 3 || drop.Events != 6000 {
		t.Fatalf("drop %+v (%v), want the 3 days before today dropped unarchived", drop, err)
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "without archiving") {
		t.Errorf("no error logged: %s", logs.String())
	}
}

package e2e

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/internal/lifecycle"
)

// TestDiskWatermarkDropsTheOldestDays fills a server with six days of
// logs, caps its data directory at 70% of what it then takes, and checks
// the disk: the oldest days are gone from searches, today's are whole,
// and GET /api/v1/project carries the drop for the Settings page's
// warning card.
func TestDiskWatermarkDropsTheOldestDays(t *testing.T) {
	dir := t.TempDir()
	cap := int64(0)
	opts := func(c *app.Config) {
		c.Pipeline.SegmentBytes = 1 << 20
		c.Watermark = lifecycle.WatermarkConfig{MaxDataBytes: cap, Manual: true}
	}
	a := startOn(t, dir, opts)
	base := a.URL()
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for d := 5; d >= 0; d-- {
		ingestDay(t, base, today.AddDate(0, 0, -d), 20000, "info")
	}
	flush(t, a.App)
	a.stop()
	// Measured as the watermark measures it, after a restart (the ingest
	// log's loaded segments gone).
	var p struct {
		Disk *lifecycle.DiskStatus `json:"disk"`
	}
	cap = 1 << 50
	a = startOn(t, dir, opts)
	if drop, err := a.CheckDisk(context.Background()); err != nil || drop != nil {
		t.Fatalf("under no cap: %+v %v", drop, err)
	}
	getJSON(t, a.URL(), "/api/v1/project", nil, &p)
	a.stop()
	cap = p.Disk.DataBytes * 7 / 10
	a = startOn(t, dir, opts)
	base = a.URL()
	drop, err := a.CheckDisk(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The directory's size at this start can be below the one measured
	// (DuckDB's WAL and the ingest log's segments settle at different
	// moments under load), so one day may already be enough; never all.
	if drop == nil || drop.Days < 1 || drop.Days > 4 || drop.Events != int64(drop.Days)*20000 {
		t.Fatalf("drop %+v under a cap of %d bytes, want 1 to 4 whole days", drop, cap)
	}
	count := func(from, to time.Time) int64 {
		var f facets
		getJSON(t, base, "/api/v1/facets", url.Values{"q": {"kind:log"}, "field": {"kind"}, "from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}, &f)
		return f.Total
	}
	if n := count(today.AddDate(0, 0, -6), drop.Before); n != 0 {
		t.Errorf("%d logs before %s after the drop", n, drop.Before)
	}
	if n := count(drop.Before, today.AddDate(0, 0, 1)); n != int64(6-drop.Days)*20000 {
		t.Errorf("%d logs kept, want %d whole days", n, 6-drop.Days)
	}
	getJSON(t, base, "/api/v1/project", nil, &p)
	if p.Disk == nil || p.Disk.Dropped == nil || p.Disk.Dropped.Days != drop.Days || p.Disk.MaxDataBytes != cap {
		t.Errorf("GET /api/v1/project disk: %+v", p.Disk)
	}
	if again, err := a.CheckDisk(context.Background()); err != nil || again != nil {
		t.Errorf("a second check dropped %+v (%v)", again, err)
	}
}

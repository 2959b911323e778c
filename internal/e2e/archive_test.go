package e2e

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
)

// TestColdTierKeepsOldDaysSearchable runs retention on a server with a
// cold tier: logs older than 30 days leave the events store for zstd
// Parquet files in the archive directory, and a search reaching back 45
// days still finds them, beside yesterday's.
func TestColdTierKeepsOldDaysSearchable(t *testing.T) {
	archive := filepath.Join(t.TempDir(), "archive")
	a := startOn(t, t.TempDir(), func(c *app.Config) { c.Store.ArchiveDir = archive })
	base := a.URL()
	today := time.Now().UTC().Truncate(24 * time.Hour)
	old, recent := today.AddDate(0, 0, -45), today.AddDate(0, 0, -1)
	ingestDay(t, base, old, 3000, "info")
	ingestDay(t, base, recent, 2000, "info")
	flush(t, a.App)
	deleted, err := a.RunRetention(context.Background())
	if err != nil || deleted[1]["log"] != 3000 {
		t.Fatalf("retention deleted %v (%v), want 3000 logs", deleted, err)
	}
	files, _ := filepath.Glob(filepath.Join(archive, "project_id=1", "kind=log", "day="+old.Format(time.DateOnly), "*.parquet"))
	if len(files) != 1 {
		t.Fatalf("archive files of %s: %v", old.Format(time.DateOnly), files)
	}
	if st, err := os.Stat(files[0]); err != nil || st.Size() == 0 {
		t.Fatalf("archive file: %v", err)
	}
	from := old.AddDate(0, 0, -1).Format(time.RFC3339)
	total, archived, pages := searchBack(t, base, from, recent)
	if total != 5000 || archived != 3000 {
		t.Errorf("a search reaching back 45 days found %d events (%d archived) over %d pages, want 5000 (3000 archived)", total, archived, pages)
	}
	if n := len(search(t, base, "order", recent.Format(time.RFC3339), "now+1h", 1000).Events); n != 1000 {
		t.Errorf("a search of yesterday: %d events", n)
	}
	// Counts read the cold tier too: a histogram per day and the facets.
	var h struct {
		Buckets []struct {
			TS    string `json:"ts"`
			Count int64  `json:"count"`
		} `json:"buckets"`
	}
	getJSON(t, base, "/api/v1/histogram", url.Values{"q": {"order"}, "from": {from}, "to": {"now+1h"}, "step": {"24h"}}, &h)
	var oldDay, sum int64
	for _, b := range h.Buckets {
		sum += b.Count
		if strings.HasPrefix(b.TS, old.Format(time.DateOnly)) {
			oldDay = b.Count
		}
	}
	if sum != 5000 || oldDay != 3000 {
		t.Errorf("the histogram reaching back 45 days counts %d (%d on the archived day), want 5000 (3000)", sum, oldDay)
	}
	var f struct {
		Total int64 `json:"total"`
	}
	getJSON(t, base, "/api/v1/facets", url.Values{"from": {from}, "to": {"now+1h"}, "field": {"level"}}, &f)
	if f.Total != 5000 {
		t.Errorf("facets reaching back 45 days count %d, want 5000", f.Total)
	}
	// And pipes (GET /api/v1/query): one statement over the hot rows and the archived day's file.
	var q struct {
		Rows [][]any `json:"rows"`
	}
	getJSON(t, base, "/api/v1/query", url.Values{"q": {"order | stats count() as n by bin(1d)"}, "from": {from}, "to": {"now+1h"}}, &q)
	var pipesOld, pipesSum float64
	for _, r := range q.Rows {
		n, _ := r[1].(float64)
		pipesSum += n
		if day, _ := r[0].(string); strings.HasPrefix(day, old.Format(time.DateOnly)) {
			pipesOld = n
		}
	}
	if pipesSum != 5000 || pipesOld != 3000 {
		t.Errorf("pipes reaching back 45 days count %v (%v on the archived day), want 5000 (3000): %v", pipesSum, pipesOld, q.Rows)
	}
}

// searchBack pages through the "order" events from from to now, 1000 at
// a time, and counts them, those before recent (archived), and the pages.
func searchBack(t *testing.T, base, from string, recent time.Time) (total, archived, pages int) {
	t.Helper()
	for cursor := ""; pages < 10; {
		var res searchResult
		getJSON(t, base, "/api/v1/search", url.Values{"q": {"order"}, "from": {from}, "to": {"now+1h"}, "limit": {"1000"}, "cursor": {cursor}}, &res)
		pages++
		total += len(res.Events)
		for _, e := range res.Events {
			if e.TS < recent.Format(time.RFC3339) {
				archived++
			}
		}
		if cursor = res.NextCursor; cursor == "" {
			break
		}
	}
	return total, archived, pages
}

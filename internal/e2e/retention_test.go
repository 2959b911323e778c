package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/internal/lifecycle"
)

// runningApp is a whole Lore server on a data directory that a test stops
// and starts again.
type runningApp struct {
	*app.App
	stop func()
}

func startOn(t *testing.T, dir string, opts ...func(*app.Config)) runningApp {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cfg := app.Config{DataDir: dir, Addr: "127.0.0.1:0", IngestKey: ingestKey, ReadKey: readKey, AdminKey: adminKey,
		Log: slog.New(slog.DiscardHandler), Retention: lifecycle.RetentionConfig{Manual: true}}
	for _, o := range opts {
		o(&cfg)
	}
	a, err := app.Open(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		}
	}
	t.Cleanup(stop)
	return runningApp{a, stop}
}

// du is the data directory's disk usage in KiB, as du(1) reports it.
func du(t *testing.T, dir string) int64 {
	t.Helper()
	out, err := exec.Command("du", "-sk", dir).Output()
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(strings.Fields(string(out))[0], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// ingestDay posts n JSON log lines dated within the day at day, in
// batches, with the ingest key.
func ingestDay(t *testing.T, base string, day time.Time, n int, level string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(day.Unix()), 7))
	const batch = 5000
	for i := 0; i < n; i += batch {
		var b strings.Builder
		for j := i; j < min(n, i+batch); j++ {
			ts := day.Add(time.Duration(rng.Int64N(int64(20 * time.Hour))))
			line, _ := json.Marshal(map[string]any{"ts": ts.Format(time.RFC3339Nano), "level": level, "service": "shop",
				"msg": fmt.Sprintf("order %x for customer %x took %d ms", rng.Uint64(), rng.Uint64(), rng.IntN(900)),
				"req": fmt.Sprintf("%x", rng.Uint64())})
			b.Write(line)
			b.WriteByte('\n')
		}
		code, _, body, err := post(context.Background(), http.DefaultClient, base, "/api/v1/ingest", ingestKey, "application/x-ndjson", []byte(b.String()))
		if err != nil || code != 200 {
			t.Fatalf("ingest: %d %s %v", code, body, err)
		}
	}
}

// TestRetentionFreesTheDisk fills a server with logs from 45 days ago and
// from yesterday, and error logs from 45 days ago, runs retention (logs 30
// days, errors 90): the old logs are gone, yesterday's logs and the old
// errors are kept, and after a restart the data directory takes less than
// 60% of the disk it did (du).
func TestRetentionFreesTheDisk(t *testing.T) {
	dir := t.TempDir()
	// Small ingest-log segments: a loaded segment is deleted when the log
	// moves on, so what stays on disk is what retention governs (the log
	// holds at most one segment of loaded events, 64 MiB by default).
	small := func(c *app.Config) { c.Pipeline.SegmentBytes = 1 << 20 }
	a := startOn(t, dir, small)
	base := a.URL()
	var got lifecycle.Retention
	code, body := putLifecycle(t, base, "retention", `{"spans_days": 7}`)
	if code != 200 || json.Unmarshal([]byte(body), &got) != nil || got.SpansDays != 7 || got.LogsDays != 30 || got.ErrorsDays != 90 {
		t.Fatalf("PUT retention: %d %s", code, body)
	}
	if code, body := putLifecycle(t, base, "retention", `{"logs_days": -1}`); code != 400 || !strings.Contains(body, "logs_days -1") {
		t.Errorf("bad retention: %d %s, want 400 quoting it", code, body)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	old, recent := today.AddDate(0, 0, -45), today.AddDate(0, 0, -1)
	ingestDay(t, base, old, 150000, "info")
	ingestDay(t, base, old, 200, "error")
	ingestDay(t, base, recent, 20000, "info")
	flush(t, a.App)
	a.stop()

	a = startOn(t, dir, small)
	base = a.URL()
	full := du(t, dir)
	deleted, err := a.RunRetention(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := deleted[1]["log"]; n != 150000 {
		t.Errorf("retention deleted %d logs, want 150000: %v", n, deleted)
	}
	getCount := func(q string, from time.Time) int64 {
		var f facets
		getJSON(t, base, "/api/v1/facets", url.Values{"q": {q}, "field": {"kind"}, "from": {from.Format(time.RFC3339)}, "to": {"now+1h"}}, &f)
		return f.Total
	}
	if n := getCount("kind:log", old.AddDate(0, 0, -1)); n != 20000 {
		t.Errorf("%d logs kept, want yesterday's 20000", n)
	}
	if n := getCount("kind:error", old.AddDate(0, 0, -1)); n != 200 {
		t.Errorf("%d errors kept, want the 200 from 45 days ago", n)
	}
	a.stop()
	a = startOn(t, dir, small)
	base = a.URL()
	after := du(t, dir)
	t.Logf("data directory: %d KiB full, %d KiB after retention and a restart", full, after)
	if after*10 > full*6 {
		t.Errorf("data directory takes %d KiB after deleting 150k of 170k events, was %d KiB: want under 60%%", after, full)
	}
	if n := getCount("kind:log", old.AddDate(0, 0, -1)); n != 20000 {
		t.Errorf("after the restart %d logs, want 20000", n)
	}
}

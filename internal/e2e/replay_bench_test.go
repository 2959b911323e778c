package e2e

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/internal/replay"
	"github.com/lore-dev/lore/internal/sim"
)

// chunkSink keeps the simulated shop's recordings and drops the rest.
type chunkSink struct{ chunks [][]byte }

func (c *chunkSink) Logs(context.Context, []byte) error  { return nil }
func (c *chunkSink) Spans(context.Context, []byte) error { return nil }
func (c *chunkSink) Replay(_ context.Context, b []byte) error {
	c.chunks = append(c.chunks, append([]byte(nil), b...))
	return nil
}

// BenchmarkReplayIngest posts the simulated shop's recordings (every
// session of 3 busy hours, with the throttle; gzip'd as the SDK sends
// them) to POST /api/v1/replay from 4 concurrent clients, and reports the
// chunks acknowledged (durable in the write-ahead log) per second, and
// what a recorded minute costs: uploaded, and on disk in replay.db once
// the loader has stored everything.
func BenchmarkReplayIngest(b *testing.B) {
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	shop := sim.New(sim.Config{Seed: 5, SessionsPerDay: 20000, RecordSessions: 1,
		Incidents: []sim.Incident{sim.Throttle{At: day.Add(10 * time.Hour), For: time.Hour}}})
	cs := &chunkSink{}
	if err := shop.Backfill(context.Background(), day.Add(9*time.Hour), day.Add(12*time.Hour), cs, nil); err != nil {
		b.Fatal(err)
	}
	type span struct{ first, last int64 }
	sessions := map[string]*span{}
	bodies := make([][]byte, len(cs.chunks))
	var sent int64
	for i, c := range cs.chunks {
		ch, err := replay.DecodeChunk(c, time.Now(), replay.Limits{})
		if err != nil {
			b.Fatal(err)
		}
		s := sessions[ch.SessionID]
		if s == nil {
			s = &span{first: ch.First}
			sessions[ch.SessionID] = s
		}
		s.first, s.last = min(s.first, ch.First), max(s.last, ch.Last)
		bodies[i] = gz(c)
		sent += int64(len(bodies[i]))
	}
	var minutes float64
	for _, s := range sessions {
		minutes += float64(s.last-s.first) / 60000
	}

	var dir string
	a := startApp(b, func(c *app.Config) {
		dir = c.DataDir
		c.Replay = replay.Options{Idle: 24 * time.Hour} // no sealing during the run: ingest alone
	})
	req, _ := http.NewRequest(http.MethodPut, a.URL()+"/api/v1/capture/settings", strings.NewReader(`{"session_recording":true}`))
	req.Header.Set("Authorization", "Bearer "+readKey)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		b.Fatalf("turn recording on: %v %v", err, resp)
	}
	b.ResetTimer()
	start := time.Now()
	var next, acked atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(bodies) || b.Failed() {
					return
				}
				resp, err := http.Post(a.URL()+"/api/v1/replay?key="+url.QueryEscape(ingestKey), "application/octet-stream", bytes.NewReader(bodies[i]))
				if err != nil {
					b.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Errorf("chunk %d: status %d", i, resp.StatusCode)
					return
				}
				acked.Add(1)
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	b.StopTimer()
	// On disk once the loader has stored every chunk: replay.db stops growing.
	size := func() int64 {
		var n int64
		for _, f := range []string{"replay.db", "replay.db-wal"} {
			if st, err := os.Stat(filepath.Join(dir, f)); err == nil {
				n += st.Size()
			}
		}
		return n
	}
	last, stable := size(), 0
	for stable < 4 {
		time.Sleep(500 * time.Millisecond)
		if n := size(); n == last {
			stable++
		} else {
			last, stable = n, 0
		}
	}
	b.ReportMetric(float64(acked.Load())/took.Seconds(), "chunks/s")
	b.ReportMetric(float64(sent)/took.Seconds()/1e6, "MB/s")
	b.ReportMetric(minutes, "recorded-min")
	b.ReportMetric(float64(sent)/minutes/1024, "KB-sent/min")
	b.ReportMetric(float64(last)/minutes/1024, "KB-disk/min")
	b.Logf("%d chunks of %d sessions (%.0f recorded minutes), %d KB sent gzip'd, replay.db %d KB",
		len(bodies), len(sessions), minutes, sent/1024, last/1024)
}

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
)

// BenchmarkCaptureIngest posts PostHog batches of 500 events (with
// properties, some anonymous, some page views) to /batch/ and reports the
// events acknowledged (durable) per second, from 4 concurrent clients.
func BenchmarkCaptureIngest(b *testing.B) {
	a := startProductApp(b)
	const per = 500
	bodies := make([][]byte, 16)
	for i := range bodies {
		batch := make([]map[string]any, per)
		for j := range batch {
			p := i*per + j
			ev := map[string]any{"event": "Product Viewed", "distinct_id": fmt.Sprintf("u%d", p%5000), "timestamp": time.Now().UTC().Format(time.RFC3339Nano),
				"properties": map[string]any{"plan": "pro", "price": p % 300, "$current_url": "https://shop.example/p/" + fmt.Sprint(p%200), "$session_id": fmt.Sprintf("s%d", p%9000)}}
			if j%3 == 0 {
				ev["event"] = "$pageview"
			}
			batch[j] = ev
		}
		bodies[i], _ = json.Marshal(map[string]any{"api_key": ingestKey, "batch": batch})
	}
	start := time.Now()
	var n, i atomic.Int64
	b.SetParallelism(2) // 2 × GOMAXPROCS concurrent clients, as a fleet of servers would send
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := bodies[int(i.Add(1))%len(bodies)]
			resp, err := http.Post(a.URL()+"/batch/", "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
			n.Add(per)
		}
	})
	b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "events/s")
}

// startProductApp is startApp for benchmarks.
func startProductApp(tb testing.TB) *app.App {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, app.Config{
		DataDir: tb.TempDir(), Addr: "127.0.0.1:0", IngestKey: ingestKey, ReadKey: readKey, AdminKey: adminKey, Log: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("serve: %v", err)
		}
	})
	return a
}

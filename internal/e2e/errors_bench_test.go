package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/lore-dev/lore/internal/exception"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/pipeline"
	"github.com/lore-dev/lore/internal/server"
)

// envelopeBody is a Sentry envelope of one error event, as the SDKs send
// them (one event an envelope), of group g.
func envelopeBody(g, n int, ts time.Time) []byte {
	return fmt.Appendf(nil, `{"event_id":"%032x","sent_at":%q}
{"type":"event"}
{"event_id":"%032x","timestamp":%q,"level":"error","platform":"go","release":"shop@1.%d","environment":"prod","server_name":"web-%d","user":{"id":"u-%d"},"tags":{"service":"checkout","browser":"Firefox 128"},"contexts":{"trace":{"trace_id":"%032x","span_id":"%016x"}},"exception":[{"type":"*shop.Err%d","value":"failed for order %d","stacktrace":{"frames":[{"function":"main","module":"shop","lineno":10,"in_app":true},{"function":"Serve","module":"shop/http","lineno":%d,"in_app":true},{"function":"Handle%d","module":"shop/handlers","lineno":%d,"in_app":true}]}}],"breadcrumbs":[{"timestamp":%q,"category":"http","message":"GET /api/cart"}]}
`, n, ts.Format(time.RFC3339Nano), n, ts.Format(time.RFC3339Nano), n%5, n%8, n%10000, n+1, n+1, g, n, 20+n%7, g, 30+n%11, ts.Format(time.RFC3339Nano))
}

func postEnvelope(hc *http.Client, base string, body []byte) error {
	req, _ := http.NewRequest(http.MethodPost, base+"/api/1/envelope/", bytes.NewReader(body))
	req.Header.Set("X-Sentry-Auth", "Sentry sentry_version=7, sentry_key="+ingestKey)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("envelope: status %d", resp.StatusCode)
	}
	return nil
}

// startAppTB is startApp for benchmarks.
func startAppTB(tb testing.TB, limits server.Limits) *app.App {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, app.Config{
		DataDir: tb.TempDir(), Addr: "127.0.0.1:0", IngestKey: ingestKey, ReadKey: readKey, AdminKey: adminKey,
		Log: slog.New(slog.DiscardHandler), Limits: limits,
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

func flushTB(tb testing.TB, a *app.App) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := a.Pipeline().Flush(ctx); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkSentryEnvelopeIngest measures error events/s through
// POST /api/{project}/envelope/ of a whole server: decode, fingerprint,
// issue tracking and the durable pipeline (each request acknowledged after
// its group commit), one event an envelope as the SDKs send them, 1,000
// groups, with 16 and 64 concurrent SDK clients and the default in-flight
// limit (8) or 64.
func BenchmarkSentryEnvelopeIngest(b *testing.B) {
	for _, c := range []struct{ clients, inflight int }{{16, 8}, {64, 64}} {
		b.Run(fmt.Sprintf("clients=%d/inflight=%d", c.clients, c.inflight), func(b *testing.B) {
			l := server.DefaultLimits()
			l.MaxInflight = c.inflight
			benchEnvelopes(b, c.clients, l)
		})
	}
}

func benchEnvelopes(b *testing.B, clients int, limits server.Limits) {
	a := startAppTB(b, limits)
	base := a.URL()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	now := time.Now()
	bodies := make([][]byte, 4096)
	for i := range bodies {
		bodies[i] = envelopeBody(i%1000, i, now.Add(-time.Duration(i)*time.Second))
	}
	var next atomic.Int64
	var failed atomic.Int64
	var firstErr atomic.Value
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if err := postEnvelope(hc, base, bodies[i%int64(len(bodies))]); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d envelopes failed, the first with %v", failed.Load(), firstErr.Load())
	}
	b.ReportMetric(float64(b.N)/el.Seconds(), "events/s")
}

// BenchmarkIssueList measures GET /api/v1/issues (sort=count, default 14
// days) with 1M error events in 5,000 groups over the last 7 days: 5,000
// envelopes open the issues, the rest is loaded through the pipeline with
// the same fingerprints. It reports the p50 and p95 latency.
func BenchmarkIssueList(b *testing.B) {
	const groups, total = 5000, 1_000_000
	a := startAppTB(b, server.DefaultLimits())
	base := a.URL()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	now := time.Now()
	ctx := context.Background()
	var wg sync.WaitGroup
	var failed atomic.Int64
	for w := range 8 {
		wg.Go(func() {
			for g := w; g < groups; g += 8 {
				if err := postEnvelope(hc, base, envelopeBody(g, g, now.Add(-time.Hour))); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if failed.Load() > 0 {
		b.Fatalf("%d envelopes failed", failed.Load())
	}
	fps := make([]string, groups)
	for g := range groups {
		excs := []exception.Exception{{Type: "*shop.Err" + strconv.Itoa(g), Frames: []exception.Frame{
			{Module: "shop", Function: "main", InApp: true}, {Module: "shop/http", Function: "Serve", InApp: true},
			{Module: "shop/handlers", Function: "Handle" + strconv.Itoa(g), InApp: true}}}}
		fps[g] = exception.Fingerprint(exception.DefaultComponents(excs, ""))
	}
	span := int64(7 * 24 * time.Hour / time.Microsecond)
	t0 := now.Add(-7 * 24 * time.Hour).UnixMicro()
	batch := make([]event.Event, 0, 20_000)
	for i := range total - groups {
		g := (i * 7919) % groups // spread, with a skew below
		if i%3 == 0 {
			g = i % 100
		}
		ts := t0 + int64(i)*(span/int64(total))
		batch = append(batch, event.Event{ProjectID: 1, TS: ts, ReceivedAt: ts, Kind: event.KindError, Level: event.LevelError,
			Service: "checkout", Env: "prod", Release: "shop@1." + strconv.Itoa(i%5), UserID: "u-" + strconv.Itoa(i%20000),
			Message: "failed for order " + strconv.Itoa(i), ErrorType: "*shop.Err" + strconv.Itoa(g), Fingerprint: fps[g]})
		if len(batch) == cap(batch) {
			for {
				err := a.Pipeline().Submit(ctx, batch)
				if err == nil {
					break
				}
				if !errors.Is(err, pipeline.ErrOverloaded) {
					b.Fatal(err)
				}
				time.Sleep(100 * time.Millisecond)
			}
			batch = batch[:0]
		}
	}
	if err := a.Pipeline().Submit(ctx, batch); err != nil {
		b.Fatal(err)
	}
	flushTB(b, a)
	get := func(params ...string) time.Duration {
		u := base + "/api/v1/issues?sort=count&limit=100"
		if len(params) > 0 {
			u = base + "/api/v1/issues?" + params[0]
		}
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer "+adminKey)
		start := time.Now()
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`"count"`)) {
			b.Fatalf("issues: %d %s", resp.StatusCode, body)
		}
		return time.Since(start)
	}
	get() // warm
	var lat []time.Duration
	b.ResetTimer()
	for b.Loop() {
		lat = append(lat, get())
	}
	b.StopTimer()
	p95 := func(lat []time.Duration) float64 {
		slices.Sort(lat)
		return float64(lat[min(len(lat)-1, len(lat)*95/100)].Microseconds()) / 1000
	}
	b.ReportMetric(p95(lat), "p95-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	// The other orders and a filtered list, 20 requests each.
	for _, c := range []struct{ params, metric string }{
		{"sort=users&limit=100", "users-p95-ms"},
		{"sort=last_seen&limit=100", "last-seen-p95-ms"},
		{"sort=count&limit=100&q=release:shop@1.2", "filtered-p95-ms"},
	} {
		var lat []time.Duration
		for range 20 {
			lat = append(lat, get(c.params))
		}
		b.ReportMetric(p95(lat), c.metric)
	}
}

package duckdb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/product"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// BenchmarkAnalytics loads a product workload of LORE_BENCH_PRODUCT_EVENTS
// events (default 1M; 20 per person, so 10M means 500k persons) over 8
// weeks, then times a 4-step funnel, an 8-week retention table and paths
// of depth 5, reporting ms per query (p50 and p95 over the iterations).
// LORE_BENCH_DIR keeps the loaded store between runs.
func BenchmarkAnalytics(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("LORE_BENCH_PRODUCT_EVENTS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	ctx := context.Background()
	dir := os.Getenv("LORE_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	} else {
		dir = filepath.Join(dir, strconv.Itoa(n))
	}
	s, err := Open(ctx, dir, Options{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC).UnixMicro()
	const days = 56
	if seq, _ := s.LastSeq(ctx); seq == 0 {
		t0 := time.Now()
		loaded := loadProduct(b, s, n, start, days)
		b.Logf("loaded %d events (%d persons) in %s", loaded, n/20, time.Since(t0).Round(time.Millisecond))
	}
	rng := store.Range{From: start, To: start + days*86400e6}
	queries := []struct {
		name string
		run  func() error
	}{
		{"funnel4", func() error {
			_, err := product.Funnel{FunnelRequest: store.FunnelRequest{ProjectID: 1, Range: rng, Window: 3600e6,
				Steps: []store.Step{{Name: "Product Viewed"}, {Name: "Product Added"}, {Name: "Checkout Started"}, {Name: "Order Completed"}}}}.Run(ctx, s)
			return err
		}},
		{"retention8w", func() error {
			_, err := product.Retention(store.RetentionRequest{ProjectID: 1, Range: rng, Start: store.Step{Name: "Product Viewed"}, Return: store.Step{Name: "Order Completed"}, Period: week, Periods: 8}).Run(ctx, s)
			return err
		}},
		{"paths5", func() error {
			_, err := product.Paths{ProjectID: 1, Range: rng, Start: &store.Step{Name: "Product Added"}, Depth: 5}.Run(ctx, s)
			return err
		}},
		{"trends", func() error {
			_, err := product.Trends{ProjectID: 1, Range: rng, Event: store.Step{Name: "Order Completed"}, Interval: 86400e6}.Run(ctx, s)
			return err
		}},
		{"web", func() error {
			_, err := product.Web{ProjectID: 1, Range: store.Range{From: rng.To - 7*86400e6, To: rng.To}}.Run(ctx, s)
			return err
		}},
	}
	for _, q := range queries {
		b.Run(q.name, func(b *testing.B) {
			var ds []time.Duration
			for b.Loop() {
				t := time.Now()
				if err := q.run(); err != nil {
					b.Fatal(err)
				}
				ds = append(ds, time.Since(t))
			}
			slices.Sort(ds)
			b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(ds[(len(ds)*95)/100].Microseconds())/1000, "p95-ms")
		})
	}
}

// loadProduct appends about n events, 20 per person, day by day: each
// person starts on a day and returns on later days; a visit views
// products, some add one, check out and order; the backend logs the
// requests; half the persons browse anonymously before identifying.
func loadProduct(b *testing.B, s *Store, n int, start int64, days int) int {
	persons := max(n/20, 1)
	r := rand.New(rand.NewPCG(1, 2))
	var seq uint64
	total := 0
	const sec = int64(1e6)
	// visits a person makes: about 5 on average.
	for d := range days {
		var evs []event.Event
		dayStart := start + int64(d)*86400*sec
		for p := range persons {
			first := p % days
			if d < first || (d > first && r.Float64() > 0.09) {
				continue
			}
			user, anon := "u"+strconv.Itoa(p), "a"+strconv.Itoa(p)
			t := dayStart + r.Int64N(86000*sec)
			uid := user
			if d == first && p%2 == 0 {
				uid = ""
			}
			add := func(kind, name string, attrs ...event.Attr) {
				evs = append(evs, event.Event{ProjectID: 1, TS: t, ReceivedAt: t, Kind: kind, Service: "web", UserID: uid, AnonymousID: anon,
					SessionID: anon + "-" + strconv.Itoa(d), Name: name, Attributes: attrs})
				t += sec + r.Int64N(60*sec)
			}
			log := func(endpoint string, ms float64) {
				evs = append(evs, event.Event{ProjectID: 1, TS: t, ReceivedAt: t, Kind: event.KindLog, Level: event.LevelInfo, Service: "api",
					UserID: user, Endpoint: endpoint, HTTPStatus: 200, DurationMS: ms, Message: "request served"})
				t += sec
			}
			add(event.KindPageview, "$pageview", event.Attr{Key: "path", Value: "/"}, event.Attr{Key: "browser", Value: []string{"Chrome", "Safari", "Firefox"}[p%3]})
			add(event.KindEvent, "Product Viewed", event.Attr{Key: "plan", Value: []string{"free", "pro"}[p%2]})
			log("/api/products", 20+r.Float64()*50)
			if r.Float64() < 0.5 {
				add(event.KindEvent, "Product Added")
				log("/api/cart", 30+r.Float64()*2000)
				if uid == "" {
					uid = user
					add(event.KindEvent, "$identify")
				}
				if r.Float64() < 0.6 {
					add(event.KindEvent, "Checkout Started")
					if r.Float64() < 0.7 {
						add(event.KindEvent, "Order Completed", event.Attr{Key: "amount", Value: strconv.Itoa(10 + r.IntN(200))})
					} else {
						evs = append(evs, event.Event{ProjectID: 1, TS: t, ReceivedAt: t, Kind: event.KindError, Level: event.LevelError, Service: "payment",
							UserID: user, ErrorType: "GatewayTimeout", Message: "payment gateway timed out"})
					}
				}
			}
			add(event.KindEvent, "$click")
			add(event.KindPageview, "$pageview", event.Attr{Key: "path", Value: "/products"})
		}
		sort.Slice(evs, func(i, j int) bool { return evs[i].TS < evs[j].TS })
		for i := 0; i < len(evs); i += 100_000 {
			seq++
			if err := s.Append(context.Background(), store.Batch{Seq: seq, Events: evs[i:min(i+100_000, len(evs))]}); err != nil {
				b.Fatal(fmt.Errorf("append day %d: %w", d, err))
			}
		}
		total += len(evs)
	}
	return total
}

package duckdb

import (
	"context"
	"github.com/lore-dev/lore/internal/analysis/product"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/store"
)

// BenchmarkProductIndex times the indexed funnel, retention and paths on
// the store in LORE_BENCH_PRODUCT_STORE (the events directory of a data
// directory loaded by internal/e2e's BenchmarkProductScale, whose range it
// assumes), without HTTP; for profiling.
func BenchmarkProductIndex(b *testing.B) {
	dir := os.Getenv("LORE_BENCH_PRODUCT_STORE")
	if dir == "" {
		b.Skip("LORE_BENCH_PRODUCT_STORE is not set")
	}
	ctx := context.Background()
	t0 := time.Now()
	s, err := Open(ctx, dir, Options{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.Logf("opened in %s", time.Since(t0).Round(time.Millisecond))
	from := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC).UnixMicro()
	rng := store.Range{From: from, To: from + 56*day}
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
			_, err := product.Retention(store.RetentionRequest{ProjectID: 1, Range: rng, Start: store.Step{Name: "Product Viewed"}, Return: store.Step{Name: "Product Viewed"}, Period: week, Periods: 8}).Run(ctx, s)
			return err
		}},
		{"paths5", func() error {
			_, err := product.Paths{ProjectID: 1, Range: rng, Start: &store.Step{Name: "Product Added"}, Depth: 5}.Run(ctx, s)
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

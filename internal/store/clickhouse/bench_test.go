package clickhouse_test

import (
	"context"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/chtest"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/clickhouse"
)

// BenchmarkAppend appends batches of the simulated shop's events (10,000
// a batch, as the pipeline's loader does) to a real clickhouse-server and
// reports events a second: the insert, the identity pairs and the batch
// record, end to end over HTTP.
func BenchmarkAppend(b *testing.B) {
	srv := chtest.Start(b)
	ctx := context.Background()
	evs := shopEvents(b, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	const size = 10000
	s, err := clickhouse.Open(ctx, "clickhouse://"+srv.Addr+"/bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		lo := (i * size) % (len(evs) - size)
		if err := s.Append(ctx, store.Batch{Seq: uint64(i + 1), Events: evs[lo : lo+size]}); err != nil {
			b.Fatal(err)
		}
		n += size
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	if st, err := s.Stats(ctx); err == nil && st.Events > 0 {
		b.ReportMetric(float64(st.DiskBytes)/float64(st.Events), "bytes/event")
	}
}

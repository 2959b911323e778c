package clickhouse_test

import (
	"context"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/events"
	"github.com/lore-dev/lore/internal/analysis/services"
	"github.com/lore-dev/lore/internal/chtest"
	"github.com/lore-dev/lore/internal/sqlq"
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

// plainSQL hides the store's accelerators: the analyses by SQL alone.
type plainSQL struct{ sqlq.Executor }

// BenchmarkRollupReads times the narrative's reads that the rollups
// serve (the stories' service series by minute, error groups with a
// lookback, release starts; a facet of the services over a range ending
// inside minutes) over six hours of the simulated shop, from the rollups
// and by SQL alone over the events.
func BenchmarkRollupReads(b *testing.B) {
	srv := chtest.Start(b)
	ctx := context.Background()
	start := time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
	s, err := clickhouse.Open(ctx, "clickhouse://"+srv.Addr+"/rollup_bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const hours = 6
	n := 0
	for h := range hours {
		evs := shopEvents(b, start.Add(time.Duration(h)*time.Hour))
		if err := s.Append(ctx, store.Batch{Seq: uint64(h + 1), Events: evs}); err != nil {
			b.Fatal(err)
		}
		n += len(evs)
	}
	b.Logf("%d events", n)
	r := store.Range{From: start.UnixMicro(), To: start.Add(hours * time.Hour).UnixMicro()}
	minute := int64(time.Minute / time.Microsecond)
	reads := []struct {
		name string
		run  func(sqlq.Executor) error
	}{
		{"series", func(ex sqlq.Executor) error {
			_, err := services.Series{ProjectID: 1, Range: r, Step: minute}.Run(ctx, ex)
			return err
		}},
		{"error_groups", func(ex sqlq.Executor) error {
			_, err := services.ErrorGroups{ProjectID: 1, Range: store.Range{From: r.To - hours*60*minute/2, To: r.To}, Since: r.From}.Run(ctx, ex)
			return err
		}},
		{"facet_service", func(ex sqlq.Executor) error {
			_, err := events.Reader{Ex: ex}.Facets(ctx, store.FacetsRequest{ProjectID: 1, Range: store.Range{From: r.From - 17, To: r.To + 3}, Field: "service"})
			return err
		}},
		{"release_starts", func(ex sqlq.Executor) error {
			_, err := services.ReleaseStarts{ProjectID: 1, Range: r, Since: r.From}.Run(ctx, ex)
			return err
		}},
	}
	for _, rd := range reads {
		for _, via := range []struct {
			name string
			ex   sqlq.Executor
		}{{"rollup", s}, {"events", plainSQL{s}}} {
			b.Run(rd.name+"/"+via.name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if err := rd.run(via.ex); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

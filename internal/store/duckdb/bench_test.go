package duckdb

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/events"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/store"
)

// gen makes events shaped like PERFORMANCE.md's data set: a trace shared by
// about 8 events, 50k users, sessions, 30 message templates with variable
// parts, 3–5 attributes, one event every interval.
type gen struct {
	r        *rand.Rand
	ts       int64
	interval int64
	trace    event.TraceID
	left     int
}

var (
	benchServices  = []string{"api", "web", "payment-service", "worker", "auth", "search"}
	benchLevels    = []string{"info", "info", "info", "info", "debug", "warn", "error"}
	benchTemplates = func() []string {
		verbs := []string{"processed order", "charged card", "rendered page", "queried db", "sent email", "cache miss for key"}
		out := make([]string, 0, 30)
		for i := range 30 {
			out = append(out, verbs[i%len(verbs)]+" step "+strconv.Itoa(i))
		}
		return out
	}()
)

func newGen(seed uint64, start, interval int64) *gen {
	return &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e37)), ts: start, interval: interval}
}

func (g *gen) next(e *event.Event) {
	if g.left == 0 {
		g.read(g.trace[:])
		g.left = 4 + g.r.IntN(9)
	}
	g.left--
	g.ts += g.interval
	user := g.r.IntN(50000)
	*e = event.Event{
		ProjectID:  1,
		TS:         g.ts,
		ReceivedAt: g.ts + 1000,
		Kind:       event.KindLog,
		Level:      benchLevels[g.r.IntN(len(benchLevels))],
		Service:    benchServices[g.r.IntN(len(benchServices))],
		Env:        "prod",
		Release:    "v1.4.2",
		Host:       "host-" + strconv.Itoa(g.r.IntN(20)),
		TraceID:    g.trace,
		SpanID:     event.SpanIDFromUint64(g.r.Uint64()),
		UserID:     "user-" + strconv.Itoa(user),
		SessionID:  "sess-" + strconv.Itoa(user) + "-" + strconv.Itoa(int(g.ts/(3600e6))),
		Name:       "request",
		Message: benchTemplates[g.r.IntN(len(benchTemplates))] + " id=" + strconv.Itoa(g.r.IntN(1_000_000)) +
			" took " + strconv.Itoa(g.r.IntN(900)) + "ms",
		HTTPMethod: "GET",
		Endpoint:   "/api/v1/items",
		HTTPStatus: 200,
		DurationMS: float64(g.r.IntN(90000)) / 100,
		Attributes: []event.Attr{
			{Key: "http.user_agent", Value: "Mozilla/5.0"},
			{Key: "cloud.region", Value: []string{"eu-west-1", "us-east-1"}[g.r.IntN(2)]},
			{Key: "order.items", Value: strconv.Itoa(g.r.IntN(10))},
		},
	}
}

// read fills p with random bytes.
func (g *gen) read(p []byte) {
	for i := range p {
		p[i] = byte(g.r.Uint32())
	}
}

func (g *gen) batch(n int) []event.Event {
	evs := make([]event.Event, n)
	for i := range evs {
		g.next(&evs[i])
	}
	return evs
}

// BenchmarkAppend loads batches of 50k events (LORE_BENCH_BATCH) into a
// store with DuckDB's default memory limit (or LORE_BENCH_MEMORY) and reports
// events/s and the bytes per event on disk after a checkpoint.
func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	var log *slog.Logger
	if os.Getenv("LORE_BENCH_DEBUG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	rg, _ := strconv.Atoi(os.Getenv("LORE_BENCH_ROWGROUP"))
	s, err := Open(ctx, b.TempDir(), Options{MemoryLimit: os.Getenv("LORE_BENCH_MEMORY"), RowGroupSize: rg}, log)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	g := newGen(1, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro(), 1000)
	batch := 50000
	if v := os.Getenv("LORE_BENCH_BATCH"); v != "" {
		batch, _ = strconv.Atoi(v)
	}
	batches := make([][]event.Event, 4)
	for i := range batches {
		batches[i] = g.batch(batch)
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		evs := batches[i%len(batches)]
		if i >= len(batches) {
			b.StopTimer()
			for j := range evs {
				evs[j].TS += int64(len(batches)*batch) * 1000
			}
			b.StartTimer()
		}
		if err := s.Append(ctx, store.Batch{Seq: uint64(i + 1), Events: evs}); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if err := s.Checkpoint(ctx); err != nil {
		b.Fatal(err)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N*batch)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(st.DiskBytes)/float64(st.Events), "bytes/event")
}

// BenchmarkRead measures journeys and searches at a few table sizes:
// 200k and 1M events, or the comma-separated sizes in LORE_BENCH_EVENTS.
func BenchmarkRead(b *testing.B) {
	sizes := []int{200_000, 1_000_000}
	if v := os.Getenv("LORE_BENCH_EVENTS"); v != "" {
		sizes = sizes[:0]
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 50000 {
				b.Fatalf("LORE_BENCH_EVENTS: size %q is not a number of at least 50000", f)
			}
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) { benchRead(b, n) })
	}
}

func benchRead(b *testing.B, n int) {
	ctx := context.Background()
	rg, _ := strconv.Atoi(os.Getenv("LORE_BENCH_ROWGROUP"))
	s, err := Open(ctx, b.TempDir(), Options{RowGroupSize: rg}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	// Spread the events over 24 hours.
	g := newGen(2, start, 86_400_000_000/int64(n))
	var sample []event.Event
	for seq := 1; seq*50000 <= n; seq++ {
		evs := g.batch(50000)
		sample = append(sample, evs[len(evs)/2])
		if err := s.Append(ctx, store.Batch{Seq: uint64(seq), Events: evs}); err != nil {
			b.Fatal(err)
		}
	}
	// Plant a rare word.
	rare := g.batch(1)
	rare[0].Message = "kaboom: flux capacitor overheated"
	if err := s.Append(ctx, store.Batch{Seq: uint64(n), Events: rare}); err != nil {
		b.Fatal(err)
	}
	if err := s.Checkpoint(ctx); err != nil {
		b.Fatal(err)
	}
	day := store.Range{From: start, To: g.ts + 1}
	rareQ, err := query.Parse("capacitor")
	if err != nil {
		b.Fatal(err)
	}
	errQ, err := query.Parse("level:error")
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		run  func(i int) error
	}{
		{"journey-trace", func(i int) error {
			e := sample[i%len(sample)]
			evs, err := events.Reader{Ex: s}.Journey(ctx, store.JourneyRequest{ProjectID: 1, By: store.ByTrace, ID: e.TraceID.String(), Range: day})
			if err == nil && len(evs) == 0 {
				err = fmt.Errorf("no events for trace %s", e.TraceID)
			}
			return err
		}},
		{"journey-user", func(i int) error {
			e := sample[i%len(sample)]
			_, err := events.Reader{Ex: s}.Journey(ctx, store.JourneyRequest{ProjectID: 1, By: store.ByUser, ID: e.UserID, Range: day})
			return err
		}},
		{"search-rare-word", func(int) error {
			res, err := events.Reader{Ex: s}.Search(ctx, store.SearchRequest{ProjectID: 1, Range: day, Query: rareQ, Limit: 100})
			if err == nil && len(res.Events) != 1 {
				err = fmt.Errorf("rare word found %d times", len(res.Events))
			}
			return err
		}},
		{"search-latest", func(int) error {
			_, err := events.Reader{Ex: s}.Search(ctx, store.SearchRequest{ProjectID: 1, Range: day, Limit: 100})
			return err
		}},
		{"histogram-errors-per-minute", func(int) error {
			_, err := events.Reader{Ex: s}.Histogram(ctx, store.HistogramRequest{ProjectID: 1, Range: day, Query: errQ, Step: 60_000_000, SplitBy: "service"})
			return err
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for i := 0; i < b.N; i++ {
				t := time.Now()
				if err := c.run(i); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t))
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
		})
	}
}

package pipeline

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/store"
)

// countWriter is a store.Writer that only counts, so benchmarks measure the
// pipeline rather than a store.
type countWriter struct {
	seq    atomic.Uint64
	events atomic.Int64
}

var _ store.Writer = (*countWriter)(nil)

func (c *countWriter) Append(_ context.Context, b store.Batch) error {
	c.seq.Store(b.Seq)
	c.events.Add(int64(len(b.Events)))
	return nil
}

func (c *countWriter) LastSeq(context.Context) (uint64, error) { return c.seq.Load(), nil }

// BenchmarkSubmit measures durable ingest through group commit: concurrent
// submitters of 100-event requests, each acknowledged only after fsync.
func BenchmarkSubmit(b *testing.B) {
	for _, submitters := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("submitters=%d", submitters), func(b *testing.B) {
			w := &countWriter{}
			p, err := Open(context.Background(), Options{Dir: b.TempDir()}, w, nil)
			if err != nil {
				b.Fatal(err)
			}
			events := req(1, 100)
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for range submitters {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						if err := p.Submit(context.Background(), events); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			st := p.Stats()
			if err := p.Close(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N*len(events))/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(st.Groups)/elapsed.Seconds(), "groups/s")
			b.ReportMetric(float64(b.N)/float64(max(st.Groups, 1)), "requests/group")
			b.ReportMetric(float64(st.BytesLogged)/float64(st.EventsLogged), "bytes/event")
		})
	}
}

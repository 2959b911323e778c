package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/lore-dev/lore/internal/metrics"
)

// registerMetrics exposes the pipeline's and the store's numbers on
// /metrics, read when scraped.
func (a *App) registerMetrics(reg *metrics.Registry) {
	reg.Collect(func(w io.Writer) {
		p := a.pipe
		if p == nil {
			return
		}
		st := p.Stats()
		gauge := func(name, help string, v float64) {
			fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %g\n", name, help, name, name, v)
		}
		counter := func(name, help string, v float64) {
			fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %g\n", name, help, name, name, v)
		}
		gauge("lore_ingest_queue_events", "Events acknowledged (in the write-ahead log) but not yet in the store.", float64(st.PendingEvents))
		gauge("lore_ingest_queue_bytes", "Encoded bytes acknowledged but not yet in the store; bounded, 429 beyond.", float64(st.PendingBytes))
		counter("lore_wal_events_total", "Events written to the write-ahead log.", float64(st.EventsLogged))
		counter("lore_wal_commits_total", "Group commits (one fsync each).", float64(st.Groups))
		counter("lore_store_events_loaded_total", "Events committed into the store.", float64(st.EventsLoaded))
		counter("lore_store_load_errors_total", "Failed store appends (each retried).", float64(st.LoadErrors))
		counter("lore_ingest_overloaded_total", "Ingest requests refused because the queue was full.", float64(st.Overloaded))
		gauge("lore_wal_segments", "Write-ahead log segment files on disk.", float64(st.Segments))
		h := metrics.Histogram{Bounds: st.FsyncSeconds.Bounds, Counts: st.FsyncSeconds.Counts, Count: st.FsyncSeconds.Count, Sum: st.FsyncSeconds.Sum}
		reg.WriteHistogram(w, "lore_commit_seconds", "Latency of a group commit's fsync.", h)
	})
	reg.Collect(func(w io.Writer) {
		s := a.engine
		if s == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		st, err := s.Stats(ctx)
		if err != nil {
			return
		}
		fmt.Fprintf(w, "# HELP lore_store_events Events stored.\n# TYPE lore_store_events gauge\nlore_store_events %d\n", st.Events)
		fmt.Fprintf(w, "# HELP lore_store_disk_bytes Bytes of the events store on disk.\n# TYPE lore_store_disk_bytes gauge\nlore_store_disk_bytes %d\n", st.DiskBytes)
	})
	reg.Collect(func(w io.Writer) {
		r := a.resolve
		if r == nil {
			return
		}
		hits, misses, entries := r.Stats()
		fmt.Fprintf(w, "# HELP lore_query_cache_hits_total Analysis answers served from the resolver's cache.\n# TYPE lore_query_cache_hits_total counter\nlore_query_cache_hits_total %d\n", hits)
		fmt.Fprintf(w, "# HELP lore_query_cache_misses_total Analysis answers computed by the store (not cached, expired or dropped by late events).\n# TYPE lore_query_cache_misses_total counter\nlore_query_cache_misses_total %d\n", misses)
		fmt.Fprintf(w, "# HELP lore_query_cache_entries Analysis answers the resolver keeps.\n# TYPE lore_query_cache_entries gauge\nlore_query_cache_entries %d\n", entries)
	})
}

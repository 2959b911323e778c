package sim

import (
	"context"
	"time"
)

// Request is one pre-encoded ingest request of a benchmark workload.
type Request struct {
	Path        string // PathLogs or PathTraces
	ContentType string // ContentTypeJSONL or ContentTypeOTLP
	Body        []byte // uncompressed
	Events      int    // events in Body
}

// eventsPerSession is about how many events a session produces; it sets
// the session rate so that a workload covers about the asked time span.
const eventsPerSession = 33

// Workload returns a fixed, deterministic workload of exactly n events
// (logs, spans and browser events, about 350 bytes each) of the shop
// simulated from start, at a session rate that spreads them over about
// span (at least an hour), as request bodies of about 2000 events each, in time order per
// path. For very large n, StreamWorkload avoids holding it all in memory.
func Workload(seed int64, n int, start time.Time, span time.Duration) []Request {
	var reqs []Request
	// The callback never fails, so neither does StreamWorkload.
	_ = StreamWorkload(context.Background(), seed, n, start, span, func(r Request) error {
		reqs = append(reqs, r)
		return nil
	})
	return reqs
}

// StreamWorkload generates the same requests as Workload and hands them to
// fn one by one, stopping at fn's first error or when ctx ends.
func StreamWorkload(ctx context.Context, seed int64, n int, start time.Time, span time.Duration, fn func(Request) error) error {
	span = max(span, time.Hour)
	// The session rate follows the time of day; scale it by the mean
	// seasonality over the span.
	var season float64
	steps := 0
	for t := start; t.Before(start.Add(span)); t = t.Add(10 * time.Minute) {
		season += seasonality(t.UnixMicro())
		steps++
	}
	season /= float64(steps)
	perDay := max(int(float64(n)/eventsPerSession/(span.Hours()/24)/season), 1)
	s := New(Config{Seed: seed, Start: start, SessionsPerDay: perDay, Users: max(perDay/2, 100)})
	b := newBatcher(nil, s.cfg.BatchEvents, int64(n))
	b.out = func(_ context.Context, path string, body []byte, events int) error {
		ct := ContentTypeJSONL
		if path == PathTraces {
			ct = ContentTypeOTLP
		}
		return fn(Request{Path: path, ContentType: ct, Body: body, Events: events})
	}
	for !b.full() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.advance(ctx, s.cursor+int64(time.Minute/time.Microsecond), b); err != nil {
			return err
		}
	}
	return b.flush(ctx)
}

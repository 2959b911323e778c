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

// eventsPerSession is roughly how many events a session produces; it sets
// the session rate so that a workload covers about the asked time span.
const eventsPerSession = 45

// Workload returns a fixed, deterministic workload of exactly n events
// (logs, spans and browser events) of the shop simulated from start, at a
// session rate that spreads them over about span, as request bodies of
// about 2000 events each, in time order per path.
func Workload(seed int64, n int, start time.Time, span time.Duration) []Request {
	days := max(span.Hours()/24, 1.0/24)
	perDay := max(int(float64(n)/eventsPerSession/days), 1)
	s := New(Config{Seed: seed, Start: start, SessionsPerDay: perDay, Users: max(perDay/2, 100)})
	var reqs []Request
	b := newBatcher(nil, s.cfg.BatchEvents, int64(n))
	b.out = func(_ context.Context, path string, body []byte, events int) error {
		ct := ContentTypeJSONL
		if path == PathTraces {
			ct = ContentTypeOTLP
		}
		reqs = append(reqs, Request{Path: path, ContentType: ct, Body: body, Events: events})
		return nil
	}
	ctx := context.Background()
	for !b.full() {
		// The sink never fails, so neither can advance.
		_ = s.advance(ctx, s.cursor+int64(time.Minute/time.Microsecond), b)
	}
	_ = b.flush(ctx)
	return reqs
}

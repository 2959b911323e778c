// Package sim is a simulated multi-service web shop that feeds Lore realistic,
// deterministic (by seed) traffic through Lore's real HTTP ingest paths. It
// backs `lore demo`, the end-to-end tests and `make bench`.
//
// The shop has a browser (service "web": page views, clicks and Segment-style
// product events) and the backend services api-gateway, auth, catalog, cart,
// inventory, payment-service (which calls the external payment-gateway) and
// email-worker. Every browser action starts a W3C trace that threads through
// the backend, with a server span and a request log per hop and client spans
// for downstream calls. Services log in different real logger dialects (pino,
// zap, winston, zerolog, structlog) so the ingest field mapping is exercised;
// domain fields use Lore's own column names (trace_id, user_id, http_status,
// duration_ms, name, error_type, retry_attempt, ...).
//
// What each JSON line looks like (the ingest mapping must read these):
//
//	web (browser SDK)  kind, timestamp (RFC 3339 ms), level (browser logs), message (browser logs)
//	api-gateway (pino) level 10-60, time (epoch ms), pid, hostname, traceId, spanId, msg
//	auth, cart, inventory (zap) level, ts (float epoch seconds), caller, msg
//	catalog (winston)  level, timestamp (RFC 3339 ms), message
//	payment-service (zerolog) level, time (RFC 3339 ms), message
//	email-worker (structlog) level, timestamp (RFC 3339 µs), event (the message), logger
//
// and everywhere: service, env, release, host (not pino), trace_id and
// span_id (not pino), user_id, anonymous_id, session_id, request_id, name,
// http_method, endpoint, http_status, duration_ms, error_type,
// retry_attempt, plus dotted attribute keys (error.stack, retry.delay_ms,
// db.statement, url.path, utm.source, element.text, ...). Spans use OTel
// semantic conventions: resource service.name, service.version,
// deployment.environment.name, host.name; span http.request.method,
// http.route, http.response.status_code, url.path, enduser.id, session.id,
// error.type, peer.service, server.address; the OTLP span kind is set
// (server, client, internal, consumer), not a span.kind attribute.
//
// Incidents (Throttle, SlowDB, BadRelease) are switched on in Config and
// their ground truth, counted from the events actually emitted, is returned by
// Shop.Truth.
//
// API:
//
//	shop := sim.New(sim.Config{Seed: 1, Start: start, Incidents: []sim.Incident{sim.Throttle{At: t, For: 2 * time.Hour}}})
//	err := shop.Backfill(ctx, from, to, sim.NewHTTPSink(url, key, nil), progress)
//	err = shop.Live(ctx, sink)       // wall-clock speed until ctx ends
//	truth := shop.Truth()
//	reqs := sim.Workload(seed, n, start, span) // pre-encoded bodies for benchmarks
//
// A Shop is not safe for concurrent Backfill/Live calls; Truth may be called
// from any goroutine.
package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// Config configures a Shop. Zero fields take the documented defaults.
type Config struct {
	Seed           int64
	Start          time.Time // first simulated instant; Backfill's from when zero cursor
	Users          int       // size of the registered user base (default 2000)
	SessionsPerDay int       // average sessions a day (default 3000)
	Incidents      []Incident
	// BatchEvents is the number of events per request body (default 2000).
	BatchEvents int
	// CaptureBrowser sends the browser's page views and product events in
	// the browser SDK's wire format (POST /batch/) when the sink is a
	// CaptureSink, as a real shop using sdk/js would; default NDJSON.
	CaptureBrowser bool
	// RecordSessions records the browser's sessions, as Lore's SDK with
	// session recording on would, when the sink is a ReplaySink: every
	// session that hits an error or a payment left pending, and this share
	// (0–1) of the others. The recordings are synthesized rrweb streams of
	// the shop's pages (internal/replay/synth), sent once a session has
	// been quiet for 35 minutes; 0 records none.
	RecordSessions float64
}

// Incident is one of Throttle, SlowDB or BadRelease.
type Incident interface{ incident() }

// Throttle makes the payment gateway answer 429 Too Many Requests to a
// fraction Rate (default 0.6) of calls in [At, At+For). payment-service
// retries after 1m, 5m and 15m and then gives up.
type Throttle struct {
	At   time.Time
	For  time.Duration
	Rate float64
}

// SlowDB makes inventory's database slow in [At, At+For): slow queries from
// At, query timeouts from At+For/6 (cart's calls to inventory fail with
// them), api-gateway timeouts when cart takes longer than 10s from At+For/3,
// and api-gateway's circuit breaker for inventory open in
// [At+For/3+For/12, At+2*For/3).
type SlowDB struct {
	At  time.Time
	For time.Duration
}

// BadRelease deploys Release of Service at At; from then a fraction Rate
// (default 0.15) of the requests Service serves on the route Endpoint fail
// with an error log (name "unhandled_exception", ErrorType, Message and an
// "error.stack" attribute) and status 500. Defaults: catalog, v2.4.0,
// "/api/products/{id}", "TypeError", "TypeError: Cannot read properties of
// undefined (reading 'price')". Routes served: api-gateway /api/products,
// /api/products/{id}, /api/cart, /api/cart/items, /api/checkout,
// /api/checkout/pay, /api/login, /api/signup; catalog /api/products,
// /api/products/{id}; cart /cart, /cart/items, /cart/checkout, /orders;
// inventory /inventory/{sku}, /inventory/reserve; auth /api/login,
// /api/signup; payment-service /payments.
type BadRelease struct {
	At        time.Time
	Service   string
	Release   string
	Endpoint  string
	ErrorType string
	Message   string
	Rate      float64
}

func (Throttle) incident()   {}
func (SlowDB) incident()     {}
func (BadRelease) incident() {}

// Truth is the ground truth of the incidents, counted from emitted events.
type Truth struct {
	Throttle   *ThrottleTruth
	SlowDB     *SlowDBTruth
	BadRelease *BadReleaseTruth
}

// ThrottleTruth describes the payment gateway throttling.
type ThrottleTruth struct {
	From, To          time.Time
	ThrottledAttempts int // payment_gateway_response events with http_status 429
	Transactions      int // payments (traces) with at least one 429
	Retries           int // payment_gateway_retry events in those transactions
	AvgRetries        float64
	Succeeded         int // affected transactions that ended in payment_succeeded
	Failed            int // affected transactions that ended in payment_failed
	SucceededFraction float64
	// Abandoned counts resolved affected transactions whose user never
	// reached Order Completed (failed, or left before the late success).
	Abandoned         int
	AbandonedFraction float64 // Abandoned / (Succeeded+Failed)
}

// SlowDBTruth describes the database slowdown cascade.
type SlowDBTruth struct {
	From, To time.Time
	Onsets   []Onset // in order of first occurrence
}

// Onset is the first emitted sign of trouble in one service.
type Onset struct {
	Service string
	Signal  string // slow_query, query_timeout, upstream_error, upstream_timeout, circuit_breaker_open
	At      time.Time
}

// BadReleaseTruth describes the bad release.
type BadReleaseTruth struct {
	Service, Release, Endpoint, ErrorType string
	ReleasedAt                            time.Time
	FirstSeen                             time.Time // first emitted error; zero if none yet
	Count                                 int       // error logs emitted
}

// Shop is a simulated shop. Create it with New.
type Shop struct {
	cfg Config
	rng *rand.Rand

	throttle   *Throttle
	slowdb     *SlowDB
	badrelease *BadRelease

	users   []*visitor
	cum     []float64 // cumulative user weights
	pending recHeap
	seq     uint64
	cursor  int64 // micros: sessions starting before cursor are generated
	nextOrd int

	recording *recorder // nil unless RecordSessions

	mu    sync.Mutex
	truth truthState
}

// New returns a Shop for cfg.
func New(cfg Config) *Shop {
	if cfg.Users <= 0 {
		cfg.Users = 2000
	}
	if cfg.SessionsPerDay <= 0 {
		cfg.SessionsPerDay = 3000
	}
	if cfg.BatchEvents <= 0 {
		cfg.BatchEvents = 2000
	}
	s := &Shop{cfg: cfg, rng: rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(cfg.Seed)^0x9e3779b97f4a7c15))}
	for _, inc := range cfg.Incidents {
		switch x := inc.(type) {
		case Throttle:
			if x.Rate <= 0 {
				x.Rate = 0.6
			}
			s.throttle = &x
		case SlowDB:
			s.slowdb = &x
		case BadRelease:
			if x.Service == "" {
				x.Service = "catalog"
			}
			if x.Release == "" {
				x.Release = "v2.4.0"
			}
			if x.Endpoint == "" {
				x.Endpoint = "/api/products/{id}"
			}
			if x.ErrorType == "" {
				x.ErrorType = "TypeError"
			}
			if x.Message == "" {
				x.Message = "TypeError: Cannot read properties of undefined (reading 'price')"
			}
			if x.Rate <= 0 {
				x.Rate = 0.15
			}
			s.badrelease = &x
		}
	}
	if cfg.RecordSessions > 0 {
		s.recording = newRecorder(cfg.RecordSessions, cfg.Seed)
	}
	s.initUsers()
	s.truth.txns = map[[16]byte]*txnTruth{}
	if !cfg.Start.IsZero() {
		s.cursor = cfg.Start.UnixMicro()
	}
	return s
}

// Backfill simulates [from, to) as fast as sink accepts, sending events in
// time order in batches. Events of sessions that started before to but
// happen at or after to stay pending for a later Backfill or Live. progress,
// when not nil, is called after every simulated minute with the simulated
// time reached and the number of events sent so far.
func (s *Shop) Backfill(ctx context.Context, from, to time.Time, sink Sink, progress func(simulated time.Time, events int64)) error {
	if s.cursor == 0 || s.cursor < from.UnixMicro() {
		s.cursor = from.UnixMicro()
	}
	b := newBatcher(sink, s.cfg.BatchEvents, 0)
	if s.cfg.CaptureBrowser {
		b.captureVia(sink)
	}
	b.replayVia(sink)
	end := to.UnixMicro()
	for s.cursor < end {
		if err := ctx.Err(); err != nil {
			return err
		}
		step := min(s.cursor+int64(time.Minute/time.Microsecond), end)
		if err := s.advance(ctx, step, b); err != nil {
			return err
		}
		if progress != nil {
			progress(time.UnixMicro(s.cursor).UTC(), b.sent)
		}
	}
	return b.flush(ctx)
}

// Live keeps simulating at wall-clock speed, events timestamped now, sending
// what happened every second, until ctx ends. It returns nil when ctx ends.
func (s *Shop) Live(ctx context.Context, sink Sink) error {
	b := newBatcher(sink, s.cfg.BatchEvents, 0)
	if s.cfg.CaptureBrowser {
		b.captureVia(sink)
	}
	b.replayVia(sink)
	now := time.Now().UnixMicro()
	if s.cursor < now-int64(time.Minute/time.Microsecond) {
		s.cursor = now - int64(time.Second/time.Microsecond)
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case t := <-tick.C:
			if err := s.advance(ctx, t.UnixMicro(), b); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("simulate live traffic: %w", err)
			}
			if err := b.flush(ctx); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("send live traffic: %w", err)
			}
		}
	}
}

// advance generates the sessions starting in [cursor, to) and emits every
// pending event before to.
func (s *Shop) advance(ctx context.Context, to int64, b *batcher) error {
	if to <= s.cursor {
		return nil
	}
	s.generate(s.cursor, to)
	s.cursor = to
	for len(s.pending) > 0 && s.pending[0].ev.TS < to {
		r := s.pending.pop()
		s.observe(r)
		if s.recording != nil {
			s.recording.see(r)
		}
		if err := b.add(ctx, r); err != nil {
			return err
		}
		if b.full() {
			return nil
		}
	}
	return s.sendRecordings(ctx, b, to)
}

// Package server is Lore's HTTP surface: routing, authentication, limits and
// thin handlers that decode a request, call an ingest decoder, the pipeline,
// the store or an analysis query object, and render the result. Every
// handler returns data or a typed *Error; one wrapper writes JSON and picks
// the status.
package server

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lore-dev/lore/internal/analysis/resolve"
	"github.com/lore-dev/lore/internal/auth"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/ingest"
	"github.com/lore-dev/lore/internal/ingest/dedup"
	"github.com/lore-dev/lore/internal/lifecycle"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/metrics"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/web"
)

// Authenticator resolves an API key to its project and role.
type Authenticator interface {
	Authenticate(ctx context.Context, key string) (meta.Principal, error)
}

// Limits bound what one request may cost.
type Limits struct {
	MaxBodyBytes int64 // compressed and decompressed body size (413 beyond)
	MaxLines     int   // lines (events) per ingest request (413 beyond)
	MaxInflight  int   // ingest requests decoded at once; more wait up to InflightWait, then 503
	InflightWait time.Duration
	QueryTimeout time.Duration // every read request's deadline; its queries are interrupted at it
	// PreauthReadTimeout bounds reading a body before its key is known
	// (PostHog's capture, whose key is in the body).
	PreauthReadTimeout time.Duration
	// Event bounds each event, whatever its protocol (clamped and flagged).
	Event             ingest.EventLimits
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	DedupWindow       int // record ids remembered to refuse a retry's duplicates (0: none)
}

// DefaultLimits are the limits `lore serve` uses unless told otherwise.
func DefaultLimits() Limits {
	return Limits{
		MaxBodyBytes:       16 << 20,
		MaxLines:           100_000,
		MaxInflight:        8,
		InflightWait:       2 * time.Second,
		ReadHeaderTimeout:  10 * time.Second,
		ReadTimeout:        60 * time.Second,
		WriteTimeout:       120 * time.Second,
		IdleTimeout:        120 * time.Second,
		DedupWindow:        1 << 20,
		QueryTimeout:       30 * time.Second,
		PreauthReadTimeout: 10 * time.Second,
	}
}

// Deps is what the server is built from; internal/app wires it.
type Deps struct {
	Auth Authenticator
	// Sink takes every decoded request: limits, admission, processing and
	// the durable commit (internal/ingest).
	Sink    *ingest.Sink
	Reader  store.Reader
	Metrics *metrics.Registry
	Log     *slog.Logger
	Limits  Limits
	Ready   func(ctx context.Context) error // nil means always ready
	Now     func() time.Time                // nil means time.Now
	UI      fs.FS                           // the web UI's files; nil serves none

	// Feature services, each nil until its feature is wired (see
	// issues.go, product.go, narrative.go).
	Issues    IssuesService
	Narrative NarrativeService
	// Resolver holds the store roles the product analyses read through
	// and remembers their answers by Key() (internal/analysis/resolve);
	// nil, or one without an Analytics role, serves no product analytics.
	Resolver *resolve.Resolver

	Fields     FieldsService                // fields.go
	Dashboards DashboardsService            // dashboards.go
	Project    ProjectService               // settings.go
	Monitors   MonitorsService              // monitors.go
	Capture    CaptureService               // browser.go: posthog-js's remote configuration
	Replay     ReplayService                // replay.go: session recordings; nil serves none
	SourceMaps SourceMapService             // sourcemaps.go
	Checks     ChecksService                // checks.go
	Channels   ChannelsService              // channels.go
	Lifecycle  LifecycleService             // lifecycle.go: privacy, retention, sampling settings
	Disk       func() *lifecycle.DiskStatus // the disk watermark's status (settings.go); nil: none
	Listeners  func() Listeners             // the protocol listeners' addresses (settings.go); nil: all off
	Backup     Backup                       // lifecycle.go: POST /api/v1/backup; nil serves none
	Erase      Erase                        // lifecycle.go: DELETE /api/v1/persons/{id}; nil serves none
	// DeleteProject deletes a project (people.go: DELETE
	// /api/v1/projects/{id}); nil serves none.
	DeleteProject DeleteProject

	// People and access (access.go, people.go): nil Sessions serves keys
	// only; nil Audit records nothing; nil People serves no login, users,
	// keys or audit routes.
	Sessions Sessions
	Audit    Auditor
	People   PeopleService
	// Login is how sessions are given out (people.go).
	Login LoginOptions
	// SSO is the OpenID Connect provider people may sign in through
	// (sso.go); nil offers passwords and login links only.
	SSO SSO
}

// Server holds the handlers' dependencies and counters.
type Server struct {
	d        Deps
	log      *slog.Logger
	now      func() time.Time
	inflight chan struct{} // slots of authenticated ingest requests
	preauth  chan struct{} // slots of body reads before authentication (PostHog's key is in the body)
	seen     *dedup.Window // ids of stored records, for protocols that give them

	requests *metrics.CounterVec
	// unstored counts the items of a protocol Lore reads but keeps nothing
	// of (Sentry sessions, replays, profiles…), by type; each type is
	// logged the first time it is seen (loggedUnstored).
	unstored       *metrics.CounterVec
	loggedUnstored sync.Map

	tableMu sync.Mutex    // held while routes builds the handler and its table
	table   []RouteInfo   // the routes routes registered, with their actions (access.go)
	logins  *loginLimiter // failed logins per client and per email (people.go)
}

// New builds a server.
func New(d Deps) *Server {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Metrics == nil {
		d.Metrics = metrics.New()
	}
	if d.Limits.MaxInflight <= 0 {
		d.Limits = DefaultLimits()
	}
	s := &Server{d: d, log: d.Log, now: d.Now, inflight: make(chan struct{}, d.Limits.MaxInflight),
		preauth: make(chan struct{}, d.Limits.MaxInflight), seen: dedup.New(d.Limits.DedupWindow)}
	s.requests = d.Metrics.Counter("lore_http_requests_total", "HTTP requests by route and status class.", "route", "code")
	s.logins = newLoginLimiter(d.Now)
	s.unstored = d.Metrics.Counter("lore_ingest_items_unstored_total", "Items received but not stored (Sentry sessions, replays, profiles, check-ins; posthog-js recordings), by protocol and type.", "protocol", "type")
	return s
}

// Handler returns the routed handler.
func (s *Server) Handler() http.Handler {
	h, _ := s.routes()
	return h
}

// Routes lists the patterns of every route the handler serves, in the
// order they are registered ("GET /api/v1/search", "/api/", …), so that a
// test can walk them all, routes added later included.
func (s *Server) Routes() []string {
	_, m := s.routes()
	return slices.Clone(*m.patterns)
}

// routes builds the handler and the mux that records its patterns.
func (s *Server) routes() (http.Handler, *routeMux) {
	s.tableMu.Lock()
	defer s.tableMu.Unlock()
	s.table = nil
	mux := newRouteMux()
	b := &browserMux{s: s, mux: mux, preflights: map[string]bool{}}
	// Every ingest route answers browsers too (browser.go).
	// Browser keys may use them too, from the project's allowed origins.
	ingest := route(func(pattern string, h handlerFunc) {
		s.addRoute(pattern, auth.BrowserIngest)
		b.handle(pattern, s.instrument(pattern, s.wrap(s.requireRole(meta.RoleIngest, s.limitInflight(pattern, h)))))
	})
	// Every project API route goes through the access policy (access.go):
	// GET reads, other methods write, adminRoutes need an admin.
	read := route(func(pattern string, h handlerFunc) {
		a := actionFor(pattern)
		s.addRoute(pattern, a)
		mux.Handle(pattern, s.instrument(pattern, s.wrap(s.access(pattern, a, s.deadline(h)))))
	})
	ingest("POST /api/v1/ingest", s.handleIngest)
	ingest("POST /v1/logs", s.handleOTLPLogs)
	ingest("POST /v1/traces", s.handleOTLPTraces)
	es := s.elasticRoutes(mux)
	s.lokiRoutes(mux)

	read("GET /api/v1/search", s.handleSearch)
	read("GET /api/v1/query", s.handleQuery)
	read("POST /api/v1/sql", s.handleSQL)
	read("GET /api/v1/histogram", s.handleHistogram)
	read("GET /api/v1/facets", s.handleFacets)
	read("GET /api/v1/latency", s.handleLatency)
	read("GET /api/v1/journeys/{by}/{id}", s.handleJourney)
	s.issueRoutes(mux, ingest, read)
	s.productRoutes(b, read)
	s.sourceMapRoutes(read)
	s.narrativeRoutes(mux, ingest, read)
	s.fieldsRoutes(mux, ingest, read)
	s.monitorRoutes(mux, ingest, read)
	s.checkRoutes(mux, ingest, read)
	s.channelRoutes(mux, ingest, read)
	s.replayRoutes(b, read)
	s.peopleRoutes(mux)
	s.lifecycleRoutes(mux, read)

	// Sentry's envelope and store (issues.go) and session replay's upload
	// (replay.go) check their ingest keys themselves.
	s.addRoute("/api/", auth.Ingest)
	s.addRoute("POST /api/v1/replay", auth.Ingest)
	for _, p := range []string{"GET /healthz", "GET /readyz", "GET /metrics", "/"} {
		s.addRoute(p, auth.Public)
	}
	mux.Handle("GET /healthz", s.wrap(s.handleHealth))
	mux.Handle("GET /readyz", s.wrap(s.handleReady))
	mux.Handle("GET /metrics", http.HandlerFunc(s.handleMetrics))
	mux.Handle("/api/v1/", s.instrument(routeUnmatched, s.notFound("no API route")))
	ui := s.instrument(routeUnmatched, s.notFound("no route"))
	if s.d.UI != nil {
		ui = s.instrumentFallback("/", uiHeaders(s.d.UI, web.Handler(s.d.UI)))
	}
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isElasticRequest(r) {
			es.ServeHTTP(w, r)
			return
		}
		ui.ServeHTTP(w, r)
	}))
	return withHeaders(mux), mux
}

// routeMux is an http.ServeMux that records the patterns registered on it
// and on the muxes made with sub (for Routes).
type routeMux struct {
	*http.ServeMux
	patterns *[]string
}

func newRouteMux() *routeMux { return &routeMux{ServeMux: http.NewServeMux(), patterns: new([]string)} }

// sub is a mux of its own whose patterns are recorded with m's.
func (m *routeMux) sub() *routeMux {
	return &routeMux{ServeMux: http.NewServeMux(), patterns: m.patterns}
}

// Handle registers h for pattern and records the pattern.
func (m *routeMux) Handle(pattern string, h http.Handler) {
	*m.patterns = append(*m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

// HandleFunc registers f for pattern and records the pattern.
func (m *routeMux) HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(f))
}

// routeUnmatched labels the requests no route matched in
// lore_http_requests_total (never the raw path, which would let anyone
// grow the metric without bound).
const routeUnmatched = "unmatched"

// notFound answers a request no route matched.
func (s *Server) notFound(msg string) http.Handler {
	return s.wrap(func(w http.ResponseWriter, r *http.Request) (any, error) {
		return nil, errs.New(errs.NotFound, "%s %s %s", msg, r.Method, r.URL.Path)
	})
}

// route registers a handler behind authentication for one role: ingest
// routes also pass the in-flight limit. Feature route groups receive one
// for each role.
type route func(pattern string, h handlerFunc)

// HTTPServer returns an *http.Server with the configured timeouts.
func (s *Server) HTTPServer(addr string) *http.Server {
	l := s.d.Limits
	return &http.Server{
		Addr:              addr,
		Handler:           s.Handler(),
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

type principalKey struct{}

func principal(r *http.Request) meta.Principal {
	p, _ := r.Context().Value(principalKey{}).(meta.Principal)
	return p
}

// bearer finds the key: "Authorization: Bearer KEY", basic auth with the
// key as password (shippers' user/password settings) or as user name with
// no password (Segment's write key), or "ApiKey KEY" (Elasticsearch's).
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if k, ok := strings.CutPrefix(h, "Bearer "); ok {
		return strings.TrimSpace(k)
	}
	if u, p, ok := r.BasicAuth(); ok {
		if p != "" {
			return p
		}
		return u
	}
	if k, ok := apiKey(h); ok {
		return k
	}
	return r.Header.Get("X-Lore-Key")
}

func (s *Server) requireRole(role meta.Role, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) (any, error) {
		p, err := s.authenticate(r.Context(), bearer(r), role, "missing API key: send \"Authorization: Bearer KEY\"")
		if err != nil {
			return nil, err
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

// authenticate resolves a key, found wherever its protocol puts it, to a
// principal with the role: every ingest and read path goes through here.
// missing is the message for an absent key, saying where to send it.
func (s *Server) authenticate(ctx context.Context, key string, role meta.Role, missing string) (meta.Principal, error) {
	if key == "" {
		return meta.Principal{}, errs.New(errs.Unauthorized, "%s", missing)
	}
	p, err := s.d.Auth.Authenticate(ctx, key)
	if errors.Is(err, meta.ErrUnknownKey) {
		return meta.Principal{}, errs.New(errs.Unauthorized, "unknown API key")
	}
	if err != nil {
		return meta.Principal{}, err
	}
	a := auth.Read
	if role == meta.RoleIngest {
		a = auth.Ingest
		if _, ok := ctx.Value(browserOrigin{}).(string); ok {
			a = auth.BrowserIngest // a browser endpoint's (browser.go)
		}
	}
	if !auth.Allow(p, a) {
		return meta.Principal{}, errs.New(errs.Forbidden, "%s", auth.Denied(p.Role, a))
	}
	if p.Role == meta.RoleBrowser {
		if err := s.checkBrowserKey(ctx, p); err != nil {
			return meta.Principal{}, err
		}
	}
	return p, nil
}

// limitInflight bounds the ingest requests being decoded at once, so a flood
// of large bodies cannot exhaust memory: past the bound a request waits a
// little, then gets 503 with Retry-After. Only authenticated requests take
// a slot (the route authenticates first), so clients without a key cannot
// hold them; route is the metrics label (a route pattern, never the path).
func (s *Server) limitInflight(route string, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) (any, error) {
		release, err := s.acquire(r, s.inflight, route)
		if err != nil {
			return nil, err
		}
		defer release()
		return h(w, r)
	}
}

// acquire takes a slot of pool, waiting up to InflightWait.
func (s *Server) acquire(r *http.Request, pool chan struct{}, route string) (release func(), err error) {
	t := time.NewTimer(s.d.Limits.InflightWait)
	defer t.Stop()
	select {
	case pool <- struct{}{}:
		return func() { <-pool }, nil
	case <-t.C:
		s.d.Sink.Reject(route, "busy", 1)
		return nil, &errs.Error{Kind: errs.Unavailable, Msg: "server busy: too many ingest requests in flight", RetryAfter: 1}
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
}

// limitBodyKeyed bounds the requests of protocols whose key may travel in
// the body (PostHog's api_key or token, Segment's writeKey), which must be
// read before the key is known. A request with its key in a header is
// authenticated first and takes an ingest slot like any other. One without
// takes a slot of a pool of its own, so that clients without a key never
// hold the slots of authenticated ingest, and must send its body within
// PreauthReadTimeout, so that a trickling body cannot hold its slot either.
// The handler authenticates the request itself.
func (s *Server) limitBodyKeyed(route string, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) (any, error) {
		if key := bearer(r); key != "" {
			if _, err := s.authenticate(r.Context(), key, meta.RoleIngest, ""); err == nil {
				return s.limitInflight(route, h)(w, r)
			}
		}
		release, err := s.acquire(r, s.preauth, route)
		if err != nil {
			return nil, err
		}
		defer release()
		if t := s.d.Limits.PreauthReadTimeout; t > 0 {
			if err := http.NewResponseController(w).SetReadDeadline(time.Now().Add(t)); err != nil {
				s.log.Warn("cannot set a read deadline", "err", err)
			}
		}
		return h(w, r)
	}
}

// deadline runs a read request under the query timeout: when it passes, or
// when the client goes away, the request's context ends, and with it every
// query it runs (the store interrupts the engine).
func (s *Server) deadline(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) (any, error) {
		if s.d.Limits.QueryTimeout <= 0 {
			return h(w, r)
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.d.Limits.QueryTimeout)
		defer cancel()
		return h(w, r.WithContext(ctx))
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(c int) { r.status = c; r.ResponseWriter.WriteHeader(c) }

// Unwrap lets http.ResponseController reach the connection (read
// deadlines, flushing).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *Server) instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		h.ServeHTTP(rec, r)
		s.requests.Add(1, route, string(rune('0'+rec.status/100))+"xx")
	})
}

// instrumentFallback counts a catch-all route's requests under route, and
// those it answers 404 (a path nothing serves) as unmatched.
func (s *Server) instrumentFallback(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		h.ServeHTTP(rec, r)
		label := route
		if rec.status == http.StatusNotFound {
			label = routeUnmatched
		}
		s.requests.Add(1, label, string(rune('0'+rec.status/100))+"xx")
	})
}

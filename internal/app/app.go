// Package app wires one Lore server together — metadata, the events store,
// the durable ingest pipeline and the HTTP server — and owns their start and
// graceful shutdown. Nothing here is global: tests start several Apps in one
// process.
package app

import (
	"cmp"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"github.com/lore-dev/lore/internal/analysis/resolve"
	"github.com/lore-dev/lore/internal/auth/sso"
	"github.com/lore-dev/lore/internal/fields"
	"github.com/lore-dev/lore/internal/ingest"
	"github.com/lore-dev/lore/internal/lifecycle"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/metrics"
	"github.com/lore-dev/lore/internal/patterns"
	"github.com/lore-dev/lore/internal/pipeline"
	"github.com/lore-dev/lore/internal/replay"
	"github.com/lore-dev/lore/internal/server"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/duckdb"
)

// Config is what `lore serve` takes from flags and the environment.
type Config struct {
	DataDir string
	// Meta is where the metadata lives: a PostgreSQL URL
	// (postgres://user:password@host:port/db), for several nodes; empty
	// is the SQLite file DataDir/meta.db.
	Meta string
	// NodeID names this process among the nodes sharing a PostgreSQL
	// metadata database, as the holder of the leases of the work that
	// runs once across them (nodes.go); empty: hostname-pid. On a
	// ClickHouse events store it also names the node's batches there (the
	// store's writer), so it must stay with the node's DataDir; empty:
	// the default writer, of one node.
	NodeID string
	// LeaseTTL is how long a node's lease outlives its last renewal: when
	// a node dies, another takes its scheduled work within it; 0: 20s.
	LeaseTTL time.Duration
	// storiesEvery is how often the story cache looks for windows to
	// refresh (tests; 0: a minute, as windows move by the minute).
	storiesEvery time.Duration
	Addr         string // ":4780"; ":0" picks a free port
	IngestKey    string // pinned keys for scripts; empty ones are generated on first start
	ReadKey      string
	// AdminKey is a pinned key with the admin scope for project 1, for
	// scripts and tests (lore serve --admin-key); none by default.
	AdminKey string
	// AdminEmail and AdminPassword make the first admin on the first start
	// (when no user exists): default admin@localhost, and a one-time login
	// link instead of a password (FirstLogin).
	AdminEmail, AdminPassword string
	// Login is how browser sessions are given out.
	Login server.LoginOptions
	// OIDC, when set, lets people sign in through an OpenID Connect
	// provider (lore serve --oidc-issuer …).
	OIDC *sso.Config
	// TLSCert and TLSKey are PEM files: when both are set Lore serves
	// HTTPS (and HTTP/2) on Addr, and session cookies are Secure.
	TLSCert, TLSKey string
	Log             *slog.Logger
	Limits          server.Limits
	Pipeline        pipeline.Options // Dir defaults to DataDir/wal
	// StoreURL is where the events live: clickhouse://HOST:8123/DB for a
	// ClickHouse database (engine.go); empty is the embedded DuckDB
	// store in DataDir/events, configured by Store.
	StoreURL  string
	Store     duckdb.Options
	UI        fs.FS
	DebugAddr string // when set, Go's profiler is served there (never on the main port)
	// HeapLimit is a soft limit for the Go heap (runtime/debug.SetMemoryLimit),
	// set unless the GOMEMLIMIT environment variable is; 0 leaves it alone.
	HeapLimit int64
	// AllowPrivateWebhooks lets webhooks, channels and uptime checks reach
	// loopback, private and link-local addresses (lore serve
	// --allow-private-webhooks). Without it webhooks and channels reach
	// public addresses only, and checks public, loopback and private ones.
	AllowPrivateWebhooks bool
	// PublicURL is Lore's address as people reach it, for the links in
	// notifications; default http://localhost:PORT.
	PublicURL string
	// OutboundRootCAs replaces the system's roots for webhooks, channels
	// and checks over TLS (tests trust their own CA); nil: the system's.
	OutboundRootCAs *x509.CertPool
	// NoListen opens everything but binds no address and runs nothing in
	// the background for readers (no monitor evaluation, no stories kept
	// fresh): lore ingest --data, whose events go through Local.Submit.
	NoListen bool
	// Listeners are the protocol servers on their own addresses
	// (OTLP/gRPC, syslog, Fluent forward); see listeners.go.
	Listeners Listeners
	// ShutdownTimeout is how long a stop waits for the requests in flight
	// before it closes their connections; 0: DefaultShutdownTimeout. The
	// load of what was acknowledged that follows has no deadline while
	// the store takes it (pipeline.Options.CloseStall).
	ShutdownTimeout time.Duration
	// Replay configures session recordings: limits, sealing, retention
	// (replay.go).
	Replay replay.Options
	// Retention: how often and with what deadline the events' retention
	// runs (lifecycle.go); the zero value is hourly, 10 minutes.
	Retention lifecycle.RetentionConfig
	// Watermark: the data directory's cap and the free-disk floor under
	// which the oldest days are dropped (lifecycle.go); the zero value
	// is off (lore serve keeps 2% of the disk free by default).
	Watermark lifecycle.WatermarkConfig
}

// App is a running Lore server.
type App struct {
	cfg  Config
	log  *slog.Logger
	meta *meta.Store
	// engine is the events store every analysis reads through; store is
	// the same store when it is the embedded DuckDB one, nil otherwise
	// (engine.go).
	engine store.Engine
	store  *duckdb.Store
	// writerLease is this process's lease on its ClickHouse writer, when
	// the metadata is shared (writer_lease.go); nil otherwise.
	writerLease *writerLease
	pipe        *pipeline.Pipeline
	// retainer enforces the projects' retention (lifecycle.go).
	retainer *lifecycle.Retainer
	// watermark drops the oldest days when the disk fills (lifecycle.go).
	watermark *lifecycle.Watermark
	// replay keeps session recordings in replayBlobs (replay.go).
	replay      *replay.Service
	replayBlobs replay.Blobs
	srv         *server.Server
	http        *http.Server
	ln          net.Listener
	// listeners are the protocol servers beside HTTP (listeners.go).
	listeners []*listener
	// bound are the listeners' addresses once bound (boundListeners).
	bound   server.Listeners
	metrics *metrics.Registry
	// processors run at ingest, in order; features append theirs in
	// their open functions.
	processors [stages][]ingest.Processor
	sink       *ingest.Sink // every ingest path writes through it
	// patterns is the log pattern miner (openNarrative), which the issue
	// tracker asks for the pattern of an error without a stack.
	patterns *patterns.Processor
	// catalogue is the field catalogue kept at ingest (openFields); nil
	// on a store without it.
	catalogue *fields.Catalogue
	// ownErasures holds the ids of the erasures this process recorded
	// (erasures.go), which its watch does not apply again.
	ownErasures sync.Map
	// purging holds the ids of the deleted projects whose events a
	// request is deleting now: the background purge leaves them to it
	// (projects.go).
	purging sync.Map
	// purgedMu guards the file of the deleted projects purged here.
	purgedMu sync.Mutex
	// stories keeps the answers of GET /api/v1/stories (openNarrative).
	stories *storyCache
	// resolve holds the store roles the read routes resolve query
	// objects through, and their answers (product.go).
	resolve *resolve.Resolver
	// closers release features' resources on shutdown, before the store
	// closes; features append theirs.
	closers []func(context.Context) error
	// flushers write what features buffer (the field catalogue) to the
	// store; Flush runs them after the pipeline's.
	flushers  []func(context.Context) error
	Bootstrap meta.Bootstrap // keys created on this start, to print once
	// FirstLogin is the first admin, made on this start (nil otherwise).
	FirstLogin *FirstLogin
}

// Open opens the data directory (creating it on first start), replays the
// ingest log into the store and binds the listen address. Serve starts
// answering.
func Open(ctx context.Context, cfg Config) (a *App, err error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.DataDir == "" {
		return nil, errors.New("no data directory: pass --data DIR")
	}
	if cfg.Limits.MaxInflight == 0 {
		cfg.Limits = server.DefaultLimits()
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory %q: %w", cfg.DataDir, err)
	}
	if cfg.HeapLimit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(cfg.HeapLimit)
	}
	a = &App{cfg: cfg, log: cfg.Log}
	opened := a // a is nil after a failed return
	defer func() {
		if err != nil {
			opened.closeAll(context.Background())
		}
	}()
	if a.meta, err = meta.Open(ctx, cmp.Or(cfg.Meta, filepath.Join(cfg.DataDir, "meta.db"))); err != nil {
		return nil, err
	}
	if a.Bootstrap, err = a.meta.EnsureDefaultProject(ctx, cfg.IngestKey, cfg.ReadKey); err != nil {
		return nil, err
	}
	if err := a.ensurePeople(ctx); err != nil {
		return nil, err
	}
	if err := a.openEvents(ctx); err != nil {
		return nil, err
	}
	popts := cfg.Pipeline
	if popts.Dir == "" {
		popts.Dir = filepath.Join(cfg.DataDir, "wal")
	}
	if err := a.openReplayStore(ctx); err != nil {
		return nil, err
	}
	var w store.Writer = a.engine
	if a.writerLease != nil {
		w = leasedWriter{w, a.writerLease}
	}
	if a.pipe, err = pipeline.Open(ctx, popts, a.replay.Writer(storedWriter{w, a.resolver()}), cfg.Log); err != nil { // it names its component
		return nil, err
	}
	reg := metrics.New()
	a.registerMetrics(reg)
	deps := server.Deps{
		Auth:     a.meta,
		Sessions: a.meta,
		Audit:    a.meta,
		People:   a.meta,
		Login:    cfg.Login,
		Reader:   a.reader(),
		Metrics:  reg,
		Log:      cfg.Log,
		Limits:   cfg.Limits,
		UI:       cfg.UI,
		Ready:    a.ready,
	}
	a.metrics = reg
	for _, open := range []func(context.Context, *server.Deps) error{a.openLifecycle, a.openBrowser, a.openNarrative, a.openIssues, a.openProduct, a.openFields, a.openMonitors, a.openReplay} {
		if err := open(ctx, &deps); err != nil {
			return nil, err
		}
	}
	if err := a.openSSO(&deps); err != nil {
		return nil, err
	}
	a.openSink()
	deps.Sink = a.sink
	deps.DeleteProject = a.DeleteProject
	deps.Listeners = a.boundListeners
	a.watchDeletedProjects(ctx) // deletions whose events are still to be deleted (projects.go)
	a.srv = server.New(deps)
	if cfg.NoListen {
		return a, nil
	}
	addr := cfg.Addr
	if addr == "" {
		addr = ":4780"
	}
	if a.ln, err = net.Listen("tcp", addr); err != nil {
		return nil, fmt.Errorf("listen on %q: %w", addr, err)
	}
	a.http = a.srv.HTTPServer(addr)
	if err := a.configureTLS(); err != nil {
		return nil, err
	}
	if err := a.openListeners(); err != nil {
		return nil, err
	}
	return a, nil
}

// Flush waits until every event acknowledged before the call is in the
// store, then writes what the features buffer (the field catalogue).
func (a *App) Flush(ctx context.Context) error {
	if err := a.pipe.Flush(ctx); err != nil {
		return err
	}
	for _, f := range a.flushers {
		if err := f(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Addr is the address the server listens on (useful with ":0").
func (a *App) Addr() string { return a.ln.Addr().String() }

// URL is the base URL of the server on loopback.
func (a *App) URL() string {
	_, port, _ := net.SplitHostPort(a.Addr())
	if a.cfg.TLSCert != "" {
		return "https://127.0.0.1:" + port
	}
	return "http://127.0.0.1:" + port
}

// Routes lists the HTTP server's route patterns (server.Server.Routes).
func (a *App) Routes() []string { return a.srv.Routes() }

// Pipeline exposes the ingest pipeline (for `lore ingest --data` and tests).
func (a *App) Pipeline() *pipeline.Pipeline { return a.pipe }

// DefaultShutdownTimeout is how long a stop waits for the requests in
// flight by default (Config.ShutdownTimeout).
const DefaultShutdownTimeout = 30 * time.Second

// Serve answers requests until ctx is done, then shuts down gracefully: it
// stops accepting, lets in-flight requests finish (for up to
// Config.ShutdownTimeout, then closes their connections unanswered), loads
// everything acknowledged into the store and closes it. It returns nil
// after such a stop; an error when serving failed, or when something
// acknowledged could not be stored (it stays in the WAL for the next
// start) or a store could not close.
func (a *App) Serve(ctx context.Context) error {
	errc := make(chan error, 1+len(a.listeners))
	go func() {
		if a.http.TLSConfig != nil {
			errc <- a.http.ServeTLS(a.ln, "", "") // HTTP/2 and HTTP/1.1
			return
		}
		errc <- a.http.Serve(a.ln)
	}()
	stopListeners := a.serveListeners(errc)
	if a.cfg.DebugAddr != "" {
		dbg := &http.Server{Addr: a.cfg.DebugAddr, Handler: debugHandler(), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := dbg.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				a.log.Warn("debug server", "err", err)
			}
		}()
		defer dbg.Close()
	}
	a.log.Info("lore is listening", "addr", a.Addr(), "data", a.cfg.DataDir)
	var serveErr error
	select {
	case <-ctx.Done():
		a.log.Info("lore is stopping: no new connections; finishing the requests in flight, then storing everything acknowledged")
	case serveErr = <-errc:
		a.log.Error("lore is stopping: serving failed", "err", serveErr)
	}
	a.drain(stopListeners)
	// Loading the backlog has no deadline of its own: the pipeline gives
	// up only when the store stops taking batches (pipeline.Options.
	// CloseStall). A stop cut short by a deadline while the store works
	// would exit as a failure although nothing failed.
	err := a.closeAll(context.Background())
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(fmt.Errorf("serve: %w", serveErr), err)
	}
	return err
}

// drain stops the listeners and the HTTP server: nothing new is accepted,
// and the requests in flight finish, for up to Config.ShutdownTimeout;
// the connections of those still running then are closed unanswered (what
// they sent was not acknowledged).
func (a *App) drain(stopListeners func(context.Context)) {
	timeout := cmp.Or(a.cfg.ShutdownTimeout, DefaultShutdownTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { stopListeners(ctx) })
	if err := a.http.Shutdown(ctx); err != nil {
		a.log.Warn("requests still in flight at the shutdown timeout: their connections are closed unanswered", "timeout", timeout, "err", err)
		a.http.Close()
	}
	wg.Wait()
}

// closersTimeout bounds the features' closers (closeAll): they stop
// background loops and write what they buffer, which takes moments.
const closersTimeout = time.Minute

// closeAll closes what Open opened, in order: the features (their loops
// stop, their buffers are written), the pipeline (everything logged is
// loaded), the stores. ctx bounds the pipeline's load, which otherwise
// lasts while the store takes batches.
func (a *App) closeAll(ctx context.Context) error {
	var errs []error
	if a.ln != nil && a.http == nil {
		a.ln.Close()
	}
	a.closeListeners()
	cctx, cancel := context.WithTimeout(ctx, closersTimeout)
	defer cancel()
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](cctx); err != nil {
			errs = append(errs, err)
		}
	}
	a.closers = nil
	if a.pipe != nil {
		if err := a.pipe.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("close pipeline: %w", err))
		}
		a.pipe = nil
	}
	if a.replayBlobs != nil {
		if err := a.replayBlobs.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close replay store: %w", err))
		}
		a.replayBlobs = nil
	}
	if a.engine != nil {
		if err := a.engine.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close store: %w", err))
		}
		a.engine, a.store = nil, nil
	}
	if a.writerLease != nil {
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := a.writerLease.release(lctx)
		cancel()
		if err != nil {
			a.log.Warn("release the writer's lease: a node started under the same id waits for it to expire", "err", err)
		}
		a.writerLease = nil
	}
	if a.meta != nil {
		if err := a.meta.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close metadata: %w", err))
		}
		a.meta = nil
	}
	a.log.Info("lore stopped", "data", a.cfg.DataDir)
	return errors.Join(errs...)
}

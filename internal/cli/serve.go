package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/auth/sso"
	"github.com/lore-dev/lore/internal/pipeline"
	"github.com/lore-dev/lore/internal/replay"
	"github.com/lore-dev/lore/internal/server"
	"github.com/lore-dev/lore/internal/store/duckdb"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/internal/lifecycle"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/web"
)

type serveFlags struct {
	data, addr, ingestKey, readKey, logLevel string
	meta, nodeID, storeURL                   string
	maxBodyMiB, maxPendingMiB, maxLines      int
	heapMiB, storeThreads                    int
	memoryLimit, debugAddr                   string
	otlpGRPCAddr                             string
	syslogAddrs                              listFlag
	syslogKey                                string
	forwardAddrs                             listFlag
	forwardKey                               string
	fs                                       *flag.FlagSet
	allowPrivateWebhooks                     bool
	publicURL                                string
	queryTimeout, shutdownTimeout            time.Duration
	leaseTTL                                 time.Duration
	adminKey, adminEmail, adminPassword      string
	allowHTTPLogin                           bool
	sessionTTL                               time.Duration
	tlsCert, tlsKey                          string
	replayRetention                          time.Duration
	watermark                                lifecycle.WatermarkConfig
	archive                                  archiveFlags
	oidc                                     oidcFlags
}

// oidcFlags configure signing in through an OpenID Connect provider.
type oidcFlags struct {
	issuer, clientID, clientSecret, redirectURL, name string
	allowedDomains, roleClaim, roles                  string
	project                                           int64
	skipEmailVerified                                 bool
}

func (o *oidcFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.issuer, "oidc-issuer", env("LORE_OIDC_ISSUER", ""), "sign people in through this OpenID Connect provider (its issuer URL; discovery at /.well-known/openid-configuration); off when empty (env LORE_OIDC_ISSUER)")
	fs.StringVar(&o.clientID, "oidc-client-id", env("LORE_OIDC_CLIENT_ID", ""), "Lore's client id at the provider (env LORE_OIDC_CLIENT_ID)")
	fs.StringVar(&o.clientSecret, "oidc-client-secret", env("LORE_OIDC_CLIENT_SECRET", ""), "Lore's client secret at the provider; prefer the env LORE_OIDC_CLIENT_SECRET (flags show in ps)")
	fs.StringVar(&o.redirectURL, "oidc-redirect-url", env("LORE_OIDC_REDIRECT_URL", ""), "the callback registered at the provider (default --public-url + /api/v1/auth/oidc/callback, else made from the request's host) (env LORE_OIDC_REDIRECT_URL)")
	fs.StringVar(&o.name, "oidc-name", env("LORE_OIDC_NAME", "SSO"), "the provider's name on the login page's \"Sign in with …\" button (env LORE_OIDC_NAME)")
	fs.StringVar(&o.allowedDomains, "oidc-allowed-domains", env("LORE_OIDC_ALLOWED_DOMAINS", ""), "comma-separated email domains whose people become users on their first sign-in (\"*\": any verified email); empty: only existing users, matched by email (env LORE_OIDC_ALLOWED_DOMAINS)")
	fs.StringVar(&o.roleClaim, "oidc-role-claim", env("LORE_OIDC_ROLE_CLAIM", ""), "ID token claim (a string or list, e.g. groups) mapped to roles by --oidc-roles (env LORE_OIDC_ROLE_CLAIM)")
	fs.StringVar(&o.roles, "oidc-roles", env("LORE_OIDC_ROLES", ""), "VALUE=ROLE,… : a --oidc-role-claim value and the role (viewer, member, admin) it gives in --oidc-project, set on every sign-in (env LORE_OIDC_ROLES)")
	fs.Int64Var(&o.project, "oidc-project", int64(envInt("LORE_OIDC_PROJECT", 1)), "the project new users join (as viewers unless --oidc-roles says otherwise) (env LORE_OIDC_PROJECT)")
	fs.BoolVar(&o.skipEmailVerified, "oidc-skip-email-verified", env("LORE_OIDC_SKIP_EMAIL_VERIFIED", "") == "1", "accept ID tokens without email_verified: true (only for a provider that never sends it and verifies emails itself)")
}

// config is the provider's configuration; nil when no issuer is given.
func (o *oidcFlags) config() (*sso.Config, error) {
	if o.issuer == "" {
		return nil, nil
	}
	c := &sso.Config{Issuer: o.issuer, ClientID: o.clientID, ClientSecret: o.clientSecret, RedirectURL: o.redirectURL,
		Name: o.name, RoleClaim: o.roleClaim, Project: o.project, SkipEmailVerified: o.skipEmailVerified}
	for _, d := range strings.Split(o.allowedDomains, ",") {
		if d = strings.TrimSpace(d); d != "" {
			c.AllowedDomains = append(c.AllowedDomains, d)
		}
	}
	for _, kv := range strings.Split(o.roles, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		v, role, ok := strings.Cut(kv, "=")
		r, err := meta.ParseMemberRole(strings.TrimSpace(role))
		if !ok || v == "" || err != nil {
			return nil, fmt.Errorf("--oidc-roles %q: want VALUE=ROLE with ROLE viewer, member or admin", kv)
		}
		if c.RoleMap == nil {
			c.RoleMap = map[string]meta.Role{}
		}
		c.RoleMap[strings.TrimSpace(v)] = r
	}
	if len(c.RoleMap) > 0 && c.RoleClaim == "" {
		return nil, fmt.Errorf("--oidc-roles needs --oidc-role-claim (the claim whose values it maps)")
	}
	return c, nil
}

func (f *serveFlags) register(fs *flag.FlagSet, defaultData string) {
	fs.StringVar(&f.data, "data", env("LORE_DATA", defaultData), "data directory (env LORE_DATA)")
	fs.StringVar(&f.meta, "meta", env("LORE_META", ""), metaUsage)
	fs.StringVar(&f.nodeID, "node-id", env("LORE_NODE_ID", ""), "this node's name among the nodes sharing a --meta PostgreSQL database, holding the leases of the work that runs once across them, and its writer name in a --store ClickHouse database shared with other nodes (keep it with --data); default hostname-pid, and the default writer (env LORE_NODE_ID)")
	fs.DurationVar(&f.leaseTTL, "lease-ttl", envDuration("LORE_LEASE_TTL", 20*time.Second), "with a --meta PostgreSQL database: how long a node's leases (its scheduled work, its ClickHouse writer) outlive its last renewal, renewed every third of it; a node that dies is replaced within it (env LORE_LEASE_TTL)")
	fs.StringVar(&f.storeURL, "store", env("LORE_STORE", ""), "events store: a ClickHouse database clickhouse://[user:password@]HOST:8123/DB (docs/scaling.md); empty is the embedded DuckDB store in DATA/events (env LORE_STORE)")
	fs.StringVar(&f.addr, "addr", env("LORE_ADDR", ":4780"), "listen address (env LORE_ADDR)")
	fs.StringVar(&f.ingestKey, "ingest-key", env("LORE_INGEST_KEY", ""), "use this ingest key for project 1 instead of a generated one (env LORE_INGEST_KEY)")
	fs.StringVar(&f.readKey, "read-key", env("LORE_READ_KEY", ""), "use this read key for project 1 instead of a generated one (env LORE_READ_KEY)")
	fs.StringVar(&f.adminKey, "admin-key", env("LORE_ADMIN_KEY", ""), "also accept this key for project 1 with the admin scope, for scripts; none by default (env LORE_ADMIN_KEY)")
	fs.StringVar(&f.adminEmail, "admin-email", env("LORE_ADMIN_EMAIL", "admin@localhost"), "the first admin's email, made on the first start (env LORE_ADMIN_EMAIL)")
	fs.StringVar(&f.adminPassword, "admin-password", env("LORE_ADMIN_PASSWORD", ""), "the first admin's password (at least 10 characters); without it the first start prints a one-time login link (env LORE_ADMIN_PASSWORD)")
	fs.BoolVar(&f.allowHTTPLogin, "allow-http-login", false, "let browsers sign in over plain HTTP from other machines (their session cookies then cross the network in clear); by default signing in needs TLS or loopback")
	fs.StringVar(&f.tlsCert, "tls-cert", env("LORE_TLS_CERT", ""), "serve HTTPS (and HTTP/2) with this PEM certificate (with --tls-key; env LORE_TLS_CERT)")
	fs.StringVar(&f.tlsKey, "tls-key", env("LORE_TLS_KEY", ""), "the PEM private key of --tls-cert (env LORE_TLS_KEY)")
	f.oidc.register(fs)
	fs.DurationVar(&f.sessionTTL, "session-ttl", 7*24*time.Hour, "how long a browser stays signed in")
	fs.StringVar(&f.logLevel, "log-level", env("LORE_LOG_LEVEL", "info"), "debug, info, warn or error")
	fs.IntVar(&f.maxBodyMiB, "max-body-mib", envInt("LORE_MAX_BODY_MIB", 16), "largest ingest request body, compressed or not (413 beyond)")
	fs.IntVar(&f.maxLines, "max-lines", envInt("LORE_MAX_LINES", 100_000), "most lines in one ingest request (413 beyond)")
	fs.IntVar(&f.maxPendingMiB, "max-pending-mib", envInt("LORE_MAX_PENDING_MIB", 256), "acknowledged data waiting for the store before ingest answers 429")
	fs.IntVar(&f.heapMiB, "heap-limit-mib", envInt("LORE_HEAP_LIMIT_MIB", 512), "soft limit of Lore's own Go heap (GOMEMLIMIT overrides); with --store-memory it bounds the process at about 1 GiB")
	fs.StringVar(&f.debugAddr, "debug-addr", env("LORE_DEBUG_ADDR", ""), "serve Go's /debug/pprof on this address (e.g. 127.0.0.1:6060); off by default")
	fs.StringVar(&f.otlpGRPCAddr, "otlp-grpc-addr", env("LORE_OTLP_GRPC_ADDR", defaultOTLPGRPCAddr), "OTLP/gRPC listen address, logs and traces, key in the authorization metadata; empty turns it off (env LORE_OTLP_GRPC_ADDR)")
	fs.Var(&f.syslogAddrs, "syslog-addr", "syslog listener (RFC 5424 and 3164, TCP and UDP) at ADDR, or KEY@ADDR to send messages without [lore key=\"…\"] to KEY's project; repeatable (env LORE_SYSLOG_ADDR, comma-separated)")
	fs.StringVar(&f.syslogKey, "syslog-key", env("LORE_SYSLOG_KEY", ""), "ingest key of syslog messages that name none, for --syslog-addr listeners without KEY@ (env LORE_SYSLOG_KEY)")
	if v := env("LORE_SYSLOG_ADDR", ""); v != "" {
		for _, a := range strings.Split(v, ",") {
			f.syslogAddrs.Set(a)
		}
	}
	fs.Var(&f.forwardAddrs, "forward-addr", "Fluent forward listener (Fluentd, Fluent Bit, fluent-logger) at KEY@ADDR, or ADDR with --forward-key; repeatable (env LORE_FORWARD_ADDR, comma-separated)")
	fs.StringVar(&f.forwardKey, "forward-key", env("LORE_FORWARD_KEY", ""), "ingest key of --forward-addr listeners without KEY@ (env LORE_FORWARD_KEY)")
	if v := env("LORE_FORWARD_ADDR", ""); v != "" {
		for _, a := range strings.Split(v, ",") {
			f.forwardAddrs.Set(a)
		}
	}
	f.fs = fs
	fs.BoolVar(&f.allowPrivateWebhooks, "allow-private-webhooks", env("LORE_ALLOW_PRIVATE_WEBHOOKS", "") == "1",
		"let webhooks, notification channels and uptime checks reach loopback, private and link-local addresses (env LORE_ALLOW_PRIVATE_WEBHOOKS=1)")
	fs.StringVar(&f.publicURL, "public-url", env("LORE_PUBLIC_URL", ""), "Lore's address as people reach it, for links in notifications (env LORE_PUBLIC_URL; default http://localhost:PORT)")
	fs.StringVar(&f.memoryLimit, "store-memory", env("LORE_STORE_MEMORY", "256MB"), "memory limit of the embedded DuckDB store")
	fs.IntVar(&f.storeThreads, "store-threads", envInt("LORE_STORE_THREADS", 2), "worker threads of the embedded DuckDB store (env LORE_STORE_THREADS)")
	fs.DurationVar(&f.replayRetention, "replay-retention", envDuration("LORE_REPLAY_RETENTION", 30*24*time.Hour), "session recordings are deleted this long after their last moment (env LORE_REPLAY_RETENTION)")
	f.watermark.MinFreePercent = 2
	if v := env("LORE_MIN_FREE_DISK", ""); v != "" {
		f.watermark.MinFreeBytes, f.watermark.MinFreePercent, _ = lifecycle.ParseFloor(v)
	}
	if v := env("LORE_MAX_DATA_SIZE", ""); v != "" {
		f.watermark.MaxDataBytes, _ = lifecycle.ParseSize(v)
	}
	fs.Func("min-free-disk", "keep this much of the data directory's disk free (5%, 10GB; 0 turns it off), dropping the oldest days of events when it is not (default 2%; env LORE_MIN_FREE_DISK)", func(v string) (err error) {
		f.watermark.MinFreeBytes, f.watermark.MinFreePercent, err = lifecycle.ParseFloor(v)
		return err
	})
	fs.Func("max-data-size", "cap the data directory's size (50GB, 512MiB), dropping the oldest days of events beyond it; none by default (env LORE_MAX_DATA_SIZE)", func(v string) (err error) {
		f.watermark.MaxDataBytes, err = lifecycle.ParseSize(v)
		return err
	})
	f.archive.register(fs)
	fs.DurationVar(&f.queryTimeout, "query-timeout", envDuration("LORE_QUERY_TIMEOUT", 30*time.Second), "deadline of every read request; its queries are interrupted at it (503 beyond)")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", envDuration("LORE_SHUTDOWN_TIMEOUT", app.DefaultShutdownTimeout), "on SIGTERM or SIGINT, how long to wait for the requests in flight before closing their connections unanswered; everything acknowledged is then stored, however long that takes (env LORE_SHUTDOWN_TIMEOUT)")
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(env(name, "")); err == nil {
		return v
	}
	return def
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	if v = strings.TrimSpace(v); v != "" {
		*l = append(*l, v)
	}
	return nil
}

// splitKeyAddr reads KEY@ADDR or ADDR.
func splitKeyAddr(v, defaultKey string) (key, addr string) {
	if i := strings.LastIndex(v, "@"); i > 0 {
		return v[:i], v[i+1:]
	}
	return defaultKey, v
}

func (f *serveFlags) syslogListeners() []app.SyslogListener {
	var out []app.SyslogListener
	for _, v := range f.syslogAddrs {
		key, addr := splitKeyAddr(v, f.syslogKey)
		out = append(out, app.SyslogListener{Addr: addr, Key: key})
	}
	return out
}

func (f *serveFlags) forwardListeners() []app.ForwardListener {
	var out []app.ForwardListener
	for _, v := range f.forwardAddrs {
		key, addr := splitKeyAddr(v, f.forwardKey)
		out = append(out, app.ForwardListener{Addr: addr, Key: key})
	}
	return out
}

// defaultOTLPGRPCAddr is OTLP/gRPC's well-known port. Left at the default,
// a taken port turns OTLP/gRPC off with a warning instead of failing.
const defaultOTLPGRPCAddr = ":4317"

// isSet reports whether a flag was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(env(name, "")); err == nil {
		return v
	}
	return def
}

func (f *serveFlags) config(stdio Stdio) (app.Config, error) {
	limits := server.DefaultLimits()
	limits.MaxBodyBytes = int64(f.maxBodyMiB) << 20
	limits.MaxLines = f.maxLines
	limits.QueryTimeout = f.queryTimeout
	logger := newLogger(stdio.Err, f.logLevel)
	if f.storeThreads < 1 {
		return app.Config{}, fmt.Errorf("--store-threads %d: want 1 or more", f.storeThreads)
	}
	store := duckdb.Options{MemoryLimit: f.memoryLimit, QueryTimeout: f.queryTimeout, Threads: f.storeThreads}
	if f.storeURL != "" && f.archive.target != "" {
		return app.Config{}, errors.New("--archive keeps the older days of the embedded DuckDB store: it does not apply with --store (ClickHouse keeps every day it is given)")
	}
	if err := f.archive.apply(&store, f.data, logger); err != nil {
		return app.Config{}, err
	}
	return app.Config{
		DataDir:   f.data,
		Meta:      f.meta,
		NodeID:    f.nodeID,
		LeaseTTL:  f.leaseTTL,
		Addr:      f.addr,
		IngestKey: f.ingestKey,
		ReadKey:   f.readKey,
		AdminKey:  f.adminKey,
		Log:       logger,
		UI:        web.Dist(),
		Limits:    limits,
		Pipeline:  pipeline.Options{MaxPendingBytes: int64(f.maxPendingMiB) << 20},
		StoreURL:  f.storeURL,
		Store:     store,
		DebugAddr: f.debugAddr,
		Replay:    replay.Options{Retention: f.replayRetention},
		Watermark: f.watermark,
		Listeners: app.Listeners{
			OTLPGRPCAddr:     f.otlpGRPCAddr,
			OTLPGRPCOptional: f.otlpGRPCAddr == defaultOTLPGRPCAddr && !isSet(f.fs, "otlp-grpc-addr"),
			Syslog:           f.syslogListeners(),
			Forward:          f.forwardListeners(),
		},
		HeapLimit: int64(f.heapMiB) << 20,

		ShutdownTimeout: f.shutdownTimeout,

		AllowPrivateWebhooks: f.allowPrivateWebhooks,
		PublicURL:            f.publicURL,

		AdminEmail:    f.adminEmail,
		AdminPassword: f.adminPassword,
		Login:         server.LoginOptions{AllowHTTP: f.allowHTTPLogin, SessionTTL: f.sessionTTL},
		TLSCert:       f.tlsCert,
		TLSKey:        f.tlsKey,
	}, nil
}

func runServe(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlags("serve", stdio)
	var f serveFlags
	f.register(fs, "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if f.data == "" {
		return fmt.Errorf("no data directory: pass --data DIR (or set LORE_DATA)")
	}
	cfg, err := f.config(stdio)
	if err != nil {
		return err
	}
	if cfg.OIDC, err = f.oidc.config(); err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg)
	if err != nil {
		if stopped(ctx, err) {
			// Stopped (SIGTERM, SIGINT) while starting, say during the
			// replay of a long WAL: nothing failed, and what was not
			// replayed stays in the WAL for the next start.
			cfg.Log.Info("lore stopped before it was ready", "data", cfg.DataDir, "err", err)
			return nil
		}
		return err
	}
	printKeys(stdio.Out, a.Bootstrap)
	printFirstLogin(stdio.Out, a)
	return a.Serve(ctx)
}

// stopped reports whether err is the end of work cut short by a stop
// (SIGTERM, SIGINT cancel ctx) rather than a failure.
func stopped(ctx context.Context, err error) bool {
	return ctx.Err() != nil && errors.Is(err, context.Canceled)
}

// printFirstLogin shows the first admin made on this start and, when no
// password was given, the one-time login link (valid 24 hours).
func printFirstLogin(w io.Writer, a *app.App) {
	fl := a.FirstLogin
	if fl == nil {
		return
	}
	if fl.Link == "" {
		fmt.Fprintf(w, "First admin: %s (with the password given)\n", fl.Email)
		return
	}
	fmt.Fprintf(w, "First admin: %s. Sign in once with this link (valid 24 hours, shown once), then set a password:\n  %s/#/login?link=%s\n",
		fl.Email, a.PublicURL(), fl.Link)
}

// printKeys shows keys created on this start; they are stored only as
// hashes, so this is the one time they can be read.
func printKeys(w io.Writer, b meta.Bootstrap) {
	if b.IngestKey == "" && b.ReadKey == "" && b.AdminKey == "" {
		return
	}
	fmt.Fprintf(w, "Project 1 keys (shown once; only their hashes are stored):\n")
	if b.IngestKey != "" {
		fmt.Fprintf(w, "  ingest key: %s\n", b.IngestKey)
	}
	if b.ReadKey != "" {
		fmt.Fprintf(w, "  read key:   %s\n", b.ReadKey)
	}
	if b.AdminKey != "" {
		fmt.Fprintf(w, "  admin key:  %s\n", b.AdminKey)
	}
}

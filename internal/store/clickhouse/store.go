// Package clickhouse is Lore's events store on a ClickHouse server, for
// running Lore beside a cluster instead of on one machine's embedded
// DuckDB. It implements store.Engine — append a batch, run a compiled
// query, stats, close — over ClickHouse's HTTP interface only (net/http:
// no native protocol, no driver), with SQL that runs on Debian's
// clickhouse-server 18.16 and on current releases.
//
// Open creates the database and its tables through versioned migrations
// (the schema_migrations table). The events table has the DuckDB store's
// column names and meanings, so the analyses' query objects, built
// through sqlq.ClickHouse, run on it unchanged; it is a MergeTree
// partitioned by day and sorted by (project_id, ts).
//
// ClickHouse has no transactions. Append is exactly once across crashes
// all the same: every row carries its batch's seq, the batches table
// records a batch only after all its rows are in, LastSeq reads that
// table, and Open (and a failed Append) deletes the rows of any batch
// that never recorded itself, so the pipeline's replay of that batch does
// not double them. Between the rows' insert and the record a reader may
// see the rows of the batch being appended.
//
// Several writers (Lore nodes, each with its own pipeline and so its own
// seqs) may share a database: each opens the store as a writer of its
// own name (the URL's writer parameter, the node's --node-id), which the
// database numbers once (writers.go). Rows and batch records carry the
// writer's number, and LastSeq and the recovery read and delete only the
// writer's own, so one node's recovery never touches another's rows.
//
// ClickHouse's HTTP interface binds no parameters on 18.16 ({x:T} came
// later), so Run interpolates a query's arguments as literals, spelled by
// the dialect (strings through sqlq.ClickHouse.Str), never as SQL text.
package clickhouse

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

var _ store.Engine = (*Store)(nil)

// DefaultQueryTimeout bounds a query whose context has no deadline.
const DefaultQueryTimeout = 30 * time.Second

// dialTimeout bounds a connection to a server: one that does not answer
// (a host gone, its packets dropped) is left for the next of a
// replicated cluster's servers instead of holding the statement until
// its deadline.
const dialTimeout = 5 * time.Second

// Store is an events store in one ClickHouse database. Its methods are
// safe for concurrent use (Append is called by one goroutine at a time,
// as store.Writer says, and serialised all the same).
type Store struct {
	endpoint string // "http://host:port/": the URL's server
	// failover are the other servers a statement goes to, in order,
	// when the current one cannot be reached (a replicated cluster's;
	// cluster.go), and cur is the index of the current one in
	// endpoint, failover… (0: endpoint).
	failover []string
	cur      atomic.Int32
	db       string
	user     *url.Userinfo
	hc       *http.Client
	log      *slog.Logger
	timeout  time.Duration
	settings url.Values // ClickHouse settings from the URL, sent with every statement
	// cancelOnClose: the server knows
	// cancel_http_readonly_queries_on_client_close (not 18.16, whose
	// queries are killed by id instead).
	cancelOnClose bool
	// compat: the server reads no named subqueries in WITH (18.16), so
	// Run rewrites the analyses' SQL first (compat.go).
	compat  bool
	version string // the server's
	// writer names this store's batches among the database's writers
	// ("" the default one), and writerNo is its number there, which its
	// rows and batch records carry (writers.go).
	writer   string
	writerNo uint8
	// cluster names the cluster (remote_servers) whose shards hold the
	// sharded tables, "" for one server; shards are a store on each shard,
	// for their local tables' DDL and mutations (cluster.go).
	cluster string
	shards  []*Store
	// replicated: every table is a Replicated* table (ZooKeeper), and
	// servers are a store on each server of the cluster, for the DDL
	// run on each (cluster.go).
	replicated bool
	servers    []*Store
	// failedMinutes are the minutes of the events of the Appends that
	// failed since the last recovery, on a replicated cluster (whose
	// rollups the recovery recomputes: recoverReplicated).
	failedMinutes []int64

	// bg is the work the store runs in the background (the rollups'
	// repair, rollup.go), which Close cancels and waits for.
	bg        sync.WaitGroup
	bgCtx     context.Context
	bgCancel  context.CancelFunc
	repairing atomic.Bool  // a repair runs
	repairAt  atomic.Int64 // when the last began, Unix seconds

	mu     sync.Mutex // Append and recovery
	last   uint64     // the last recorded batch's seq
	dirty  bool       // an Append failed and its rows may still be there
	closed bool
}

var dbName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// target is a parsed clickhouse:// URL.
type target struct {
	endpoint string
	db       string
	user     *url.Userinfo
	timeout  time.Duration
	settings url.Values
	writer   string
	cluster  string
	// shards are HOST:PORT of each shard's HTTP interface: of each of
	// its replicas, on a replicated cluster.
	shards     [][]string
	replicated bool
	scheme     string
	port       string
}

// parseURL reads "clickhouse://[USER[:PASSWORD]@]HOST[:PORT]/DB": port
// 8123 when absent, database "default" when the path is empty. Query
// parameters: secure=true for HTTPS, query_timeout (a Go duration) for
// queries without a deadline of their own, writer=NAME for a store
// sharing the database with other writers (writers.go), cluster=NAME for
// tables sharded over a cluster's shards with shards=HOST:PORT,… their
// HTTP interfaces (default: the cluster's hosts at the URL's port;
// cluster.go), replicated=1 for Replicated* tables on every replica of
// such a cluster, with ZooKeeper, each shard's replicas joined by "|" in
// shards (HOST:PORT|HOST:PORT,…); any other is a
// ClickHouse setting sent with every statement
// (max_memory_usage=2000000000), which the server checks when Open first
// asks it something.
func parseURL(raw string) (target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return target{}, fmt.Errorf("clickhouse: store URL %q: %w", redact(raw), err)
	}
	if u.Scheme != "clickhouse" {
		return target{}, fmt.Errorf("clickhouse: store URL %q: scheme %q, want clickhouse://HOST:8123/DB", redact(raw), u.Scheme)
	}
	if u.Hostname() == "" {
		return target{}, fmt.Errorf("clickhouse: store URL %q has no host", redact(raw))
	}
	t := target{db: strings.Trim(u.Path, "/"), user: u.User, timeout: DefaultQueryTimeout, settings: url.Values{}}
	if t.db == "" {
		t.db = "default"
	}
	if !dbName.MatchString(t.db) {
		return target{}, fmt.Errorf("clickhouse: database name %q: want letters, digits and _", t.db)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "8123"
	}
	scheme := "http"
	q := u.Query()
	for k := range q {
		switch k {
		case "secure":
			if v := q.Get(k); v == "true" || v == "1" {
				scheme = "https"
			} else if v != "false" && v != "0" {
				return target{}, fmt.Errorf("clickhouse: store URL parameter secure=%q: want true or false", v)
			}
		case "query_timeout":
			d, err := time.ParseDuration(q.Get(k))
			if err != nil || d <= 0 {
				return target{}, fmt.Errorf("clickhouse: store URL parameter query_timeout=%q: want a positive duration such as 30s", q.Get(k))
			}
			t.timeout = d
		case "writer":
			w := q.Get(k)
			if w == "" || len(w) > maxWriterName || !utf8.ValidString(w) {
				return target{}, fmt.Errorf("clickhouse: store URL parameter writer=%q: want a name of 1 to %d bytes of text", w, maxWriterName)
			}
			t.writer = w
		case "cluster":
			if !dbName.MatchString(q.Get(k)) {
				return target{}, fmt.Errorf("clickhouse: store URL parameter cluster=%q: want letters, digits and _", q.Get(k))
			}
			t.cluster = q.Get(k)
		case "shards":
			for _, shard := range strings.Split(q.Get(k), ",") {
				var replicas []string
				for _, a := range strings.Split(shard, "|") {
					if h, p, err := net.SplitHostPort(a); err != nil || h == "" || p == "" {
						return target{}, fmt.Errorf("clickhouse: store URL parameter shards=%q: want HOST:PORT,… of each shard's HTTP interface (HOST:PORT|HOST:PORT for its replicas)", q.Get(k))
					}
					replicas = append(replicas, a)
				}
				t.shards = append(t.shards, replicas)
			}
		case "replicated":
			switch v := q.Get(k); v {
			case "1", "true":
				t.replicated = true
			case "0", "false":
			default:
				return target{}, fmt.Errorf("clickhouse: store URL parameter replicated=%q: want 1 or 0", v)
			}
		case "query_id", "database", "query", "default_format", "user", "password":
			return target{}, fmt.Errorf("clickhouse: store URL parameter %q is not a setting Lore lets a URL set", k)
		default:
			t.settings.Set(k, q.Get(k))
		}
	}
	if len(t.shards) > 0 && t.cluster == "" {
		return target{}, fmt.Errorf("clickhouse: store URL parameter shards without cluster")
	}
	if t.replicated && t.cluster == "" {
		return target{}, fmt.Errorf("clickhouse: store URL parameter replicated without cluster")
	}
	for _, replicas := range t.shards {
		if len(replicas) > 1 && !t.replicated {
			return target{}, fmt.Errorf("clickhouse: store URL parameter shards=%q lists replicas of a shard: add replicated=1", q.Get("shards"))
		}
	}
	// A query whose context ended is killed, and stops between blocks,
	// which ClickHouse sizes by an estimate of their bytes that long,
	// compressible values defeat: a search killed at its deadline over
	// 4,096 messages of 64 KiB made to be slow to match ran on 6.5 to 8 s
	// on 18.16; with blocks of 64 KiB it stopped within 0.13 s (reads of
	// 500,000 short events took the same time either way).
	if t.settings.Get("preferred_block_size_bytes") == "" {
		t.settings.Set("preferred_block_size_bytes", "65536")
	}
	if t.replicated {
		// A batch's rows deleted by the recovery and appended again
		// must not be taken for a retry of the deleted ones (cluster.go).
		t.settings.Set("insert_deduplicate", "0")
		// A Distributed table's inserts and reads go to the same replica
		// of each shard (the first in remote_servers that answers), so
		// that a read sees what the store wrote (the recovery's count of
		// a crashed batch's rows above all), not a replica yet to fetch it.
		if t.settings.Get("load_balancing") == "" {
			t.settings.Set("load_balancing", "in_order")
		}
	}
	if t.cluster != "" {
		t.settings.Set("insert_distributed_sync", "1")
		if t.settings.Get("distributed_product_mode") == "" {
			t.settings.Set("distributed_product_mode", "global")
		}
	}
	t.scheme, t.port = scheme, port
	t.endpoint = scheme + "://" + net.JoinHostPort(host, port) + "/"
	return t, nil
}

// redact hides a URL's password.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}

// Open connects to the ClickHouse server of rawURL
// ("clickhouse://HOST:8123/DB"), creates the database when missing,
// brings its tables to the latest schema version, numbers the URL's
// writer when the database does not know it yet, and deletes the rows of
// a batch of that writer a crash left unrecorded.
func Open(ctx context.Context, rawURL string, log *slog.Logger) (*Store, error) {
	return open(ctx, rawURL, log, migrations())
}

func open(ctx context.Context, rawURL string, log *slog.Logger, migs []migration) (*Store, error) {
	s, err := connect(ctx, rawURL, log)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Store, error) {
		s.hc.CloseIdleConnections()
		return nil, err
	}
	if err := s.migrate(ctx, migs); err != nil {
		return fail(err)
	}
	if err := s.checkLayout(ctx); err != nil {
		return fail(err)
	}
	if s.writerNo, err = s.claimWriter(ctx); err != nil {
		return fail(err)
	}
	s.mu.Lock()
	err = s.recover(ctx)
	s.mu.Unlock()
	if err != nil {
		return fail(err)
	}
	if err := s.repairStale(ctx); err != nil {
		// The days stay stale: their reads read the events.
		s.log.Warn("clickhouse: repair the rollups", "err", err)
	}
	s.log.Info("clickhouse store open", "server", s.endpoint, "version", s.version, "writer", s.writer, "writer_number", s.writerNo, "last_seq", s.last, "rewrite_for_old_server", s.compat)
	return s, nil
}

// connect reaches the server of rawURL, learns what it can do and
// creates the database when missing.
func connect(ctx context.Context, rawURL string, log *slog.Logger) (*Store, error) {
	t, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{
		endpoint: t.endpoint, db: t.db, user: t.user, timeout: t.timeout, settings: t.settings, writer: t.writer, cluster: t.cluster, replicated: t.replicated,
		hc: &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 8, IdleConnTimeout: 90 * time.Second,
			DialContext: (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext}},
		log: log.With("store", "clickhouse", "database", t.db),
	}
	s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	if t.replicated {
		// The servers the URL lists are the failover from the start:
		// a node starts while the URL's server is down.
		for _, replicas := range t.shards {
			for _, a := range replicas {
				if ep := t.scheme + "://" + a + "/"; ep != s.endpoint {
					s.failover = append(s.failover, ep)
				}
			}
		}
	}
	fail := func(err error) (*Store, error) {
		s.hc.CloseIdleConnections()
		return nil, err
	}
	if err := s.queryOne(ctx, "", "SELECT version()", &s.version); err != nil {
		return fail(fmt.Errorf("clickhouse: connect to %s: %w", t.endpoint, err))
	}
	var n int64
	if err := s.queryOne(ctx, "", "SELECT count() FROM system.settings WHERE name = 'cancel_http_readonly_queries_on_client_close'", &n); err != nil {
		return fail(err)
	}
	s.cancelOnClose = n > 0
	var one int64
	s.compat = s.queryOne(ctx, "", "WITH t AS (SELECT 1 AS x) SELECT x FROM t", &one) != nil
	if err := s.exec(ctx, "", "CREATE DATABASE IF NOT EXISTS "+t.db); err != nil {
		return fail(err)
	}
	if s.cluster != "" {
		if s.compat && !s.settings.Has("optimize_move_to_prewhere") {
			// 18.16 loses the columns of a Distributed table's
			// subquery whose condition it moved to PREWHERE when
			// the subquery selects only constants ("Not found
			// column 1 in block").
			s.settings.Set("optimize_move_to_prewhere", "0")
		}
		if err := s.connectShards(ctx, t.shards, t.scheme, t.port); err != nil {
			return fail(err)
		}
	}
	return s, nil
}

// Dialect is ClickHouse's.
func (s *Store) Dialect() sqlq.Dialect { return sqlq.ClickHouse{Windows: !s.compat} }

// Stats counts the stored rows and the bytes of the database's active
// parts on the server's disk.
func (s *Store) Stats(ctx context.Context) (store.Stats, error) {
	var st store.Stats
	if err := s.queryOne(ctx, s.db, "SELECT count() FROM events", &st.Events); err != nil {
		return st, fmt.Errorf("clickhouse stats: %w", err)
	}
	servers := []*Store{s}
	if s.cluster != "" {
		servers = s.shards
	}
	for _, sv := range servers {
		var n int64
		if err := sv.queryOne(ctx, "", "SELECT toInt64(sum(bytes_on_disk)) FROM system.parts WHERE active AND database = "+sqlq.ClickHouse{}.Str(s.db), &n); err != nil {
			return st, fmt.Errorf("clickhouse stats: %w", err)
		}
		st.DiskBytes += n
	}
	return st, nil
}

// Close releases the store's connections; it is unusable after. Every
// appended batch is already on the server.
func (s *Store) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.bgCancel()
	s.bg.Wait()
	s.hc.CloseIdleConnections()
	return nil
}

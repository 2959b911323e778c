// Package bench runs `make bench`: it starts a real `lore serve` process on a
// fresh data directory, sends a fixed workload through the HTTP ingest paths
// — the simulated shop, or the freeform workload shaped unlike it — and
// measures what users feel: events/s acknowledged and until stored, bytes
// on disk per event (the whole data directory, as du counts it), peak RSS
// of the server, and the p50/p95 latency of the queries that matter
// (rare-word search, trace and user journeys, a 24 h error histogram per
// minute, count by level per minute, top traces by errors, a facet, a
// pipes stats … by over everything).
package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lore-dev/lore/internal/client"
	"github.com/lore-dev/lore/internal/sim"
)

// Config sets the workload.
type Config struct {
	// Workload is "shop" (the simulated shop, default) or "freeform".
	Workload string
	Events   int
	Seed     int64
	Clients  int
	Queries  int
	DataDir  string // default: a temporary directory, removed after
	Binary   string // default: os.Executable()
	// ServerLog, when set, is a file that receives every line the server
	// writes to its standard error (both of its runs), not only its errors.
	ServerLog string
	// Store is the servers' --store: empty for the embedded DuckDB store,
	// or a ClickHouse database (clickhouse://HOST:8123/DB), which the bench
	// expects to be empty.
	Store string
	// Nodes is how many `lore serve` processes share Store (default 1;
	// more than one needs a shared Store). Each has its own data
	// directory and node id; the clients are spread over them, and the
	// queries go to each in turn.
	Nodes int
}

// Result is what one run measured.
type Result struct {
	Events        int
	IngestSeconds float64
	EventsPerSec  float64
	LoadedSeconds float64 // until every event was in the store
	DiskBytes     int64
	BytesPerEvent float64
	PeakRSSBytes  int64
	// ServerCPUSeconds is the CPU time (user and system) the server spent
	// from its start until every event was stored: on a shared machine it
	// moves less with the load than the rates do.
	ServerCPUSeconds float64
	Latencies        []Latency
}

// Latency is one query's percentiles over its runs.
type Latency struct {
	Name     string
	P50, P95 time.Duration
	Runs     int
	Err      string // the query failed: why (no percentiles)
}

const (
	ingestKey = "bench-ingest"
	readKey   = "bench-read"
	// needle is a word the workload's messages never contain; the bench
	// plants it in a few lines for the rare-word search.
	needle = "xylophonequartz"
)

// Run performs one benchmark and prints its figures to out.
func Run(ctx context.Context, cfg Config, out io.Writer) (Result, error) {
	if cfg.Events <= 0 {
		cfg.Events = 1_000_000
	}
	if cfg.Clients <= 0 {
		cfg.Clients = 4
	}
	if cfg.Queries <= 0 {
		cfg.Queries = 40
	}
	if cfg.Nodes <= 0 {
		cfg.Nodes = 1
	}
	if cfg.Nodes > 1 && cfg.Store == "" {
		return Result{}, fmt.Errorf("%d nodes need a shared --store (clickhouse://…): the embedded store is one node's", cfg.Nodes)
	}
	var generate func(seed int64, n int, start time.Time, span time.Duration) []sim.Request
	switch cfg.Workload {
	case "", "shop":
		cfg.Workload, generate = "shop", sim.Workload
	case "freeform":
		generate = FreeformWorkload
	default:
		return Result{}, fmt.Errorf("unknown workload %q (want shop or freeform)", cfg.Workload)
	}
	res := Result{Events: cfg.Events}
	if cfg.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return res, fmt.Errorf("find the lore binary: %w", err)
		}
		cfg.Binary = exe
	}
	if cfg.DataDir == "" {
		dir, err := os.MkdirTemp("", "lore-bench-")
		if err != nil {
			return res, err
		}
		defer os.RemoveAll(dir)
		cfg.DataDir = dir
	}

	// The workload spans the 3 days before now, so "the last 24 h" holds a
	// third of it. It is generated before the clock starts.
	span := 72 * time.Hour
	start := time.Now().UTC().Add(-span).Truncate(time.Minute)
	fmt.Fprintf(out, "generating %d events of the %s workload (seed %d)…\n", cfg.Events, cfg.Workload, cfg.Seed)
	reqs := generate(cfg.Seed, cfg.Events, start, span)
	reqs = append(reqs, needleRequest(start, span))
	total := 0
	for _, r := range reqs {
		total += r.Events
	}
	traces, users := sampleIDs(reqs, 200, cfg.Seed)

	nodes, err := startNodes(ctx, cfg)
	if err != nil {
		return res, err
	}
	defer nodes.stop()
	fmt.Fprintf(out, "ingesting %d events with %d clients into %s…\n", total, cfg.Clients, strings.Join(nodes.urls(), ", "))

	t0 := time.Now()
	if err := send(ctx, nodes.urls(), reqs, cfg.Clients); err != nil {
		return res, err
	}
	res.IngestSeconds = time.Since(t0).Seconds()
	res.EventsPerSec = float64(total) / res.IngestSeconds
	for _, srv := range nodes {
		if err := srv.waitLoaded(ctx); err != nil {
			return res, err
		}
	}
	res.LoadedSeconds = time.Since(t0).Seconds()
	// Every event sent is stored, once: a shared store counts the
	// events all nodes stored.
	if v, _, err := nodes[0].metric("lore_store_events"); err != nil {
		return res, err
	} else if n, _ := strconv.ParseInt(v, 10, 64); n != int64(total) {
		return res, fmt.Errorf("the store holds %s events after %d were acknowledged", v, total)
	}
	for _, srv := range nodes {
		res.PeakRSSBytes = max(res.PeakRSSBytes, srv.peakRSS())
		res.ServerCPUSeconds += CPUSeconds(srv.cmd.Process.Pid)
	}
	reqs = nil

	// Disk: stop gracefully (the store checkpoints), measure, restart. A
	// ClickHouse store's bytes are its parts on the server (what the
	// nodes report), added to the nodes' own directories.
	var shared int64
	if cfg.Store != "" {
		if shared, err = nodes[0].storeBytes(); err != nil {
			return res, err
		}
	}
	if err := nodes.stop(); err != nil {
		return res, fmt.Errorf("stop server: %w", err)
	}
	res.DiskBytes = shared + diskUsage(cfg.DataDir)
	res.BytesPerEvent = float64(res.DiskBytes) / float64(total)
	if nodes, err = startNodes(ctx, cfg); err != nil {
		return res, err
	}
	defer nodes.stop()

	clients := make([]*client.Client, len(nodes))
	for i, srv := range nodes {
		clients[i] = client.New(srv.url, readKey)
	}
	from := start.Add(-time.Minute).Format(time.RFC3339)
	pick := rand.New(rand.NewPCG(uint64(cfg.Seed), 7))
	queries := []struct {
		name string
		path func() (string, url.Values)
	}{
		{"rare-word search, all data", func() (string, url.Values) {
			return "/api/v1/search", url.Values{"q": {needle}, "from": {from}, "limit": {"100"}}
		}},
		{"trace journey", func() (string, url.Values) {
			return "/api/v1/journeys/trace/" + traces[pick.IntN(len(traces))], url.Values{"from": {from}}
		}},
		{"user journey", func() (string, url.Values) {
			return "/api/v1/journeys/user/" + users[pick.IntN(len(users))], url.Values{"from": {from}}
		}},
		{"error histogram, 24 h per minute", func() (string, url.Values) {
			return "/api/v1/histogram", url.Values{"q": {"level:error"}, "from": {"now-24h"}, "step": {"1m"}}
		}},
		{"count by level per minute, 24 h", func() (string, url.Values) {
			return "/api/v1/query", url.Values{"q": {"| stats count() by level, bin(1m)"}, "from": {"now-24h"}}
		}},
		{"top 10 traces by error count, 24 h", func() (string, url.Values) {
			return "/api/v1/query", url.Values{"q": {"level:error | stats count() as n by trace_id | sort n desc | limit 10"}, "from": {"now-24h"}}
		}},
		{"facet service, all data", func() (string, url.Values) {
			return "/api/v1/facets", url.Values{"field": {"service"}, "from": {from}}
		}},
		{"pipes: stats count, p95, uniq by service and endpoint, all data", func() (string, url.Values) {
			return "/api/v1/query", url.Values{"q": {pipesQuery}, "from": {from}}
		}},
		{"pipes: level:error, stats count, p95, uniq by service, all data", func() (string, url.Values) {
			return "/api/v1/query", url.Values{"q": {pipesErrorsQuery}, "from": {from}}
		}},
		{"pipes: stats count, p95 by bin(5m), all data", func() (string, url.Values) {
			return "/api/v1/query", url.Values{"q": {pipesBinQuery}, "from": {from}}
		}},
	}
	for _, q := range queries {
		var d []time.Duration
		var failed error
		for i := 0; i < cfg.Queries+2 && failed == nil; i++ {
			c := clients[i%len(clients)]
			path, v := q.path()
			t := time.Now()
			var sink any
			if err := c.GetJSON(ctx, path, v, &sink); err != nil {
				if ctx.Err() != nil {
					return res, fmt.Errorf("%s: %w", q.name, err)
				}
				// A query that fails (a 503 out of memory) is reported,
				// and the other queries are still measured.
				failed = fmt.Errorf("run %d: %w", i+1, err)
			} else if i >= 2 { // two warm-up runs
				d = append(d, time.Since(t))
			}
		}
		if failed != nil {
			res.Latencies = append(res.Latencies, Latency{Name: q.name, Err: failed.Error()})
			continue
		}
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		res.Latencies = append(res.Latencies, Latency{Name: q.name, P50: d[len(d)/2], P95: d[(len(d)*95+99)/100-1], Runs: len(d)})
	}
	print(out, cfg, res)
	return res, nil
}

func print(out io.Writer, cfg Config, r Result) {
	where := "the embedded DuckDB store, one node"
	if cfg.Store != "" {
		where = fmt.Sprintf("ClickHouse, %d node(s)", cfg.Nodes)
	}
	fmt.Fprintf(out, "\n## %d events, %s workload (seed %d, %d clients; %s)\n\n", r.Events, cfg.Workload, cfg.Seed, cfg.Clients, where)
	fmt.Fprintf(out, "| figure | value |\n|---|---|\n")
	fmt.Fprintf(out, "| ingest, acknowledged (events/s) | %.0f |\n", r.EventsPerSec)
	fmt.Fprintf(out, "| ingest, until all stored (events/s) | %.0f |\n", float64(r.Events)/r.LoadedSeconds)
	if cfg.Store != "" {
		fmt.Fprintf(out, "| bytes on disk per event (the ClickHouse database's parts and the nodes' data directories, du) | %.1f |\n", r.BytesPerEvent)
	} else {
		fmt.Fprintf(out, "| bytes on disk per event (whole data directory, du) | %.1f |\n", r.BytesPerEvent)
	}
	rss, cpu := "peak RSS of the server while ingesting", "server CPU until all stored (µs per event)"
	if cfg.Store != "" {
		rss, cpu = rss+" (the largest node's)", "server CPU until all stored (µs per event, every node; not ClickHouse's own)"
	}
	fmt.Fprintf(out, "| %s | %.0f MiB |\n", rss, float64(r.PeakRSSBytes)/(1<<20))
	if r.ServerCPUSeconds > 0 {
		fmt.Fprintf(out, "| %s | %.1f |\n", cpu, r.ServerCPUSeconds*1e6/float64(r.Events))
	}
	for _, l := range r.Latencies {
		if l.Err != "" {
			fmt.Fprintf(out, "| %s p50 / p95 | failed: %s |\n", l.Name, l.Err)
			continue
		}
		fmt.Fprintf(out, "| %s p50 / p95 | %s / %s |\n", l.Name, ms(l.P50), ms(l.P95))
	}
}

// pipesQuery is the aggregating pipeline the benchmark times (issue 22):
// a stats … by over every event of the run.
const pipesQuery = `| stats count() as n, p95(duration_ms) as p95, uniq(user_id) as users by service, endpoint | sort n desc | limit 20`

// pipesErrorsQuery is issue 22's example: a search, then stats … by.
const pipesErrorsQuery = `level:error | stats count() as n, p95(duration_ms), uniq(user_id) by service`

// pipesBinQuery groups by time: 864 five-minute bins over the run's 3 days.
const pipesBinQuery = `| stats count() as n, p95(duration_ms) by bin(5m)`

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// needleRequest plants the rare word in ten log lines spread over the span.
func needleRequest(start time.Time, span time.Duration) sim.Request {
	var b bytes.Buffer
	for i := range 10 {
		ts := start.Add(span * time.Duration(i) / 10).Format(time.RFC3339Nano)
		fmt.Fprintf(&b, `{"ts":%q,"level":"warn","service":"bench","msg":"planted %s marker %d"}`+"\n", ts, needle, i)
	}
	return sim.Request{Path: sim.PathLogs, ContentType: sim.ContentTypeJSONL, Body: b.Bytes(), Events: 10}
}

var (
	traceRe = regexp.MustCompile(`"trace_id":"([0-9a-f]{32})"`)
	userRe  = regexp.MustCompile(`"user_id":"([^"]+)"`)
)

// sampleIDs picks trace and user ids that the workload contains, spread
// over its requests.
func sampleIDs(reqs []sim.Request, n int, seed int64) (traces, users []string) {
	r := rand.New(rand.NewPCG(uint64(seed), 11))
	seenU := map[string]bool{}
	for tries := 0; tries < 50*n && (len(traces) < n || len(users) < n); tries++ {
		req := reqs[r.IntN(len(reqs))]
		if req.Path != sim.PathLogs {
			continue
		}
		body := req.Body
		off := r.IntN(max(len(body)-4096, 1))
		window := body[off:min(off+4096, len(body))]
		if m := traceRe.FindSubmatch(window); m != nil && len(traces) < n {
			traces = append(traces, string(m[1]))
		}
		if m := userRe.FindSubmatch(window); m != nil && len(users) < n && !seenU[string(m[1])] {
			seenU[string(m[1])] = true
			users = append(users, string(m[1]))
		}
	}
	return traces, users
}

// send posts every request with n concurrent clients, client i to
// bases[i % len(bases)], resending after Retry-After on 429/503.
func send(ctx context.Context, bases []string, reqs []sim.Request, n int) error {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, DisableCompression: true}, Timeout: 5 * time.Minute}
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for c := range n {
		base := bases[c%len(bases)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(reqs) || ctx.Err() != nil {
					return
				}
				if err := post(ctx, hc, base, reqs[i]); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	return <-errc
}

func post(ctx context.Context, hc *http.Client, base string, r sim.Request) error {
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+r.Path, bytes.NewReader(r.Body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", r.ContentType)
		req.Header.Set("Authorization", "Bearer "+ingestKey)
		resp, err := hc.Do(req)
		if err != nil {
			return fmt.Errorf("post %s: %w", r.Path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode/100 == 2:
			return nil
		case resp.StatusCode == 429 || resp.StatusCode == 503:
			wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			select {
			case <-time.After(time.Duration(max(wait, 1)) * time.Second / 4):
			case <-ctx.Done():
				return ctx.Err()
			}
		default:
			return fmt.Errorf("post %s: %d %s", r.Path, resp.StatusCode, bytes.TrimSpace(body))
		}
	}
}

// server is a `lore serve` child process.
type server struct {
	cmd  *exec.Cmd
	url  string
	done chan error
	once sync.Once
	err  error
}

var listenRe = regexp.MustCompile(`lore is listening"? addr=(\S+)`)

// nodes are the servers of one run.
type nodes []*server

// startNodes starts cfg.Nodes servers: one on cfg.DataDir, or with
// several, each on its own directory under it (node1, node2…) with its
// own node id, all on cfg.Store.
func startNodes(ctx context.Context, cfg Config) (nodes, error) {
	var ns nodes
	for i := range cfg.Nodes {
		dir, extra := cfg.DataDir, []string(nil)
		if cfg.Store != "" {
			extra = append(extra, "--store", cfg.Store)
		}
		if cfg.Nodes > 1 {
			dir = filepath.Join(cfg.DataDir, fmt.Sprintf("node%d", i+1))
			extra = append(extra, "--node-id", fmt.Sprintf("bench-node%d", i+1))
		}
		srv, err := startServer(ctx, cfg.Binary, dir, cfg.ServerLog, extra...)
		if err != nil {
			ns.stop()
			return nil, err
		}
		ns = append(ns, srv)
	}
	return ns, nil
}

func (ns nodes) urls() []string {
	out := make([]string, len(ns))
	for i, s := range ns {
		out[i] = s.url
	}
	return out
}

// stop stops every node, returning the first error.
func (ns nodes) stop() error {
	var first error
	for _, s := range ns {
		if err := s.stop(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func startServer(ctx context.Context, binary, dataDir, logPath string, extra ...string) (*server, error) {
	logFile := io.WriteCloser(nopCloser{io.Discard})
	if logPath != "" {
		f, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, fmt.Errorf("server log %q: %w", logPath, err)
		}
		logFile = f
	}
	args := append([]string{"serve", "--data", dataDir, "--addr", "127.0.0.1:0", "--otlp-grpc-addr", "",
		"--ingest-key", ingestKey, "--read-key", readKey, "--log-level", "info"}, extra...)
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s serve: %w", binary, err)
	}
	s := &server{cmd: cmd, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		defer logFile.Close()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 4<<20)
		for sc.Scan() {
			fmt.Fprintln(logFile, sc.Text())
			if m := listenRe.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			} else if strings.Contains(sc.Text(), "level=ERROR") || strings.HasPrefix(sc.Text(), "lore serve:") {
				fmt.Fprintln(os.Stderr, "server:", sc.Text())
			}
		}
		s.done <- cmd.Wait()
	}()
	select {
	case a := <-addr:
		s.url = "http://" + a
		return s, nil
	case err := <-s.done:
		return nil, fmt.Errorf("lore serve exited before listening: %v", err)
	case <-time.After(2 * time.Minute):
		s.stop()
		return nil, fmt.Errorf("lore serve did not start listening within 2 minutes")
	}
}

// metric reads one unlabelled figure from the server's /metrics.
func (s *server) metric(name string) (string, bool, error) {
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		return "", false, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return strings.TrimSpace(v), true, nil
		}
	}
	return "", false, nil
}

// storeBytes is the events store's size as the server reports it
// (lore_store_disk_bytes: a ClickHouse database's active parts).
func (s *server) storeBytes() (int64, error) {
	v, ok, err := s.metric("lore_store_disk_bytes")
	if err != nil || !ok {
		return 0, fmt.Errorf("read lore_store_disk_bytes from %s: %v (found %v)", s.url, err, ok)
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, fmt.Errorf("lore_store_disk_bytes %q: %w", v, err)
	}
	return int64(n), nil
}

// waitLoaded waits until the pipeline's queue is empty.
func (s *server) waitLoaded(ctx context.Context) error {
	for {
		v, _, err := s.metric("lore_ingest_queue_events")
		if err != nil {
			return err
		}
		if v == "0" {
			return nil
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// peakRSS reads the child's high-water mark of resident memory.
func (s *server) peakRSS() int64 { return PeakRSS(s.cmd.Process.Pid) }

// PeakRSS reads a process's high-water mark of resident memory (VmHWM), in
// bytes; 0 when it cannot be read.
func PeakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// CPUSeconds reads the CPU time (user and system, its threads included) a
// process has used so far from /proc/<pid>/stat, counted in clock ticks of
// 1/100 s (USER_HZ on Linux); 0 when it cannot be read.
func CPUSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 { // utime and stime are fields 14 and 15, 12 and 13 after the name
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return float64(utime+stime) / 100
}

// stop sends SIGTERM and waits for a graceful exit.
func (s *server) stop() error {
	s.once.Do(func() {
		s.cmd.Process.Signal(os.Interrupt)
		select {
		case s.err = <-s.done:
		case <-time.After(2 * time.Minute):
			s.cmd.Process.Kill()
			s.err = fmt.Errorf("lore serve did not stop within 2 minutes")
		}
	})
	return s.err
}

// diskUsage is what `du -s` counts for dir: the blocks every file and
// directory under it takes on disk (free blocks inside a file count; holes
// of a sparse file do not).
func diskUsage(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			n += st.Blocks * 512
		} else {
			n += info.Size()
		}
		return nil
	})
	return n
}

// nopCloser is a writer with nothing to close.
type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

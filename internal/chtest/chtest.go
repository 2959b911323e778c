// Package chtest starts a real ClickHouse server for a test: Debian's
// clickhouse-server (installed with apt-get when missing, through
// internal/debpkg), on loopback with free ports and a data directory in
// the test's temporary directory, stopped when the test ends. Tests of
// the ClickHouse store and of the analyses' ClickHouse spelling share it.
package chtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/debpkg"
	"github.com/lore-dev/lore/internal/testport"
)

// Server is a clickhouse-server started for one test.
type Server struct {
	// URL is its HTTP interface, "http://127.0.0.1:PORT/".
	URL string
	// Addr is HOST:PORT of the HTTP interface.
	Addr string
	// HTTP is a client for it.
	HTTP *http.Client
	dir  string
	// bin and args start the server again after Kill (replicated.go).
	bin  string
	args []string
	stop func() // kills the running process and waits for it
}

// Start starts a server for t, skipping t (saying why) only when
// clickhouse-server is missing and cannot be installed, or does not
// start. It skips in -short mode. The server is stopped, and its data
// removed, when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a ClickHouse server")
	}
	bin := debpkg.Need(t, "clickhouse-server", "clickhouse-server")
	return start(t, bin, freePort(t), freePort(t), "")
}

// Cluster is clickhouse-servers started as the shards of one cluster,
// each a server of its own (one replica a shard), or with replicas and
// a ZooKeeper (StartReplicatedCluster).
type Cluster struct {
	// Name is the cluster's name in every server's remote_servers.
	Name string
	// Shards are the servers, in the cluster's order: each shard's first
	// replica.
	Shards []*Server
	// Replicas are every shard's servers, when the cluster has replicas
	// (StartReplicatedCluster); nil otherwise.
	Replicas [][]*Server
	// ZooKeeper is the replicas' ZooKeeper, nil without replicas.
	ZooKeeper *ZooKeeper
}

// StoreURL is the Lore store URL of database db sharded over the
// cluster, through its first shard; with replicas, replicated
// (replicated=1, each shard's replicas joined by "|").
func (c *Cluster) StoreURL(db string) string {
	if c.Replicas != nil {
		shards := make([]string, len(c.Replicas))
		for i, rs := range c.Replicas {
			addrs := make([]string, len(rs))
			for j, s := range rs {
				addrs[j] = s.Addr
			}
			shards[i] = strings.Join(addrs, "|")
		}
		return "clickhouse://" + c.Shards[0].Addr + "/" + db + "?cluster=" + c.Name + "&replicated=1&shards=" + strings.Join(shards, ",")
	}
	addrs := make([]string, len(c.Shards))
	for i, s := range c.Shards {
		addrs[i] = s.Addr
	}
	return "clickhouse://" + c.Shards[0].Addr + "/" + db + "?cluster=" + c.Name + "&shards=" + strings.Join(addrs, ",")
}

// StartCluster starts n servers for t as the n shards of the cluster
// "lore", each knowing the others (remote_servers) so that a Distributed
// table on any of them reaches all. There is no ZooKeeper: ON CLUSTER
// queries, which queue through it, do not run; create a shard's tables
// on each server. Skips as Start does.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts ClickHouse servers")
	}
	bin := debpkg.Need(t, "clickhouse-server", "clickhouse-server")
	c := &Cluster{Name: "lore"}
	type ports struct{ http, tcp int }
	ps := make([]ports, n)
	var shards strings.Builder
	for i := range ps {
		ps[i] = ports{freePort(t), freePort(t)}
		fmt.Fprintf(&shards, "<shard><replica><host>127.0.0.1</host><port>%d</port></replica></shard>", ps[i].tcp)
	}
	remote := "<remote_servers><" + c.Name + ">" + shards.String() + "</" + c.Name + "></remote_servers>"
	for _, p := range ps {
		c.Shards = append(c.Shards, start(t, bin, p.http, p.tcp, remote))
	}
	return c
}

// freePort is testport.Free, failing t when no port can be had.
func freePort(t testing.TB) int {
	t.Helper()
	p, err := testport.Free()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// start runs bin with a configuration of its own: loopback only, the
// ports given, a data directory in the test's temporary directory, one
// thread a query and a memory limit of 1 GB, and extra (XML elements of
// the server's configuration).
func start(t testing.TB, bin string, httpPort, tcpPort int, extra string) *Server {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>%[1]s/server.log</log><errorlog>%[1]s/error.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>%[2]d</http_port>
  <tcp_port>%[3]d</tcp_port>
  <path>%[1]s/data/</path>
  <tmp_path>%[1]s/tmp/</tmp_path>
  <user_files_path>%[1]s/user_files/</user_files_path>
  <format_schema_path>%[1]s/format_schemas/</format_schema_path>
  <mark_cache_size>5368709</mark_cache_size>
  <max_concurrent_queries>10</max_concurrent_queries>
  <users_config>%[1]s/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  %[4]s
</yandex>`, dir, httpPort, tcpPort, extra)
	users := `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_threads>1</max_threads><max_memory_usage>1000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>`
	for name, text := range map[string]string{"config.xml": cfg, "users.xml": users} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"--config-file=" + filepath.Join(dir, "config.xml")}
	if filepath.Base(bin) == "clickhouse" {
		args = append([]string{"server"}, args...)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", httpPort)
	s := &Server{URL: "http://" + addr + "/", Addr: addr, HTTP: &http.Client{Timeout: 60 * time.Second}, dir: dir, bin: bin, args: args}
	if err := s.launch(); err != nil {
		t.Skipf("clickhouse-server does not start: %v", err)
	}
	t.Cleanup(func() { s.stop() })
	s.await(t)
	return s
}

// launch starts the server's process; s.stop kills it (SIGKILL) and
// waits for it.
func (s *Server) launch() error {
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, s.bin, s.args...)
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		cancel()
		return err
	}
	s.stop = sync.OnceFunc(func() { cancel(); _ = cmd.Wait() })
	return nil
}

// await waits for the server to answer its ping, failing t after 60 s.
func (s *Server) await(t testing.TB) {
	t.Helper()
	dir := s.dir
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := s.HTTP.Get(s.URL + "ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			logs, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("clickhouse-server did not answer within 60 s: %v\n%s", err, logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Post sends sql (a statement, or an INSERT with its data) and returns
// the response body, failing t on an error.
func (s *Server) Post(t testing.TB, sql string) []byte {
	t.Helper()
	b, err := s.Do(sql, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Do sends sql with the URL parameters params and returns the response
// body, or an error holding ClickHouse's message and the statement.
func (s *Server) Do(sql string, params map[string]string) ([]byte, error) {
	u := s.URL
	if len(params) > 0 {
		q := url.Values{}
		for k, v := range params {
			q.Set(k, v)
		}
		u += "?" + q.Encode()
	}
	resp, err := s.HTTP.Post(u, "text/plain", strings.NewReader(sql))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("ClickHouse: %d %s\n%.2000s", resp.StatusCode, b, sql)
	}
	return b, nil
}

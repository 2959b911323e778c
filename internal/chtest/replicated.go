package chtest

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/debpkg"
)

// zooKeeperJar is where Debian's zookeeper package puts the server; its
// manifest names the jars it needs.
const zooKeeperJar = "/usr/share/java/zookeeper.jar"

// ZooKeeper is a standalone ZooKeeper server started for one test.
type ZooKeeper struct {
	// Host and Port are its client address (loopback, a free port).
	Host string
	Port int
}

// StartZooKeeper starts Debian's ZooKeeper (the zookeeper package,
// installed with apt-get when missing) for t: standalone, on a free
// loopback port, with a data directory in the test's temporary
// directory, the admin server off and a small Java heap, stopped (and
// its data removed) when t ends. It skips as Start does.
func StartZooKeeper(t testing.TB) *ZooKeeper {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a ZooKeeper server")
	}
	if _, err := os.Stat(zooKeeperJar); err != nil {
		debpkg.Install(t, "zookeeper")
	}
	if _, err := os.Stat(zooKeeperJar); err != nil {
		t.Skipf("ZooKeeper (%s) is not installed and apt-get could not install the zookeeper package", zooKeeperJar)
	}
	java := debpkg.Need(t, "java", "default-jre-headless")
	dir := t.TempDir()
	z := &ZooKeeper{Host: "127.0.0.1", Port: freePort(t)}
	// A tick of 500 ms: sessions of 1 to 10 s, so that a killed
	// ClickHouse server's session (its replica's is_active) ends soon.
	// No fsync of the transaction log: a test's ZooKeeper dies with it.
	cfg := fmt.Sprintf("tickTime=500\ninitLimit=10\nsyncLimit=5\ndataDir=%s/data\nclientPort=%d\nclientPortAddress=%s\n"+
		"admin.enableServer=false\nmaxClientCnxns=200\n4lw.commands.whitelist=srvr\nforceSync=no\n", dir, z.Port, z.Host)
	if err := os.WriteFile(filepath.Join(dir, "zoo.cfg"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	// A small heap, the serial collector and the first JIT tier only:
	// a test's ZooKeeper holds a few hundred nodes, and the machine's
	// cores are shared.
	cmd := exec.CommandContext(ctx, java, "-Xms16m", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		"-Dzookeeper.log.dir="+dir, "-Dlog4j.configuration=file:/dev/null",
		"-cp", zooKeeperJar+":/usr/share/java/slf4j-nop.jar",
		"org.apache.zookeeper.server.ZooKeeperServerMain", filepath.Join(dir, "zoo.cfg"))
	cmd.Dir = dir
	out, err := os.Create(filepath.Join(dir, "zookeeper.out"))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		cancel()
		out.Close()
		t.Skipf("ZooKeeper does not start: %v", err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait(); out.Close() })
	deadline := time.Now().Add(60 * time.Second)
	for !z.ok() {
		if time.Now().After(deadline) {
			logs, _ := os.ReadFile(filepath.Join(dir, "zookeeper.out"))
			t.Fatalf("ZooKeeper did not serve within 60 s:\n%.4000s", logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return z
}

// ok says whether the server serves: its "srvr" answer names its mode
// (it answers "ruok" before it serves, and a ClickHouse server whose
// first session fails then crashes at its first ON CLUSTER statement).
func (z *ZooKeeper) ok() bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort(z.Host, fmt.Sprint(z.Port)), time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, "srvr"); err != nil {
		return false
	}
	b, _ := io.ReadAll(c)
	return strings.Contains(string(b), "Mode: standalone")
}

// StartReplicatedCluster starts a ZooKeeper and shards × replicas
// clickhouse-servers for t as the cluster "lore": each server knows
// the ZooKeeper, the others (remote_servers, each shard's replicas with
// internal_replication: a Distributed table writes a row to one replica
// of its shard and ReplicatedMergeTree copies it to the others), its
// macros (shard: "01", "02", …; replica: "s1r1", "s1r2", …, unique over
// the cluster) and the distributed DDL queue, so ON CLUSTER statements
// run. c.Shards are each shard's first replica, c.Replicas every server
// by shard. Skips as Start does.
func StartReplicatedCluster(t testing.TB, shards, replicas int) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts ClickHouse servers and ZooKeeper")
	}
	bin := debpkg.Need(t, "clickhouse-server", "clickhouse-server")
	z := StartZooKeeper(t)
	c := &Cluster{Name: "lore", ZooKeeper: z}
	type ports struct{ http, tcp, interserver int }
	ps := make([][]ports, shards)
	var remote strings.Builder
	remote.WriteString("<remote_servers><" + c.Name + ">")
	for s := range ps {
		remote.WriteString("<shard><internal_replication>true</internal_replication>")
		for range replicas {
			p := ports{freePort(t), freePort(t), freePort(t)}
			ps[s] = append(ps[s], p)
			fmt.Fprintf(&remote, "<replica><host>127.0.0.1</host><port>%d</port></replica>", p.tcp)
		}
		remote.WriteString("</shard>")
	}
	remote.WriteString("</" + c.Name + "></remote_servers>")
	common := fmt.Sprintf(`<zookeeper><node><host>%s</host><port>%d</port></node><session_timeout_ms>5000</session_timeout_ms></zookeeper>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  %s`, z.Host, z.Port, remote.String())
	for s, rs := range ps {
		var shard []*Server
		for r, p := range rs {
			extra := fmt.Sprintf("%s\n  <interserver_http_port>%d</interserver_http_port>\n  <macros><shard>%02d</shard><replica>s%dr%d</replica></macros>",
				common, p.interserver, s+1, s+1, r+1)
			shard = append(shard, start(t, bin, p.http, p.tcp, extra))
		}
		c.Replicas = append(c.Replicas, shard)
		c.Shards = append(c.Shards, shard[0])
	}
	return c
}

// Kill stops the server at once (SIGKILL), keeping its data directory
// for Restart.
func (s *Server) Kill() { s.stop() }

// Restart starts a killed server again on its data directory and waits
// for it to answer. It first leaves the flag an operator leaves after a
// crash (flags/force_restore_data): a replicated table's part written
// locally but not yet registered in ZooKeeper when the server was killed
// is "unexpected", and the tests' tables are so small that one such part
// can be all their rows, over the share (replicated_max_ratio_of_wrong_parts)
// at which the server refuses to start; the flag has it detach the part
// and fetch what ZooKeeper lists instead.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	flags := filepath.Join(s.dir, "data", "flags")
	if err := os.MkdirAll(flags, 0o755); err != nil {
		t.Fatalf("restart clickhouse-server: %v", err)
	}
	if err := os.WriteFile(filepath.Join(flags, "force_restore_data"), nil, 0o644); err != nil {
		t.Fatalf("restart clickhouse-server: %v", err)
	}
	if err := s.launch(); err != nil {
		t.Fatalf("restart clickhouse-server: %v", err)
	}
	s.await(t)
}

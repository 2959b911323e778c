package chtest

import (
	"strings"
	"testing"
	"time"
)

// TestCluster starts two servers as the shards of one cluster: a
// Distributed table on the first spreads a synchronous insert over both
// shards' local tables and reads them back whole.
func TestCluster(t *testing.T) {
	c := StartCluster(t, 2)
	s0 := c.Shards[0]
	if got := strings.TrimSpace(string(s0.Post(t, "SELECT count() FROM system.clusters WHERE cluster = '"+c.Name+"'"))); got != "2" {
		t.Fatalf("cluster %s has %s shards, want 2", c.Name, got)
	}
	for _, s := range c.Shards {
		s.Post(t, "CREATE TABLE t_local (x UInt64) ENGINE = MergeTree ORDER BY x")
	}
	s0.Post(t, "CREATE TABLE t AS t_local ENGINE = Distributed("+c.Name+", default, t_local, rand())")
	if _, err := s0.Do("INSERT INTO t SELECT number FROM numbers(1000)", map[string]string{"insert_distributed_sync": "1"}); err != nil {
		t.Fatal(err)
	}
	for i, s := range c.Shards {
		if n := strings.TrimSpace(string(s.Post(t, "SELECT count() FROM t_local"))); n == "0" || n == "1000" {
			t.Errorf("shard %d holds %s of the 1000 rows, want some of them", i+1, n)
		}
	}
	if n := strings.TrimSpace(string(s0.Post(t, "SELECT count(), sum(x) FROM t"))); n != "1000\t499500" {
		t.Errorf("the Distributed table reads %q, want 1000 rows summing to 499500", n)
	}
}

// TestReplicatedCluster starts one shard of two replicas with a
// ZooKeeper: a ReplicatedMergeTree created on each (through ON CLUSTER,
// which runs through ZooKeeper's queue) copies a row inserted on one to
// the other, and a replica killed and restarted fetches the rows
// inserted while it was down.
func TestReplicatedCluster(t *testing.T) {
	c := StartReplicatedCluster(t, 1, 2)
	r1, r2 := c.Replicas[0][0], c.Replicas[0][1]
	r1.Post(t, "CREATE TABLE default.t ON CLUSTER "+c.Name+" (x UInt64) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/t', '{replica}') ORDER BY x")
	r1.Post(t, "INSERT INTO t SELECT number FROM numbers(100)")
	waitCount(t, r2, "SELECT count() FROM t", "100")
	r2.Kill()
	r1.Post(t, "INSERT INTO t SELECT number FROM numbers(100, 50)")
	r2.Restart(t)
	waitCount(t, r2, "SELECT count() FROM t", "150")
}

// waitCount waits up to 30 s for sql on s to answer want.
func waitCount(t *testing.T, s *Server, sql, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := s.Do(sql, nil)
		if err == nil && strings.TrimSpace(string(got)) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s on %s: %s, %v; want %s", sql, s.Addr, got, err, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

package chtest

import (
	"strings"
	"testing"
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

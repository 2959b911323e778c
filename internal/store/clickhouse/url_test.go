package clickhouse

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

func TestParseURL(t *testing.T) {
	for _, c := range []struct {
		in, endpoint, db string
		timeout          time.Duration
		settings         string
	}{
		{"clickhouse://ch:8123/lore", "http://ch:8123/", "lore", DefaultQueryTimeout, "preferred_block_size_bytes=65536"},
		{"clickhouse://ch/", "http://ch:8123/", "default", DefaultQueryTimeout, "preferred_block_size_bytes=65536"},
		{"clickhouse://u:p@[::1]:9000/db?secure=true&query_timeout=5s", "https://[::1]:9000/", "db", 5 * time.Second, "preferred_block_size_bytes=65536"},
		{"clickhouse://ch/db?max_memory_usage=1000", "http://ch:8123/", "db", DefaultQueryTimeout, "max_memory_usage=1000&preferred_block_size_bytes=65536"},
		{"clickhouse://ch/db?preferred_block_size_bytes=1000000", "http://ch:8123/", "db", DefaultQueryTimeout, "preferred_block_size_bytes=1000000"},
	} {
		got, err := parseURL(c.in)
		if err != nil || got.endpoint != c.endpoint || got.db != c.db || got.timeout != c.timeout || got.settings.Encode() != c.settings {
			t.Errorf("parseURL(%q) = %+v, %v", c.in, got, err)
		}
	}
	for _, in := range []string{
		"http://ch:8123/db", "clickhouse:///db", "clickhouse://ch/a-b", "clickhouse://ch/db;DROP", "clickhouse://ch/db?secure=maybe",
		"clickhouse://ch/db?query_timeout=soon", "clickhouse://ch/db?query_id=x", "clickhouse://ch/a/b",
		"clickhouse://ch/db?writer=", "clickhouse://ch/db?writer=%ff",
		"clickhouse://ch/db?cluster=a-b", "clickhouse://ch/db?shards=a:1", "clickhouse://ch/db?cluster=c&shards=a",
		"clickhouse://ch/db?cluster=c&shards=a:1,:2",
		"clickhouse://ch/db?cluster=c&shards=a:1|b:1", "clickhouse://ch/db?replicated=1", "clickhouse://ch/db?cluster=c&replicated=yes",
		"clickhouse://ch/db?cluster=c&replicated=1&shards=a:1|:1",
	} {
		if _, err := parseURL(in); err == nil {
			t.Errorf("parseURL(%q) succeeded", in)
		}
	}
	if got, err := parseURL("clickhouse://ch/db?writer=node%201&max_threads=2"); err != nil || got.writer != "node 1" || got.settings.Get("max_threads") != "2" {
		t.Errorf("parseURL with a writer = %+v, %v; want writer \"node 1\", not a setting", got, err)
	}
	got, err := parseURL("clickhouse://ch1:8124/db?cluster=lore&shards=ch1:8124,ch2:8124")
	if err != nil || got.cluster != "lore" || fmt.Sprint(got.shards) != "[[ch1:8124] [ch2:8124]]" || got.replicated ||
		got.settings.Get("insert_distributed_sync") != "1" || got.settings.Get("distributed_product_mode") != "global" {
		t.Errorf("parseURL of a cluster = %+v, %v; want its shards, synchronous inserts and global subqueries", got, err)
	}
	got, err = parseURL("clickhouse://ch1:8124/db?cluster=lore&replicated=1&shards=ch1:8124|ch2:8124,ch3:8124|ch4:8124")
	if err != nil || !got.replicated || fmt.Sprint(got.shards) != "[[ch1:8124 ch2:8124] [ch3:8124 ch4:8124]]" || got.settings.Get("insert_deduplicate") != "0" || got.settings.Get("load_balancing") != "in_order" {
		t.Errorf("parseURL of a replicated cluster = %+v, %v; want two shards of two replicas, inserts not deduplicated, replicas in order", got, err)
	}
	// A password never shows in an error.
	if _, err := parseURL("clickhouse://u:secret@ch/bad-name"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("an error shows the password: %v", err)
	}
}

// FuzzRows feeds the answer decoder arbitrary text: it returns rows or an
// error, never panics.
func FuzzRows(f *testing.F) {
	f.Add("a\tb\nArray(Nullable(String))\tTuple(UInt8, String)\n['x\\ty',NULL]\t(1,'a')\n")
	f.Add("n\nNullable(Float64)\n\\N\nnan\n-inf\n")
	f.Add("x\nUInt64\n18446744073709551615\n")
	f.Add("x\nString\nCode: 241, e.displayText() = DB::Exception: Memory limit\n")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := newRows(strings.NewReader(s))
		if err != nil {
			return
		}
		for r.next() {
			dest := make([]any, len(r.cur))
			for i := range dest {
				dest[i] = new(any)
			}
			if err := r.Scan(dest...); err != nil {
				t.Fatalf("Scan into *any: %v", err)
			}
		}
	})
}

// TestOpenUnreachable: a server that is not there is an error naming it,
// within the context's deadline.
func TestOpenUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := Open(ctx, "clickhouse://"+addr+"/db", nil); err == nil || !strings.Contains(err.Error(), addr) {
		t.Errorf("Open of a closed port: %v, want an error naming %s", err, addr)
	}
}

// TestReplicaEngine: every MergeTree family engine of a migration's
// CREATE becomes its Replicated one at the path given, keeping its
// arguments; a statement without one is unchanged.
func TestReplicaEngine(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"CREATE TABLE IF NOT EXISTS t (x Int8) ENGINE = MergeTree() ORDER BY x",
			"CREATE TABLE IF NOT EXISTS t (x Int8) ENGINE = ReplicatedMergeTree('/p/t', '{replica}') ORDER BY x"},
		{"CREATE TABLE IF NOT EXISTS t (x Int8) ENGINE = AggregatingMergeTree() PARTITION BY x ORDER BY x SETTINGS index_granularity = 1024",
			"CREATE TABLE IF NOT EXISTS t (x Int8) ENGINE = ReplicatedAggregatingMergeTree('/p/t', '{replica}') PARTITION BY x ORDER BY x SETTINGS index_granularity = 1024"},
		{"CREATE TABLE IF NOT EXISTS t (x Int8, n UInt64) ENGINE = SummingMergeTree(n) ORDER BY x",
			"CREATE TABLE IF NOT EXISTS t (x Int8, n UInt64) ENGINE = ReplicatedSummingMergeTree('/p/t', '{replica}', n) ORDER BY x"},
		{"CREATE MATERIALIZED VIEW IF NOT EXISTS v TO t AS SELECT 1", "CREATE MATERIALIZED VIEW IF NOT EXISTS v TO t AS SELECT 1"},
	} {
		if got := replicaEngine(c.in, "/p/t"); got != c.want {
			t.Errorf("replicaEngine(%q) =\n%q, want\n%q", c.in, got, c.want)
		}
	}
}

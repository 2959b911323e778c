package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/chtest"
	"github.com/lore-dev/lore/internal/pgtest"
)

// TestAcknowledgedEventsSurviveNodeLossOnClickHouse runs two Lore nodes
// (lore serve --store clickhouse://…, each with its own data directory
// and --node-id) on one real ClickHouse database, ingests through both
// from concurrent clients, kills one node with SIGKILL mid-stream while
// the other goes on ingesting, and starts a replacement on the dead
// node's data directory under its node id. Every batch either node
// acknowledged is then in ClickHouse exactly once (all 100 of its
// events, none twice), read directly on the server and through each
// node's API, and the replacement ingests on. Under another node id the
// dead node's data directory is refused. Once with each node's metadata
// in its own SQLite file, once with both on one PostgreSQL database (the
// deployment of several nodes), and once with the events sharded over
// two ClickHouse servers.
func TestAcknowledgedEventsSurviveNodeLossOnClickHouse(t *testing.T) {
	srv := chtest.Start(t)
	t.Run("OwnSQLiteMeta", func(t *testing.T) {
		testNodeLoss(t, srv, "nodes_sqlite", "clickhouse://"+srv.Addr+"/nodes_sqlite")
	})
	t.Run("SharedPostgreSQLMeta", func(t *testing.T) {
		testNodeLoss(t, srv, "nodes_postgres", "clickhouse://"+srv.Addr+"/nodes_postgres", "--meta", pgtest.Start(t).NewDatabase(t), "--lease-ttl", "3s")
	})
	// The events sharded over two servers (Distributed tables).
	t.Run("TwoShards", func(t *testing.T) {
		c := chtest.StartCluster(t, 2)
		testNodeLoss(t, c.Shards[0], "nodes_shards", c.StoreURL("nodes_shards"))
	})
}

// testNodeLoss runs the test on the store URL storeURL, database db of
// srv, each node started with args too.
func testNodeLoss(t *testing.T, srv *chtest.Server, db, storeURL string, args ...string) {
	dirA, dirB := t.TempDir(), t.TempDir()
	node := func(id string) []string {
		return append([]string{"--store", storeURL, "--node-id", id}, args...)
	}
	nodeA := startLore(t, dirA, node("node-a")...)
	nodeB := startLore(t, dirB, node("node-b")...)

	const perNode, maxBatches = 4, 600
	// acked[node][client]: batches 0..n-1 were answered 200.
	acked := [2][perNode]int{}
	hc := &http.Client{Timeout: 10 * time.Second}
	ctxA, cancelA := context.WithCancel(context.Background())
	ctxB, cancelB := context.WithCancel(context.Background())
	defer cancelA()
	defer cancelB()
	var wg sync.WaitGroup
	for n, p := range []*proc{nodeA, nodeB} {
		ctx := []context.Context{ctxA, ctxB}[n]
		for c := range perNode {
			wg.Add(1)
			go func() {
				defer wg.Done()
				client := n*perNode + c
				for b := 0; b < maxBatches && ctx.Err() == nil; b++ {
					status, _, body, err := post(ctx, hc, p.url, "/api/v1/ingest", ingestKey, "application/x-ndjson", batchBody("nodes", client, b))
					if err != nil {
						return // the node is gone, or the test stopped sending
					}
					if status != 200 {
						t.Errorf("node %d client %d batch %d: %d %s", n, client, b, status, body)
						return
					}
					acked[n][c] = b + 1
				}
			}()
		}
	}
	time.Sleep(2 * time.Second)
	nodeA.signal(syscall.SIGKILL)
	cancelA()
	// node-b goes on taking events while node-a is dead.
	time.Sleep(time.Second)
	cancelB()
	wg.Wait()
	t.Logf("batches acknowledged per client before node-a's SIGKILL: node-a %v, node-b %v", acked[0], acked[1])
	for n := range acked {
		total := 0
		for _, k := range acked[n] {
			total += k
		}
		if total < perNode {
			t.Fatalf("node %d acknowledged too few batches to prove anything: %v", n, acked[n])
		}
	}

	// Under another node id the data directory is refused: its log's
	// events would be loaded again, as another writer's.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wrong := exec.CommandContext(ctx, loreBinary, append([]string{"serve", "--data", dirA, "--addr", "127.0.0.1:0", "--otlp-grpc-addr", "", "--ingest-key", ingestKey,
		"--read-key", readKey, "--admin-key", adminKey}, node("node-c")...)...)
	if out, err := wrong.CombinedOutput(); err == nil || !strings.Contains(string(out), `--node-id "node-a"`) {
		t.Errorf("node-a's data directory started as node-c: %v, want a refusal naming node-a\n%s", err, out)
	}
	// node-a's replacement: its data directory, its node id (with shared
	// metadata, once node-a's writer lease has expired).
	nodeA2 := startLore(t, dirA, node("node-a")...)
	if slices.Contains(args, "--meta") {
		// A second live process under node-b's id is refused: it would
		// delete node-b's rows in flight.
		twin := exec.CommandContext(ctx, loreBinary, append([]string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--otlp-grpc-addr", "", "--ingest-key", ingestKey,
			"--read-key", readKey, "--admin-key", adminKey}, node("node-b")...)...)
		if out, err := twin.CombinedOutput(); err == nil || !strings.Contains(string(out), `node id "node-b": another live node writes to ClickHouse under it`) {
			t.Errorf("a second node-b started while node-b runs: %v, want a refusal naming node-b\n%s", err, out)
		}
	}
	waitLoaded(t, nodeA2.url)
	waitLoaded(t, nodeB.url)
	// It ingests on (its seqs continue its own, not node-b's).
	for b := range 5 {
		if status, _, body, err := post(context.Background(), hc, nodeA2.url, "/api/v1/ingest", ingestKey, "application/x-ndjson", batchBody("nodes", 99, b)); err != nil || status != 200 {
			t.Fatalf("ingest through node-a's replacement: %d %s %v", status, body, err)
		}
	}
	waitLoaded(t, nodeA2.url)

	// On the server: each batch's events, counted by its batch tag.
	stored := map[string]int64{}
	out := srv.Post(t, "SELECT attr_values[indexOf(attr_keys, 'batch')] AS b, count() FROM "+db+".events WHERE service = 'nodes' GROUP BY b FORMAT TSV")
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		b, c, ok := strings.Cut(line, "\t")
		n, err := strconv.ParseInt(c, 10, 64)
		if !ok || err != nil {
			t.Fatalf("ClickHouse answered %q", line)
		}
		stored[b] = n
	}
	for b, n := range stored {
		if n > 100 {
			t.Errorf("batch %s is stored %d times over (%d events of 100)", b, n/100, n)
		}
	}
	check := func(where string, counts map[string]int64) {
		t.Helper()
		missing := 0
		for n := range acked {
			for c, k := range acked[n] {
				client := n*perNode + c
				for b := range k {
					if got := counts[fmt.Sprintf("c%d-b%d", client, b)]; got != 100 {
						missing++
						if missing <= 10 {
							t.Errorf("%s: node %d client %d batch %d was acknowledged, %d of its 100 events are there", where, n, client, b, got)
						}
					}
				}
			}
		}
		for b := range 5 {
			if got := counts[fmt.Sprintf("c99-b%d", b)]; got != 100 {
				t.Errorf("%s: batch %d through node-a's replacement: %d of its 100 events", where, b, got)
			}
		}
	}
	check("ClickHouse", stored)
	// Through each node's API, which read the same database.
	var sum int64
	for _, n := range stored {
		sum += n
	}
	for _, p := range []*proc{nodeA2, nodeB} {
		counts := map[string]int64{}
		if _, total := facetCounts(t, p.url, "service:nodes", "client"); total != sum {
			t.Errorf("%s counts %d events, ClickHouse holds %d", p.url, total, sum)
		}
		for _, client := range []int{0, 1, 2, 3, 4, 5, 6, 7, 99} {
			m, _ := facetCounts(t, p.url, "service:nodes client:c"+strconv.Itoa(client), "batch")
			for b, n := range m {
				counts[b] = n
			}
		}
		check(p.url, counts)
	}
	if strings.Contains(nodeA2.log(), "deleting the rows of unrecorded batches") {
		t.Log("node-a's replacement deleted the rows of a batch it had not recorded before the kill, and replayed it")
	}
}

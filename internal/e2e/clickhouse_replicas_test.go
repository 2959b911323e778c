package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/chtest"
)

// TestAcknowledgedEventsSurviveReplicaLossOnClickHouse runs two Lore
// nodes on a replicated ClickHouse cluster (one shard of two replicas
// with ZooKeeper, the store URL's replicated=1), ingests through both
// from concurrent clients, kills the ClickHouse server the store URL
// names with SIGKILL mid-stream while the clients go on, and restarts
// it. Both nodes keep acknowledging (their stores go on through the
// other replica), and every batch either node acknowledged is then on
// both replicas exactly once (all 100 of its events, none twice), and
// counted so through each node's API.
func TestAcknowledgedEventsSurviveReplicaLossOnClickHouse(t *testing.T) {
	c := chtest.StartReplicatedCluster(t, 1, 2)
	const db = "nodes_replicas"
	storeURL := c.StoreURL(db)
	nodes := []*proc{
		startLore(t, t.TempDir(), "--store", storeURL, "--node-id", "node-a"),
		startLore(t, t.TempDir(), "--store", storeURL, "--node-id", "node-b"),
	}
	const perNode, maxBatches = 3, 600
	var mu sync.Mutex
	acked := map[string]bool{} // "cCLIENT-bBATCH" answered 200
	afterKill := 0             // of them, answered after the kill
	killed := false
	hc := &http.Client{Timeout: 30 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for n, p := range nodes {
		for cl := range perNode {
			wg.Add(1)
			go func() {
				defer wg.Done()
				client := n*perNode + cl
				for b := 0; b < maxBatches && ctx.Err() == nil; b++ {
					status, _, body, err := post(ctx, hc, p.url, "/api/v1/ingest", ingestKey, "application/x-ndjson", batchBody("replicas", client, b))
					if err != nil {
						return // the test stopped sending
					}
					if status != 200 {
						t.Errorf("node %d client %d batch %d: %d %s", n, client, b, status, body)
						return
					}
					mu.Lock()
					acked[fmt.Sprintf("c%d-b%d", client, b)] = true
					if killed {
						afterKill++
					}
					mu.Unlock()
				}
			}()
		}
	}
	time.Sleep(2 * time.Second)
	c.Replicas[0][0].Kill()
	mu.Lock()
	killed = true
	mu.Unlock()
	time.Sleep(3 * time.Second)
	cancel()
	wg.Wait()
	t.Logf("%d batches acknowledged, %d of them after the URL's ClickHouse server was killed", len(acked), afterKill)
	if afterKill == 0 {
		t.Fatal("no batch acknowledged after the kill")
	}
	// The nodes load what they acknowledged through the replica left.
	for _, p := range nodes {
		waitLoaded(t, p.url)
	}
	c.Replicas[0][0].Restart(t)

	// On each replica: each batch's events, counted by its batch tag,
	// once the restarted one has caught up.
	var sum int64
	for _, r := range c.Replicas[0] {
		deadline := time.Now().Add(time.Minute)
		for {
			stored := map[string]int64{}
			out, err := r.Do("SELECT attr_values[indexOf(attr_keys, 'batch')] AS b, count() FROM "+db+".events_local WHERE service = 'replicas' GROUP BY b FORMAT TSV", nil)
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				b, cnt, _ := strings.Cut(line, "\t")
				stored[b], _ = strconv.ParseInt(cnt, 10, 64)
			}
			var bad []string
			for b := range acked {
				if stored[b] != 100 {
					bad = append(bad, fmt.Sprintf("%s: %d of 100", b, stored[b]))
				}
			}
			for b, n := range stored {
				if n > 100 {
					bad = append(bad, fmt.Sprintf("%s stored %d times over", b, n/100))
				}
			}
			if err == nil && len(bad) == 0 {
				sum = 0
				for _, n := range stored {
					sum += n
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica %s after a minute: %v; %d batches wrong: %.20v", r.Addr, err, len(bad), bad)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	// Through each node's API, which reads the same database.
	for _, p := range nodes {
		if _, total := facetCounts(t, p.url, "service:replicas", "client"); total != sum {
			t.Errorf("%s counts %d events, the replicas hold %d", p.url, total, sum)
		}
		if strings.Contains(p.log(), "cannot append batch to the store; retrying") {
			t.Logf("%s retried an append that the kill interrupted", p.url)
		}
	}
}

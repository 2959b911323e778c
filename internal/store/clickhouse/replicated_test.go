package clickhouse

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/services"
	"github.com/lore-dev/lore/internal/chtest"
	"github.com/lore-dev/lore/internal/store"
)

// TestReplicated runs the store's exactly-once, several-writers and
// lifecycle tests on a replicated cluster: one shard of two replicas
// with ZooKeeper, every table a Replicated* one on both.
func TestReplicated(t *testing.T) {
	c := chtest.StartReplicatedCluster(t, 1, 2)
	t.Run("ExactlyOnce", func(t *testing.T) { testExactlyOnce(t, c.StoreURL("exactly_once")) })
	t.Run("FailedAppend", func(t *testing.T) { testFailedAppend(t, c.StoreURL("failed_append")) })
	t.Run("Writers", func(t *testing.T) { testWriters(t, c.StoreURL("writers")) })
	t.Run("WriterNumbers", func(t *testing.T) { testWriterNumbers(t, c.StoreURL("writer_numbers")) })
	t.Run("Erase", func(t *testing.T) { testErase(t, c.StoreURL("erase")) })
	// With insert_quorum=2 (a ClickHouse setting on the URL) an
	// acknowledged batch is on both replicas when Append returns; its
	// cost is logged beside the same appends without it.
	t.Run("Quorum", func(t *testing.T) {
		ctx := context.Background()
		const n, size = 20, 1000
		took := map[string]time.Duration{}
		for _, q := range []string{"", "&insert_quorum=2"} {
			db := "quorum" + strings.TrimPrefix(strings.TrimPrefix(q, "&insert_quorum="), "")
			s := mustOpen(t, strings.Replace(c.StoreURL(db), "?", "?writer=w"+q+"&", 1))
			for seq := uint64(1); seq <= n; seq++ {
				start := time.Now()
				if err := s.Append(ctx, store.Batch{Seq: seq, Events: evs(size, "q")}); err != nil {
					t.Fatal(err)
				}
				took[q] += time.Since(start)
				if q == "" {
					continue
				}
				for _, r := range c.Replicas[0] {
					if got := strings.TrimSpace(string(r.Post(t, fmt.Sprintf("SELECT count() FROM %s.events_local WHERE seq = %d", db, seq)))); got != fmt.Sprint(size) {
						t.Fatalf("replica %s holds %s rows of batch %d just acknowledged with insert_quorum=2, want %d", r.Addr, got, seq, size)
					}
				}
			}
		}
		t.Logf("an append of %d events takes %v without a quorum, %v with insert_quorum=2 (mean of %d)", size, took[""]/n, took["&insert_quorum=2"]/n, n)
	})
	// A node opens a database at the latest version while the URL's
	// server is down (through the next one of shards), appends, and the
	// server, back, fetches what it missed.
	t.Run("OpenWithReplicaDown", func(t *testing.T) {
		ctx := context.Background()
		u := c.StoreURL("down")
		s := mustOpen(t, u)
		if err := s.Append(ctx, store.Batch{Seq: 1, Events: evs(10, "before")}); err != nil {
			t.Fatal(err)
		}
		s.Close()
		first := c.Replicas[0][0]
		first.Kill()
		s = mustOpen(t, u+"&writer=later")
		if err := s.Append(ctx, store.Batch{Seq: 1, Events: evs(20, "while down")}); err != nil {
			t.Fatal(err)
		}
		if n := count(t, s, ""); n != 30 {
			t.Errorf("%d events read while the URL's server is down, want 30", n)
		}
		first.Restart(t)
		waitFor(t, first, "SELECT count() FROM down.events_local", "30")
	})
	// The rollups' repair of stale days waits while a replica is down
	// (it would recompute from one replica's events without the rows
	// of parts it has yet to fetch), and runs once it is back.
	t.Run("RepairWaitsForReplicas", func(t *testing.T) {
		ctx := context.Background()
		s := mustOpen(t, c.StoreURL("repair"))
		if err := s.Append(ctx, store.Batch{Seq: 1, Events: evs(10, "r")}); err != nil {
			t.Fatal(err)
		}
		// A mark of a recomputation that never ended, an hour old.
		day := t0 / dayMicros
		if err := s.exec(ctx, s.db, fmt.Sprintf("INSERT INTO rollup_stale VALUES (-1, %d, 7, 1, now() - 3600)", day)); err != nil {
			t.Fatal(err)
		}
		open := func() int64 {
			t.Helper()
			return ints(t, s, "SELECT count() FROM (SELECT token FROM rollup_stale GROUP BY project_id, day, token HAVING min(stale) = 1)")[0]
		}
		second := c.Replicas[0][1]
		second.Kill()
		// Until ZooKeeper ends the killed server's session it counts
		// as active.
		waitFor(t, c.Replicas[0][0], "SELECT min(active_replicas) FROM system.replicas WHERE database = 'repair'", "1")
		if err := s.repairStale(ctx); err != nil {
			t.Fatal(err)
		}
		if n := open(); n != 1 {
			t.Errorf("%d stale marks left after a repair with a replica down, want the 1 kept", n)
		}
		second.Restart(t)
		waitFor(t, c.Replicas[0][0], "SELECT min(active_replicas) FROM system.replicas WHERE database = 'repair'", "2")
		if err := s.repairStale(ctx); err != nil {
			t.Fatal(err)
		}
		if n := open(); n != 0 {
			t.Errorf("%d stale marks left after a repair with every replica up, want 0", n)
		}
	})
	t.Run("Layout", func(t *testing.T) {
		mustOpen(t, c.StoreURL("layout")).Close()
		// Every table is on both replicas, replicated.
		for _, r := range c.Replicas[0] {
			got := strings.TrimSpace(string(r.Post(t, "SELECT name, engine FROM system.tables WHERE database = 'layout' AND engine NOT IN ('Distributed', 'View', 'MaterializedView') ORDER BY name FORMAT TSV")))
			for _, line := range strings.Split(got, "\n") {
				if !strings.Contains(line, "\tReplicated") {
					t.Errorf("%s: table %q is not replicated", r.Addr, line)
				}
			}
			if !strings.Contains(got, "batches\t") || !strings.Contains(got, "events_local\t") || !strings.Contains(got, "schema_migrations\t") {
				t.Errorf("%s holds %q, want the batch records, events and schema versions", r.Addr, got)
			}
		}
		u := strings.Replace(c.StoreURL("layout"), "&replicated=1", "", 1)
		u = u[:strings.Index(u, "&shards=")]
		if _, err := Open(context.Background(), u, nil); err == nil || !strings.Contains(err.Error(), "replicated=1") {
			t.Errorf("a replicated database opened without replicated=1: %v, want a refusal", err)
		}
	})
}

// TestReplicaLoss has two writers append through a replicated cluster
// (one shard of two replicas) as the pipeline does (an Append that
// fails is retried until LastSeq says it is in), kills the URL's
// server with SIGKILL mid-stream, and checks that both writers go on
// through the other replica, that reads answer meanwhile, and that once
// the killed replica is back and has caught up both replicas hold every
// acknowledged batch exactly once.
func TestReplicaLoss(t *testing.T) {
	c := chtest.StartReplicatedCluster(t, 1, 2)
	first := c.Replicas[0][0]
	u := c.StoreURL("loss")
	const batches, perBatch, killAt = 40, 1000, 10
	ctx := context.Background()
	writers := []*Store{mustOpen(t, u+"&writer=a"), mustOpen(t, u+"&writer=b")}
	killed := make(chan struct{})
	var kill sync.Once
	var failed atomic.Int64 // Appends that failed and were retried
	var mu sync.Mutex
	var longest time.Duration // the longest append, retries included
	var wg sync.WaitGroup
	for w, s := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := uint64(1); seq <= batches; seq++ {
				evs := evs(perBatch, fmt.Sprintf("w%d b%d", w, seq))
				start := time.Now()
				if err := appendRetry(ctx, s, store.Batch{Seq: seq, Events: evs}, &failed); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				took := time.Since(start)
				mu.Lock()
				longest = max(longest, took)
				mu.Unlock()
				if w == 0 && seq == killAt {
					// The kill comes while both writers append.
					go kill.Do(func() { time.Sleep(15 * time.Millisecond); first.Kill(); close(killed) })
				}
			}
		}()
	}
	wg.Wait()
	kill.Do(func() { first.Kill(); close(killed) }) // when no writer came to the kill
	<-killed
	if t.Failed() {
		return
	}
	t.Logf("%d appends failed at the kill and were retried; the longest append, retries included, took %v", failed.Load(), longest)
	// Reads answer through the replica left.
	if n := count(t, writers[0], ""); n == 0 {
		t.Errorf("no events read with the URL's server down")
	}
	first.Restart(t)
	// Both replicas come to hold every batch of both writers once (the
	// restarted one once it has fetched what it missed and applied the
	// recoveries' deletions).
	want := fmt.Sprintf("1\t%[1]d\t%[1]d\t1\t%[1]d\t%[2]d\n2\t%[1]d\t%[1]d\t1\t%[1]d\t%[2]d", batches, batches*perBatch)
	for _, r := range c.Replicas[0] {
		waitFor(t, r, "SELECT writer, count(), uniqExact(seq), min(seq), max(seq), sum(c) FROM "+
			"(SELECT writer, seq, uniqExact(message) AS n, count() AS c FROM loss.events_local GROUP BY writer, seq HAVING c = n AND n = "+fmt.Sprint(perBatch)+
			") GROUP BY writer ORDER BY writer FORMAT TSV", want)
		waitFor(t, r, "SELECT count() FROM loss.events_local", fmt.Sprint(2*batches*perBatch))
	}
	// The service series (from the rollups, but of the days the
	// recovery marked stale, which it does not recompute, from the
	// events) counts every event once.
	minute := t0 / minuteMicros * minuteMicros
	pts, err := services.Series{ProjectID: 1, Range: store.Range{From: minute, To: minute + 2*minuteMicros}, Step: minuteMicros}.Run(ctx, writers[0])
	logs := int64(0)
	for _, p := range pts {
		logs += p.Logs
	}
	if err != nil || logs != 2*batches*perBatch {
		t.Errorf("the service series counts %d logs, %v; want %d", logs, err, 2*batches*perBatch)
	}
	for _, s := range writers {
		if last, err := s.LastSeq(ctx); err != nil || last != batches {
			t.Errorf("LastSeq = %d, %v; want %d", last, err, batches)
		}
	}
}

// appendRetry appends b as the pipeline does: a failed Append is tried
// again (after LastSeq says it is not in) until it succeeds or a minute
// passes.
func appendRetry(ctx context.Context, s *Store, b store.Batch, failed *atomic.Int64) error {
	deadline := time.Now().Add(time.Minute)
	for {
		err := s.Append(ctx, b)
		if err == nil {
			return nil
		}
		failed.Add(1)
		if last, lerr := s.LastSeq(ctx); lerr == nil && last >= b.Seq {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("batch %d: %w", b.Seq, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitFor waits up to a minute for sql on replica r to answer want
// (TSV), failing t with the last answer.
func waitFor(t *testing.T, r *chtest.Server, sql, want string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		got, err := r.Do(sql, nil)
		if err == nil && strings.TrimSpace(string(got)) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("replica %s answers, after a minute:\n%s%v\nwant:\n%s\n(%s)", r.Addr, got, err, want, sql)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestReplicatedShards runs the exactly-once, several-writers and
// retention tests on two shards of two replicas, and checks that the
// rows are spread over both shards and that each shard's replicas hold
// the same ones.
func TestReplicatedShards(t *testing.T) {
	c := chtest.StartReplicatedCluster(t, 2, 2)
	t.Run("ExactlyOnce", func(t *testing.T) { testExactlyOnce(t, c.StoreURL("exactly_once")) })
	t.Run("Writers", func(t *testing.T) { testWriters(t, c.StoreURL("writers")) })
	t.Run("Retention", func(t *testing.T) {
		ctx := context.Background()
		s := mustOpen(t, c.StoreURL("retention"))
		old, recent := evs(300, "old"), evs(200, "recent")
		for i := range recent {
			recent[i].TS += 10 * dayMicros
		}
		if err := s.Append(ctx, store.Batch{Seq: 1, Events: append(old, recent...)}); err != nil {
			t.Fatal(err)
		}
		n, err := s.DeleteEvents(ctx, 1, "log", t0+dayMicros)
		if err != nil || n != 300 {
			t.Fatalf("DeleteEvents = %d, %v; want the 300 old events", n, err)
		}
		if got := count(t, s, ""); got != 200 {
			t.Errorf("%d events after retention, want the 200 recent ones", got)
		}
	})
	t.Run("Spread", func(t *testing.T) {
		s := mustOpen(t, c.StoreURL("spread"))
		if err := s.Append(context.Background(), store.Batch{Seq: 1, Events: evs(1000, "spread")}); err != nil {
			t.Fatal(err)
		}
		total := 0
		for i, rs := range c.Replicas {
			var first string
			for j, r := range rs {
				var got string
				deadline := time.Now().Add(30 * time.Second)
				for {
					got = strings.TrimSpace(string(r.Post(t, "SELECT count(), sum(cityHash64(message)) FROM spread.events_local")))
					if j == 0 || got == first || time.Now().After(deadline) {
						break
					}
					time.Sleep(100 * time.Millisecond)
				}
				if j == 0 {
					first = got
					n, _ := strconv.Atoi(strings.Split(got, "\t")[0])
					if n == 0 || n == 1000 {
						t.Errorf("shard %d holds %d of the 1000 events, want some", i+1, n)
					}
					total += n
				} else if got != first {
					t.Errorf("shard %d: replica %d holds %q, replica 1 %q", i+1, j+1, got, first)
				}
			}
		}
		if total != 1000 {
			t.Errorf("the shards hold %d events, want 1000", total)
		}
	})
}

package clickhouse

import (
	"context"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/chtest"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// TestCluster runs the store's exactly-once, several-writers and
// lifecycle tests on a database sharded over two servers (Distributed
// tables over each shard's local ones), and checks the rows are spread
// over both shards.
func TestCluster(t *testing.T) {
	c := chtest.StartCluster(t, 2)
	t.Run("ExactlyOnce", func(t *testing.T) { testExactlyOnce(t, c.StoreURL("exactly_once")) })
	t.Run("FailedAppend", func(t *testing.T) { testFailedAppend(t, c.StoreURL("failed_append")) })
	t.Run("Writers", func(t *testing.T) { testWriters(t, c.StoreURL("writers")) })
	t.Run("WriterNumbers", func(t *testing.T) { testWriterNumbers(t, c.StoreURL("writer_numbers")) })
	t.Run("Erase", func(t *testing.T) { testErase(t, c.StoreURL("erase")) })
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
		n, err := s.DeleteEvents(ctx, 1, event.KindLog, t0+dayMicros)
		if err != nil || n != 300 {
			t.Fatalf("DeleteEvents = %d, %v; want the 300 old events", n, err)
		}
		if got := count(t, s, ""); got != 200 {
			t.Errorf("%d events after retention, want the 200 recent ones", got)
		}
	})
	t.Run("Layout", func(t *testing.T) {
		mustOpen(t, c.StoreURL("layout")).Close()
		single := "clickhouse://" + c.Shards[0].Addr + "/layout"
		if _, err := Open(context.Background(), single, nil); err == nil || !strings.Contains(err.Error(), "cluster") {
			t.Errorf("a sharded database opened without its cluster: %v, want a refusal", err)
		}
		mustOpen(t, "clickhouse://"+c.Shards[1].Addr+"/plain").Close()
		u := strings.Replace(c.StoreURL("plain"), c.Shards[0].Addr+"/", c.Shards[1].Addr+"/", 1)
		if _, err := Open(context.Background(), u, nil); err == nil || !strings.Contains(err.Error(), "one server") {
			t.Errorf("a database of one server opened with a cluster: %v, want a refusal", err)
		}
	})
	t.Run("Spread", func(t *testing.T) {
		s := mustOpen(t, c.StoreURL("spread"))
		if err := s.Append(context.Background(), store.Batch{Seq: 1, Events: evs(1000, "spread")}); err != nil {
			t.Fatal(err)
		}
		for i, sh := range c.Shards {
			got := strings.TrimSpace(string(sh.Post(t, "SELECT count() FROM spread.events_local")))
			if got == "0" || got == "1000" {
				t.Errorf("shard %d holds %s of the 1000 events, want some", i+1, got)
			}
		}
		st, err := s.Stats(context.Background())
		if err != nil || st.Events != 1000 || st.DiskBytes <= 0 {
			t.Errorf("Stats = %+v, %v", st, err)
		}
	})
}

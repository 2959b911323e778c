package app

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/patterns"
	"github.com/lore-dev/lore/internal/pgtest"
)

// clusterLines are error logs without a stack whose log pattern families
// depend on the order a miner sees them: the customer names are plain
// words, so the first name a node sees heads the family on that node.
var clusterLines = []string{
	"payment declined for customer alice after 3 retries",
	"payment declined for customer bob after 1 retries",
	"payment declined for customer carol after 7 retries",
	"payment declined for customer dave after 2 retries",
	"payment declined for customer erin after 5 retries",
	"cache miss on shard 12 for key session:991",
	"cache miss on shard 4 for key session:17",
	"upstream timeout calling inventory after 3000 ms",
	"upstream timeout calling billing after 120 ms",
}

// process runs the node's ingest processors (in stage order, as its sink
// does) over one error log per line, in the order given, and returns
// what each line became, by line.
func process(t *testing.T, a *App, lines []string) map[string]event.Event {
	t.Helper()
	ctx := context.Background()
	out := map[string]event.Event{}
	ts := time.Now().UnixMicro()
	for i, line := range lines {
		events := []event.Event{{TS: ts + int64(i), ProjectID: 1, Kind: event.KindLog, Level: event.LevelError, Service: "checkout", Message: line}}
		for _, p := range a.chain() {
			var err error
			if events, err = p.Process(ctx, events); err != nil {
				t.Fatalf("process %q: %v", line, err)
			}
		}
		for _, e := range events {
			if e.Kind == event.KindError && e.Message == line {
				out[line] = e
			}
		}
		if _, ok := out[line]; !ok {
			t.Fatalf("%q: no error event came out of the processors: %+v", line, events)
		}
	}
	return out
}

// twoNodes serves two nodes on one new PostgreSQL metadata database.
func twoNodes(t *testing.T) (a, b *App) {
	t.Helper()
	dbURL := pgtest.Start(t).NewDatabase(t)
	a, _ = serve(t, Config{DataDir: t.TempDir(), Meta: dbURL, NodeID: "node-a", Addr: "127.0.0.1:0"})
	b, _ = serve(t, Config{DataDir: t.TempDir(), Meta: dbURL, NodeID: "node-b", Addr: "127.0.0.1:0"})
	return a, b
}

// TestFingerprintsAgreeAcrossNodes: two nodes on one PostgreSQL metadata
// database, fed the same errors without a stack in opposite orders, give
// each error the same fingerprint, and so track one issue per error, not
// one per node.
func TestFingerprintsAgreeAcrossNodes(t *testing.T) {
	a, b := twoNodes(t)
	reversed := slices.Clone(clusterLines)
	slices.Reverse(reversed)
	byA, byB := process(t, a, clusterLines), process(t, b, reversed)
	fps := map[string]bool{}
	for _, line := range clusterLines {
		fa, fb := byA[line].Fingerprint, byB[line].Fingerprint
		if fa == "" || fa != fb {
			t.Errorf("%q: fingerprint %q on node-a, %q on node-b", line, fa, fb)
		}
		fps[fa] = true
	}
	issues, err := a.meta.Issues(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(issues) != len(fps) {
		t.Errorf("%d issues tracked for %d fingerprints: %+v", len(issues), len(fps), issues)
	}
}

// TestPatternIDsAgreeAcrossNodes: two nodes on one PostgreSQL metadata
// database label the same log lines with the same pattern ids once they
// have shared their templates (every second, and when they stop), though
// each saw the lines in another order; either node finds the template of
// an id the other stamped.
func TestPatternIDsAgreeAcrossNodes(t *testing.T) {
	a, b := twoNodes(t)
	reversed := slices.Clone(clusterLines)
	slices.Reverse(reversed)
	firstA, firstB := process(t, a, clusterLines), process(t, b, reversed)
	ctx := context.Background()
	for range 2 {
		for _, n := range []*App{a, b} {
			if err := n.patterns.Sync(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	thenA, thenB := process(t, a, clusterLines), process(t, b, clusterLines)
	for _, line := range clusterLines {
		id := pid(t, thenA[line])
		if got := pid(t, thenB[line]); got != id {
			t.Errorf("%q: pattern id %s on node-a, %s on node-b", line, id, got)
		}
		for _, n := range []*App{a, b} {
			for _, before := range []string{pid(t, firstA[line]), pid(t, firstB[line])} {
				if g, ok := n.patterns.Group(1, before); !ok || g.ID != id {
					t.Errorf("%q: id %s stamped before the nodes agreed: group %+v (found %v), want %s", line, before, g, ok, id)
				}
			}
		}
	}
}

func pid(t *testing.T, e event.Event) string {
	t.Helper()
	id, ok := e.Attr(patterns.AttrKey)
	if !ok || id == "" {
		t.Fatalf("%q: no pattern id", e.Message)
	}
	return id
}

package clickhouse_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/product"
	"github.com/lore-dev/lore/internal/analysis/services"
	"github.com/lore-dev/lore/internal/chtest"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/clickhouse"
	"github.com/lore-dev/lore/internal/store/duckdb"
	"github.com/lore-dev/lore/internal/store/storetest"
)

// productStream is random product events of project 1 from start over
// two days: persons (some identified, so that an anonymous id maps to a
// user) whose events are spaced by gaps around the 30 minutes that end a
// session without an id (exactly 30 minutes, a microsecond more, equal
// timestamps), pageviews with referrers, UTM values and devices, and
// track events named as funnel steps.
func productStream(start time.Time) []event.Event {
	const (
		sec = int64(time.Second / time.Microsecond)
		min = 60 * sec
	)
	rng := rand.New(rand.NewPCG(3, 5))
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	gaps := []int64{0, 0, sec, 5 * sec, 29 * min, 30 * min, 30*min + 1, 31 * min, 3 * 60 * min}
	var evs []event.Event
	for p := range 80 {
		anon, user := fmt.Sprintf("anon-%d", p), ""
		if p%3 > 0 {
			user = fmt.Sprintf("user-%d", p)
		}
		ts := start.UnixMicro() + rng.Int64N(40*60*min)
		tied := false
		for i := range 1 + rng.IntN(16) {
			// Equal timestamps only for track events, and never twice in a
			// row: an entry or exit page tied with another would be
			// either.
			gap := int64(-1)
			for i > 0 && (gap < 0 || gap == 0 && tied) {
				gap = gaps[rng.IntN(len(gaps))]
			}
			ts += max(gap, 0)
			tied = gap == 0
			e := event.Event{ProjectID: 1, TS: ts, ReceivedAt: ts, AnonymousID: anon}
			// Identified from the third event on: earlier ones map to
			// the user through the pair.
			if i >= 2 {
				e.UserID = user
			}
			if tied || rng.IntN(3) == 0 {
				e.Kind, e.Name = event.KindEvent, pick("View", "Add", "Buy", "Clicked")
			} else {
				path := pick("/", "/pricing", "/signup", "/blog", "/cart")
				e.Kind, e.Name = event.KindPageview, path
				e.Attributes = []event.Attr{{Key: "path", Value: path},
					{Key: "referrer", Value: pick("", "https://news.example/", "https://search.example/")},
					{Key: "utm_source", Value: pick("", "hn", "mail")}, {Key: "utm.campaign", Value: pick("", "spring")},
					{Key: "browser", Value: pick("Chrome", "Firefox")}, {Key: "os", Value: pick("Linux", "macOS")},
					{Key: "device_type", Value: pick("desktop", "Desktop", "mobile")}}
			}
			evs = append(evs, e)
			// Now and then an error at the same time (an $error step, and
			// a drop-off cause).
			if rng.IntN(6) == 0 {
				evs = append(evs, event.Event{ProjectID: 1, TS: ts, ReceivedAt: ts, AnonymousID: anon, UserID: e.UserID,
					Kind: event.KindError, Level: event.LevelError, ErrorType: pick("Boom", "Timeout"), Message: "failed"})
			}
		}
	}
	// Services that send no spans, logging in shared traces (the service
	// map infers their calls from the order they first appear in each),
	// some of them first at the same time.
	for tr := range 60 {
		var id event.TraceID
		id[0], id[15] = byte(tr+1), 7
		ts := start.UnixMicro() + rng.Int64N(40*60*min)
		for _, svc := range rng.Perm(4)[:2+rng.IntN(3)] {
			for range 1 + rng.IntN(3) {
				e := event.Event{ProjectID: 1, TS: ts, ReceivedAt: ts, Kind: event.KindLog, TraceID: id,
					Service: []string{"billing", "ledger", "mailer", "fx"}[svc], Message: "step", Level: pick(event.LevelInfo, event.LevelInfo, event.LevelError)}
				evs = append(evs, e)
				ts += rng.Int64N(2) * sec
			}
		}
	}
	return evs
}

// loadBothAt opens an embedded DuckDB store and the ClickHouse database of
// URL u, closed when t ends, and appends evs to both in the same
// batches.
func loadBothAt(t *testing.T, u string, evs []event.Event) (*duckdb.Store, *clickhouse.Store) {
	t.Helper()
	ctx := context.Background()
	duck, err := duckdb.Open(ctx, t.TempDir(), duckdb.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { duck.Close() })
	ch, err := clickhouse.Open(ctx, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ch.Close() })
	for i, s := range []store.Writer{duck, ch} {
		for b := 0; b*5000 < len(evs); b++ {
			if err := s.Append(ctx, store.Batch{Seq: uint64(b + 1), Events: evs[b*5000 : min(len(evs), (b+1)*5000)]}); err != nil {
				t.Fatalf("store %d: %v", i, err)
			}
		}
	}
	return duck, ch
}

// TestWindowAnalyses checks the analyses that DuckDB answers with window
// functions (and ASOF joins), which ClickHouse 18.16 has not got (the
// Dialect spells them with arrays there): on the same loaded events — an
// hour of the simulated shop and a random product stream — the web
// analytics' sessions, the service map's inferred calls and funnels equal
// DuckDB's; and the conformance suite's cases for them pass on
// clickhouse-server.
func TestWindowAnalyses(t *testing.T) {
	srv := chtest.Start(t)
	windowAnalyses(t, func(db string) string { return "clickhouse://" + srv.Addr + "/" + db })
}

// TestWindowAnalysesOnCluster is TestWindowAnalyses on databases sharded
// over two servers.
func TestWindowAnalysesOnCluster(t *testing.T) {
	windowAnalyses(t, chtest.StartCluster(t, 2).StoreURL)
}

// windowAnalyses runs the cases on databases whose store URL dbURL
// spells.
func windowAnalyses(t *testing.T, dbURL func(db string) string) {
	ctx := context.Background()
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	evs := append(shopEvents(t, start), productStream(start)...)
	duck, ch := loadBothAt(t, dbURL("windows"), evs)
	r := store.Range{From: start.UnixMicro(), To: start.Add(48 * time.Hour).UnixMicro()}
	cases := []struct {
		name string
		run  func(sqlq.Executor) (any, error)
		// used says whether the answer exercises what the case is for.
		used func(any) bool
	}{
		{"services.Map", func(ex sqlq.Executor) (any, error) {
			nodes, edges, err := services.Map{ProjectID: 1, Range: r}.Run(ctx, ex)
			return []any{nodes, edges}, err
		}, func(v any) bool {
			for _, e := range v.([]any)[1].([]store.CallEdge) {
				if e.Inferred {
					return true
				}
			}
			return false
		}},
		{"product.Web", func(ex sqlq.Executor) (any, error) {
			return product.Web{ProjectID: 1, Range: r, Limit: 20}.Run(ctx, ex)
		}, func(v any) bool { return v.(product.WebStats).Sessions > 100 }},
		{"product.Funnel of the shop", func(ex sqlq.Executor) (any, error) {
			return product.Funnel{FunnelRequest: store.FunnelRequest{ProjectID: 1, Range: r, Window: int64(30 * time.Minute / time.Microsecond),
				Steps:     []store.Step{{Name: "Product Viewed"}, {Name: "Checkout Started"}, {Name: "Payment Submitted"}, {Name: "Order Completed"}},
				Breakdown: "product"}}.Run(ctx, ex)
		}, func(v any) bool {
			f := v.(store.FunnelResult)
			return f.Persons[3] > 0 && len(f.Breakdown) > 0 && slices.ContainsFunc(f.Dropoffs, func(d store.Dropoff) bool { return len(d.Causes) > 0 })
		}},
		{"product.Funnel with equal timestamps and an $error step", func(ex sqlq.Executor) (any, error) {
			return product.Funnel{FunnelRequest: store.FunnelRequest{ProjectID: 1, Range: r, Window: int64(6 * time.Hour / time.Microsecond),
				Steps: []store.Step{{Name: "/"}, {Name: "View"}, {Name: "View"}, {Name: store.StepError}}, Breakdown: "browser"}}.Run(ctx, ex)
		}, func(v any) bool {
			f := v.(store.FunnelResult)
			return f.Persons[3] > 0 && slices.ContainsFunc(f.Dropoffs, func(d store.Dropoff) bool { return len(d.Causes) > 0 })
		}},
		{"product.Funnel of 20 steps", func(ex sqlq.Executor) (any, error) {
			var st []store.Step
			for i := range 20 {
				st = append(st, store.Step{Name: []string{"/", "View", "Add", "/cart", "Buy"}[i%5]})
			}
			return product.Funnel{FunnelRequest: store.FunnelRequest{ProjectID: 1, Range: r, Window: int64(48 * time.Hour / time.Microsecond), Steps: st}}.Run(ctx, ex)
		}, func(v any) bool { return v.(store.FunnelResult).Persons[3] > 0 }},
		{"product.Web of no events", func(ex sqlq.Executor) (any, error) {
			return product.Web{ProjectID: 1, Range: store.Range{From: r.To, To: r.To + 1}}.Run(ctx, ex)
		}, func(any) bool { return true }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if want := sameOnBoth(t, duck, ch, c.run); !c.used(want) {
				t.Errorf("the events do not exercise it: %.1000s", js(want))
			}
		})
	}
	var n atomic.Int64
	t.Run("Conformance", func(t *testing.T) {
		storetest.RunAnalyticsCases(t, func(t *testing.T) storetest.AnalyticsStore {
			u := dbURL(fmt.Sprintf("win%d", n.Add(1)))
			s, err := clickhouse.Open(ctx, u, nil)
			if err != nil {
				t.Fatalf("Open(%q): %v", u, err)
			}
			return s
		}, "Web", "Funnel", "FunnelWhere", "FunnelToError", "FunnelDropoffs", "FunnelDropoffDetections", "FunnelRepeatedStep",
			"FunnelEqualTimestamps", "AgainstReference")
	})
}

package clickhouse_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/calls"
	"github.com/lore-dev/lore/internal/analysis/flows"
	"github.com/lore-dev/lore/internal/analysis/latency"
	"github.com/lore-dev/lore/internal/analysis/patternstats"
	"github.com/lore-dev/lore/internal/analysis/services"
	"github.com/lore-dev/lore/internal/chtest"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest/native"
	"github.com/lore-dev/lore/internal/ingest/otlp"
	"github.com/lore-dev/lore/internal/sim"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// collector is a sim.Sink that decodes what the shop sends into events,
// as ingest would before its processors.
type collector struct {
	now int64
	evs []event.Event
}

func (c *collector) Logs(_ context.Context, body []byte) error {
	res := native.Decode(body, native.Options{ProjectID: 1, Now: c.now})
	c.evs = append(c.evs, res.Events...)
	return nil
}

func (c *collector) Spans(_ context.Context, body []byte) error {
	got, _, err := otlp.DecodeTraces(body, "application/x-protobuf", otlp.Options{ProjectID: 1, Now: c.now})
	c.evs = append(c.evs, got...)
	return err
}

// shopEvents simulates an hour of the shop from start with a throttling
// payment gateway and a bad release, and gives its log rows a pattern id
// (the patterns processor is not run here): one a service and level.
func shopEvents(t testing.TB, start time.Time) []event.Event {
	t.Helper()
	shop := sim.New(sim.Config{Seed: 11, Start: start, SessionsPerDay: 20000, Incidents: []sim.Incident{
		sim.Throttle{At: start.Add(10 * time.Minute), For: 20 * time.Minute},
		sim.BadRelease{At: start.Add(30 * time.Minute)},
	}})
	c := &collector{now: start.Add(2 * time.Hour).UnixMicro()}
	if err := shop.Backfill(context.Background(), start, start.Add(time.Hour), c, nil); err != nil {
		t.Fatal(err)
	}
	for i := range c.evs {
		if e := &c.evs[i]; e.Kind == event.KindLog || e.Kind == event.KindError {
			e.Attributes = append(e.Attributes, event.Attr{Key: store.PatternAttr, Value: e.Service + "/" + e.Level})
		}
	}
	return c.evs
}

// TestSameAnswers loads the same simulated events into DuckDB and a real
// ClickHouse server and requires the analyses that ClickHouse 18.16 can
// answer to give the same answers on both (DuckDB through its
// accelerators where it has them, ClickHouse through plain SQL).
func TestSameAnswers(t *testing.T) {
	srv := chtest.Start(t)
	sameAnswers(t, "clickhouse://"+srv.Addr+"/same")
}

// TestSameAnswersOnCluster is TestSameAnswers with the ClickHouse tables
// sharded over two servers (Distributed tables, the store URL's cluster
// parameter).
func TestSameAnswersOnCluster(t *testing.T) {
	c := chtest.StartCluster(t, 2)
	sameAnswers(t, c.StoreURL("same"))
}

// TestSameAnswersReplicated is TestSameAnswers on a replicated cluster
// (one shard of two replicas, ZooKeeper) whose URL's server is killed
// (SIGKILL) once the other replica has every row: the answers come
// from the replica left, through the store's failover.
func TestSameAnswersReplicated(t *testing.T) {
	c := chtest.StartReplicatedCluster(t, 1, 2)
	first, second := c.Replicas[0][0], c.Replicas[0][1]
	sameAnswersAfter(t, c.StoreURL("same"), func() {
		q := "SELECT (SELECT count() FROM same.events_local), (SELECT count() FROM system.replication_queue WHERE database = 'same')"
		deadline := time.Now().Add(time.Minute)
		for {
			a, b := first.Post(t, q), second.Post(t, q)
			if string(a) == string(b) && strings.HasSuffix(strings.TrimSpace(string(b)), "\t0") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the replicas do not agree after a minute: %s and %s", a, b)
			}
			time.Sleep(200 * time.Millisecond)
		}
		first.Kill()
	})
}

// sameAnswers loads the shop into DuckDB and the ClickHouse database of
// URL u and compares the answers (on a cluster too: a group's message
// is its earliest row's on every shard).
func sameAnswers(t *testing.T, u string) { sameAnswersAfter(t, u, nil) }

// sameAnswersAfter is sameAnswers with afterLoad, when set, run between
// the load and the answers.
func sameAnswersAfter(t *testing.T, u string, afterLoad func()) {
	ctx := context.Background()
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	evs := shopEvents(t, start)
	t.Logf("%d events", len(evs))
	duck, ch := loadBothAt(t, u, evs)
	if afterLoad != nil {
		afterLoad()
	}
	// Bytes per event on disk, for sizing (docs/scaling.md).
	for name, s := range map[string]store.Engine{"duckdb": duck, "clickhouse": ch} {
		if st, err := s.Stats(ctx); err == nil && st.Events > 0 {
			t.Logf("%s: %d events, %d bytes on disk, %.0f bytes an event", name, st.Events, st.DiskBytes, float64(st.DiskBytes)/float64(st.Events))
		}
	}
	from := start.UnixMicro()
	r := store.Range{From: from, To: start.Add(2 * time.Hour).UnixMicro()}
	min5 := int64(5 * time.Minute / time.Microsecond)
	cases := []struct {
		name string
		run  func(sqlq.Executor) (any, error)
	}{
		{"services.Series", func(ex sqlq.Executor) (any, error) {
			return services.Series{ProjectID: 1, Range: r, Step: min5}.Run(ctx, ex)
		}},
		{"services.ReleaseStarts", func(ex sqlq.Executor) (any, error) {
			return services.ReleaseStarts{ProjectID: 1, Range: r, Since: r.From}.Run(ctx, ex)
		}},
		{"latency", func(ex sqlq.Executor) (any, error) {
			return latency.Query{ProjectID: 1, Range: r}.Run(ctx, ex)
		}},
		{"calls.Throttled", func(ex sqlq.Executor) (any, error) {
			return calls.Throttled{ProjectID: 1, Range: r}.Run(ctx, ex)
		}},
		{"calls.Retries", func(ex sqlq.Executor) (any, error) {
			return calls.Retries{ProjectID: 1, Range: r, MinRetries: 1}.Run(ctx, ex)
		}},
		{"services.ErrorGroups", func(ex sqlq.Executor) (any, error) {
			gs, err := services.ErrorGroups{ProjectID: 1, Range: r, Since: r.From}.Run(ctx, ex)
			// A group's endpoint is its most common one, of those tied
			// any (store.ErrorGroupsRollup says so): the web errors'
			// product pages tie here.
			for i := range gs {
				if gs[i].Service == "web" {
					gs[i].Endpoint = ""
				}
			}
			return gs, err
		}},
		{"patternstats", func(ex sqlq.Executor) (any, error) {
			res, err := patternstats.Query{ProjectID: 1, Range: r, Step: min5}.Run(ctx, ex)
			// A pattern's sample is any of its rows' messages.
			for i := range res.Patterns {
				res.Patterns[i].Sample = ""
			}
			return res, err
		}},
		{"flows.Failed", func(ex sqlq.Executor) (any, error) {
			return flows.Failed{ProjectID: 1, Range: r}.Run(ctx, ex)
		}},
		{"flows.Sessions", func(ex sqlq.Executor) (any, error) {
			return flows.Sessions{ProjectID: 1, Range: r}.Run(ctx, ex)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := sameOnBoth(t, duck, ch, c.run)
			if w := js(want); w == "null" || w == "[]" || strings.Contains(w, `"Total":0,`) {
				t.Errorf("an empty answer on both: the simulated events do not exercise it")
			}
		})
	}
}

// sameOnBoth runs run on DuckDB and on ClickHouse, fails t unless both
// answer the same, and returns DuckDB's answer.
func sameOnBoth(t *testing.T, duck, ch sqlq.Executor, run func(sqlq.Executor) (any, error)) any {
	t.Helper()
	t0 := time.Now()
	want, err := run(duck)
	if err != nil {
		t.Fatalf("DuckDB: %v", err)
	}
	t1 := time.Now()
	defer func() { t.Logf("DuckDB %v, ClickHouse %v", t1.Sub(t0), time.Since(t1)) }()
	got, err := run(ch)
	if err != nil {
		t.Fatalf("ClickHouse: %.600v", err)
	}
	if !same(got, want) {
		t.Errorf("ClickHouse and DuckDB differ\nclickhouse: %.3000s\nduckdb:     %.3000s", js(got), js(want))
	}
	return want
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// same compares two answers, floats to 9 significant digits (the engines
// sum in different orders).
func same(a, b any) bool {
	return reflect.DeepEqual(round(reflect.ValueOf(a)), round(reflect.ValueOf(b)))
}

func round(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if f == 0 || math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Sprint(f)
		}
		return fmt.Sprintf("%.9g", f)
	case reflect.Slice, reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = round(v.Index(i))
		}
		return out
	case reflect.Struct:
		out := make(map[string]any, v.NumField())
		for i := range v.NumField() {
			out[v.Type().Field(i).Name] = round(v.Field(i))
		}
		return out
	case reflect.Map:
		out := map[string]any{}
		for _, k := range v.MapKeys() {
			out[fmt.Sprint(k.Interface())] = round(v.MapIndex(k))
		}
		return out
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return round(v.Elem())
	}
	if v.IsValid() && v.CanInterface() {
		return v.Interface()
	}
	return nil
}

package sim

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	collpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/proto"
)

// tev is an emitted event as the tests read it back, whatever its dialect.
type tev struct {
	kind, service, level, name, msg string
	ts                              int64 // micros
	trace, span, parent             string
	user, anon, session             string
	release, endpoint, errType      string
	status, retry                   int
	dur                             float64
	spanKind                        string
	attrs                           map[string]string
	body                            int // index of the request body it came in
}

// decodeSink decodes everything it receives, like a tiny Lore.
type decodeSink struct {
	t      testing.TB
	mu     sync.Mutex
	events []tev
	bodies [][]byte
}

var _ Sink = (*decodeSink)(nil)

func (d *decodeSink) Logs(_ context.Context, b []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.bodies = append(d.bodies, append([]byte("L"), b...))
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			d.t.Fatalf("invalid JSON line %q: %v", sc.Text(), err)
		}
		e := decodeLine(d.t, m)
		e.body = len(d.bodies) - 1
		d.events = append(d.events, e)
	}
	return nil
}

func (d *decodeSink) Spans(_ context.Context, b []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.bodies = append(d.bodies, append([]byte("S"), b...))
	var req collpb.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		d.t.Fatalf("invalid OTLP body: %v", err)
	}
	for _, rs := range req.ResourceSpans {
		res := kvs(rs.Resource.Attributes)
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				a := kvs(sp.Attributes)
				e := tev{kind: "span", service: res["service.name"], release: res["service.version"], name: sp.Name,
					ts:    int64(sp.StartTimeUnixNano / 1000),
					trace: hex.EncodeToString(sp.TraceId), span: hex.EncodeToString(sp.SpanId), parent: hex.EncodeToString(sp.ParentSpanId),
					dur: float64(sp.EndTimeUnixNano-sp.StartTimeUnixNano) / 1e6, spanKind: sp.Kind.String(), attrs: a,
					endpoint: a["http.route"], user: a["enduser.id"], session: a["session.id"], errType: a["error.type"]}
				e.status, _ = strconv.Atoi(a["http.response.status_code"])
				if sp.Status != nil && sp.Status.Code != 0 {
					e.level = "error"
				}
				e.body = len(d.bodies) - 1
				d.events = append(d.events, e)
			}
		}
	}
	return nil
}

func kvs(in []*commonpb.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range in {
		switch v := kv.Value.Value.(type) {
		case *commonpb.AnyValue_StringValue:
			m[kv.Key] = v.StringValue
		case *commonpb.AnyValue_IntValue:
			m[kv.Key] = strconv.FormatInt(v.IntValue, 10)
		}
	}
	return m
}

func decodeLine(t testing.TB, m map[string]any) tev {
	str := func(k string) string {
		s, _ := m[k].(string)
		delete(m, k)
		return s
	}
	num := func(k string) float64 {
		f, _ := m[k].(float64)
		delete(m, k)
		return f
	}
	iso := func(k string) int64 {
		s := str(k)
		tt, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatalf("bad timestamp %q in %v: %v", s, k, err)
		}
		return tt.UnixMicro()
	}
	e := tev{kind: "log", service: str("service")}
	switch dialectOf(e.service) {
	case dialectBrowser:
		e.kind, e.ts, e.msg, e.level = str("kind"), iso("timestamp"), str("message"), str("level")
	case dialectPino:
		e.ts = int64(num("time")) * 1000
		e.level = map[float64]string{20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal"}[num("level")]
		e.msg = str("msg")
		e.trace, e.span = str("traceId"), str("spanId")
	case dialectZap:
		e.ts = int64(math.Round(num("ts") * 1e6))
		e.level, e.msg = str("level"), str("msg")
	case dialectWinston:
		e.ts, e.level, e.msg = iso("timestamp"), str("level"), str("message")
	case dialectZerolog:
		e.ts, e.level, e.msg = iso("time"), str("level"), str("message")
	case dialectStructlog:
		e.ts, e.level, e.msg = iso("timestamp"), str("level"), str("event")
	}
	if e.trace == "" {
		e.trace, e.span = str("trace_id"), str("span_id")
	}
	e.user, e.anon, e.session = str("user_id"), str("anonymous_id"), str("session_id")
	e.name, e.release, e.endpoint, e.errType = str("name"), str("release"), str("endpoint"), str("error_type")
	e.status, e.retry, e.dur = int(num("http_status")), int(num("retry_attempt")), num("duration_ms")
	e.attrs = map[string]string{}
	for k, v := range m {
		e.attrs[k] = fmt.Sprint(v)
	}
	return e
}

// sorted returns the events in time order.
func (d *decodeSink) sorted() []tev {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := append([]tev(nil), d.events...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].ts < out[j].ts })
	return out
}

var day = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

func at(h, m int) time.Time {
	return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

// backfill runs a fresh shop over [from, to) into a decoding sink.
func backfill(t *testing.T, cfg Config, from, to time.Time) (*Shop, *decodeSink) {
	t.Helper()
	s := New(cfg)
	d := &decodeSink{t: t}
	if err := s.Backfill(context.Background(), from, to, d, nil); err != nil {
		t.Fatalf("Backfill: %v", err)
	}
	return s, d
}

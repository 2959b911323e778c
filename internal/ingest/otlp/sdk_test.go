package otlp

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/lore-dev/lore/internal/event"
)

const testNow = int64(1_800_000_000_000_000) // µs

// collector is an OTLP/HTTP endpoint in a test: it decodes what an exporter
// sends with decode and answers with respond, as Lore's handler does.
type collector struct {
	t       *testing.T
	decode  func([]byte, string, Options) ([]event.Event, int, error)
	respond func(string, int, string) ([]byte, string)

	mu           sync.Mutex
	events       []event.Event
	contentTypes []string
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ct := r.Header.Get("Content-Type")
	evs, rejected, err := c.decode(b, ct, Options{ProjectID: 7, Now: testNow})
	if err != nil {
		c.t.Errorf("decode %s body from the SDK: %v", ct, err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if rejected != 0 {
		c.t.Errorf("decode %s body from the SDK: %d records rejected", ct, rejected)
	}
	c.mu.Lock()
	c.events = append(c.events, evs...)
	c.contentTypes = append(c.contentTypes, ct)
	c.mu.Unlock()
	resp, rct := c.respond(ct, rejected, "")
	w.Header().Set("Content-Type", rct)
	_, _ = w.Write(resp)
}

func (c *collector) byName(t *testing.T) map[string]event.Event {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	m := make(map[string]event.Event, len(c.events))
	for _, e := range c.events {
		m[e.Name] = e
	}
	return m
}

func testResource(t *testing.T) *resource.Resource {
	t.Helper()
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		attribute.String("service.name", "checkout"),
		attribute.String("deployment.environment.name", "prod"),
		attribute.String("service.version", "1.4.2"),
		attribute.String("host.name", "web-3"),
		attribute.String("k8s.pod.name", "checkout-7d9f"),
	))
	if err != nil {
		t.Fatalf("build resource: %v", err)
	}
	return res
}

func TestTracesFromOTelSDK(t *testing.T) {
	c := &collector{t: t, decode: DecodeTraces, respond: TracesResponse}
	srv := httptest.NewServer(c)
	defer srv.Close()
	ctx := context.Background()

	exp, err := otlptracehttp.New(ctx,
		otlptracehttp.WithEndpointURL(srv.URL+"/v1/traces"),
		otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
	if err != nil {
		t.Fatalf("create exporter: %v", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(testResource(t)))
	tracer := tp.Tracer("lore.test/checkout")

	t0 := time.UnixMicro(1_700_000_000_000_000)
	ctx, parent := tracer.Start(ctx, "GET /orders/{id}",
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithTimestamp(t0),
		trace.WithAttributes(
			attribute.String("http.request.method", "GET"),
			attribute.String("http.route", "/orders/{id}"),
			attribute.String("url.path", "/orders/42"),
			attribute.Int("http.response.status_code", 200),
			attribute.String("enduser.id", "u-7"),
			attribute.String("session.id", "s-1"),
			attribute.Int("order.items", 3),
			attribute.Float64("order.total", 12.5),
			attribute.Bool("order.gift", true),
			attribute.StringSlice("order.tags", []string{"new", "promo"}),
		))
	_, child := tracer.Start(ctx, "POST payments",
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithTimestamp(t0.Add(10*time.Millisecond)),
		trace.WithAttributes(
			attribute.String("http.method", "post"),
			attribute.String("http.url", "https://pay.example/v1/charge?order=42"),
			attribute.Int("http.status_code", 503),
			attribute.Int("http.request.resend_count", 2),
			attribute.String("peer.service", "payments"),
			attribute.String("server.address", "pay.example"),
		))
	child.AddEvent("retry", trace.WithTimestamp(t0.Add(60*time.Millisecond)), trace.WithAttributes(attribute.Int("backoff_ms", 100)))
	child.RecordError(errors.New("gateway timeout"), trace.WithStackTrace(true), trace.WithTimestamp(t0.Add(250*time.Millisecond)))
	child.SetStatus(codes.Error, "payment gateway timed out")
	child.End(trace.WithTimestamp(t0.Add(260*time.Millisecond + 500*time.Microsecond)))
	parent.End(trace.WithTimestamp(t0.Add(300 * time.Millisecond)))
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatalf("shut down tracer provider: %v", err)
	}

	got := c.byName(t)
	if len(got) != 2 {
		t.Fatalf("got %d spans, want 2: %+v", len(got), got)
	}
	for _, ct := range c.contentTypes {
		if ct != ContentTypeProtobuf {
			t.Errorf("exporter sent Content-Type %q, want %q", ct, ContentTypeProtobuf)
		}
	}
	psc, csc := parent.SpanContext(), child.SpanContext()

	p := got["GET /orders/{id}"]
	want := event.Event{
		ProjectID: 7, ReceivedAt: testNow, TS: t0.UnixMicro(), Kind: event.KindSpan, Level: event.LevelInfo,
		Service: "checkout", Env: "prod", Release: "1.4.2", Host: "web-3",
		Name: "GET /orders/{id}", HTTPMethod: "GET", Endpoint: "/orders/{id}", HTTPStatus: 200, DurationMS: 300,
		UserID: "u-7", SessionID: "s-1",
	}
	checkColumns(t, p, want)
	checkIDs(t, p, psc.TraceID().String(), psc.SpanID().String(), "")
	checkAttrs(t, p, map[string]string{
		"span.kind":       "server",
		"url.path":        "/orders/42",
		"order.items":     "3",
		"order.total":     "12.5",
		"order.gift":      "true",
		"order.tags":      `["new","promo"]`,
		"otel.scope.name": "lore.test/checkout",
		"k8s.pod.name":    "checkout-7d9f",
	}, "http.route", "http.request.method", "enduser.id", "service.name")

	ch := got["POST payments"]
	want = event.Event{
		ProjectID: 7, ReceivedAt: testNow, TS: t0.Add(10 * time.Millisecond).UnixMicro(), Kind: event.KindSpan, Level: event.LevelError,
		Service: "checkout", Env: "prod", Release: "1.4.2", Host: "web-3",
		Name: "POST payments", Message: "payment gateway timed out", ErrorType: "*errors.errorString",
		HTTPMethod: "POST", Endpoint: "/v1/charge", HTTPStatus: 503, DurationMS: 250.5, RetryAttempt: 2,
	}
	checkColumns(t, ch, want)
	checkIDs(t, ch, csc.TraceID().String(), csc.SpanID().String(), psc.SpanID().String())
	if ch.TraceID != p.TraceID {
		t.Errorf("child trace id %s differs from parent's %s", ch.TraceID, p.TraceID)
	}
	checkAttrs(t, ch, map[string]string{
		"span.kind":              "client",
		"peer.service":           "payments",
		"server.address":         "pay.example",
		"exception.message":      "gateway timeout",
		"event.retry":            "50",
		"event.retry.backoff_ms": "100",
		"exception.type":         "*errors.errorString", // kept: it marks an exception
	}, "http.url", "http.status_code", "http.method", "http.request.resend_count")
	if st, ok := ch.Attr("exception.stacktrace"); !ok || !strings.Contains(st, "TestTracesFromOTelSDK") {
		t.Errorf("exception.stacktrace = %q, %v; want the stack of the test", st, ok)
	}
}

func TestLogsFromOTelSDK(t *testing.T) {
	c := &collector{t: t, decode: DecodeLogs, respond: LogsResponse}
	srv := httptest.NewServer(c)
	defer srv.Close()
	ctx := context.Background()

	exp, err := otlploghttp.New(ctx,
		otlploghttp.WithEndpointURL(srv.URL+"/v1/logs"),
		otlploghttp.WithCompression(otlploghttp.GzipCompression))
	if err != nil {
		t.Fatalf("create exporter: %v", err)
	}
	lp := sdklog.NewLoggerProvider(sdklog.WithResource(testResource(t)), sdklog.WithProcessor(sdklog.NewBatchProcessor(exp)))
	logger := lp.Logger("lore.test/orders")

	// Log records inside a real span, as a logging bridge emits them.
	tp := sdktrace.NewTracerProvider()
	spanCtx, span := tp.Tracer("lore.test").Start(ctx, "handle order")
	sc := span.SpanContext()

	t0 := time.UnixMicro(1_700_000_000_000_000)
	before := time.Now().UnixMicro()
	emit := func(ctx context.Context, ts time.Duration, sev otellog.Severity, text string, body attribute.Value, attrs ...attribute.KeyValue) {
		var r otellog.Record
		if ts >= 0 {
			r.SetTimestamp(t0.Add(ts))
		}
		r.SetSeverity(sev)
		r.SetSeverityText(text)
		r.SetBody(body)
		r.AddAttributes(attrs...)
		logger.Emit(ctx, r)
	}
	emit(spanCtx, 0, otellog.SeverityInfo, "INFO", attribute.StringValue("order placed"),
		attribute.String("user.id", "u-7"),
		attribute.String("session.id", "s-1"),
		attribute.Int("order.items", 3),
		attribute.Float64("order.total", 12.5),
	)
	emit(spanCtx, time.Millisecond, otellog.SeverityWarn2, "", attribute.StringValue("slow payment gateway"),
		attribute.Int("retry.attempt", 2))
	emit(spanCtx, 2*time.Millisecond, otellog.SeverityDebug, "", attribute.MapValue(
		attribute.String("a", "x"), attribute.Int("b", 1)))
	emit(ctx, 4*time.Millisecond, otellog.SeverityUndefined, "CRITICAL", attribute.StringValue("disk full"))
	emit(ctx, -1, otellog.SeverityTrace, "", attribute.StringValue("no timestamp"))

	var errRec otellog.Record
	errRec.SetTimestamp(t0.Add(3 * time.Millisecond))
	errRec.SetSeverity(otellog.SeverityError)
	errRec.SetBody(attribute.StringValue("charge failed"))
	errRec.SetErr(errors.New("card declined"))
	errRec.AddAttributes(attribute.String("exception.stacktrace", "main.charge()\n\tmain.go:42"))
	logger.Emit(spanCtx, errRec)

	var evRec otellog.Record
	evRec.SetTimestamp(t0.Add(5 * time.Millisecond))
	evRec.SetSeverity(otellog.SeverityInfo)
	evRec.SetEventName("checkout.completed")
	evRec.AddAttributes(attribute.String("http.request.method", "POST"), attribute.String("http.route", "/checkout"),
		attribute.Int("http.response.status_code", 201))
	logger.Emit(spanCtx, evRec)

	span.End()
	if err := lp.Shutdown(context.Background()); err != nil {
		t.Fatalf("shut down logger provider: %v", err)
	}

	c.mu.Lock()
	evs := append([]event.Event(nil), c.events...)
	c.mu.Unlock()
	if len(evs) != 7 {
		t.Fatalf("got %d log events, want 7: %+v", len(evs), evs)
	}
	byMsg := make(map[string]event.Event, len(evs))
	for _, e := range evs {
		byMsg[e.Message] = e
		if e.Kind != event.KindLog || e.ProjectID != 7 || e.ReceivedAt != testNow ||
			e.Service != "checkout" || e.Env != "prod" || e.Release != "1.4.2" || e.Host != "web-3" {
			t.Errorf("log %q: kind/project/received/resource columns wrong: %+v", e.Message, e)
		}
		checkAttrs(t, e, map[string]string{"otel.scope.name": "lore.test/orders", "telemetry.sdk.language": "go"}, "service.name")
	}
	base := event.Event{ProjectID: 7, ReceivedAt: testNow, Kind: event.KindLog, Service: "checkout", Env: "prod", Release: "1.4.2", Host: "web-3"}
	at := func(d time.Duration) int64 { return t0.Add(d).UnixMicro() }
	traceID, spanID := sc.TraceID().String(), sc.SpanID().String()

	f := func(msg string, want event.Event, traceID, spanID string, attrs map[string]string) {
		t.Helper()
		got, ok := byMsg[msg]
		if !ok {
			t.Errorf("no log with message %q", msg)
			return
		}
		want.ProjectID, want.ReceivedAt, want.Kind = base.ProjectID, base.ReceivedAt, base.Kind
		want.Service, want.Env, want.Release, want.Host = base.Service, base.Env, base.Release, base.Host
		want.Message = msg
		if want.TS == 0 {
			want.TS = got.TS // checked by the caller
		}
		checkColumns(t, got, want)
		checkIDs(t, got, traceID, spanID, "")
		checkAttrs(t, got, attrs)
	}
	f("order placed", event.Event{TS: at(0), Level: event.LevelInfo, UserID: "u-7", SessionID: "s-1"}, traceID, spanID,
		map[string]string{"order.items": "3", "order.total": "12.5"})
	f("slow payment gateway", event.Event{TS: at(time.Millisecond), Level: event.LevelWarn, RetryAttempt: 2}, traceID, spanID, nil)
	f(`{"a":"x","b":1}`, event.Event{TS: at(2 * time.Millisecond), Level: event.LevelDebug}, traceID, spanID, nil)
	f("charge failed", event.Event{TS: at(3 * time.Millisecond), Level: event.LevelError, ErrorType: "*errors.errorString"}, traceID, spanID,
		map[string]string{"exception.message": "card declined", "exception.stacktrace": "main.charge()\n\tmain.go:42"})
	f("disk full", event.Event{TS: at(4 * time.Millisecond), Level: event.LevelFatal}, "", "", nil)
	f("", event.Event{TS: at(5 * time.Millisecond), Level: event.LevelInfo, Name: "checkout.completed",
		HTTPMethod: "POST", Endpoint: "/checkout", HTTPStatus: 201}, traceID, spanID, nil)
	// Without a timestamp, the SDK's observed timestamp is the time.
	f("no timestamp", event.Event{Level: event.LevelDebug}, "", "", nil)
	if ts := byMsg["no timestamp"].TS; ts < before || ts > time.Now().UnixMicro() {
		t.Errorf("log without timestamp: TS = %s, want the observed time, about now", event.FormatMicros(ts))
	}
}

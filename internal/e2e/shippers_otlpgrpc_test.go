package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/lore-dev/lore/internal/app"
)

// TestOTLPGRPCExporters exports spans and logs with the OpenTelemetry Go
// SDK's gRPC exporters (gzip, as the Collector's exporter sends by
// default) to Lore's OTLP/gRPC listener, with the key in the authorization
// metadata, and reads them back as one trace journey; a wrong key is
// refused as Unauthenticated.
func TestOTLPGRPCExporters(t *testing.T) {
	a := startApp(t, func(c *app.Config) { c.Listeners.OTLPGRPCAddr = "127.0.0.1:0" })
	addr := a.ListenerAddr("otlp-grpc")
	if addr == "" {
		t.Fatal("no OTLP/gRPC listener")
	}
	ctx := context.Background()
	res := resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceName("billing"), semconv.ServiceVersion("2.0.1"))

	bad, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(addr), otlptracegrpc.WithInsecure(),
		otlptracegrpc.WithHeaders(map[string]string{"authorization": "Bearer nope"}), otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	rec0 := tracetest.NewSpanRecorder()
	recTP := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec0), sdktrace.WithResource(res))
	_, sp := recTP.Tracer("e2e").Start(ctx, "refused")
	sp.End()
	if err := bad.ExportSpans(ctx, rec0.Ended()); err == nil || !strings.Contains(err.Error(), "Unauthenticated") {
		t.Errorf("export with a wrong key: %v, want Unauthenticated", err)
	}
	_ = bad.Shutdown(ctx)
	_ = recTP.Shutdown(ctx)

	headers := map[string]string{"authorization": "Bearer " + ingestKey}
	texp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(addr), otlptracegrpc.WithInsecure(), otlptracegrpc.WithHeaders(headers), otlptracegrpc.WithCompressor("gzip"))
	if err != nil {
		t.Fatal(err)
	}
	lexp, err := otlploggrpc.New(ctx, otlploggrpc.WithEndpoint(addr), otlploggrpc.WithInsecure(), otlploggrpc.WithHeaders(headers), otlploggrpc.WithCompressor("gzip"))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(texp), sdktrace.WithResource(res))
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(lexp)), sdklog.WithResource(res))
	sctx, server := tp.Tracer("e2e").Start(ctx, "POST /api/invoices", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.Int("http.response.status_code", 500), attribute.String("enduser.id", "user_3")))
	var rec otellog.Record
	rec.SetSeverity(otellog.SeverityError)
	rec.SetBody(attribute.StringValue("invoice renderer crashed"))
	lp.Logger("e2e").Emit(sctx, rec)
	server.SetStatus(codes.Error, "renderer crashed")
	server.End()
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatalf("trace export: %v", err)
	}
	if err := lp.Shutdown(ctx); err != nil {
		t.Fatalf("log export: %v", err)
	}
	flush(t, a)
	traceID := server.SpanContext().TraceID().String()
	var j journeyResult
	getJSON(t, a.URL(), "/api/v1/journeys/trace/"+traceID, url.Values{"from": {"now-1h"}}, &j)
	if len(j.Events) != 2 {
		t.Fatalf("journey of %s has %d events, want the span and the log: %+v", traceID, len(j.Events), j.Events)
	}
	kinds := map[string]bool{}
	for _, e := range j.Events {
		kinds[e.Kind] = true
		if e.Service != "billing" || e.UserID == "" && e.Kind == "span" {
			t.Errorf("event %+v: want service billing", e)
		}
	}
	if !kinds["span"] || !(kinds["log"] || kinds["error"]) {
		t.Errorf("kinds %v, want a span and a log", kinds)
	}
}

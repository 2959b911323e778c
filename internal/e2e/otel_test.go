package e2e

import (
	"context"
	"net/url"
	"strings"
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
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
)

// TestOpenTelemetrySDKToJourney exports spans and logs with the real
// OpenTelemetry Go SDK over OTLP/HTTP into a whole Lore server, with the
// ingest key as a bearer header, and reads them back as one trace journey.
func TestOpenTelemetrySDKToJourney(t *testing.T) {
	a := startApp(t)
	ctx := context.Background()
	headers := map[string]string{"Authorization": "Bearer " + ingestKey}
	res := resource.NewWithAttributes(semconv.SchemaURL,
		semconv.ServiceName("checkout"), attribute.String("deployment.environment.name", "production"), semconv.ServiceVersion("1.4.2"))

	texp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(a.URL()+"/v1/traces"), otlptracehttp.WithHeaders(headers))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(texp), sdktrace.WithResource(res))
	lexp, err := otlploghttp.New(ctx, otlploghttp.WithEndpointURL(a.URL()+"/v1/logs"), otlploghttp.WithHeaders(headers))
	if err != nil {
		t.Fatal(err)
	}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(lexp)), sdklog.WithResource(res))

	tracer := tp.Tracer("e2e")
	sctx, server := tracer.Start(ctx, "POST /api/checkout", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.request.method", "POST"), attribute.String("http.route", "/api/checkout"),
			attribute.Int("http.response.status_code", 502), attribute.String("enduser.id", "user_789")))
	cctx, client := tracer.Start(sctx, "POST", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("peer.service", "payment-gateway"), attribute.Int("http.response.status_code", 429)))
	time.Sleep(3 * time.Millisecond)
	client.SetStatus(codes.Error, "rate limited by the payment gateway")
	client.End()
	var rec otellog.Record
	rec.SetTimestamp(time.Now())
	rec.SetSeverity(otellog.SeverityError)
	rec.SetSeverityText("ERROR")
	rec.SetBody(attribute.StringValue("payment gateway returned 429 Too Many Requests"))
	rec.AddAttributes(attribute.String("enduser.id", "user_789"))
	lp.Logger("e2e").Emit(cctx, rec)
	server.SetStatus(codes.Error, "upstream failed")
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
	if len(j.Events) != 3 {
		t.Fatalf("journey of %s has %d events, want 2 spans and 1 log: %+v", traceID, len(j.Events), j.Events)
	}
	for _, e := range j.Events {
		if e.Service != "checkout" || e.TraceID != traceID {
			t.Errorf("event %+v: want service checkout and trace %s", e, traceID)
		}
		switch {
		case e.Kind == "span" && e.Name == "POST /api/checkout":
			if e.HTTPStatus != 502 || e.SpanID != server.SpanContext().SpanID().String() || e.UserID != "user_789" {
				t.Errorf("server span mapped wrong: %+v", e)
			}
		case e.Kind == "span":
			if e.ParentSpanID != server.SpanContext().SpanID().String() || e.HTTPStatus != 429 || e.Level != "error" || e.DurationMS < 3 {
				t.Errorf("client span mapped wrong: %+v", e)
			}
		case e.Kind == "error": // an error-level log record is an issue's event
			if e.Level != "error" || e.SpanID != client.SpanContext().SpanID().String() || !strings.Contains(e.Message, "429") {
				t.Errorf("log record mapped wrong: %+v", e)
			}
		default:
			t.Errorf("unexpected event %+v", e)
		}
	}
	if j.Summary.Outcome != "failed" || !strings.Contains(storyText(j), "429") {
		t.Errorf("story/summary of a failed checkout:\n%s%+v", storyText(j), j.Summary)
	}
}

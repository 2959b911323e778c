package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"

	"github.com/lore-dev/lore/internal/app"
)

// The secrets TestSecretsNeverReachTheDataDirectory sends, each where
// real clients put them; none may be found in any file of the data
// directory.
var plantedSecrets = map[string]string{
	"password in a message":         "Pw7f3a9c1eXq",
	"bearer token in a header attr": "tok9f8e7d6c5b4a3Zz",
	"card number":                   "4111111111111111",
	"card number, spaced":           "4111 1111 1111 1111",
	"AWS key in a breadcrumb":       "AKIAQWERTYUIOPASDFGH",
	"cookie in breadcrumb data":     "sid-Cq81Mw0Nn2",
	"api key in a URL query":        "Ak55aa66bb77Zy",
	"token in a Sentry tag":         "Xtra-Pw-88qq",
	"token in an exception value":   "ExcTok-3e4r5t6y",
	"e-mail (configured)":           "ada.lovelace@example.org",
}

// canary is sent in an ordinary field: it must be found, or grepping the
// data directory proves nothing.
const canary = "canary-Q7w8e9r0t1"

// TestSecretsNeverReachTheDataDirectory sends secrets through unmodified
// clients (sentry-go, the OpenTelemetry Go SDK) into a whole Lore server
// whose project also scrubs e-mails, then greps every file of the data
// directory — the ingest log, the events store, the metadata database —
// while the server runs and after it stops: no secret is there, the
// canary is, and the searches and the field catalogue show the scrubbed
// events marked.
func TestSecretsNeverReachTheDataDirectory(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, app.Config{DataDir: dir, Addr: "127.0.0.1:0", IngestKey: ingestKey, ReadKey: readKey, AdminKey: adminKey,
		Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		}
	}
	t.Cleanup(stop)
	base := a.URL()

	if code, body := putLifecycleAs(t, base, readKey, "privacy", `{"disabled": true}`); code != 403 {
		t.Errorf("a read key changed the privacy settings: %d %s", code, body)
	}
	if code, body := putLifecycle(t, base, "privacy", `{"emails": true}`); code != 200 {
		t.Fatalf("PUT privacy settings: %d %s", code, body)
	}
	if code, body := putLifecycle(t, base, "privacy", `{"ip_addresses": "hide"}`); code != 400 || !strings.Contains(body, `hide`) {
		t.Errorf("bad privacy settings: %d %s, want 400 quoting the value", code, body)
	}

	// sentry-go: an error with a secret tag, a breadcrumb with headers, a
	// user e-mail and an exception whose value holds a token.
	hub := newSentryHub(t, sentryDSN(base), "shop@1.0.0")
	hub.ConfigureScope(func(s *sentry.Scope) {
		s.SetUser(sentry.User{ID: "user-42", Email: plantedSecrets["e-mail (configured)"]})
		s.SetTag("api_token", plantedSecrets["token in a Sentry tag"])
		s.SetTag("note", canary)
	})
	hub.AddBreadcrumb(&sentry.Breadcrumb{Category: "http", Message: "used key " + plantedSecrets["AWS key in a breadcrumb"],
		Data: map[string]any{"headers": map[string]any{"Cookie": "sid=" + plantedSecrets["cookie in breadcrumb data"]}}}, nil)
	hub.CaptureException(errors.New("refund failed: token=" + plantedSecrets["token in an exception value"] +
		" card " + plantedSecrets["card number, spaced"]))
	flushSentry(t, hub)

	// OpenTelemetry: a span with the request's authorization header and a
	// URL with an API key, a log with a password and a card number.
	headers := map[string]string{"Authorization": "Bearer " + ingestKey}
	res := resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceName("checkout"))
	texp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(base+"/v1/traces"), otlptracehttp.WithHeaders(headers))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(texp), sdktrace.WithResource(res))
	lexp, err := otlploghttp.New(ctx, otlploghttp.WithEndpointURL(base+"/v1/logs"), otlploghttp.WithHeaders(headers))
	if err != nil {
		t.Fatal(err)
	}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(lexp)), sdklog.WithResource(res))
	sctx, span := tp.Tracer("e2e").Start(ctx, "GET /api/search")
	span.SetAttributes(
		attribute.String("http.request.header.authorization", "Bearer "+plantedSecrets["bearer token in a header attr"]),
		attribute.String("url.full", "https://shop.example/api/search?q=shoes&api_key="+plantedSecrets["api key in a URL query"]),
		attribute.String("note", canary))
	var rec otellog.Record
	rec.SetTimestamp(time.Now())
	rec.SetSeverity(otellog.SeverityWarn)
	rec.SetBody(attribute.StringValue("login failed for ada password=" + plantedSecrets["password in a message"] +
		" card " + plantedSecrets["card number"]))
	rec.AddAttributes(attribute.String("note", canary))
	lp.Logger("e2e").Emit(sctx, rec)
	span.End()
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatalf("trace export: %v", err)
	}
	if err := lp.Shutdown(ctx); err != nil {
		t.Fatalf("log export: %v", err)
	}

	fctx, fcancel := context.WithTimeout(context.Background(), time.Minute)
	defer fcancel()
	if err := a.Flush(fctx); err != nil {
		t.Fatal(err)
	}
	r := search(t, base, "", "now-1h", "now+1h", 100)
	if len(r.Events) < 3 {
		t.Fatalf("%d events stored, want the error, the span and the log", len(r.Events))
	}
	marked := 0
	for _, e := range r.Events {
		if e.Attributes["lore.scrubbed"] != "" {
			marked++
		}
		if e.Kind == "log" && !strings.Contains(e.Message, "password=[scrubbed]") {
			t.Errorf("log message %q: want password=[scrubbed]", e.Message)
		}
	}
	if marked < 3 {
		t.Errorf("%d events marked lore.scrubbed, want at least 3", marked)
	}
	for what, secret := range plantedSecrets {
		if n := len(search(t, base, `"`+secret+`"`, "now-1h", "now+1h", 10).Events); n != 0 {
			t.Errorf("%s: a search finds it in %d events", what, n)
		}
	}
	grepData(t, dir, "while running")
	stop()
	grepData(t, dir, "after stopping")
}

// grepData fails the test if a planted secret is in any file under dir,
// or the canary in none.
func grepData(t *testing.T, dir, when string) {
	t.Helper()
	found := false
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(canary)) {
			found = true
		}
		for what, secret := range plantedSecrets {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s: %s (%q) is in %s", when, what, secret, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Errorf("%s: the canary %q is in no file: the files do not keep text plainly, so this check proves nothing", when, canary)
	}
}

// putLifecycle changes a project's lifecycle settings with key.
func putLifecycleAs(t *testing.T, base, key, name, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, base+"/api/v1/settings/"+url.PathEscape(name), strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// putLifecycle changes a project's lifecycle settings as its admin.
func putLifecycle(t *testing.T, base, name, body string) (int, string) {
	t.Helper()
	return putLifecycleAs(t, base, adminKey, name, body)
}

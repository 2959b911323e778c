package native

import (
	"bytes"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/rs/zerolog"
	"github.com/sirupsen/logrus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// These tests run the real loggers into a buffer and decode what they
// wrote, so a change in a logger's output format shows up here.

const (
	testTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	testSpan  = "00f067aa0ba902b7"
)

// logTime is the time every logger is told it is; it has microseconds so
// that truncation shows.
var logTime = time.Date(2024, 5, 1, 9, 15, 40, 123456000, time.UTC)

type want struct {
	level, message string
	attrs          map[string]string
}

func checkLogged(t *testing.T, buf []byte, wants ...want) {
	t.Helper()
	checkLoggedAt(t, buf, logTime, wants...)
}

func checkLoggedAt(t *testing.T, buf []byte, wantTime time.Time, wants ...want) {
	t.Helper()
	r := Decode(buf, Options{ProjectID: 7, Now: 1, Service: "fallback"})
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %v\nbody:\n%s", r.Errors, buf)
	}
	if len(r.Events) != len(wants) {
		t.Fatalf("got %d events, want %d\nbody:\n%s", len(r.Events), len(wants), buf)
	}
	for i, w := range wants {
		e := r.Events[i]
		if e.Level != w.level || e.Message != w.message {
			t.Errorf("event %d: level %q message %q, want %q %q\nline: %s", i, e.Level, e.Message, w.level, w.message, bytes.Split(buf, []byte("\n"))[i])
		}
		if e.Kind != event.KindLog || e.ProjectID != 7 || e.ReceivedAt != 1 {
			t.Errorf("event %d: kind %q project %d received %d", i, e.Kind, e.ProjectID, e.ReceivedAt)
		}
		if got := e.Time(); !got.Equal(wantTime) {
			t.Errorf("event %d: time %s, want %s", i, got, wantTime)
		}
		if e.TraceID.String() != testTrace {
			t.Errorf("event %d: trace id %q, want %q", i, e.TraceID, testTrace)
		}
		for k, v := range w.attrs {
			if got, ok := e.Attr(k); !ok || got != v {
				t.Errorf("event %d: attribute %s = %q (present %v), want %q; all: %v", i, k, got, ok, v, e.Attributes)
			}
		}
	}
}

func TestZapProductionJSON(t *testing.T) {
	var buf bytes.Buffer
	cfg := zap.NewProductionEncoderConfig()
	core := zapcore.NewCore(zapcore.NewJSONEncoder(cfg), zapcore.AddSync(&buf), zapcore.DebugLevel)
	log := zap.New(core, zap.AddCaller(), zap.AddStacktrace(zapcore.ErrorLevel), zap.WithClock(fixedClock{})).Named("checkout")
	log.Info("payment accepted", zap.String("trace_id", testTrace), zap.Int("amount_cents", 1299), zap.Bool("retry", false))
	log.Error("payment failed", zap.String("trace_id", testTrace), zap.Error(errors.New("card declined")),
		zap.Int("status", 502), zap.String("user_id", "u-42"))
	_ = log.Sync()
	checkLogged(t, buf.Bytes(),
		want{event.LevelInfo, "payment accepted", map[string]string{"logger": "checkout", "amount_cents": "1299", "retry": "false"}},
		want{event.LevelError, "payment failed", map[string]string{"error": "card declined"}},
	)
	r := Decode(buf.Bytes(), Options{Now: 1})
	e := r.Events[1]
	if e.HTTPStatus != 502 || e.UserID != "u-42" {
		t.Errorf("status %d user %q", e.HTTPStatus, e.UserID)
	}
	if c, _ := e.Attr("caller"); c == "" {
		t.Errorf("caller missing: %v", e.Attributes)
	}
	if s, _ := e.Attr("stacktrace"); s == "" {
		t.Errorf("zap's stacktrace of an error is not kept: %v", e.Attributes)
	}
}

type fixedClock struct{}

func (fixedClock) Now() time.Time                         { return logTime }
func (fixedClock) NewTicker(d time.Duration) *time.Ticker { return time.NewTicker(d) }

func TestZerolog(t *testing.T) {
	var buf bytes.Buffer
	zerolog.TimeFieldFormat = time.RFC3339Nano // package-level in zerolog; restored below
	defer func() { zerolog.TimeFieldFormat = time.RFC3339 }()
	log := zerolog.New(&buf).With().Str("service", "cart").Logger()
	log.Warn().Time("time", logTime).Str("traceId", testTrace).Dur("latency", 1500*time.Millisecond).Msg("slow cart")
	log.Error().Time("time", logTime).Str("traceId", testTrace).Err(errors.New("boom")).Str("path", "/cart").Msg("cart failed")
	checkLogged(t, buf.Bytes(),
		want{event.LevelWarn, "slow cart", nil},
		want{event.LevelError, "cart failed", map[string]string{"error": "boom"}},
	)
	r := Decode(buf.Bytes(), Options{Now: 1})
	if e := r.Events[0]; e.Service != "cart" || e.DurationMS != 1500 {
		t.Errorf("service %q duration %v", e.Service, e.DurationMS)
	}
	if e := r.Events[1]; e.Endpoint != "/cart" {
		t.Errorf("endpoint %q", e.Endpoint)
	}
}

func TestSlogJSONHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug - 4}))
	ctx := t.Context()
	rec := func(l slog.Level, msg string, args ...any) {
		r := slog.NewRecord(logTime, l, msg, 0)
		r.Add(args...)
		_ = log.Handler().Handle(ctx, r)
	}
	rec(slog.LevelInfo+2, "cache warm", "trace_id", testTrace, slog.Group("http", "method", "GET", "status_code", 200))
	rec(slog.LevelDebug-4, "very verbose", "trace_id", testTrace, "tags", []string{"a", "b"})
	rec(slog.LevelError, "db down", "trace_id", testTrace, "attempt", 3)
	checkLogged(t, buf.Bytes(),
		want{event.LevelInfo, "cache warm", nil},
		want{event.LevelDebug, "very verbose", map[string]string{"tags": `["a","b"]`}},
		want{event.LevelError, "db down", nil},
	)
	r := Decode(buf.Bytes(), Options{Now: 1})
	if e := r.Events[0]; e.HTTPMethod != "GET" || e.HTTPStatus != 200 {
		t.Errorf("method %q status %d from an slog group", e.HTTPMethod, e.HTTPStatus)
	}
	if e := r.Events[2]; e.RetryAttempt != 3 {
		t.Errorf("retry %d", e.RetryAttempt)
	}
}

func TestSlogTextHandler(t *testing.T) {
	var buf bytes.Buffer
	h := slog.NewTextHandler(&buf, nil)
	r := slog.NewRecord(logTime, slog.LevelWarn, "disk almost full", 0)
	r.Add("trace_id", testTrace, "mount", "/var", "free_pct", 3.5)
	_ = h.Handle(t.Context(), r)
	// TextHandler writes milliseconds.
	checkLoggedAt(t, buf.Bytes(), logTime.Truncate(time.Millisecond), want{event.LevelWarn, "disk almost full", map[string]string{"mount": "/var", "free_pct": "3.5"}})
}

func TestLogrus(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    logrus.Formatter
	}{
		{"json", &logrus.JSONFormatter{TimestampFormat: time.RFC3339Nano}},
		{"text", &logrus.TextFormatter{TimestampFormat: time.RFC3339Nano, DisableColors: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := logrus.New()
			log.SetOutput(&buf)
			log.SetFormatter(tc.f)
			log.WithTime(logTime).WithFields(logrus.Fields{"trace_id": testTrace, "order": "A-1"}).Warn("stock low")
			log.WithTime(logTime).WithField("trace_id", testTrace).WithError(errors.New("timeout")).Error("order failed")
			checkLogged(t, buf.Bytes(),
				want{event.LevelWarn, "stock low", map[string]string{"order": "A-1"}},
				want{event.LevelError, "order failed", map[string]string{"error": "timeout"}},
			)
		})
	}
}

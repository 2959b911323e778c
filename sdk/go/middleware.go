package lore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Middleware reads the request's W3C traceparent (or starts a trace),
// gives the request a span of its own and an X-Request-Id (the caller's,
// or a new one, echoed on the response), takes the user and session from
// X-User-Id and X-Session-Id (handlers may set them later with SetUser and
// SetSession), and puts all of it on the request's context, so every
// record logged with r.Context() carries it. When the request ends it logs
// one record: method and route pattern, status, duration_ms (level warn
// for 4xx, error for 5xx).
func Middleware(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		tc, ok := ParseTraceparent(r.Header.Get("traceparent"))
		if ok {
			tc = tc.Child()
		} else {
			tc = NewTrace()
		}
		reqID := r.Header.Get("X-Request-Id")
		if reqID == "" || len(reqID) > 128 {
			reqID = newRequestID()
		}
		ctx := WithRequestID(ContextWithTrace(r.Context(), tc), reqID)
		if n, err := strconv.Atoi(r.Header.Get(retryHeader)); err == nil && n > 0 && n < 1000 {
			ctx = context.WithValue(ctx, retryKey{}, n) // the caller's retry: its records say so too
		}
		SetUser(ctx, r.Header.Get("X-User-Id"))
		SetSession(ctx, r.Header.Get("X-Session-Id"))
		w.Header().Set("X-Request-Id", reqID)
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		r = r.WithContext(ctx)
		defer func() {
			// r.Pattern is set by http.ServeMux on this request when it routed
			// it ("POST /charge/{id}"); the endpoint is its path.
			route := r.URL.Path
			if r.Pattern != "" {
				route = r.Pattern
				if _, path, ok := strings.Cut(route, " "); ok {
					route = path
				}
			}
			level := slog.LevelInfo
			switch {
			case rec.status >= 500:
				level = slog.LevelError
			case rec.status >= 400:
				level = slog.LevelWarn
			}
			d := time.Since(start)
			log.LogAttrs(ctx, level, r.Method+" "+route+" "+http.StatusText(rec.status),
				slog.String("kind", "log"),
				slog.String("http_method", r.Method),
				slog.String("endpoint", route),
				slog.Int("http_status", rec.status),
				slog.Float64("duration_ms", float64(d.Microseconds())/1000))
		}()
		next.ServeHTTP(rec, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

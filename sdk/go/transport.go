package lore

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// Transport is an http.RoundTripper that continues the caller's trace
// downstream (a new span id in the traceparent header, the X-Request-Id
// passed on) and logs each call: method, host and path, status,
// duration_ms, and retry_attempt when the call is a retry made by Retry.
type Transport struct {
	Base   http.RoundTripper // default http.DefaultTransport
	Logger *slog.Logger      // default slog.Default()
}

var _ http.RoundTripper = (*Transport)(nil)

// RoundTrip sends one request.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base, log := t.Base, t.Logger
	if base == nil {
		base = http.DefaultTransport
	}
	if log == nil {
		log = slog.Default()
	}
	ctx := req.Context()
	tc, ok := TraceFromContext(ctx)
	if !ok {
		tc = NewTrace()
	}
	child := tc.Child()
	req = req.Clone(ctx)
	req.Header.Set("traceparent", child.Traceparent())
	if n := retryAttempt(ctx); n > 0 {
		req.Header.Set(retryHeader, strconv.Itoa(n))
	}
	if id := RequestID(ctx); id != "" && req.Header.Get("X-Request-Id") == "" {
		req.Header.Set("X-Request-Id", id)
	}
	start := time.Now()
	resp, err := base.RoundTrip(req)
	attrs := []slog.Attr{
		slog.String("http_method", req.Method),
		slog.String("endpoint", req.URL.Path),
		slog.String("peer.host", req.URL.Host),
		slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
	}
	level := slog.LevelInfo
	msg := "call " + req.Method + " " + req.URL.Host + req.URL.Path
	switch {
	case err != nil:
		level = slog.LevelError
		attrs = append(attrs, slog.String("error", err.Error()))
		msg += " failed"
	default:
		attrs = append(attrs, slog.Int("http_status", resp.StatusCode))
		msg += " " + strconv.Itoa(resp.StatusCode)
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			level = slog.LevelWarn
		}
	}
	log.LogAttrs(ContextWithTrace(ctx, child), level, msg, attrs...) // the call is the child span
	return resp, err
}

type retryKey struct{}

// retryHeader tells the callee that a request is a retry (the middleware
// reads it), so both sides of a retried call say retry_attempt.
const retryHeader = "X-Retry-Attempt"

func retryAttempt(ctx context.Context) int {
	if ctx == nil {
		return 0
	}
	n, _ := ctx.Value(retryKey{}).(int)
	return n
}

// RetryPolicy says how Retry retries.
type RetryPolicy struct {
	Attempts int           // total tries (default 3)
	Base     time.Duration // first wait (default 100ms), doubled each retry
	Max      time.Duration // longest wait (default 5s); Retry-After is honoured up to it
}

// Retry sends req with client, again after a network error, 429 or 5xx,
// up to p.Attempts times. Each retry's context carries its attempt number,
// which the Transport and the Handler write as retry_attempt. A request
// with a body needs GetBody (http.NewRequest sets it for in-memory bodies).
func Retry(client *http.Client, req *http.Request, p RetryPolicy) (*http.Response, error) {
	if p.Attempts <= 0 {
		p.Attempts = 3
	}
	if p.Base <= 0 {
		p.Base = 100 * time.Millisecond
	}
	if p.Max <= 0 {
		p.Max = 5 * time.Second
	}
	wait := p.Base
	for attempt := 0; ; attempt++ {
		r := req.Clone(context.WithValue(req.Context(), retryKey{}, attempt))
		if attempt > 0 && req.Body != nil && req.Body != http.NoBody {
			if req.GetBody == nil {
				return nil, errors.New("lore.Retry: the request body cannot be sent again (no GetBody)")
			}
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r.Body = body
		}
		resp, err := client.Do(r)
		retry := err != nil || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
		if !retry || attempt+1 >= p.Attempts {
			return resp, err
		}
		d := wait
		if resp != nil {
			if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s >= 0 {
				d = time.Duration(s) * time.Second
			}
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		select {
		case <-time.After(min(d, p.Max)):
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
		wait = min(2*wait, p.Max)
	}
}

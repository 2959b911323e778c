package sim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Sink receives the simulated traffic as ready request bodies.
type Sink interface {
	// Logs sends one NDJSON body (logs and browser events), as POST /api/v1/ingest.
	Logs(ctx context.Context, ndjson []byte) error
	// Spans sends one OTLP ExportTraceServiceRequest in protobuf, as POST /v1/traces.
	Spans(ctx context.Context, otlpProtobuf []byte) error
}

// Ingest paths and content types of the bodies the simulator produces.
const (
	PathLogs         = "/api/v1/ingest"
	PathTraces       = "/v1/traces"
	ContentTypeJSONL = "application/x-ndjson"
	ContentTypeOTLP  = "application/x-protobuf"
)

// HTTPSink posts bodies to a Lore server; create it with NewHTTPSink.
type HTTPSink struct {
	base   string
	key    string
	client *http.Client
}

var _ Sink = (*HTTPSink)(nil)

// NewHTTPSink returns a Sink posting gzip bodies to baseURL with the ingest
// key as bearer token. On 429 or 503 it waits as long as Retry-After says
// (1s when absent) and resends the same body until ctx ends; network errors
// are retried 5 times with backoff; other non-2xx answers are returned as
// errors quoting the server's error. client nil means a client with a 60s
// timeout.
func NewHTTPSink(baseURL, ingestKey string, client *http.Client) *HTTPSink {
	if client == nil {
		client = &http.Client{Timeout: 60 * time.Second}
	}
	return &HTTPSink{base: strings.TrimRight(baseURL, "/"), key: ingestKey, client: client}
}

// Logs posts an NDJSON body to /api/v1/ingest.
func (h *HTTPSink) Logs(ctx context.Context, ndjson []byte) error {
	return h.post(ctx, PathLogs, ContentTypeJSONL, ndjson)
}

// Spans posts an OTLP protobuf body to /v1/traces.
func (h *HTTPSink) Spans(ctx context.Context, otlpProtobuf []byte) error {
	return h.post(ctx, PathTraces, ContentTypeOTLP, otlpProtobuf)
}

func (h *HTTPSink) post(ctx context.Context, path, contentType string, body []byte) error {
	var zbuf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zbuf, gzip.BestSpeed)
	if _, err := zw.Write(body); err != nil {
		return fmt.Errorf("gzip body for %s: %w", path, err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("gzip body for %s: %w", path, err)
	}
	gz := zbuf.Bytes()
	url := h.base + path
	netErrors := 0
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(gz))
		if err != nil {
			return fmt.Errorf("build request to %q: %w", url, err)
		}
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Content-Encoding", "gzip")
		if h.key != "" {
			req.Header.Set("Authorization", "Bearer "+h.key)
		}
		resp, err := h.client.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			netErrors++
			if netErrors > 5 {
				return fmt.Errorf("post to %q: %w", url, err)
			}
			if err := sleep(ctx, time.Duration(1<<netErrors)*250*time.Millisecond); err != nil {
				return err
			}
			continue
		}
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		switch {
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			return nil
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
			if err := sleep(ctx, retryAfter(resp.Header.Get("Retry-After"))); err != nil {
				return err
			}
		default:
			return fmt.Errorf("post to %q: status %d: %s", url, resp.StatusCode, bytes.TrimSpace(msg))
		}
	}
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return time.Second
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return min(time.Duration(n)*time.Second, 5*time.Minute)
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(t), 0), 5*time.Minute)
	}
	return time.Second
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// FuncSink adapts two functions to Sink.
type FuncSink struct {
	LogsFunc  func(ctx context.Context, ndjson []byte) error
	SpansFunc func(ctx context.Context, otlpProtobuf []byte) error
}

var _ Sink = FuncSink{}

// Logs calls LogsFunc.
func (f FuncSink) Logs(ctx context.Context, b []byte) error { return f.LogsFunc(ctx, b) }

// Spans calls SpansFunc.
func (f FuncSink) Spans(ctx context.Context, b []byte) error { return f.SpansFunc(ctx, b) }

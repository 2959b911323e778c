package lore

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ClientOptions configure a Client.
type ClientOptions struct {
	Endpoint string // Lore's base URL, e.g. http://lore:4780
	Key      string // an ingest key
	// Service is sent as ?service= for lines that name none.
	Service        string
	FlushInterval  time.Duration // default 1s
	MaxBatchBytes  int           // one request's lines (default 1 MiB)
	MaxBufferBytes int           // lines held in memory; beyond, new lines are dropped and counted (default 8 MiB)
	MaxRetries     int           // per batch, on network errors, 429 and 5xx (default 6); then the batch is dropped and counted
	HTTPClient     *http.Client
	OnError        func(error) // called when a batch is dropped (default: nothing)
}

// Client ships JSON lines to Lore's POST /api/v1/ingest in gzip batches,
// from a goroutine of its own. Memory is bounded by MaxBufferBytes; a
// batch Lore refuses with 429 or 503 is retried with exponential backoff
// (honouring Retry-After). Close flushes what is buffered.
type Client struct {
	opts ClientOptions
	url  string

	mu      sync.Mutex
	lines   [][]byte
	size    int
	closed  bool
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	flushes chan chan struct{}

	sent, dropped atomic.Int64
}

// NewClient starts a client.
func NewClient(opts ClientOptions) *Client {
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = time.Second
	}
	if opts.MaxBatchBytes <= 0 {
		opts.MaxBatchBytes = 1 << 20
	}
	if opts.MaxBufferBytes <= 0 {
		opts.MaxBufferBytes = 8 << 20
	}
	if opts.MaxRetries <= 0 {
		opts.MaxRetries = 6
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	u := strings.TrimRight(opts.Endpoint, "/") + "/api/v1/ingest"
	if opts.Service != "" {
		u += "?service=" + url.QueryEscape(opts.Service)
	}
	c := &Client{opts: opts, url: u, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}), flushes: make(chan chan struct{})}
	go c.loop()
	return c
}

// Write buffers one or more complete lines (the Handler writes one record
// a call). It never blocks on the network.
func (c *Client) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, errors.New("lore client is closed")
	}
	if c.size+len(p) > c.opts.MaxBufferBytes {
		c.dropped.Add(int64(max(bytes.Count(p, []byte{'\n'}), 1)))
		return len(p), nil
	}
	c.lines = append(c.lines, append([]byte(nil), p...))
	c.size += len(p)
	if c.size >= c.opts.MaxBatchBytes {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

// Sent and Dropped count lines shipped and lines given up on (buffer full,
// or refused after every retry).
func (c *Client) Sent() int64 { return c.sent.Load() }

// Dropped counts lines given up on.
func (c *Client) Dropped() int64 { return c.dropped.Load() }

// Flush sends everything buffered so far, waiting until it is sent (or
// given up on) or ctx ends.
func (c *Client) Flush(ctx context.Context) error {
	ack := make(chan struct{})
	select {
	case c.flushes <- ack:
	case <-c.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close flushes and stops the client; lines still unsent when ctx ends are
// dropped.
func (c *Client) Close(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		<-c.done
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	close(c.stop)
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("lore client: %d lines unsent: %w", c.pending(), ctx.Err())
	}
}

func (c *Client) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.lines)
}

func (c *Client) loop() {
	defer close(c.done)
	t := time.NewTicker(c.opts.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			c.drain()
		case <-c.wake:
			c.drain()
		case ack := <-c.flushes:
			c.drain()
			close(ack)
		case <-c.stop:
			c.drain()
			return
		}
	}
}

// drain sends everything buffered, in batches of at most MaxBatchBytes.
func (c *Client) drain() {
	for {
		batch, n := c.take()
		if n == 0 {
			return
		}
		c.send(batch, n)
	}
}

func (c *Client) take() ([]byte, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b []byte
	n := 0
	for n < len(c.lines) && (n == 0 || len(b)+len(c.lines[n]) <= c.opts.MaxBatchBytes) {
		b = append(b, c.lines[n]...)
		n++
	}
	c.size -= len(b)
	clear(c.lines[:n])
	c.lines = c.lines[n:]
	return b, bytes.Count(b, []byte{'\n'})
}

func (c *Client) send(batch []byte, lines int) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(batch)
	zw.Close()
	var lastErr error
	for attempt := 0; attempt <= c.opts.MaxRetries; attempt++ {
		if attempt > 0 {
			time.Sleep(backoff(attempt, lastErr))
		}
		req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(gz.Bytes()))
		if err != nil {
			lastErr = err
			break
		}
		req.Header.Set("Authorization", "Bearer "+c.opts.Key)
		req.Header.Set("Content-Encoding", "gzip")
		req.Header.Set("Content-Type", "application/x-ndjson")
		resp, err := c.opts.HTTPClient.Do(req)
		if err != nil {
			lastErr = err
			continue
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		switch {
		case resp.StatusCode < 300:
			c.sent.Add(int64(lines))
			return
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			lastErr = &statusError{status: resp.StatusCode, body: string(body), retryAfter: resp.Header.Get("Retry-After")}
			continue
		default: // a bad request is not retried: it would fail again
			lastErr = &statusError{status: resp.StatusCode, body: string(body)}
			attempt = c.opts.MaxRetries
		}
	}
	c.dropped.Add(int64(lines))
	if c.opts.OnError != nil {
		c.opts.OnError(fmt.Errorf("lore: dropped %d lines: %w", lines, lastErr))
	}
}

type statusError struct {
	status     int
	body       string
	retryAfter string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("lore answered %d: %s", e.status, strings.TrimSpace(e.body))
}

// backoff is the wait before retry n (1-based): Retry-After when the
// server gave one, else 200ms·2^(n-1) with jitter, at most 30s.
func backoff(n int, err error) time.Duration {
	var se *statusError
	if errors.As(err, &se) && se.retryAfter != "" {
		if s, perr := strconv.Atoi(se.retryAfter); perr == nil && s >= 0 {
			return min(time.Duration(s)*time.Second, 30*time.Second)
		}
	}
	d := 200 * time.Millisecond << min(n-1, 8)
	d = min(d, 30*time.Second)
	return d/2 + rand.N(d/2+1)
}

// Package client talks to a Lore server's HTTP API; the CLI's remote
// commands (query, story, ingest) use it.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client is a Lore API client for one base URL and key.
type Client struct {
	BaseURL string
	Key     string
	HTTP    *http.Client
}

// New returns a client; baseURL like "http://localhost:4780".
func New(baseURL, key string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), Key: key, HTTP: &http.Client{Timeout: 5 * time.Minute}}
}

// APIError is a non-2xx answer.
type APIError struct {
	Status     int
	Msg        string
	RetryAfter time.Duration
	Body       []byte
}

func (e *APIError) Error() string { return fmt.Sprintf("lore API: %d %s", e.Status, e.Msg) }

// Retryable reports whether the request may be sent again as it is.
func (e *APIError) Retryable() bool { return e.Status == 429 || e.Status == 503 }

// Do sends a request and returns the body of a 2xx answer.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body []byte, header http.Header) ([]byte, error) {
	u := c.BaseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("build request %s %s: %w", method, path, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if c.Key != "" {
		req.Header.Set("Authorization", "Bearer "+c.Key)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read answer of %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		e := &APIError{Status: resp.StatusCode, Body: b, Msg: strings.TrimSpace(string(b))}
		var je struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &je) == nil && je.Error != "" {
			e.Msg = je.Error
		}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
			e.RetryAfter = time.Duration(s) * time.Second
		}
		return b, e
	}
	return b, nil
}

// GetJSON sends a GET and decodes the JSON answer into out.
func (c *Client) GetJSON(ctx context.Context, path string, query url.Values, out any) error {
	b, err := c.Do(ctx, http.MethodGet, path, query, nil, nil)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decode answer of %s: %w", path, err)
	}
	return nil
}

// IngestResult is the answer of POST /api/v1/ingest.
type IngestResult struct {
	Accepted int `json:"accepted"`
	Rejected int `json:"rejected"`
	Errors   []struct {
		Line  int    `json:"line"`
		Error string `json:"error"`
	} `json:"errors"`
	Reasons map[string]int `json:"reasons"`
}

// Ingest posts a body of lines to /api/v1/ingest, retrying on 429/503 after
// the server's Retry-After until ctx ends. An answer of 400 that lists
// rejected lines is not an error: it is returned as a result.
func (c *Client) Ingest(ctx context.Context, body []byte, service string) (IngestResult, error) {
	var res IngestResult
	q := url.Values{}
	if service != "" {
		q.Set("service", service)
	}
	for {
		b, err := c.Do(ctx, http.MethodPost, "/api/v1/ingest", q, body, http.Header{"Content-Type": {"application/x-ndjson"}})
		var ae *APIError
		if errors.As(err, &ae) && ae.Retryable() {
			wait := ae.RetryAfter
			if wait <= 0 {
				wait = time.Second
			}
			select {
			case <-time.After(wait):
				continue
			case <-ctx.Done():
				return res, ctx.Err()
			}
		}
		if errors.As(err, &ae) && ae.Status == http.StatusBadRequest && json.Unmarshal(b, &res) == nil && res.Rejected > 0 {
			return res, nil
		}
		if err != nil {
			return res, err
		}
		if err := json.Unmarshal(b, &res); err != nil {
			return res, fmt.Errorf("decode ingest answer: %w", err)
		}
		return res, nil
	}
}

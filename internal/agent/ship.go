package agent

import (
	"bytes"
	"compress/gzip"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// shipper posts batches of lines to Lore's POST /api/v1/ingest, gzip
// compressed, with an Idempotency-Key, retrying network errors, 429 and
// 5xx with exponential backoff (Retry-After honoured) until it succeeds or
// ctx ends: the agent never skips a batch it could not send.
type shipper struct {
	base string
	key  string
	hc   *http.Client
	log  func(msg string, args ...any)
}

// send posts one batch; service is the default service of its lines.
func (s *shipper) send(ctx context.Context, body []byte, service, idemKey string) error {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(body)
	zw.Close()
	u := s.base + "/api/v1/ingest"
	if service != "" {
		u += "?service=" + url.QueryEscape(service)
	}
	for attempt := 0; ; attempt++ {
		wait, err := s.post(ctx, u, gz.Bytes(), idemKey)
		if err == nil {
			return nil
		}
		if wait < 0 {
			return err
		}
		if wait == 0 {
			d := 200 * time.Millisecond << min(attempt, 7)
			wait = d/2 + rand.N(d/2+1)
		}
		if attempt%5 == 4 {
			s.log("lore agent: still retrying a batch", "attempt", attempt+1, "err", err)
		}
		select {
		case <-time.After(min(wait, 30*time.Second)):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// post sends once; wait is the delay before a retry (0: backoff), or -1
// when retrying cannot help.
func (s *shipper) post(ctx context.Context, u string, body []byte, idemKey string) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return -1, err
	}
	req.Header.Set("Authorization", "Bearer "+s.key)
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Idempotency-Key", idemKey)
	resp, err := s.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return -1, ctx.Err()
		}
		return 0, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
	switch {
	case resp.StatusCode < 300:
		return 0, nil
	case resp.StatusCode == http.StatusBadRequest:
		// Every line was refused (the answer names them): sending them
		// again cannot help, and must not hold back the lines after them.
		s.log("lore agent: Lore refused every line of a batch", "answer", strings.TrimSpace(string(msg)))
		return 0, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout,
		resp.StatusCode == http.StatusConflict: // the same batch still being stored (sent before a restart)
		wait := time.Duration(0)
		if sec, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && sec >= 0 {
			wait = time.Duration(sec)*time.Second + time.Millisecond
		}
		return wait, fmt.Errorf("lore answered %d: %s", resp.StatusCode, strings.TrimSpace(string(msg)))
	}
	return -1, fmt.Errorf("lore answered %d: %s", resp.StatusCode, strings.TrimSpace(string(msg)))
}

func newAgentID() string {
	var b [8]byte
	_, _ = crand.Read(b[:])
	return hex.EncodeToString(b[:])
}

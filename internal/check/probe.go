// Package check runs Lore's uptime checks: each check's URL is fetched on
// its interval (down to 5 s) within its timeout, through the outbound
// dialer; the result — up or down and why, the status, the latency, the
// days the TLS certificate has left — is kept on the check and stored as
// a kind:check event through the durable ingest path, so uptime, response
// times and outages are searchable, chartable and part of incident
// timelines like any other event.
package check

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/outbound"
)

// ExpiryWarning is how close to its end a certificate is reported as
// expiring.
const ExpiryWarning = 14 * 24 * time.Hour

// maxBody is how much of an answer is read to look for expect_body.
const maxBody = 1 << 20

// Failure kinds, the error_type of a down check's event.
const (
	FailTimeout    = "timeout"
	FailConnection = "connection"
	FailDNS        = "dns"
	FailTLS        = "tls"
	FailStatus     = "status"
	FailBody       = "body"
	FailRefused    = "refused" // the outbound policy refused the address
)

// Result is one run of a check: what is kept on the check, and the kind
// of failure for its event.
type Result struct {
	meta.CheckResult
	Fail string // one of the Fail kinds; "" when up
}

// Probe fetches c's URL once, as at now, with c's timeout; the transport
// opens a new connection each time, so the latency includes connecting and
// the certificate is seen on every run.
func Probe(ctx context.Context, o outbound.Options, c meta.Check, now func() time.Time) Result {
	timeout := c.TimeoutDuration()
	o.Timeout, o.NoKeepAlive = timeout, true
	client := outbound.Client(o)
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := now()
	res := Result{CheckResult: meta.CheckResult{At: start.UTC().Format(time.RFC3339Nano)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
	if err != nil {
		res.Error, res.Fail = fmt.Sprintf("bad url %q: %v", c.URL, err), FailConnection
		return res
	}
	req.Header.Set("User-Agent", "lore-uptime/1 (+https://github.com/lore-dev/lore)")
	resp, err := client.Do(req)
	if err != nil {
		res.LatencyMS = ms(now().Sub(start))
		res.Fail, res.Error = classify(err, timeout)
		return res
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	res.LatencyMS = ms(now().Sub(start))
	res.StatusCode = resp.StatusCode
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		end := resp.TLS.PeerCertificates[0].NotAfter
		days := int(end.Sub(start) / (24 * time.Hour))
		res.TLSExpiresAt, res.TLSDaysLeft = end.UTC().Format(time.RFC3339), &days
		res.TLSExpiring = end.Sub(start) < ExpiryWarning
	}
	switch {
	case c.ExpectStatus != 0 && resp.StatusCode != c.ExpectStatus:
		res.Fail, res.Error = FailStatus, fmt.Sprintf("status %d, want %d", resp.StatusCode, c.ExpectStatus)
	case c.ExpectStatus == 0 && (resp.StatusCode < 200 || resp.StatusCode > 399):
		res.Fail, res.Error = FailStatus, fmt.Sprintf("status %d, want 2xx or 3xx", resp.StatusCode)
	case c.ExpectBody != "" && rerr != nil:
		res.Fail, res.Error = FailBody, fmt.Sprintf("cannot read the body: %v", rerr)
	case c.ExpectBody != "" && !bytes.Contains(body, []byte(c.ExpectBody)):
		res.Fail, res.Error = FailBody, fmt.Sprintf("body does not contain %q", c.ExpectBody)
	}
	return res
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// classify says why a request got no answer, in words and as a kind.
func classify(err error, timeout time.Duration) (kind, msg string) {
	var (
		dnsErr  *net.DNSError
		certErr *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		invalid x509.CertificateInvalidError
		host    x509.HostnameError
		recErr  tls.RecordHeaderError
	)
	var ue *url.Error
	inner := err
	if errors.As(err, &ue) {
		inner = ue.Err
	}
	switch {
	case errors.Is(err, outbound.ErrRefused):
		return FailRefused, inner.Error()
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return FailTimeout, fmt.Sprintf("no answer within the timeout (%s)", timeout)
	case errors.As(err, &dnsErr):
		return FailDNS, "cannot resolve " + dnsErr.Name + ": " + dnsErr.Err
	case errors.As(err, &invalid):
		return FailTLS, "certificate: " + invalid.Error()
	case errors.As(err, &certErr), errors.As(err, &unknown), errors.As(err, &host), errors.As(err, &recErr):
		return FailTLS, "tls: " + inner.Error()
	case errors.Is(err, syscall.ECONNREFUSED):
		return FailConnection, "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return FailConnection, "connection closed without an answer"
	case strings.Contains(inner.Error(), "tls:"):
		return FailTLS, inner.Error()
	}
	return FailConnection, inner.Error()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

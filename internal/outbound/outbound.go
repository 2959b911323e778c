// Package outbound is the one way Lore makes requests to addresses its
// users give it: monitor webhooks, notification channels (webhook, Slack,
// Discord, SMTP) and uptime checks. Its dialer checks the address it is
// about to connect to — after name resolution, in net.Dialer.Control, so
// a name that resolves to a private address (DNS rebinding included) is
// caught — against a Policy, which refuses loopback, private, link-local
// (cloud metadata), unspecified and multicast addresses unless allowed.
package outbound

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Policy says which destinations a dialer may reach.
type Policy struct {
	// AllowPrivate allows loopback, private (RFC 1918, fc00::/7) and
	// link-local addresses: `lore serve --allow-private-webhooks`.
	AllowPrivate bool
	// AllowInternal allows loopback and private addresses but still
	// refuses link-local ones (169.254.0.0/16, fe80::/10, where cloud
	// metadata services answer). Uptime checks use it: they watch
	// internal services by design, and only a project's members create
	// them.
	AllowInternal bool
}

// ErrRefused is wrapped by every refusal of a destination.
var ErrRefused = errors.New("destination refused")

// Check reports why p refuses addr, or nil.
func (p Policy) Check(addr netip.Addr) error {
	addr = addr.Unmap()
	if p.AllowPrivate {
		return nil
	}
	var why string
	switch {
	case addr.IsUnspecified():
		why = "an unspecified address"
	case addr.IsMulticast() || addr.IsInterfaceLocalMulticast() || addr.IsLinkLocalMulticast():
		why = "a multicast address"
	case addr.IsLinkLocalUnicast():
		why = "a link-local address (cloud metadata lives there)"
	case p.AllowInternal:
		return nil
	case addr.IsLoopback():
		why = "a loopback address"
	case addr.IsPrivate():
		why = "a private address"
	case cgnat.Contains(addr):
		why = "a shared (carrier-grade NAT) address"
	default:
		return nil
	}
	return fmt.Errorf("%w: %s is %s (lore serve --allow-private-webhooks allows it)", ErrRefused, addr, why)
}

// cgnat is RFC 6598's shared address space, private in all but name.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// Dialer returns a dialer that refuses what p refuses.
func (p Policy) Dialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{
		Timeout:   timeout,
		KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: cannot parse address %q: %v", ErrRefused, address, err)
			}
			return p.Check(ap.Addr())
		},
	}
}

// ClientOptions tune a client; the zero value is Lore's default.
type ClientOptions struct {
	Timeout time.Duration // whole request; default 10s
	// RootCAs, when set, replaces the system roots (tests trust their own
	// certificate authority with it).
	RootCAs *x509.CertPool
	// NoKeepAlive makes every request open its own connection (uptime
	// checks: each measures a whole connect and sees the certificate).
	NoKeepAlive bool
	// NoRedirects answers a redirect as it is instead of following it.
	NoRedirects bool
}

// Client returns an HTTP client that dials through p's dialer, and never
// through a proxy from the environment (a proxy would dial for it).
func (p Policy) Client(o ClientOptions) *http.Client {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	d := p.Dialer(o.Timeout)
	tr := &http.Transport{
		DialContext:           d.DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   o.Timeout,
		ResponseHeaderTimeout: o.Timeout,
		MaxIdleConns:          16,
		IdleConnTimeout:       90 * time.Second,
		DisableKeepAlives:     o.NoKeepAlive,
		ForceAttemptHTTP2:     true,
	}
	c := &http.Client{Transport: tr, Timeout: o.Timeout}
	if o.NoRedirects {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return c
}

// DialContext connects to address (host:port) through p's dialer, for
// protocols other than HTTP (SMTP).
func (p Policy) DialContext(ctx context.Context, network, address string, timeout time.Duration) (net.Conn, error) {
	conn, err := p.Dialer(timeout).DialContext(ctx, network, address)
	if err != nil {
		return nil, fmt.Errorf("connect to %q: %w", address, err)
	}
	return conn, nil
}

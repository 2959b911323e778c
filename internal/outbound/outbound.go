// Package outbound is the one way Lore makes requests to addresses its
// users give it: monitor webhooks, notification channels (webhook, Slack,
// Discord, SMTP) and uptime checks. Such an address must not turn Lore
// into a way into the network it runs in (server-side request forgery):
// by default a connection to a loopback, private, link-local (cloud
// metadata), shared (CGNAT), unspecified, multicast or broadcast address
// is refused. The check runs in net.Dialer.Control on the address
// actually dialled, so neither a name that resolves to such an address,
// nor one that changes its answer between a check and the request (DNS
// rebinding), nor a redirect gets past it.
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

// ErrRefused is wrapped by the error of a connection to a refused address.
var ErrRefused = errors.New("address refused")

// Options say which destinations a client may reach, and tune it.
type Options struct {
	// AllowPrivate lets the client reach every address (lore serve
	// --allow-private-webhooks), for webhooks on the same host or network.
	AllowPrivate bool
	// AllowInternal allows loopback, private and shared addresses but
	// still refuses link-local ones (169.254.0.0/16, fe80::/10, where cloud
	// metadata services answer), unspecified, multicast and broadcast.
	// Uptime checks use it: they watch internal services by design, and
	// only a project's members create them.
	AllowInternal bool
	// Timeout bounds a whole request (and a dial); default 10s.
	Timeout time.Duration
	// RootCAs, when set, replaces the system roots (tests trust their own
	// certificate authority with it).
	RootCAs *x509.CertPool
	// NoKeepAlive makes every request open its own connection (uptime
	// checks: each measures a whole connect and sees the certificate).
	NoKeepAlive bool
	// NoRedirects answers a redirect as it is instead of following it;
	// otherwise at most three are followed, each dialled through the check.
	NoRedirects bool
}

// cgnat is the shared address space of RFC 6598, which carriers and some
// clouds use inside their networks.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// Private says why ip is refused by default ("loopback", "private", …),
// or "" when it is a public address.
func Private(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case ip.IsLoopback():
		return "loopback"
	case ip.IsPrivate():
		return "private"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return "link-local"
	case ip.IsUnspecified(), ip.Is4() && ip.As4()[0] == 0:
		return "unspecified"
	case ip.IsMulticast(), ip.IsInterfaceLocalMulticast():
		return "multicast"
	case cgnat.Contains(ip):
		return "shared (CGNAT)"
	case ip.Is4() && ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "broadcast"
	}
	return ""
}

// internal are the reasons AllowInternal lets through.
var internal = map[string]bool{"loopback": true, "private": true, "shared (CGNAT)": true}

// Check reports why o refuses ip, or nil.
func (o Options) Check(ip netip.Addr) error {
	if o.AllowPrivate {
		return nil
	}
	reason := Private(ip)
	if reason == "" || (o.AllowInternal && internal[reason]) {
		return nil
	}
	if o.AllowInternal {
		return fmt.Errorf("%w: %s is a %s address, which checks never reach (lore serve --allow-private-webhooks permits it)", ErrRefused, ip.Unmap(), reason)
	}
	return fmt.Errorf("%w: %s is a %s address (lore serve --allow-private-webhooks permits it)", ErrRefused, ip.Unmap(), reason)
}

func (o Options) timeout() time.Duration {
	if o.Timeout <= 0 {
		return 10 * time.Second
	}
	return o.Timeout
}

// dialer sees every address it dials.
func (o Options) dialer() *net.Dialer {
	return &net.Dialer{
		Timeout:   o.timeout(),
		KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: cannot parse address %q: %v", ErrRefused, address, err)
			}
			return o.Check(ap.Addr())
		},
	}
}

// Client returns an HTTP client for user-given URLs. It ignores proxy
// settings from the environment (a proxy would dial for it, past the
// check).
func Client(o Options) *http.Client {
	t := o.timeout()
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           o.dialer().DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   t,
		ResponseHeaderTimeout: t,
		MaxIdleConns:          16,
		IdleConnTimeout:       90 * time.Second,
		DisableKeepAlives:     o.NoKeepAlive,
		ForceAttemptHTTP2:     true,
	}
	c := &http.Client{Transport: tr, Timeout: t}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if o.NoRedirects {
			return http.ErrUseLastResponse
		}
		if len(via) >= 3 {
			return errors.New("stopped after 3 redirects")
		}
		return nil
	}
	return c
}

// Dial connects to address (host:port) through the check, for protocols
// other than HTTP (SMTP).
func Dial(ctx context.Context, o Options, network, address string) (net.Conn, error) {
	conn, err := o.dialer().DialContext(ctx, network, address)
	if err != nil {
		return nil, fmt.Errorf("connect to %q: %w", address, err)
	}
	return conn, nil
}

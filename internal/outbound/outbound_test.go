package outbound

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"
)

func TestPrivate(t *testing.T) {
	f := func(addr, want string) {
		t.Helper()
		if got := Private(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Private(%s) = %q, want %q", addr, got, want)
		}
	}
	f("127.0.0.1", "loopback")
	f("::1", "loopback")
	f("::ffff:127.0.0.1", "loopback")
	f("10.1.2.3", "private")
	f("172.16.0.1", "private")
	f("192.168.1.1", "private")
	f("fd00::1", "private")
	f("169.254.169.254", "link-local") // cloud metadata
	f("fe80::1", "link-local")
	f("0.0.0.0", "unspecified")
	f("0.1.2.3", "unspecified")
	f("::", "unspecified")
	f("224.0.0.1", "link-local")
	f("239.1.1.1", "multicast")
	f("100.64.0.1", "shared (CGNAT)")
	f("255.255.255.255", "broadcast")
	f("8.8.8.8", "")
	f("2606:4700:4700::1111", "")
}

func TestCheck(t *testing.T) {
	f := func(o Options, addr string, refused bool) {
		t.Helper()
		err := o.Check(netip.MustParseAddr(addr))
		if (err != nil) != refused || (err != nil && !errors.Is(err, ErrRefused)) {
			t.Errorf("%+v.Check(%s) = %v, want refused %v", o, addr, err, refused)
		}
	}
	strict, checks, open := Options{}, Options{AllowInternal: true}, Options{AllowPrivate: true}
	for _, a := range []string{"127.0.0.1", "10.1.2.3", "fd00::1", "169.254.169.254", "fe80::1", "0.0.0.0", "239.1.1.1", "100.64.0.1"} {
		f(strict, a, true)
		f(open, a, false)
	}
	// Checks watch internal services, never the metadata service.
	for _, a := range []string{"127.0.0.1", "::1", "10.0.0.5", "192.168.1.1", "100.64.0.1", "8.8.8.8"} {
		f(checks, a, false)
	}
	for _, a := range []string{"169.254.169.254", "fe80::1", "0.0.0.0", "224.0.0.1", "255.255.255.255"} {
		f(checks, a, true)
	}
}

// TestClientRefusesLoopback posts to a real server on loopback: refused by
// default, by IP and by a name that resolves to it, and allowed with
// AllowPrivate or AllowInternal; a redirect to it from an allowed server
// is refused too.
func TestClientRefusesLoopback(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	for _, u := range []string{srv.URL, "http://localhost:" + port + "/hook"} {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, u, nil)
		resp, err := Client(Options{}).Do(req)
		if err == nil {
			resp.Body.Close()
		}
		if !errors.Is(err, ErrRefused) {
			t.Errorf("POST %s: err %v, want ErrRefused", u, err)
		}
	}
	if hits.Load() != 0 {
		t.Fatalf("the server was reached %d times", hits.Load())
	}
	for _, o := range []Options{{AllowPrivate: true}, {AllowInternal: true}} {
		resp, err := Client(o).Post(srv.URL, "application/json", nil)
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		resp.Body.Close()
	}
	if hits.Load() != 2 {
		t.Fatalf("allowed clients reached the server %d times, want 2", hits.Load())
	}
	if _, err := Dial(context.Background(), Options{Timeout: time.Second}, "tcp", srv.Listener.Addr().String()); !errors.Is(err, ErrRefused) {
		t.Errorf("strict dial: %v, want a refusal", err)
	}
}

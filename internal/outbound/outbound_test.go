package outbound

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestPolicyCheck(t *testing.T) {
	f := func(p Policy, addr string, refused bool) {
		t.Helper()
		err := p.Check(netip.MustParseAddr(addr))
		if (err != nil) != refused {
			t.Errorf("%+v.Check(%s) = %v, want refused=%v", p, addr, err, refused)
		}
		if err != nil && !errors.Is(err, ErrRefused) {
			t.Errorf("%s: error %v does not wrap ErrRefused", addr, err)
		}
	}
	strict, internal, open := Policy{}, Policy{AllowInternal: true}, Policy{AllowPrivate: true}
	for _, a := range []string{"127.0.0.1", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "fd00::1", "169.254.169.254", "fe80::1", "0.0.0.0", "::", "224.0.0.1", "100.64.0.1", "::ffff:127.0.0.1"} {
		f(strict, a, true)
		f(open, a, false)
	}
	for _, a := range []string{"93.184.216.34", "2606:2800:220:1::1", "8.8.8.8"} {
		f(strict, a, false)
		f(internal, a, false)
	}
	// Checks watch internal services, never the metadata service.
	f(internal, "127.0.0.1", false)
	f(internal, "10.0.0.5", false)
	f(internal, "169.254.169.254", true)
	f(internal, "fe80::1", true)
	f(internal, "0.0.0.0", true)
}

// TestClientRefusesLoopbackByName dials a real server on loopback by IP
// and by the name localhost: refused by default, reached when allowed.
func TestClientRefusesLoopbackByName(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	defer srv.Close()
	byName := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	for _, u := range []string{srv.URL, byName} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		_, err := Policy{}.Client(ClientOptions{Timeout: 2 * time.Second}).Do(req)
		if !errors.Is(err, ErrRefused) {
			t.Errorf("strict GET %s: err %v, want a refusal", u, err)
		}
		resp, err := Policy{AllowPrivate: true}.Client(ClientOptions{Timeout: 2 * time.Second}).Do(req)
		if err != nil || resp.StatusCode != 204 {
			t.Errorf("allowed GET %s: %v %v", u, resp, err)
		} else {
			resp.Body.Close()
		}
		cancel()
	}
	if _, err := (Policy{}).DialContext(context.Background(), "tcp", srv.Listener.Addr().String(), time.Second); !errors.Is(err, ErrRefused) {
		t.Errorf("strict dial: %v, want a refusal", err)
	}
}

package server

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"
)

// TestSlowClientsAreCutOff: a client that never finishes its headers, or
// never finishes its body, is disconnected after the configured timeouts
// instead of holding a connection forever.
func TestSlowClientsAreCutOff(t *testing.T) {
	limits := DefaultLimits()
	limits.ReadHeaderTimeout = 300 * time.Millisecond
	limits.ReadTimeout = 600 * time.Millisecond
	s := New(Deps{Auth: fakeAuth{}, Sink: testSink(&fakeQueue{}, DefaultLimits()), Reader: fakeReader{}, Log: slog.New(slog.DiscardHandler), Limits: limits})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := s.HTTPServer(ln.Addr().String())
	go hs.Serve(ln)
	defer hs.Close()

	f := func(name, partial string, within time.Duration) {
		t.Helper()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		if _, err := io.WriteString(c, partial); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = bufio.NewReader(c).ReadString(0)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("%s: the server kept the connection open for 5s", name)
		}
		if el := time.Since(start); el > within {
			t.Fatalf("%s: cut off after %v, want within %v", name, el, within)
		}
	}
	f("headers never finished", "POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\n", 2*time.Second)
	f("body never finished", "POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer in\r\nContent-Length: 1000\r\n\r\n{\"msg\":", 3*time.Second)
}

package syslog

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/ingest"
)

// sink keeps what the listener writes.
type sink struct {
	mu       sync.Mutex
	messages []string
}

func (s *sink) Authenticate(_ context.Context, key string) (int64, error) {
	if key != "k" {
		return 0, fmt.Errorf("unknown key %q", key)
	}
	return 1, nil
}

func (s *sink) Write(_ context.Context, r ingest.Request) (ingest.Receipt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range r.Events {
		s.messages = append(s.messages, e.Message)
	}
	return ingest.Receipt{Stored: len(r.Events)}, nil
}

func (s *sink) Reject(string, string, int) {}

var _ ingest.Writer = (*sink)(nil)

// outOfFiles's first accepts fail as accept(2) does when the process has no
// file descriptor left; then it accepts for real.
type outOfFiles struct {
	net.Listener
	left atomic.Int32
}

func (l *outOfFiles) Accept() (net.Conn, error) {
	if l.left.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

// TestServeOutOfFiles: accepts failing with EMFILE ("too many open files",
// as under a flood of connections) do not stop the syslog listener, and a
// line sent over TCP afterwards is stored.
func TestServeOutOfFiles(t *testing.T) {
	var failing *outOfFiles
	s, err := listen(Config{Addr: "127.0.0.1:0", Key: "k", Log: slog.New(slog.DiscardHandler)}, &sink{}, func(ln net.Listener) net.Listener {
		failing = &outOfFiles{Listener: ln}
		failing.left.Store(5)
		return failing
	})
	if err != nil {
		t.Fatal(err)
	}
	out := s.sink.(*sink)
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	defer func() {
		s.Shutdown(context.Background())
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	c, err := net.DialTimeout("tcp", s.TCPAddr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("<13>Dec  3 09:59:59 web nginx: after the flood\n")); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		select {
		case err := <-done:
			done <- nil // for the deferred Shutdown
			t.Fatalf("Serve returned %v after failed accepts", err)
		default:
		}
		out.mu.Lock()
		got := append([]string(nil), out.messages...)
		out.mu.Unlock()
		if len(got) == 1 && got[0] == "after the flood" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stored %q, want the line sent after the failed accepts", got)
		}
	}
	if n := failing.left.Load(); n >= 0 {
		t.Errorf("%d failing accepts left, want none", n+1)
	}
}

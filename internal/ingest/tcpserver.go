package ingest

import (
	"context"
	"errors"
	"fmt"
	"github.com/lore-dev/lore/internal/errs"
	"net"
	"sync"
	"time"
)

// TCPServer runs one goroutine per connection of a stream protocol
// (syslog over TCP, Fluent forward) and stops them all on Shutdown: each
// connection's reads are cut at once, its handler stores what it has read
// and returns, and Shutdown waits for it (or closes it when ctx ends).
type TCPServer struct {
	ln     net.Listener
	ctx    context.Context // cancelled by Shutdown
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
}

// NewTCPServer serves connections accepted on ln.
func NewTCPServer(ln net.Listener) *TCPServer {
	ctx, cancel := context.WithCancel(context.Background())
	return &TCPServer{ln: ln, ctx: ctx, cancel: cancel, conns: map[net.Conn]struct{}{}}
}

// Context is done once Shutdown has begun.
func (t *TCPServer) Context() context.Context { return t.ctx }

// Go runs f as a goroutine Shutdown waits for.
func (t *TCPServer) Go(f func()) {
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		f()
	}()
}

// Serve accepts connections until Shutdown, running handle for each (the
// connection is closed when handle returns).
func (t *TCPServer) Serve(handle func(net.Conn)) error {
	for {
		c, err := t.ln.Accept()
		if err != nil {
			if t.ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("accept on %s: %w", t.ln.Addr(), err)
		}
		t.mu.Lock()
		if t.ctx.Err() != nil {
			t.mu.Unlock()
			c.Close()
			return nil
		}
		t.conns[c] = struct{}{}
		t.wg.Add(1)
		t.mu.Unlock()
		go func() {
			defer t.wg.Done()
			defer func() {
				c.Close()
				t.mu.Lock()
				delete(t.conns, c)
				t.mu.Unlock()
			}()
			handle(c)
		}()
	}
}

// Stop makes Context done and stops accepting; Shutdown does it too.
func (t *TCPServer) Stop() {
	t.mu.Lock()
	t.cancel()
	t.ln.Close()
	t.mu.Unlock()
}

// Shutdown stops accepting, cuts the connections' reads and waits for
// their handlers until ctx ends, then closes what is left.
func (t *TCPServer) Shutdown(ctx context.Context) {
	t.Stop()
	t.mu.Lock()
	for c := range t.conns {
		c.SetReadDeadline(time.Now())
	}
	t.mu.Unlock()
	done := make(chan struct{})
	go func() {
		t.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		t.mu.Lock()
		for c := range t.conns {
			c.Close()
		}
		t.mu.Unlock()
		<-done
	}
}

// Retry calls store until it succeeds, fails with an error other than
// errs.Overloaded, or the server shuts down (then once more). It holds a
// stream sender back while Lore catches up, instead of dropping its data.
func (t *TCPServer) Retry(store func() error) error {
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		err := store()
		if err == nil || !errs.Is(err, errs.Overloaded) {
			return err
		}
		select {
		case <-time.After(wait):
		case <-t.ctx.Done():
			return store()
		}
	}
}

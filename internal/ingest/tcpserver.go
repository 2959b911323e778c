package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lore-dev/lore/internal/errs"
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
	log    *slog.Logger

	lastWarn atomic.Int64 // unix seconds of the last accept warning, to rate-limit them
}

// NewTCPServer serves connections accepted on ln; log receives the
// warnings of accepts that fail and are retried (nil: slog.Default).
func NewTCPServer(ln net.Listener, log *slog.Logger) *TCPServer {
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &TCPServer{ln: ln, ctx: ctx, cancel: cancel, conns: map[net.Conn]struct{}{}, log: log}
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

// Accept backoff: a failed accept that may succeed later (out of file
// descriptors, a connection aborted before it was accepted) is retried
// after acceptRetryMin, doubling up to acceptRetryMax, as net/http does.
const (
	acceptRetryMin = 5 * time.Millisecond
	acceptRetryMax = time.Second
	// acceptWarnEvery is the least time between two warnings of failed
	// accepts: a flood of connections may fail thousands of them.
	acceptWarnEvery = 10 * time.Second
)

// Serve accepts connections until Shutdown, running handle for each (the
// connection is closed when handle returns). An accept that fails for want
// of a resource (EMFILE, ENFILE, ENOBUFS, ENOMEM) or for a temporary reason
// is retried with a backoff, so a flood of connections that exhausts the
// file descriptors slows the listener down instead of stopping Lore; other
// accept errors are returned.
func (t *TCPServer) Serve(handle func(net.Conn)) error {
	var delay time.Duration
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
			if !retryAccept(err) {
				return fmt.Errorf("accept on %s: %w", t.ln.Addr(), err)
			}
			delay = min(max(2*delay, acceptRetryMin), acceptRetryMax)
			t.warnAccept(err, delay)
			select {
			case <-time.After(delay):
			case <-t.ctx.Done():
				return nil
			}
			continue
		}
		delay = 0
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

// retryAccept reports whether a failed accept may succeed if tried again:
// the process or the system is out of file descriptors or memory, or the
// error says it is temporary (a connection reset before it was accepted).
func retryAccept(err error) bool {
	for _, e := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM} {
		if errors.Is(err, e) {
			return true
		}
	}
	var te interface{ Temporary() bool }
	return errors.As(err, &te) && te.Temporary()
}

// warnAccept logs a failed accept, at most once every acceptWarnEvery.
func (t *TCPServer) warnAccept(err error, delay time.Duration) {
	now := time.Now().Unix()
	if last := t.lastWarn.Load(); now >= last+int64(acceptWarnEvery/time.Second) && t.lastWarn.CompareAndSwap(last, now) {
		t.log.Warn("accepting a connection failed; retrying (is the process out of file descriptors? see ulimit -n)",
			"addr", t.ln.Addr().String(), "err", err, "retry_in", delay.String())
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

package ingest

import (
	"context"
	"errors"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// failingListener's first n accepts fail with err, as accept(2) does when
// the process is out of file descriptors; then it accepts for real.
type failingListener struct {
	net.Listener
	n     atomic.Int32
	err   error
	fails atomic.Int32 // accepts failed so far
}

func (l *failingListener) Accept() (net.Conn, error) {
	if l.n.Add(-1) >= 0 {
		l.fails.Add(1)
		return nil, l.err
	}
	return l.Listener.Accept()
}

func emfile() error {
	return &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
}

// TestTCPServerRetriesAccept: accepts failing with EMFILE (or ENFILE) do not
// stop the server (Serve does not return); a connection made afterwards is
// served; Shutdown during the backoff ends Serve with nil; an error that no
// retry can cure is still returned.
func TestTCPServerRetriesAccept(t *testing.T) {
	for _, err := range []error{emfile(), &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.ENFILE)}} {
		ln, lerr := net.Listen("tcp", "127.0.0.1:0")
		if lerr != nil {
			t.Fatal(lerr)
		}
		fl := &failingListener{Listener: ln, err: err}
		fl.n.Store(6) // 5+10+20+40+80+160 ms of backoff
		ts := NewTCPServer(fl, nil)
		served := make(chan struct{}, 1)
		done := make(chan error, 1)
		go func() { done <- ts.Serve(func(net.Conn) { served <- struct{}{} }) }()
		c, derr := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
		if derr != nil {
			t.Fatal(derr)
		}
		select {
		case <-served:
		case serr := <-done:
			t.Fatalf("%v: Serve returned %v", err, serr)
		case <-time.After(10 * time.Second):
			t.Fatalf("%v: the connection made after the failed accepts was not served", err)
		}
		c.Close()
		if n := fl.fails.Load(); n != 6 {
			t.Errorf("%v: %d failed accepts, want 6", err, n)
		}
		ts.Shutdown(context.Background())
		if serr := <-done; serr != nil {
			t.Errorf("Serve after Shutdown: %v", serr)
		}
	}

	// Shutdown while the server waits to accept again.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fl := &failingListener{Listener: ln, err: emfile()}
	fl.n.Store(1 << 30)
	ts := NewTCPServer(fl, nil)
	done := make(chan error, 1)
	go func() { done <- ts.Serve(func(net.Conn) {}) }()
	time.Sleep(50 * time.Millisecond)
	ts.Shutdown(context.Background())
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve after Shutdown in its backoff: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after Shutdown in its backoff")
	}

	// A permanent error still ends Serve.
	ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fl = &failingListener{Listener: ln, err: &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EINVAL)}}
	fl.n.Store(1)
	ts = NewTCPServer(fl, nil)
	if err := ts.Serve(func(net.Conn) {}); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("Serve after EINVAL = %v, want it returned", err)
	}
	ts.Shutdown(context.Background())
}

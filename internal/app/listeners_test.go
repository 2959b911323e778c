package app

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestListenersStopWithTheApp starts every protocol listener on port 0,
// holds a connection open to each stream listener, and checks that
// stopping the app ends every goroutine they started.
func TestListenersStopWithTheApp(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithCancel(context.Background())
	a, err := Open(ctx, Config{
		DataDir: t.TempDir(), Addr: "127.0.0.1:0", IngestKey: "k-ingest", ReadKey: "k-read", Log: slog.New(slog.DiscardHandler),
		Listeners: Listeners{OTLPGRPCAddr: "127.0.0.1:0",
			Syslog:  []SyslogListener{{Addr: "127.0.0.1:0", Key: "k-ingest"}},
			Forward: []ForwardListener{{Addr: "127.0.0.1:0", Key: "k-ingest"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	for _, name := range []string{"otlp-grpc", "syslog", "forward"} {
		addr := a.ListenerAddr(name)
		if addr == "" {
			t.Fatalf("no %s listener", name)
		}
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("dial %s: %v", name, err)
		}
		defer c.Close()
	}
	time.Sleep(100 * time.Millisecond) // let the connections be accepted
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return after its context ended, with connections open")
	}
}

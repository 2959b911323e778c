package app

import (
	"context"
	"fmt"
	"net"
	"sync"

	"github.com/lore-dev/lore/internal/ingest/dedup"
	"github.com/lore-dev/lore/internal/ingest/forward"
	"github.com/lore-dev/lore/internal/ingest/otlpgrpc"
	"github.com/lore-dev/lore/internal/ingest/syslog"
	"github.com/lore-dev/lore/internal/server"
)

// Listeners are the protocol servers on addresses of their own (OTLP/gRPC,
// syslog, Fluent forward). Empty addresses are off.
type Listeners struct {
	OTLPGRPCAddr string // e.g. ":4317"
	// OTLPGRPCOptional: when the address is taken, warn and run without
	// OTLP/gRPC instead of failing (the default address of `lore serve`).
	OTLPGRPCOptional bool
	// Syslog listeners, each on TCP and UDP at Addr; Key is the ingest key
	// of messages that carry none in [lore key="…"].
	Syslog []SyslogListener
	// Forward listeners (Fluentd/Fluent Bit forward protocol), each writing
	// to the project of its Key.
	Forward []ForwardListener
}

// ForwardListener is one forward address and its key.
type ForwardListener struct{ Addr, Key string }

// SyslogListener is one syslog address and its default key.
type SyslogListener struct{ Addr, Key string }

// listener is one protocol server: bound in Open, served by Serve and
// stopped before the pipeline closes.
type listener struct {
	name  string
	addr  net.Addr
	serve func() error
	stop  func(ctx context.Context)
}

// openListeners binds every configured listener's address and records
// them for GET /api/v1/project (boundListeners).
func (a *App) openListeners() error {
	if err := a.bindListeners(); err != nil {
		return err
	}
	var b server.Listeners
	for _, l := range a.listeners {
		switch l.name {
		case "otlp-grpc":
			b.OTLPGRPC = l.addr.String()
		case "syslog":
			b.Syslog = append(b.Syslog, l.addr.String())
		case "forward":
			b.Forward = append(b.Forward, l.addr.String())
		}
	}
	a.bound = b
	return nil
}

// boundListeners are the listeners' addresses, without their keys: set
// once by Open, before anything is served.
func (a *App) boundListeners() server.Listeners { return a.bound }

// bindListeners binds every configured listener's address.
func (a *App) bindListeners() error {
	l := a.cfg.Listeners
	if l.OTLPGRPCAddr != "" {
		ln, err := net.Listen("tcp", l.OTLPGRPCAddr)
		switch {
		case err != nil && l.OTLPGRPCOptional:
			a.log.Warn("OTLP/gRPC is off: its address is taken (set --otlp-grpc-addr)", "addr", l.OTLPGRPCAddr, "err", err)
		case err != nil:
			return fmt.Errorf("listen for OTLP/gRPC on %q: %w", l.OTLPGRPCAddr, err)
		default:
			srv := otlpgrpc.New(a.sink, otlpgrpc.Options{MaxRecvBytes: int(a.cfg.Limits.MaxBodyBytes), Log: a.log.With("component", "otlp-grpc")})
			a.addListener(&listener{name: "otlp-grpc", addr: ln.Addr(),
				serve: func() error { return srv.Serve(ln) },
				stop:  func(ctx context.Context) { srv.Shutdown(ctx); ln.Close() }})
		}
	}
	for _, sl := range l.Syslog {
		srv, err := syslog.Listen(syslog.Config{Addr: sl.Addr, Key: sl.Key, Log: a.log.With("component", "syslog")}, a.sink)
		if err != nil {
			return err
		}
		a.addListener(&listener{name: "syslog", addr: srv.TCPAddr(), serve: srv.Serve, stop: srv.Shutdown})
	}
	if len(l.Forward) > 0 {
		seen := dedup.New(1 << 16) // chunk ids, shared: a sender may reconnect to another listener
		for _, fl := range l.Forward {
			if fl.Key == "" {
				return fmt.Errorf("forward listener %q has no key: pass KEY@ADDR or --forward-key", fl.Addr)
			}
			srv, err := forward.Listen(forward.Config{Addr: fl.Addr, Key: fl.Key, Seen: seen, MaxMessageBytes: int(a.cfg.Limits.MaxBodyBytes), Log: a.log.With("component", "forward")}, a.sink)
			if err != nil {
				return err
			}
			a.addListener(&listener{name: "forward", addr: srv.Addr(), serve: srv.Serve, stop: srv.Shutdown})
		}
	}
	return nil
}

func (a *App) addListener(l *listener) {
	a.listeners = append(a.listeners, l)
}

// ListenerAddr is the address the first protocol listener of a kind is
// bound to ("otlp-grpc", "syslog" (TCP and UDP), "forward"), or "" when it
// is off.
func (a *App) ListenerAddr(name string) string {
	for _, l := range a.listeners {
		if l.name == name {
			return l.addr.String()
		}
	}
	return ""
}

// serveListeners starts every listener; the returned function stops them
// and waits for their goroutines.
func (a *App) serveListeners(errc chan<- error) (stop func(ctx context.Context)) {
	var wg sync.WaitGroup
	for _, l := range a.listeners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.serve(); err != nil {
				select {
				case errc <- fmt.Errorf("%s: %w", l.name, err):
				default:
				}
			}
		}()
		a.log.Info("lore is listening", "protocol", l.name, "addr", l.addr.String())
	}
	return func(ctx context.Context) {
		var sw sync.WaitGroup
		for _, l := range a.listeners {
			sw.Add(1)
			go func() {
				defer sw.Done()
				l.stop(ctx)
			}()
		}
		sw.Wait()
		wg.Wait()
		a.listeners = nil
	}
}

// closeListeners releases the addresses of listeners never served (Open
// failed after binding them).
func (a *App) closeListeners() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, l := range a.listeners {
		l.stop(ctx)
	}
	a.listeners = nil
}

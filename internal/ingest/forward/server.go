package forward

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest"
	"github.com/lore-dev/lore/internal/ingest/dedup"
)

// Config configures a forward listener.
type Config struct {
	Addr            string
	Key             string // the ingest key its records are stored with
	MaxMessageBytes int    // largest message, and largest inflated entry stream (default 16 MiB)
	Log             *slog.Logger
	Now             func() time.Time
	Seen            *dedup.Window // chunk ids already stored (nil: none remembered)
}

// Path is the name forward events are counted under in Lore's metrics.
const Path = "forward"

// Server is a forward-protocol listener.
type Server struct {
	cfg      Config
	sink     ingest.Writer
	ln       net.Listener
	conn     *ingest.TCPServer
	lastWarn atomic.Int64
}

// Listen binds the address.
func Listen(cfg Config, sink ingest.Writer) (*Server, error) {
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = 16 << 20
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Seen == nil {
		cfg.Seen = dedup.New(0)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen for Fluent forward on %q: %w", cfg.Addr, err)
	}
	return &Server{cfg: cfg, sink: sink, ln: ln, conn: ingest.NewTCPServer(ln, cfg.Log)}, nil
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve receives messages until Shutdown.
func (s *Server) Serve() error { return s.conn.Serve(s.serveConn) }

// Shutdown stops the listener; what connections have read is stored (and
// acknowledged) before it returns, or ctx ends.
func (s *Server) Shutdown(ctx context.Context) { s.conn.Shutdown(ctx) }

// serveConn reads messages; all that one read delivers are stored as one
// batch, then their chunks are acknowledged, before the next read.
func (s *Server) serveConn(c net.Conn) {
	project, err := s.sink.Authenticate(s.conn.Context(), s.cfg.Key)
	if err != nil {
		s.refuse(0, "unauthorized", fmt.Errorf("the forward listener's key: %w", err))
		return
	}
	var (
		buf      []byte
		tmp      = make([]byte, 64<<10)
		lastFail int // len(buf) when a message was last found incomplete
	)
	for {
		n, rerr := c.Read(tmp)
		buf = append(buf, tmp[:n]...)
		drained := n < len(tmp) || rerr != nil
		if len(buf) > 0 && (drained || len(buf) >= lastFail+lastFail/2) {
			var msgs []Message
			for len(buf) > 0 {
				v, rest, err := decode(buf, 0)
				if errors.Is(err, errShort) {
					lastFail = len(buf)
					break
				}
				if err != nil {
					s.refuse(1, "invalid message", fmt.Errorf("from %s: %w (closing the connection: the stream cannot be resynchronised)", c.RemoteAddr(), err))
					s.store(c, project, msgs)
					return
				}
				buf = buf[len(buf)-len(rest):]
				lastFail = 0
				m, err := DecodeMessage(v, int64(s.cfg.MaxMessageBytes))
				if err != nil {
					s.refuse(1, "invalid message", fmt.Errorf("from %s: %w", c.RemoteAddr(), err))
					continue
				}
				msgs = append(msgs, m)
			}
			if len(buf) == 0 {
				buf = nil // let a large message's buffer go
			}
			if !s.store(c, project, msgs) {
				return
			}
		}
		if len(buf) > s.cfg.MaxMessageBytes {
			s.refuse(1, "message too large", fmt.Errorf("from %s: %w: over %d bytes", c.RemoteAddr(), ErrTooLarge, s.cfg.MaxMessageBytes))
			return
		}
		if rerr != nil {
			return
		}
	}
}

// store stores the messages' entries and acknowledges their chunks; false
// means the connection should end (nothing stored, nothing acknowledged:
// the sender sends the chunks again).
func (s *Server) store(c net.Conn, project int64, msgs []Message) bool {
	if len(msgs) == 0 {
		return true
	}
	now := s.cfg.Now().UnixMicro()
	var (
		events   []event.Event
		reserved []uint64
		acks     []string
	)
	for i := range msgs {
		m := &msgs[i]
		if m.Chunk != "" {
			acks = append(acks, m.Chunk)
			k := dedup.Key(project, "forward", m.Chunk)
			switch s.cfg.Seen.Reserve(k) {
			case dedup.Stored:
				continue // a resent chunk: acknowledge it again, store nothing
			case dedup.Pending:
				acks = acks[:len(acks)-1] // another connection is storing it
				continue
			}
			reserved = append(reserved, k)
		}
		evs, errs := Events(m, project, now)
		events = append(events, evs...)
		if n := len(errs) + len(m.Errors); n > 0 {
			s.refuse(n, "invalid entry", fmt.Errorf("tag %q: %v", m.Tag, append(m.Errors, errs...)))
		}
	}
	ctx := context.WithoutCancel(s.conn.Context())
	if err := s.conn.Retry(func() error { return writeErr(s.sink.Write(ctx, ingest.Request{Route: Path, Events: events})) }); err != nil {
		s.cfg.Seen.Release(reserved)
		s.refuse(len(events), "not stored", err)
		return false
	}
	s.cfg.Seen.Commit(reserved)
	var out []byte
	for _, a := range acks {
		out = AppendAck(out, a)
	}
	if len(out) > 0 {
		c.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, err := c.Write(out); err != nil {
			return false
		}
	}
	return true
}

// refuse counts refused records and logs why, at most once a second.
func (s *Server) refuse(n int, reason string, err error) {
	if n > 0 {
		s.sink.Reject(Path, reason, n)
	}
	now := time.Now().Unix()
	if last := s.lastWarn.Load(); now > last && s.lastWarn.CompareAndSwap(last, now) {
		s.cfg.Log.Warn("Fluent forward records refused", "count", n, "reason", reason, "err", err)
	}
}

// writeErr is the error of a sink Write.
func writeErr(_ ingest.Receipt, err error) error { return err }

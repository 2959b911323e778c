package syslog

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"github.com/lore-dev/lore/internal/ingest"
)

// Config configures a syslog listener.
type Config struct {
	Addr string // TCP and UDP, e.g. ":5514"; port 0 picks one free for both
	// Key is the ingest key of messages that carry none in a
	// [lore key="…"] element; empty: such messages are refused.
	Key             string
	MaxMessageBytes int // longest message (default 256 KiB); longer ones are refused
	Log             *slog.Logger
	Now             func() time.Time
}

// Path is the name syslog events are counted under in Lore's metrics.
const Path = "syslog"

// batchSize is how many messages a connection or the UDP socket collects
// before it stores them (it also stores whenever its input runs dry).
const batchSize = 1000

// Server listens for syslog on TCP and UDP at one address.
type Server struct {
	cfg  Config
	sink ingest.Writer
	tcp  net.Listener
	udp  net.PacketConn
	conn *ingest.TCPServer
	ctx  context.Context // done once Shutdown begins

	lastWarn atomic.Int64 // unix seconds of the last warning, to rate-limit them
}

// Listen binds the TCP and UDP sockets.
func Listen(cfg Config, sink ingest.Writer) (*Server, error) { return listen(cfg, sink, nil) }

// listen is Listen; wrap, when not nil, wraps the TCP listener the server
// accepts on (a test's listener whose accepts fail).
func listen(cfg Config, sink ingest.Writer, wrap func(net.Listener) net.Listener) (*Server, error) {
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = 256 << 10
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	tcp, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen for syslog on TCP %q: %w", cfg.Addr, err)
	}
	host, _, _ := net.SplitHostPort(cfg.Addr)
	_, port, _ := net.SplitHostPort(tcp.Addr().String())
	udp, err := net.ListenPacket("udp", net.JoinHostPort(host, port))
	if err != nil {
		tcp.Close()
		return nil, fmt.Errorf("listen for syslog on UDP %q: %w", net.JoinHostPort(host, port), err)
	}
	accept := tcp
	if wrap != nil {
		accept = wrap(tcp)
	}
	ts := ingest.NewTCPServer(accept, cfg.Log)
	return &Server{cfg: cfg, sink: sink, tcp: tcp, udp: udp, conn: ts, ctx: ts.Context()}, nil
}

// TCPAddr and UDPAddr are the bound addresses.
func (s *Server) TCPAddr() net.Addr { return s.tcp.Addr() }

// UDPAddr is the bound UDP address.
func (s *Server) UDPAddr() net.Addr { return s.udp.LocalAddr() }

// Serve receives messages until Shutdown.
func (s *Server) Serve() error {
	s.conn.Go(s.serveUDP)
	return s.conn.Serve(s.serveConn)
}

// Shutdown stops accepting and reading; messages already read are stored
// before it returns (or ctx ends).
func (s *Server) Shutdown(ctx context.Context) {
	s.conn.Stop() // first, so the UDP reader sees it when its read is cut
	s.udp.SetReadDeadline(time.Now())
	s.conn.Shutdown(ctx)
	s.udp.Close()
}

func (s *Server) serveConn(c net.Conn) {
	r := bufio.NewReaderSize(c, 64<<10)
	b := s.newBatch(true)
	defer b.flush()
	for {
		if r.Buffered() == 0 {
			b.flush() // the next read may wait: store what is here first
		}
		frame, err := readFrame(r, s.cfg.MaxMessageBytes)
		switch {
		case errors.Is(err, errTooLong):
			s.refuse(1, "message too long", err)
			continue
		case err != nil:
			if !errors.Is(err, io.EOF) && s.ctx.Err() == nil {
				s.warn("syslog connection ended", "remote", c.RemoteAddr().String(), "err", err)
			}
			return
		}
		b.add(frame)
	}
}

func (s *Server) serveUDP() {
	buf := make([]byte, 64<<10)
	b := s.newBatch(false)
	defer b.flush()
	for {
		if b.n > 0 {
			s.udp.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		} else if s.ctx.Err() == nil {
			s.udp.SetReadDeadline(time.Time{})
			if s.ctx.Err() != nil { // Shutdown cut the read in between
				s.udp.SetReadDeadline(time.Now())
			}
		}
		n, _, err := s.udp.ReadFrom(buf)
		if err != nil {
			if s.ctx.Err() != nil {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				b.flush()
				continue
			}
			s.warn("syslog UDP read", "err", err)
			return
		}
		b.add(append([]byte(nil), buf[:n]...))
	}
}

// errTooLong is wrapped by readFrame's error for a frame over the limit
// (it has been skipped; the stream goes on).
var errTooLong = errors.New("message too long")

// readFrame reads one message of a TCP stream (RFC 6587): octet counting
// ("LEN SP MSG") when the frame starts with a digit, else a line ended by
// LF. Empty lines are skipped.
func readFrame(r *bufio.Reader, max int) ([]byte, error) {
	for {
		c, err := r.Peek(1)
		if err != nil {
			return nil, err
		}
		switch {
		case c[0] == '\n' || c[0] == '\r' || c[0] == 0:
			r.ReadByte()
			continue
		case c[0] >= '0' && c[0] <= '9':
			n := 0
			for digits := 0; ; digits++ {
				d, err := r.ReadByte()
				if err != nil {
					return nil, err
				}
				if d == ' ' && digits > 0 {
					break
				}
				if d < '0' || d > '9' || digits > 9 {
					return nil, fmt.Errorf("bad octet count in a syslog frame: byte %q", d)
				}
				n = n*10 + int(d-'0')
			}
			if n > max {
				if _, err := r.Discard(n); err != nil {
					return nil, err
				}
				return nil, fmt.Errorf("%w: %d bytes (max %d)", errTooLong, n, max)
			}
			frame := make([]byte, n)
			if _, err := io.ReadFull(r, frame); err != nil {
				return nil, err
			}
			return frame, nil
		}
		var line []byte
		over := false
		for {
			part, err := r.ReadSlice('\n')
			if !over {
				if len(line)+len(part) > max+1 {
					over, line = true, nil
				} else {
					line = append(line, part...)
				}
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			switch {
			case over && err == nil:
				return nil, fmt.Errorf("%w: a line over %d bytes", errTooLong, max)
			case err == nil:
				return line, nil
			case errors.Is(err, io.EOF) && len(line) > 0 && !over:
				return line, nil // the last message, without its newline
			}
			return nil, err
		}
	}
}

// batch collects one reader's messages by key and stores them.
type batch struct {
	s        *Server
	block    bool // TCP: wait out overload (the sender is held back); UDP: drop
	byKey    map[string][]Message
	n        int
	projects map[string]int64
}

func (s *Server) newBatch(block bool) *batch {
	return &batch{s: s, block: block, byKey: map[string][]Message{}, projects: map[string]int64{}}
}

func (b *batch) add(frame []byte) {
	m, err := Parse(frame, b.s.cfg.Now().UnixMicro())
	if err != nil {
		b.s.refuse(1, "invalid message", err)
		return
	}
	key := m.Key
	if key == "" {
		key = b.s.cfg.Key
	}
	b.byKey[key] = append(b.byKey[key], m)
	b.n++
	if b.n >= batchSize {
		b.flush()
	}
}

func (b *batch) flush() {
	if b.n == 0 {
		return
	}
	for key, msgs := range b.byKey {
		delete(b.byKey, key)
		b.store(key, msgs)
	}
	b.n = 0
}

func (b *batch) store(key string, msgs []Message) {
	s := b.s
	ctx := context.WithoutCancel(s.ctx)
	if key == "" {
		s.refuse(len(msgs), "no key", errors.New(`no ingest key: send [lore key="…"] in the structured data, or give the listener a key`))
		return
	}
	project, ok := b.projects[key]
	if !ok {
		var err error
		if project, err = s.sink.Authenticate(ctx, key); err != nil {
			s.refuse(len(msgs), "unauthorized", err)
			return
		}
		b.projects[key] = project
	}
	now := s.cfg.Now().UnixMicro()
	events, errs := Events(msgs, project, now)
	for i, e := range errs {
		s.refuse(1, "invalid message", fmt.Errorf("message from %s %s: %s", msgs[i].Hostname, msgs[i].AppName, e))
	}
	store := func() error { return writeErr(s.sink.Write(ctx, ingest.Request{Route: Path, Events: events})) }
	var err error
	if b.block {
		err = s.conn.Retry(store) // hold the TCP sender back until Lore catches up
	} else {
		err = store()
	}
	if err != nil {
		s.refuse(len(events), "not stored", err)
	}
}

// refuse counts refused messages and logs why, at most once a second.
func (s *Server) refuse(n int, reason string, err error) {
	s.sink.Reject(Path, reason, n)
	s.warn("syslog messages refused", "count", n, "reason", reason, "err", err)
}

func (s *Server) warn(msg string, args ...any) {
	now := time.Now().Unix()
	if last := s.lastWarn.Load(); now > last && s.lastWarn.CompareAndSwap(last, now) {
		s.cfg.Log.Warn(msg, args...)
	}
}

// writeErr is the error of a sink Write.
func writeErr(_ ingest.Receipt, err error) error { return err }

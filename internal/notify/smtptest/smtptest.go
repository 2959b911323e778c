// Package smtptest is a small SMTP server for tests: it listens on a free
// loopback port, offers STARTTLS (with a certificate from its own CA) and
// AUTH PLAIN and LOGIN, refuses AUTH before STARTTLS, and keeps every
// message it accepts. It speaks enough of RFC 5321 for Go's net/smtp
// client and for a real mail client's usual exchange.
package smtptest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/lore-dev/lore/internal/testcert"
)

// Message is a mail the server accepted.
type Message struct {
	From     string
	To       []string
	Data     []byte
	User     string // who authenticated ("" without AUTH)
	TLS      bool   // the transaction ran over TLS
	Received time.Time
}

// Server is a running test SMTP server.
type Server struct {
	Addr string // host:port on loopback
	Host string
	Port int
	CA   *testcert.CA // the client's roots: CA.Pool

	user, pass string
	tlsCfg     *tls.Config
	ln         net.Listener
	wg         sync.WaitGroup

	mu       sync.Mutex
	msgs     []Message
	failData int // answer the next n DATA with 451
	arrived  chan struct{}
}

// Start starts a server that accepts user/pass (both empty: no AUTH
// offered).
func Start(user, pass string) (*Server, error) {
	ca, err := testcert.NewCA()
	if err != nil {
		return nil, err
	}
	cert, err := ca.Server(time.Now().Add(24 * time.Hour))
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	a := ln.Addr().(*net.TCPAddr)
	s := &Server{Addr: a.String(), Host: "127.0.0.1", Port: a.Port, CA: ca, user: user, pass: pass, ln: ln,
		tlsCfg: &tls.Config{Certificates: []tls.Certificate{cert}}, arrived: make(chan struct{}, 100)}
	s.wg.Go(s.serve)
	return s, nil
}

// Close stops the server and waits for its connections to end.
func (s *Server) Close() {
	s.ln.Close()
	s.wg.Wait()
}

// FailData makes the next n transactions fail at DATA with a temporary
// error (451), as a busy server does.
func (s *Server) FailData(n int) {
	s.mu.Lock()
	s.failData = n
	s.mu.Unlock()
}

// Messages returns the accepted messages.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Wait waits up to d for the server to hold n messages.
func (s *Server) Wait(n int, d time.Duration) []Message {
	deadline := time.After(d)
	for {
		if m := s.Messages(); len(m) >= n {
			return m
		}
		select {
		case <-s.arrived:
		case <-deadline:
			return s.Messages()
		}
	}
}

func (s *Server) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Go(func() { s.session(c) })
	}
}

type session struct {
	conn   net.Conn
	r      *bufio.Reader
	tls    bool
	user   string
	from   string
	to     []string
	helloD bool
}

func (s *Server) session(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	ss := &session{conn: c, r: bufio.NewReader(c)}
	reply := func(format string, args ...any) { fmt.Fprintf(ss.conn, format+"\r\n", args...) }
	reply("220 smtptest ESMTP ready")
	for {
		line, err := ss.r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			ss.helloD, ss.from, ss.to = true, "", nil
			ext := []string{"250-smtptest", "250-8BITMIME"}
			if !ss.tls {
				ext = append(ext, "250-STARTTLS")
			}
			if s.user != "" {
				ext = append(ext, "250-AUTH PLAIN LOGIN")
			}
			ext = append(ext, "250 SIZE 10485760")
			fmt.Fprint(ss.conn, strings.Join(ext, "\r\n")+"\r\n")
		case "STARTTLS":
			if ss.tls {
				reply("503 already in TLS")
				continue
			}
			reply("220 go ahead")
			tc := tls.Server(ss.conn, s.tlsCfg)
			if err := tc.Handshake(); err != nil {
				return
			}
			ss.conn, ss.r, ss.tls, ss.helloD = tc, bufio.NewReader(tc), true, false
		case "AUTH":
			if !ss.tls {
				reply("538 5.7.11 encryption required for AUTH")
				continue
			}
			if ss.user = s.auth(ss, arg); ss.user == "" {
				reply("535 5.7.8 authentication failed")
				continue
			}
			reply("235 2.7.0 authenticated")
		case "MAIL":
			if s.user != "" && ss.user == "" {
				reply("530 5.7.0 authentication required")
				continue
			}
			from, ok := pathArg(arg, "FROM:")
			if !ok {
				reply("501 syntax: MAIL FROM:<address>")
				continue
			}
			ss.from, ss.to = from, nil
			reply("250 ok")
		case "RCPT":
			to, ok := pathArg(arg, "TO:")
			switch {
			case ss.from == "":
				reply("503 need MAIL first")
			case !ok || to == "":
				reply("501 syntax: RCPT TO:<address>")
			default:
				ss.to = append(ss.to, to)
				reply("250 ok")
			}
		case "DATA":
			if len(ss.to) == 0 {
				reply("503 need RCPT first")
				continue
			}
			reply("354 end with <CRLF>.<CRLF>")
			data, err := readData(ss.r)
			if err != nil {
				return
			}
			s.mu.Lock()
			fail := s.failData > 0
			if fail {
				s.failData--
			} else {
				s.msgs = append(s.msgs, Message{From: ss.from, To: ss.to, Data: data, User: ss.user, TLS: ss.tls, Received: time.Now()})
			}
			s.mu.Unlock()
			if fail {
				reply("451 4.3.0 try again later")
				continue
			}
			select {
			case s.arrived <- struct{}{}:
			default:
			}
			reply("250 ok: queued")
		case "RSET":
			ss.from, ss.to = "", nil
			reply("250 ok")
		case "NOOP":
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 unknown command")
		}
	}
}

// auth runs AUTH PLAIN or LOGIN and returns the user, or "".
func (s *Server) auth(ss *session, arg string) string {
	mech, initial, _ := strings.Cut(arg, " ")
	read := func(prompt string) (string, bool) {
		fmt.Fprintf(ss.conn, "334 %s\r\n", base64.StdEncoding.EncodeToString([]byte(prompt)))
		l, err := ss.r.ReadString('\n')
		if err != nil {
			return "", false
		}
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(l))
		return string(b), err == nil
	}
	switch strings.ToUpper(mech) {
	case "PLAIN":
		raw, err := base64.StdEncoding.DecodeString(initial)
		if initial == "" {
			var ok bool
			var s string
			if s, ok = read(""); !ok {
				return ""
			}
			raw = []byte(s)
		} else if err != nil {
			return ""
		}
		parts := bytes.Split(raw, []byte{0})
		if len(parts) == 3 && string(parts[1]) == s.user && string(parts[2]) == s.pass {
			return s.user
		}
	case "LOGIN":
		u, ok := read("Username:")
		if !ok {
			return ""
		}
		p, ok := read("Password:")
		if ok && u == s.user && p == s.pass {
			return s.user
		}
	}
	return ""
}

// readData reads a DATA body up to the lone dot, undoing dot-stuffing.
func readData(r *bufio.Reader) ([]byte, error) {
	var b bytes.Buffer
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		if line == ".\r\n" || line == ".\n" {
			return b.Bytes(), nil
		}
		b.WriteString(strings.TrimPrefix(line, "."))
	}
}

// pathArg reads "FROM:<a@b> SIZE=1" (prefix FROM:) into a@b.
func pathArg(arg, prefix string) (string, bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", false
	}
	a, _, _ := strings.Cut(strings.TrimSpace(arg[len(prefix):]), " ")
	return strings.Trim(a, "<>"), true
}

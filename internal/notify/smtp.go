package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/outbound"
)

// mailer sends mail through an SMTP server reached by the outbound
// dialer: TLS from the start or upgraded with STARTTLS (refused when the
// server does not offer it: set tls "none" to send in clear), then AUTH
// PLAIN or LOGIN when a username is set (never over a clear connection,
// except to localhost).
type mailer struct{ opts outbound.Options }

func (ml mailer) send(ctx context.Context, cfg meta.SMTP, to []string, msg []byte) (err error) {
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(30 * time.Second)
	}
	o := ml.opts
	o.Timeout = time.Until(deadline)
	conn, err := outbound.Dial(ctx, o, "tcp", addr)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	conn.SetDeadline(deadline)
	tlsCfg := &tls.Config{ServerName: cfg.Host, RootCAs: ml.opts.RootCAs, MinVersion: tls.VersionTLS12}
	if cfg.TLS == meta.SMTPTLS {
		tc := tls.Client(conn, tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return fmt.Errorf("smtp %s: tls: %w", addr, err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, cfg.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp %s: greeting: %w", addr, ctxErr(ctx, err))
	}
	defer c.Close()
	step := func(what string, err error) error {
		if err != nil {
			return fmt.Errorf("smtp %s: %s: %w", addr, what, ctxErr(ctx, err))
		}
		return nil
	}
	if err := step("EHLO", c.Hello("lore.localhost")); err != nil {
		return err
	}
	if cfg.TLS == meta.SMTPStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("smtp %s: the server does not offer STARTTLS (set smtp tls to \"none\" to send in clear on a trusted network)", addr)
		}
		if err := step("STARTTLS", c.StartTLS(tlsCfg)); err != nil {
			return err
		}
	}
	if cfg.Username != "" {
		ok, mechs := c.Extension("AUTH")
		if !ok {
			return fmt.Errorf("smtp %s: a username is set but the server offers no AUTH", addr)
		}
		var auth smtp.Auth
		switch fields := strings.Fields(strings.ToUpper(mechs)); {
		case slices.Contains(fields, "PLAIN"):
			auth = smtp.PlainAuth("", cfg.Username, cfg.Password, cfg.Host)
		case slices.Contains(fields, "LOGIN"):
			auth = loginAuth{user: cfg.Username, pass: cfg.Password, host: cfg.Host}
		default:
			return fmt.Errorf("smtp %s: the server offers AUTH %s; Lore speaks PLAIN and LOGIN", addr, mechs)
		}
		if err := step("AUTH", c.Auth(auth)); err != nil {
			return err
		}
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return fmt.Errorf("bad smtp from %q: %w", cfg.From, err)
	}
	if err := step("MAIL FROM", c.Mail(from.Address)); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := step("RCPT TO "+rcpt, c.Rcpt(rcpt)); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err := step("DATA", err); err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return step("DATA", err)
	}
	if err := step("end of DATA", w.Close()); err != nil {
		return err
	}
	_ = c.Quit() // the message is accepted; a failed QUIT changes nothing
	return nil
}

// ctxErr prefers the context's reason (a deadline) over the I/O error it
// caused.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}

// loginAuth is the LOGIN mechanism (Microsoft's, still common), which
// net/smtp lacks. Like smtp.PlainAuth it refuses a clear connection
// except to localhost.
type loginAuth struct{ user, pass, host string }

func (a loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !isLocalhost(server.Name) {
		return "", nil, errors.New("unencrypted connection")
	}
	if server.Name != a.host {
		return "", nil, errors.New("wrong host name")
	}
	return "LOGIN", nil, nil
}

func (a loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(string(fromServer))) {
	case "username:":
		return []byte(a.user), nil
	case "password:":
		return []byte(a.pass), nil
	}
	return nil, fmt.Errorf("unexpected LOGIN challenge %q", fromServer)
}

func isLocalhost(name string) bool {
	return name == "localhost" || name == "127.0.0.1" || name == "::1"
}

// Command ssoprovider runs the test OpenID Connect provider (ssotest) on a
// free loopback port for the browser tests (scripts/web-sso.sh), with its
// sign-in form: whoever types an email signs in as that email, verified.
// It prints "issuer URL" on its first line and stops on SIGINT or
// SIGTERM. It is a test tool: never part of the lore binary.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/lore-dev/lore/internal/auth/sso/ssotest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ssoprovider:", err)
		os.Exit(1)
	}
}

func run() error {
	clientID := flag.String("client-id", "lore", "the client id Lore uses")
	email := flag.String("email", "", "the email the sign-in form starts with")
	addr := flag.String("addr", "127.0.0.1:0", "where to listen (port 0: a free one)")
	flag.Parse()
	secret := os.Getenv("SSOPROVIDER_CLIENT_SECRET")
	if secret == "" {
		return errors.New("set SSOPROVIDER_CLIENT_SECRET (Lore's client secret)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p, err := ssotest.New(*clientID, secret)
	if err != nil {
		return err
	}
	p.Form = true
	p.Next(ssotest.Login{Subject: "ssotest|" + *email, Email: *email, EmailVerified: true})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	p.URL = "http://" + ln.Addr().String()
	fmt.Printf("issuer %s\n", p.URL)
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	srv := &http.Server{Handler: logged(log, p.Handler()), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// logged logs each request, for a failing test's output.
func logged(log *slog.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.Info("request", "method", r.Method, "path", r.URL.Path)
		h.ServeHTTP(w, r)
	})
}

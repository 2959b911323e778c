// Command example runs two services that log to Lore with the Go SDK: a
// frontend whose /checkout calls a backend's /charge through the SDK's
// Transport and Retry. Every record of one request, in both services,
// carries the same trace_id, so Lore shows them as one journey.
//
//	LORE_URL=http://localhost:4780 LORE_INGEST_KEY=... go run ./example
//	curl localhost:8081/checkout
package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"time"

	lore "github.com/lore-dev/lore/sdk/go"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	client := lore.NewClient(lore.ClientOptions{Endpoint: env("LORE_URL", "http://localhost:4780"), Key: os.Getenv("LORE_INGEST_KEY")})
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.Close(sctx) // flush what is buffered
	}()
	backendLog := slog.New(lore.NewHandler(client, &lore.HandlerOptions{Service: "payments", Env: "dev"}))
	frontendLog := slog.New(lore.NewHandler(client, &lore.HandlerOptions{Service: "storefront", Env: "dev"}))

	var calls atomic.Int64
	backend := http.NewServeMux()
	backend.HandleFunc("POST /charge", func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1)%3 == 1 { // every third charge is rate limited once
			backendLog.WarnContext(r.Context(), "card network rate limited the charge")
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		backendLog.InfoContext(r.Context(), "charge captured", "amount_cents", 4200)
		io.WriteString(w, `{"ok":true}`)
	})

	out := &http.Client{Transport: &lore.Transport{Logger: frontendLog}, Timeout: 5 * time.Second}
	frontend := http.NewServeMux()
	frontend.HandleFunc("GET /checkout", func(w http.ResponseWriter, r *http.Request) {
		lore.SetUser(r.Context(), "user_42")
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, "http://localhost:8082/charge", strings.NewReader(`{"amount_cents":4200}`))
		resp, err := lore.Retry(out, req, lore.RetryPolicy{Attempts: 3})
		if err != nil {
			frontendLog.ErrorContext(r.Context(), "checkout failed", "err", err)
			http.Error(w, "payment failed", http.StatusBadGateway)
			return
		}
		resp.Body.Close()
		frontendLog.InfoContext(r.Context(), "checkout completed")
		io.WriteString(w, "thank you\n")
	})

	servers := []*http.Server{
		{Addr: ":8082", Handler: lore.Middleware(backendLog, backend), ReadHeaderTimeout: 5 * time.Second},
		{Addr: ":8081", Handler: lore.Middleware(frontendLog, frontend), ReadHeaderTimeout: 5 * time.Second},
	}
	for _, s := range servers {
		go func() {
			if err := s.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				slog.Error("listen", "addr", s.Addr, "err", err)
				stop()
			}
		}()
	}
	slog.Info("try: curl localhost:8081/checkout")
	<-ctx.Done()
	for _, s := range servers {
		_ = s.Shutdown(context.Background())
	}
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

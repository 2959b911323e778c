package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	lore "github.com/lore-dev/lore/sdk/go"
)

// TestGoSDKJoinsServices runs two services with the Go SDK shipping to a
// whole Lore server: a storefront whose /checkout calls payments through
// the SDK's Transport and Retry (payments refuses the first try). One
// trace id joins both services' records in Lore's journey, with the user,
// the route, the status, and retry_attempt on the retried call.
func TestGoSDKJoinsServices(t *testing.T) {
	a := startApp(t)
	client := lore.NewClient(lore.ClientOptions{Endpoint: a.URL(), Key: ingestKey, FlushInterval: 50 * time.Millisecond})
	payLog := slog.New(lore.NewHandler(client, &lore.HandlerOptions{Service: "payments"}))
	shopLog := slog.New(lore.NewHandler(client, &lore.HandlerOptions{Service: "storefront"}))

	tries := 0
	pay := http.NewServeMux()
	pay.HandleFunc("POST /charge", func(w http.ResponseWriter, r *http.Request) {
		tries++
		if tries == 1 {
			payLog.WarnContext(r.Context(), "card network rate limited the charge")
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		payLog.InfoContext(r.Context(), "charge captured")
	})
	paySrv := httptest.NewServer(lore.Middleware(payLog, pay))
	defer paySrv.Close()
	out := &http.Client{Transport: &lore.Transport{Logger: shopLog}}
	shop := http.NewServeMux()
	shop.HandleFunc("GET /checkout", func(w http.ResponseWriter, r *http.Request) {
		lore.SetUser(r.Context(), "user_42")
		req, _ := http.NewRequestWithContext(r.Context(), "POST", paySrv.URL+"/charge", strings.NewReader("{}"))
		resp, err := lore.Retry(out, req, lore.RetryPolicy{Attempts: 3, Base: time.Millisecond})
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
		shopLog.InfoContext(r.Context(), "checkout completed")
	})
	shopSrv := httptest.NewServer(lore.Middleware(shopLog, shop))
	defer shopSrv.Close()
	resp, err := http.Get(shopSrv.URL + "/checkout")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err := client.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if client.Sent() == 0 || client.Dropped() != 0 {
		t.Fatalf("sent %d, dropped %d", client.Sent(), client.Dropped())
	}
	flush(t, a)

	r := search(t, a.URL(), `message:"checkout completed"`, "now-1h", "now+1h", 1)
	if len(r.Events) != 1 || r.Events[0].TraceID == "" {
		t.Fatalf("checkout record: %+v", r.Events)
	}
	var j journeyResult
	getJSON(t, a.URL(), "/api/v1/journeys/trace/"+r.Events[0].TraceID, url.Values{"from": {"now-1h"}}, &j)
	services := map[string]int{}
	retried := 0
	for _, e := range j.Events {
		services[e.Service]++
		if e.RetryAttempt == 1 {
			retried++
		}
		if e.Service == "storefront" && e.UserID != "user_42" {
			t.Errorf("storefront record without the user: %+v", e)
		}
	}
	// payments: 2 × (its own record + request end); storefront: 2 calls, checkout completed, request end.
	if services["payments"] != 4 || services["storefront"] != 4 || retried != 3 {
		t.Fatalf("journey: services %v, %d records with retry_attempt 1; want 4 + 4 and 3: %+v", services, retried, j.Events)
	}
}

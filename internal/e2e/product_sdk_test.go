package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/event"
)

const sdkPage = `<!doctype html>
<html><head><title>Test shop</title>
<script src="%[1]s/sdk.js"></script>
<script>lore.init(%[2]q, {host: %[1]q, flushInterval: 200});</script>
</head><body>
<button id="buy" class="btn primary" onclick="fetch('/api/buy', {method: 'POST'}).then(r => r.text()).then(t => document.getElementById('out').textContent = t)">Buy now</button>
<span id="out"></span>
<button id="login" onclick="lore.identify('user-42', {plan: 'pro'})">Log in</button>
<button id="nav" onclick="history.pushState({}, '', '/checkout')">Go to checkout</button>
<button id="boom" onclick="setTimeout(() => { null.explode() })">Boom</button>
<button id="reject" onclick="Promise.reject(new RangeError('quantity out of range'))">Reject</button>
</body></html>`

// TestBrowserSDK runs the browser SDK in headless Chromium against a test
// page whose backend logs the traceparent it receives into Lore: the
// click's trace holds the browser event and the backend log together. It
// runs under `make sdk-test` (scripts/sdk-test.sh installs Node's packages
// and Chromium); plain `go test` skips it, so the Go suite needs no Node.
func TestBrowserSDK(t *testing.T) {
	if os.Getenv("LORE_SDK_TEST") == "" {
		t.Skip("set LORE_SDK_TEST=1 (make sdk-test) to run the browser SDK in Chromium")
	}
	a := startApp(t)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/buy":
			tp := r.Header.Get("traceparent")
			trace, span, ok := event.ParseTraceparent(tp)
			line := map[string]any{"ts": time.Now().UTC().Format(time.RFC3339Nano), "level": "info", "service": "shop-backend",
				"msg": "buy request received", "traceparent": tp}
			if ok {
				line["trace_id"], line["parent_span_id"] = trace.String(), span.String()
			}
			b, _ := json.Marshal(line)
			code, _, body, err := post(r.Context(), http.DefaultClient, a.URL(), "/api/v1/ingest", ingestKey, "application/x-ndjson", b)
			if err != nil || code != 200 {
				t.Errorf("backend log: %d %s %v", code, body, err)
			}
			fmt.Fprint(w, "ok")
		default:
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, sdkPage, a.URL(), ingestKey)
		}
	}))
	defer backend.Close()

	root, _ := filepath.Abs("../..")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join(root, "sdk/js/test/browser.drive.mjs"), backend.URL+"/")
	cmd.Dir = filepath.Join(root, "sdk/js")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("browser driver: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	var drive struct {
		AnonymousID        string `json:"anonymousId"`
		Session1           string `json:"session1"`
		QueuedWhileOffline int    `json:"queuedWhileOffline"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &drive); err != nil {
		t.Fatalf("driver output %q: %v (stderr %s)", stdout.String(), err, stderr.String())
	}
	if drive.AnonymousID == "" || drive.QueuedWhileOffline == 0 {
		t.Errorf("driver saw %+v: want an anonymous id in localStorage and events queued while offline", drive)
	}
	flush(t, a)

	r := search(t, a.URL(), "service:browser", "now-1h", "now+1h", 200)
	byName := map[string][]int{}
	for i, e := range r.Events {
		byName[e.Name] = append(byName[e.Name], i)
	}
	for _, want := range []string{"/", "/checkout", "$autocapture", "$identify", "$pageload", "Offline Click", "Left Page"} {
		if len(byName[want]) == 0 {
			t.Errorf("no %q event stored; got %v", want, keys(byName))
		}
	}
	// The click on "Buy now" carries a trace shared with the backend's log.
	var clickTrace string
	for _, i := range byName["$autocapture"] {
		e := r.Events[i]
		if e.Attributes["$el_text"] == "Buy now" {
			clickTrace = e.TraceID
			if e.Attributes["$el_tag"] != "button" || !strings.Contains(e.Attributes["$el_selector"], "button#buy") {
				t.Errorf("click attributes = %v", e.Attributes)
			}
		}
	}
	if clickTrace == "" {
		t.Fatalf("no traced click on Buy now among %v", byName["$autocapture"])
	}
	var j journeyResult
	getJSON(t, a.URL(), "/api/v1/journeys/trace/"+clickTrace, url.Values{"from": {"now-1h"}}, &j)
	services := map[string]bool{}
	for _, e := range j.Events {
		services[e.Service] = true
	}
	if !services["browser"] || !services["shop-backend"] {
		t.Errorf("trace %s journey services = %v, want the browser click and the backend log together", clickTrace, services)
	}
	// Uncaught errors and unhandled rejections arrive as errors with stacks.
	errs := search(t, a.URL(), "kind:error service:browser", "now-1h", "now+1h", 10)
	stacks, rejection := 0, false
	for _, e := range errs.Events {
		if e.Attributes["stack"] != "" {
			stacks++
		}
		rejection = rejection || strings.Contains(e.Message, "quantity out of range")
	}
	if len(errs.Events) != 2 || stacks != 2 || !rejection {
		t.Errorf("browser errors = %+v", errs.Events)
	}
	// The anonymous first page view belongs to user-42 after identify.
	var uj journeyResult
	getJSON(t, a.URL(), "/api/v1/journeys/user/user-42", url.Values{"from": {"now-1h"}}, &uj)
	if len(uj.Events) == 0 || uj.Events[0].Name != "/" {
		names := []string{}
		for _, e := range uj.Events {
			names = append(names, e.Name)
		}
		t.Errorf("user-42's journey = %v, want it to start with the anonymous page view", names)
	}
}

func keys(m map[string][]int) []string {
	out := []string{}
	for k := range m {
		out = append(out, k)
	}
	return out
}

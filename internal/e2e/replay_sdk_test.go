package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/replay"
)

// replayPage is a checkout page recorded by the SDK: its heading, button
// and coupon field are unmasked, the card field inside them is masked
// again, the account holder's name is masked like all text by default, and
// the password is masked whatever the attributes say.
const replayPage = `<!doctype html>
<html><head><title>Replay shop</title>
<style>body{font:15px sans-serif;margin:40px} button{margin:8px}</style>
<script src="%[1]s/sdk.js"></script>
<script>lore.init(%[2]q, {host: %[1]q, flushInterval: 200, replay: %[3]s});</script>
</head><body>
<h1 data-lore-unmask>Checkout</h1>
<p id="holder">Account holder Ada Lovelace</p>
<form data-lore-unmask onsubmit="return false">
  <label>Coupon <input id="coupon"></label>
  <label data-lore-mask>Card <input id="card"></label>
  <label>Password <input id="pw" type="password"></label>
</form>
<div data-lore-unmask>
<button id="pay" onclick="fetch('/api/pay', {method: 'POST'}).then(r => r.text()).then(t => document.getElementById('out').textContent = t)">Pay now</button>
<button id="boom" onclick="setTimeout(() => { null.explode() })">Apply coupon</button>
<button id="dead">Help</button>
<a id="nav" href="#" onclick="history.pushState({}, '', '/thanks'); document.getElementById('out').textContent = 'thanks'; return false">Done</a>
<span id="out"></span>
</div>
</body></html>`

// TestBrowserReplay records real pages with the browser SDK in headless
// Chromium: the recorder chunk loads only when the project records; the
// masked input, text and password never leave the page; the chunks are
// gzip-compressed in the browser; the session's recording plays back from
// Lore, is sealed into a kind:replay event, and its detections (an error
// after a click, a rage click, dead clicks) become events; a session not
// sampled is uploaded only once it hits an error, with the minute before.
// It runs under `make sdk-test`; plain `go test` skips it.
func TestBrowserReplay(t *testing.T) {
	if os.Getenv("LORE_SDK_TEST") == "" {
		t.Skip("set LORE_SDK_TEST=1 (make sdk-test) to record in Chromium")
	}
	a := startApp(t, func(c *app.Config) {
		c.Replay = replay.Options{Idle: 6 * time.Second, Grace: 500 * time.Millisecond, Tick: 200 * time.Millisecond}
	})
	enableRecording(t, a.URL(), `{"session_recording":true}`)
	// The page reaches Lore through a proxy that keeps every recording
	// upload as it arrived, to look for what must never reach the server.
	lore, _ := url.Parse(a.URL())
	var mu sync.Mutex
	var received [][]byte
	gzipped := 0
	rp := httputil.NewSingleHostReverseProxy(lore)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/api/v1/replay" {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			if bytes.HasPrefix(body, []byte{0x1f, 0x8b}) {
				gzipped++
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err == nil {
					plain, _ := io.ReadAll(zr)
					received = append(received, plain)
				}
			} else {
				received = append(received, body)
			}
			mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/pay" {
			trace, span, _ := event.ParseTraceparent(r.Header.Get("traceparent"))
			line, _ := json.Marshal(map[string]any{"ts": time.Now().UTC().Format(time.RFC3339Nano), "level": "error", "service": "payments",
				"msg": "card declined", "error_type": "CardDeclined", "trace_id": trace.String(), "parent_span_id": span.String()})
			post(r.Context(), http.DefaultClient, a.URL(), "/api/v1/ingest", ingestKey, "application/x-ndjson", line)
			fmt.Fprint(w, "paid")
			return
		}
		w.Header().Set("Content-Type", "text/html")
		opts := "{flushInterval: 500}"
		if r.URL.Query().Has("buffer") {
			opts = "{flushInterval: 500, sampleRate: 0, onError: true}"
		}
		fmt.Fprintf(w, replayPage, proxy.URL, ingestKey, opts)
	}))
	defer backend.Close()

	var drive struct {
		Session       string             `json:"session"`
		Stats         map[string]float64 `json:"stats"`
		PageScriptMS  float64            `json:"pageScriptMs"`
		PageTaskMS    float64            `json:"pageTaskMs"`
		Uploads       int                `json:"uploads"`
		RecordScripts []string           `json:"recordScripts"`
		Buffer        struct {
			Session            string `json:"session"`
			UploadsBeforeError int    `json:"uploadsBeforeError"`
			ErrorAt            int64  `json:"errorAt"`
			Uploads            int    `json:"uploads"`
		} `json:"buffer"`
	}
	runDriver(t, "replay.drive.mjs", &drive, backend.URL+"/checkout", backend.URL+"/checkout?buffer")
	t.Logf("recorder: %v; page script %v ms, tasks %v ms over the scripted visit (~8 s)", drive.Stats, drive.PageScriptMS, drive.PageTaskMS)

	// Uploads: compressed in the browser, and nothing masked in them.
	mu.Lock()
	all := string(bytes.Join(received, []byte("\n")))
	n, gz := len(received), gzipped
	mu.Unlock()
	if drive.Uploads < 2 || gz == 0 || n < drive.Uploads+drive.Buffer.Uploads {
		t.Fatalf("page sent %d+%d uploads; the server got %d, %d of them gzip", drive.Uploads, drive.Buffer.Uploads, n, gz)
	}
	for _, secret := range []string{"4242 4242", "Ada Lovelace", "hunter2"} {
		if strings.Contains(all, secret) {
			t.Errorf("%q left the page in a recording upload", secret)
		}
	}
	for _, shown := range []string{"SPRING10", "Pay now", "Checkout"} {
		if !strings.Contains(all, shown) {
			t.Errorf("unmasked %q is not in the recording", shown)
		}
	}
	if !contains(drive.RecordScripts, "/sdk-replay.js") {
		t.Errorf("recording page scripts %v: the recorder chunk was not loaded", drive.RecordScripts)
	}
	flush(t, a)

	// Played back from Lore: the whole recording, nothing masked in it either.
	play := playback(t, a.URL(), drive.Session)
	if !strings.Contains(play, `"type":2`) || !strings.Contains(play, "lore.request") || !strings.Contains(play, "lore.error") ||
		strings.Contains(play, "4242 4242") || strings.Contains(play, "hunter2") {
		t.Fatalf("playback of %s: %.300s", drive.Session, play)
	}

	// Sealed: a kind:replay event and the detections, joined to the session.
	deadline := time.Now().Add(40 * time.Second)
	var rs searchResult
	for time.Now().Before(deadline) {
		if rs = search(t, a.URL(), "kind:replay", "now-1h", "now+1h", 10); len(rs.Events) > 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(rs.Events) == 0 {
		t.Fatal("no kind:replay event")
	}
	var ours map[string]string
	for _, e := range rs.Events {
		if e.Attributes["replay.clicks"] != "" && e.Attributes["replay.pages"] != "" {
			ours = e.Attributes
		}
	}
	if ours["replay.errors"] == "0" || ours["replay.rage_clicks"] != "1" || ours["replay.pages"] != "2" {
		t.Errorf("kind:replay attributes = %v", ours)
	}
	for _, q := range []string{"name:$error_after_click", "name:$rageclick", "name:$dead_click"} {
		r := search(t, a.URL(), q+" session_id:"+drive.Session, "now-1h", "now+1h", 10)
		if len(r.Events) == 0 {
			t.Errorf("no %s in session %s", q, drive.Session)
		}
		for _, e := range r.Events {
			t.Logf("%s: %s", e.Name, e.Message)
		}
	}
	// The buffered session: nothing before the error; then the moments before it too.
	if drive.Buffer.UploadsBeforeError != 0 || drive.Buffer.Uploads == 0 {
		t.Fatalf("buffer mode: %d uploads before the error, %d after", drive.Buffer.UploadsBeforeError, drive.Buffer.Uploads)
	}
	var got replaysAnswer
	getJSON(t, a.URL(), "/api/v1/replays", url.Values{"session": {drive.Buffer.Session}}, &got)
	if len(got.Replays) != 1 || got.Replays[0].StartMS > drive.Buffer.ErrorAt-1000 {
		t.Fatalf("buffered replay %+v, error at %d: want the second before the error", got.Replays, drive.Buffer.ErrorAt)
	}
	if !strings.Contains(playback(t, a.URL(), drive.Buffer.Session), "BEFORE-THE-ERROR") {
		t.Error("the buffer lost what was typed before the error")
	}

	// Recording off for the project: the page never loads the recorder.
	enableRecording(t, a.URL(), `{"session_recording":false}`)
	var off struct {
		Scripts []string `json:"scripts"`
		Uploads int      `json:"uploads"`
		Started bool     `json:"started"`
	}
	runDriver(t, "replay.drive.mjs", &off, "off", backend.URL+"/checkout")
	if off.Started || off.Uploads != 0 || contains(off.Scripts, "/sdk-replay.js") {
		t.Fatalf("recording off: %+v", off)
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// runDriver runs a Node script of sdk/js/test and decodes the JSON it prints.
func runDriver(t *testing.T, script string, out any, args ...string) {
	t.Helper()
	root, _ := filepath.Abs("../..")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{filepath.Join(root, "sdk/js/test", script)}, args...)...)
	cmd.Dir = filepath.Join(root, "sdk/js")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s\n%s", script, err, stdout.String(), stderr.String())
	}
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), out); err != nil {
		t.Fatalf("%s output %.500q: %v (stderr %s)", script, stdout.String(), err, stderr.String())
	}
}

// playback reads a session's recording as the UI does.
func playback(t *testing.T, base, session string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/replays/"+url.PathEscape(session)+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+adminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("playback %s: %d %s", session, resp.StatusCode, b)
	}
	return string(b)
}

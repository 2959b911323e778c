package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/internal/replay"
	"github.com/lore-dev/lore/internal/replay/synth"
)

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// uploadChunk posts a chunk as the browser SDK does: the gzip body, the
// key in the query, an Origin header when origin is set.
func uploadChunk(t *testing.T, base, key, origin string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/replay?key="+url.QueryEscape(key), bytes.NewReader(body))
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func enableRecording(t *testing.T, base, settings string) {
	t.Helper()
	if code, b := send(t, http.MethodPut, base, "/api/v1/capture/settings", "application/json", settings); code != 200 {
		t.Fatalf("capture settings: %d %s", code, b)
	}
}

// shopPage is a checkout page whose copy is unmasked and whose field is not.
func shopPage() *synth.Node {
	return synth.El("body", map[string]string{"data-lore-unmask": ""},
		synth.El("h1", nil, synth.T("Checkout")),
		synth.El("input", map[string]string{"id": "card", "data-lore-mask": ""}).As("card").At(40, 100, 300, 30),
		synth.El("button", map[string]string{"id": "pay"}, synth.T("Pay now")).As("pay").At(40, 160, 160, 40),
		synth.El("div", map[string]string{"id": "status"}).As("status"))
}

// recordRage records a checkout where the person rage-clicks Pay now and
// nothing happens; its chunks as the SDK uploads them.
func recordRage(start time.Time, session string) [][]byte {
	r := synth.New(start, 1280, 800)
	r.Load("https://shop.example/checkout/payment", "Payment", "body{font:14px sans-serif}", shopPage())
	r.Click("card")
	r.Input("card", "4242424242424242")
	r.Move("pay", 400*time.Millisecond)
	for i := 0; i < 5; i++ {
		r.Click("pay")
		r.Wait(120 * time.Millisecond)
	}
	r.Wait(4 * time.Second)
	r.Scroll(40)
	return r.Chunks(session, "page-1", "user-42", "anon-42", 10)
}

type replaysAnswer struct {
	Replays []replay.Recording `json:"replays"`
}

func TestReplayIngestPlaybackAndSeal(t *testing.T) {
	a := startApp(t, func(c *app.Config) {
		// The recording comes without its session's events: the seal waits
		// JourneyWait for them, then seals without.
		c.Replay = replay.Options{Idle: time.Minute, Grace: 200 * time.Millisecond, Tick: 100 * time.Millisecond, JourneyWait: time.Second,
			Limits: replay.Limits{MaxChunkBytes: 64 << 10, MaxSessionBytes: 256 << 10}}
	})
	base := a.URL()
	start := time.Now().Add(-30 * time.Minute).Truncate(time.Millisecond)
	chunks := recordRage(start, "sess-rage")

	// Off by default: the project must opt in.
	if code, _, b := uploadChunk(t, base, ingestKey, "", gz(chunks[0])); code != 403 || !strings.Contains(string(b), "session recording is off") {
		t.Fatalf("recording off: %d %s", code, b)
	}
	enableRecording(t, base, `{"session_recording":true,"replay_origins":["https://shop.example"]}`)
	if code, _, b := uploadChunk(t, base, "wrong-key", "https://shop.example", gz(chunks[0])); code != 401 {
		t.Fatalf("unknown key: %d %s", code, b)
	}
	if code, h, b := uploadChunk(t, base, ingestKey, "https://evil.example", gz(chunks[0])); code != 403 || h.Get("Access-Control-Allow-Origin") == "https://evil.example" {
		t.Fatalf("foreign origin: %d %s %v", code, b, h)
	}
	for i, c := range chunks {
		code, h, b := uploadChunk(t, base, ingestKey, "https://shop.example", gz(c))
		if code != 200 || h.Get("Access-Control-Allow-Origin") != "https://shop.example" {
			t.Fatalf("chunk %d: %d %s (CORS %q)", i, code, b, h.Get("Access-Control-Allow-Origin"))
		}
	}
	// Bad chunks: a clear error, nothing stored.
	for _, c := range []struct {
		body []byte
		code int
		want string
	}{
		{[]byte(`{"events":[]}`), 400, `"session_id" is missing`},
		{[]byte(`{"session_id":"x","events":[{"type":3}]}`), 400, `event 0: an rrweb event needs a numeric "timestamp"`},
		{bytes.Repeat([]byte{'x'}, 70<<10), 413, "over the 65536-byte limit per chunk"},
	} {
		code, _, b := uploadChunk(t, base, ingestKey, "", c.body)
		var e struct{ Error string }
		json.Unmarshal(b, &e)
		if code != c.code || !strings.Contains(e.Error, c.want) {
			t.Errorf("%.40q: %d %s, want %d %q", c.body, code, b, c.code, c.want)
		}
	}
	flush(t, a)

	var got replaysAnswer
	getJSON(t, base, "/api/v1/replays", url.Values{"session": {"nope,sess-rage"}}, &got)
	if len(got.Replays) != 1 || got.Replays[0].Chunks != len(chunks) || got.Replays[0].UserID != "user-42" || got.Replays[0].Clicks != 6 {
		t.Fatalf("replays = %+v", got)
	}
	// Playback: every event back, in order; the card number was never sent.
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/replays/sess-rage/events", nil)
	req.Header.Set("Authorization", "Bearer "+adminKey)
	resp, err := http.DefaultClient.Do(req) // Go's client asks for gzip and undoes it
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var play struct {
		Events []map[string]any `json:"events"`
	}
	if err := json.Unmarshal(raw, &play); err != nil || resp.StatusCode != 200 {
		t.Fatalf("playback %d: %v %.200s", resp.StatusCode, err, raw)
	}
	if n := got.Replays[0].Events; int64(len(play.Events)) != n || strings.Contains(string(raw), "4242424242") {
		t.Fatalf("playback has %d events of %d (or the card number)", len(play.Events), n)
	}

	// Sealed once quiet: a kind:replay event, searchable, and the rage click.
	deadline := time.Now().Add(30 * time.Second)
	var r searchResult
	for time.Now().Before(deadline) {
		r = search(t, base, "kind:replay replay.rage_clicks:>0", "now-2h", "now+1h", 10)
		if len(r.Events) > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(r.Events) != 1 || r.Events[0].UserID != "user-42" || r.Events[0].Attributes["replay.pages"] != "1" {
		t.Fatalf("kind:replay = %+v", r.Events)
	}
	rage := search(t, base, "name:$rageclick session_id:sess-rage", "now-2h", "now+1h", 10)
	if len(rage.Events) != 1 || !strings.Contains(rage.Events[0].Message, `5 clicks on "Pay now" (button#pay) on /checkout/payment`) {
		t.Fatalf("rage clicks = %+v", rage.Events)
	}
	getJSON(t, base, "/api/v1/replays", url.Values{"session": {"sess-rage"}}, &got)
	if !got.Replays[0].Sealed || got.Replays[0].Summary == nil || len(got.Replays[0].Summary.Detections) == 0 {
		t.Fatalf("sealed replay = %+v", got.Replays[0])
	}
	// The session's limit.
	enableRecording(t, base, `{"session_recording":true}`)
	rng := rand.New(rand.NewPCG(1, 2))
	var lastCode int
	var lastBody []byte
	for i := 0; i < 100 && lastCode != 413; i++ {
		r := synth.New(start.Add(time.Duration(i)*time.Second), 1280, 800)
		noise := make([]byte, 20<<10) // style text that does not compress
		for k := range noise {
			noise[k] = byte(rng.Uint32())
		}
		r.Load("https://shop.example/big", "Big", fmt.Sprintf("/*%x*/", noise), shopPage())
		doc := bytes.Replace(r.Chunks("sess-big", "p", "", "", 100)[0], []byte(`"seq":0`), []byte(fmt.Sprintf(`"seq":%d`, i)), 1)
		lastCode, _, lastBody = uploadChunk(t, base, ingestKey, "", gz(doc))
	}
	if lastCode != 413 || !strings.Contains(string(lastBody), "limit per session") {
		t.Fatalf("session limit: %d %s", lastCode, lastBody)
	}
}

// TestAcknowledgedReplayChunksSurviveKill9: chunks answered 200 are in
// the replay store after the server is killed and restarted.
func TestAcknowledgedReplayChunksSurviveKill9(t *testing.T) {
	dir := t.TempDir()
	p := startLore(t, dir)
	enableRecording(t, p.url, `{"session_recording":true}`)
	const sessions = 6
	acked := make([]int, sessions)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hc := &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	start := time.Now().Add(-time.Hour)
	for s := range sessions {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil && i < 2000; i++ {
				r := synth.New(start.Add(time.Duration(i)*time.Second), 1280, 800)
				r.Load(fmt.Sprintf("https://shop.example/p/%d", i), "P", "", shopPage())
				r.Click("pay")
				doc := bytes.Replace(r.Chunks(fmt.Sprintf("kill-%d", s), "page", "", "", 100)[0], []byte(`"seq":0`), []byte(fmt.Sprintf(`"seq":%d`, i)), 1)
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.url+"/api/v1/replay?key="+ingestKey, bytes.NewReader(gz(doc)))
				resp, err := hc.Do(req)
				if err != nil {
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("session %d chunk %d: %d", s, i, resp.StatusCode)
					return
				}
				acked[s] = i + 1
			}
		})
	}
	time.Sleep(1500 * time.Millisecond)
	p.signal(syscall.SIGKILL)
	cancel()
	wg.Wait()
	p = startLore(t, dir)
	ids := make([]string, sessions)
	total := 0
	for s := range ids {
		ids[s] = fmt.Sprintf("kill-%d", s)
		total += acked[s]
	}
	if total == 0 {
		t.Fatal("nothing acknowledged before the kill")
	}
	var got replaysAnswer
	getJSON(t, p.url, "/api/v1/replays", url.Values{"session": {strings.Join(ids, ",")}}, &got)
	byID := map[string]int{}
	for _, r := range got.Replays {
		byID[r.SessionID] = r.Chunks
	}
	for s, id := range ids {
		if byID[id] < acked[s] {
			t.Errorf("session %s: %d chunks stored, %d acknowledged", id, byID[id], acked[s])
		}
	}
	t.Logf("%d chunks acknowledged before SIGKILL, all stored after restart", total)
}

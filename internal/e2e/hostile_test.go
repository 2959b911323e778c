package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The hostile-input suite (issue 17): each finding of the attack replayed
// against a whole `lore serve` process, which must stay up, stay healthy
// and keep serving authenticated clients. Every step has a deadline of its
// own (a hang fails the test instead of stalling it).

// hostileClient gives up on any request after a minute: a server that
// hangs fails the test.
var hostileClient = &http.Client{Timeout: time.Minute}

func hostileDo(t *testing.T, method, u, key, contentType, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := hostileClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u[:min(len(u), 120)], err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// healthy asserts the process is alive, /healthz answers and an
// authenticated client can ingest and search.
func healthy(t *testing.T, p *proc, step string) {
	t.Helper()
	select {
	case <-p.done:
		t.Fatalf("after %s the server died:\n%s", step, p.log())
	default:
	}
	if code, b := hostileDo(t, "GET", p.url+"/healthz", "", "", ""); code != 200 {
		t.Fatalf("after %s /healthz: %d %s", step, code, b)
	}
	marker := fmt.Sprintf("healthy-after-%d", rand.Int64())
	if code, b := hostileDo(t, "POST", p.url+"/api/v1/ingest", ingestKey, "application/x-ndjson", `{"msg":"`+marker+`"}`+"\n"); code != 200 {
		t.Fatalf("after %s an authenticated ingest got %d %s", step, code, b)
	}
	waitLoaded(t, p.url)
	code, b := hostileDo(t, "GET", p.url+"/api/v1/search?"+url.Values{"q": {marker}}.Encode(), readKey, "", "")
	if code != 200 || !strings.Contains(b, marker) {
		t.Fatalf("after %s an authenticated search got %d %s", step, code, b[:min(len(b), 300)])
	}
}

// cpu is the CPU time a process has used so far (all threads).
func cpu(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond // clock ticks of 10ms
}

// rss is a process's resident memory now, in bytes.
func rss(pid int) int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func TestHostileInput(t *testing.T) {
	dir := t.TempDir()
	p := startLore(t, dir, "--query-timeout", "20s")
	pid := p.cmd.Process.Pid

	t.Run("CrashLine", func(t *testing.T) {
		// Invalid UTF-8 in logfmt, and a multi-byte character across the
		// field catalogue's 120-byte example cut: each aborted the process
		// within seconds, and again after every restart.
		body := "level=info msg=m bad=\xff\xfe\n" +
			`{"msg":"cut","k":"` + strings.Repeat("a", 119) + "é and more\"}\n"
		if code, b := hostileDo(t, "POST", p.url+"/api/v1/ingest", ingestKey, "text/plain", body); code != 200 {
			t.Fatalf("crash lines: %d %s", code, b)
		}
		waitLoaded(t, p.url)
		// The dictionary flushes the catalogue before it answers: the
		// examples reach DuckDB now.
		if code, b := hostileDo(t, "GET", p.url+"/api/v1/fields", readKey, "", ""); code != 200 || !strings.Contains(b, `"bad"`) {
			t.Fatalf("fields after the crash lines: %d %s", code, b[:min(len(b), 300)])
		}
		healthy(t, p, "the crash lines")
	})

	t.Run("WildcardBomb", func(t *testing.T) {
		// q=a*a*a*b on a line of 3,000 'a's never ended and held every core
		// after its client left: wildcards are now linear.
		line := `{"msg":"` + strings.Repeat("a", 3000) + `"}` + "\n"
		if code, b := hostileDo(t, "POST", p.url+"/api/v1/ingest", ingestKey, "application/x-ndjson", strings.Repeat(line, 200)); code != 200 {
			t.Fatalf("ingest: %d %s", code, b)
		}
		waitLoaded(t, p.url)
		for _, q := range []string{"a*a*a*b", "a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "msg:*a*a*a*a*b*"} {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			req, _ := http.NewRequestWithContext(ctx, "GET", p.url+"/api/v1/search?"+url.Values{"q": {q}, "from": {"now-1h"}}.Encode(), nil)
			req.Header.Set("Authorization", "Bearer "+adminKey)
			resp, err := http.DefaultClient.Do(req)
			cancel()
			if err != nil {
				t.Fatalf("search %q did not answer within 30s: %v", q, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(b), `"events":[]`) {
				t.Fatalf("search %q: %d %s", q, resp.StatusCode, b[:min(len(b), 200)])
			}
		}
		// Nothing is left running: the server is near idle afterwards.
		time.Sleep(500 * time.Millisecond)
		before := cpu(t, pid)
		time.Sleep(2 * time.Second)
		if used := cpu(t, pid) - before; used > time.Second {
			t.Errorf("the server used %v of CPU in the 2s after the searches answered", used)
		}
		healthy(t, p, "the wildcard bomb")
	})

	t.Run("Limits", func(t *testing.T) {
		f := func(name, method, path, key, body string, want int, wantMsg string) {
			t.Helper()
			code, b := hostileDo(t, method, p.url+path, key, "application/json", body)
			if code != want || !strings.Contains(b, wantMsg) {
				t.Errorf("%s: %d %s, want %d with %q", name, code, b[:min(len(b), 300)], want, wantMsg)
			}
		}
		f("stories over any range", "GET", "/api/v1/stories?from=0001-01-01", readKey, "", 400, "limit")
		f("stories over 40 days", "GET", "/api/v1/stories?from=now-40d", readKey, "", 400, "at most 31 days")
		f("search over any range", "GET", "/api/v1/search?from=0001-01-01", readKey, "", 400, "longer than the limit of 400 days")
		f("NUL in a query", "GET", "/api/v1/search?q=user:bob%00admin", readKey, "", 400, "NUL")
		f("bad cursor", "GET", "/api/v1/search?cursor=garbage", readKey, "", 400, `invalid cursor \"garbage\"`)
		terms := make([]string, 20_000)
		for i := range terms {
			terms[i] = fmt.Sprintf("user_id:u%d", i)
		}
		huge, _ := json.Marshal(map[string]any{"steps": []map[string]string{
			{"event": "View", "where": strings.Join(terms, " OR ")}, {"event": "Buy"}}})
		f("funnel with a 20,000-term filter", "POST", "/api/v1/funnels", readKey, string(huge), 400, "query too long")
		var terms300 []string
		for i := range 300 {
			terms300 = append(terms300, fmt.Sprintf("u%d", i))
		}
		f("search with 300 terms", "GET", "/api/v1/search?"+url.Values{"q": {strings.Join(terms300, " OR ")}}.Encode(), readKey, "", 400, "query too large: 300 terms")

		// One line (under the 1 MiB line limit) with 60,000 attributes, a
		// 300 KB field name and a timestamp in year 3000: kept, clamped and
		// flagged.
		var b strings.Builder
		b.WriteString(`{"ts":"3000-01-01T00:00:00Z","msg":"wide event","` + strings.Repeat("k", 300<<10) + `":"v"`)
		for i := range 60_000 {
			fmt.Fprintf(&b, `,"%s":1`, strconv.FormatInt(int64(i), 36))
		}
		b.WriteString("}\n")
		if code, body := hostileDo(t, "POST", p.url+"/api/v1/ingest", ingestKey, "application/x-ndjson", b.String()); code != 200 {
			t.Fatalf("wide event: %d %s", code, body[:min(len(body), 300)])
		}
		waitLoaded(t, p.url)
		var res struct {
			Events []map[string]any `json:"events"`
		}
		getJSON(t, p.url, "/api/v1/search", url.Values{"q": {`"wide event"`}}, &res)
		if len(res.Events) != 1 {
			t.Fatalf("wide event: found %d", len(res.Events))
		}
		ev := res.Events[0]
		attrs, _ := ev["attributes"].(map[string]any)
		ts, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(ev["ts"]))
		if len(attrs) > 300 || attrs["lore.dropped_attributes"] == nil || attrs["lore.ts_clamped"] != "true" || ts.Year() != time.Now().Year() {
			t.Errorf("wide event stored with %d attributes, ts %v, flags %v %v", len(attrs), ev["ts"], attrs["lore.dropped_attributes"], attrs["lore.ts_clamped"])
		}
		healthy(t, p, "the limits")
	})

	t.Run("RandomPathFlood", func(t *testing.T) {
		// 2,000 unauthenticated posts to random 30 KB paths grew RSS by
		// 110 MB and /metrics to 60 MB: paths are never labels now.
		before := rss(pid)
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(w), 1))
				path := make([]byte, 30<<10)
				for range 500 {
					for i := range path {
						path[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[r.IntN(36)]
					}
					resp, err := hostileClient.Post(p.url+"/capture/"+string(path), "application/json", strings.NewReader(`{"api_key":"nope","event":"e","distinct_id":"d"}`))
					if err != nil {
						t.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 401 {
						t.Errorf("unauthenticated capture: %d", resp.StatusCode)
						return
					}
				}
			})
		}
		wg.Wait()
		resp, err := hostileClient.Get(p.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		m, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if len(m) > 128<<10 {
			t.Errorf("/metrics grew to %d bytes", len(m))
		}
		if grew := rss(pid) - before; grew > 64<<20 {
			t.Errorf("RSS grew by %d MiB during the flood", grew>>20)
		}
		healthy(t, p, "the random-path flood")
	})

	t.Run("SlowUnauthenticatedBodies", func(t *testing.T) {
		// Eight slow capture bodies without a key held every ingest slot:
		// authenticated ingest answered 503 for as long as they trickled.
		var conns []net.Conn
		for range 16 {
			c, err := net.Dial("tcp", strings.TrimPrefix(p.url, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			io.WriteString(c, "POST /capture/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{\"api_key\":")
			conns = append(conns, c)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() { // keep trickling
			for {
				select {
				case <-stop:
					return
				case <-time.After(200 * time.Millisecond):
					for _, c := range conns {
						c.Write([]byte(" "))
					}
				}
			}
		})
		time.Sleep(300 * time.Millisecond)
		for i := range 10 {
			code, b := hostileDo(t, "POST", p.url+"/api/v1/ingest", ingestKey, "application/x-ndjson", fmt.Sprintf(`{"msg":"while trickling %d"}`+"\n", i))
			if code != 200 {
				t.Errorf("authenticated ingest %d while unauthenticated bodies trickle: %d %s", i, code, b)
			}
		}
		close(stop)
		wg.Wait()
		// The trickling bodies are cut off (at the pre-authentication read
		// deadline) or refused a slot, not served forever.
		for _, c := range conns {
			c.SetReadDeadline(time.Now().Add(30 * time.Second))
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil || !strings.Contains(line, " 400 ") && !strings.Contains(line, " 503 ") {
				t.Errorf("a slow unauthenticated body was answered %q, %v", line, err)
			}
		}
		healthy(t, p, "the slow bodies")
	})

	t.Run("WebhookToLoopbackRefused", func(t *testing.T) {
		// A read key could make the server post to its own network.
		hit := make(chan struct{}, 4)
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit <- struct{}{} }))
		defer hook.Close()
		var m struct {
			ID int64 `json:"id"`
		}
		code, b := hostileDo(t, "POST", p.url+"/api/v1/monitors", adminKey, "application/json",
			`{"name":"ssrf","kind":"query","query":"*","threshold":0,"window":"1h","webhook":"`+hook.URL+`"}`)
		if code != 200 || json.Unmarshal([]byte(b), &m) != nil {
			t.Fatalf("create monitor: %d %s", code, b)
		}
		if code, b := hostileDo(t, "POST", fmt.Sprintf("%s/api/v1/monitors/%d/evaluate", p.url, m.ID), adminKey, "", ""); code != 200 || !strings.Contains(b, `"alert"`) {
			t.Fatalf("evaluate: %d %s", code, b)
		}
		const failed = `lore_notifications_total{type="webhook",result="failed"}`
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) && metricValue(t, p.url, failed) == "" {
			time.Sleep(100 * time.Millisecond)
		}
		select {
		case <-hit:
			t.Fatal("the webhook on loopback was called")
		default:
		}
		if v := metricValue(t, p.url, failed); v == "" {
			t.Errorf("no failed webhook delivery counted in %s", failed)
		}
	})

	// What was stored survives a restart on the same directory (the crash
	// line once bricked it: the server died again seconds after listening).
	p.signal(syscall.SIGTERM)
	p = startLore(t, dir)
	time.Sleep(2 * time.Second)
	healthy(t, p, "a restart on the same data")
}

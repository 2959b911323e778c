package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/bench"
)

var loreBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lore-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	loreBinary = filepath.Join(dir, "lore")
	build := exec.Command("go", "build", "-o", loreBinary, "github.com/lore-dev/lore/cmd/lore")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build lore:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	ingestKey = "e2e-ingest"
	readKey   = "e2e-read"
	// adminKey has the admin scope: the tests' own API calls (reads, and
	// the monitors, dashboards, channels… they make) use it, as an admin's
	// script would; the access tests check what each role may do.
	adminKey = "e2e-admin"
)

// proc is a `lore serve` child process on a free loopback port.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	url  string
	done chan struct{}
	mu   sync.Mutex
	logs bytes.Buffer
}

var listenRe = regexp.MustCompile(`lore is listening"? addr=(\S+)`)

func startLore(t *testing.T, dataDir string, args ...string) *proc {
	t.Helper()
	args = append([]string{"serve", "--data", dataDir, "--addr", "127.0.0.1:0", "--otlp-grpc-addr", "", "--ingest-key", ingestKey, "--read-key", readKey, "--admin-key", adminKey}, args...)
	cmd := exec.Command(loreBinary, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, cmd: cmd, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.logs.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if m := listenRe.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
		<-p.done
		if t.Failed() {
			t.Logf("server log:\n%s", p.log())
		}
	})
	select {
	case a := <-addr:
		p.url = "http://" + a
	case <-p.done:
		t.Fatalf("lore serve exited before listening:\n%s", p.log())
	case <-time.After(2 * time.Minute):
		t.Fatalf("lore serve did not listen within 2 minutes:\n%s", p.log())
	}
	return p
}

func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(2 * time.Minute):
		p.t.Fatalf("lore serve did not exit after %v", sig)
	}
}

// peakRSS is the child's high-water mark of resident memory, in bytes.
func (p *proc) peakRSS() int64 { return bench.PeakRSS(p.cmd.Process.Pid) }

// waitLoaded waits until every acknowledged event is in the store.
func waitLoaded(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if regexp.MustCompile(`(?m)^lore_ingest_queue_events 0$`).Match(b) {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the ingest queue did not drain within 2 minutes")
}

// post sends a body to an ingest path and returns the status, the
// Retry-After header and the body.
func post(ctx context.Context, hc *http.Client, base, path, key, contentType string, body []byte) (int, string, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, bytes.NewReader(body))
	if err != nil {
		return 0, "", nil, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", contentType)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), b, err
}

// getJSON reads an API answer with the read key.
func getJSON(t testing.TB, base, path string, q url.Values, out any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path+"?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+adminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s?%s: %d %s", path, q.Encode(), resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("decode %s: %v\n%s", path, err, b)
	}
}

type facets struct {
	Total    int64 `json:"total"`
	Distinct int64 `json:"distinct"`
	Values   []struct {
		Value string `json:"value"`
		Count int64  `json:"count"`
	} `json:"values"`
}

func facetCounts(t testing.TB, base, q, field string) (map[string]int64, int64) {
	t.Helper()
	var f facets
	getJSON(t, base, "/api/v1/facets", url.Values{"q": {q}, "field": {field}, "limit": {"1000"}, "from": {"now-6h"}, "to": {"now+1h"}}, &f)
	m := map[string]int64{}
	for _, v := range f.Values {
		m[v.Value] = v.Count
	}
	return m, f.Total
}

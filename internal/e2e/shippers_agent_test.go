package e2e

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// allMessages pages through a search and returns every event's message.
func allMessages(t *testing.T, base, q string) []string {
	t.Helper()
	var out []string
	cursor := ""
	for {
		var r searchResult
		getJSON(t, base, "/api/v1/search", url.Values{"q": {q}, "from": {"now-1h"}, "to": {"now+1h"}, "limit": {"1000"}, "cursor": {cursor}}, &r)
		for _, e := range r.Events {
			out = append(out, e.Message)
		}
		if r.NextCursor == "" || len(r.Events) == 0 {
			return out
		}
		cursor = r.NextCursor
	}
}

// agentProc runs `lore agent` as its own process, so a test can kill -9 it.
type agentProc struct{ cmd *exec.Cmd }

func startAgent(t *testing.T, args ...string) *agentProc {
	t.Helper()
	cmd := exec.Command(loreBinary, append([]string{"agent"}, args...)...)
	logf, err := os.CreateTemp(t.TempDir(), "agent-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &agentProc{cmd: cmd}
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("agent log:\n%s", b)
		}
	})
	return p
}

func (p *agentProc) kill() {
	if p.cmd.ProcessState == nil {
		p.cmd.Process.Kill() // SIGKILL: no chance to save anything
		p.cmd.Wait()
	}
}

// TestAgentKilledMidFile follows two files while they grow, is killed
// with SIGKILL twice mid-file, sees one file rotated and the other
// truncated, and must deliver every record exactly once, stack traces
// joined into one event each.
func TestAgentKilledMidFile(t *testing.T) {
	a := startApp(t)
	dir := t.TempDir()
	state := filepath.Join(t.TempDir(), "state")
	appLog, workerLog := filepath.Join(dir, "app.log"), filepath.Join(dir, "worker.log")
	args := []string{"--url", a.URL(), "--key", ingestKey, "--state", state, "--idle-flush", "200ms", "--batch-kib", "2", filepath.Join(dir, "*.log")}
	ag := startAgent(t, args...)

	want := map[string]int{}
	write := func(path string, from, to int) {
		t.Helper()
		f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for i := from; i < to; i++ {
			var rec string
			if i%100 == 7 {
				rec = fmt.Sprintf("%s ERROR %s record %05d failed\njava.lang.IllegalStateException: boom %d\n\tat com.acme.Pay.charge(Pay.java:42)\n\tat com.acme.Main.main(Main.java:7)\n", time.Now().UTC().Format(time.RFC3339), filepath.Base(path), i, i)
			} else {
				rec = fmt.Sprintf(`{"level":"info","msg":"%s record %05d"}`+"\n", filepath.Base(path), i)
			}
			if _, err := f.WriteString(rec); err != nil {
				t.Fatal(err)
			}
			want[fmt.Sprintf("%s record %05d", filepath.Base(path), i)]++
			if i%50 == 0 {
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
	waitCount := func(q string, n int) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for len(allMessages(t, a.URL(), q)) < n && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
		}
	}

	write(appLog, 0, 600)
	write(workerLog, 0, 100)
	ag.kill() // mid-file: the agent is likely between batches or inside one
	write(appLog, 600, 900)
	ag = startAgent(t, args...)
	waitCount(`service:worker`, 100)
	// copytruncate: the file starts over; what follows must be read from its start.
	if err := os.Truncate(workerLog, 0); err != nil {
		t.Fatal(err)
	}
	write(workerLog, 100, 150)
	// Rotation: app.log becomes app.log.1 (no longer matched) and a new app.log begins.
	if err := os.Rename(appLog, appLog+".1"); err != nil {
		t.Fatal(err)
	}
	write(appLog, 900, 1200)
	time.Sleep(300 * time.Millisecond)
	ag.kill()
	ag = startAgent(t, args...)
	write(appLog, 1200, 1500)
	waitCount(`service:app`, 1500)
	waitCount(`service:worker`, 150)
	time.Sleep(time.Second) // anything extra (a duplicate) would arrive by now
	flush(t, a)

	got := map[string]int{}
	for _, m := range append(allMessages(t, a.URL(), `service:app`), allMessages(t, a.URL(), `service:worker`)...) {
		first, _, _ := strings.Cut(m, "\n")
		got[strings.TrimSuffix(first, " failed")]++
	}
	lost, dup := 0, 0
	for k := range want {
		switch got[k] {
		case 0:
			lost++
			if lost < 5 {
				t.Errorf("lost %q", k)
			}
		case 1:
		default:
			dup++
			if dup < 5 {
				t.Errorf("%q stored %d times", k, got[k])
			}
		}
	}
	if lost+dup > 0 || len(got) != len(want) {
		t.Fatalf("%d records written, %d distinct stored, %d lost, %d duplicated", len(want), len(got), lost, dup)
	}
	traces := search(t, a.URL(), `service:app level:error`, "now-1h", "now+1h", 100)
	if len(traces.Events) != 15 {
		t.Fatalf("%d stack-trace events, want 15", len(traces.Events))
	}
	if m := traces.Events[0].Message; !strings.Contains(m, "\n\tat com.acme.Pay.charge(Pay.java:42)") || !strings.Contains(m, "IllegalStateException") {
		t.Errorf("stack trace not joined: %q", m)
	}
}

// TestAgentJournal follows a systemd journal with journalctl (a journal
// directory written by systemd-journal-remote, since no journald runs in
// a test), and after a restart resumes from its cursor without sending an
// entry twice.
func TestAgentJournal(t *testing.T) {
	if _, err := exec.LookPath("journalctl"); err != nil {
		needPackage(t, "journalctl", "systemd")
	}
	remote := "/lib/systemd/systemd-journal-remote"
	if !fileExists(remote) {
		aptInstall(t, "systemd-journal-remote")
		if !fileExists(remote) {
			t.Skip("systemd-journal-remote is not available")
		}
	}
	a := startApp(t)
	dir := t.TempDir()
	var export strings.Builder
	now := time.Now().UnixMicro()
	for i := range 3 {
		fmt.Fprintf(&export, "__CURSOR=s=1;i=%d\n__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=8f3b6f1c2e4d4c8a9b0a1b2c3d4e5f60\nMESSAGE=payment worker step %d\nPRIORITY=%d\nSYSLOG_IDENTIFIER=payworker\n_SYSTEMD_UNIT=payworker.service\n_HOSTNAME=box-1\nTRACE_ID=4bf92f3577b34da6a3ce929d0e0e4736\n\n",
			i+1, now+int64(i), i+1, i, 3+i)
	}
	in := filepath.Join(dir, "in.export")
	if err := os.WriteFile(in, []byte(export.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	jdir := filepath.Join(dir, "journal")
	os.MkdirAll(jdir, 0o755)
	if out, err := exec.Command(remote, "--output="+filepath.Join(jdir, "remote.journal"), in).CombinedOutput(); err != nil {
		t.Fatalf("systemd-journal-remote: %v %s", err, out)
	}
	state := filepath.Join(t.TempDir(), "state")
	args := []string{"--url", a.URL(), "--key", ingestKey, "--state", state, "--idle-flush", "200ms", "--journal", "--journal-since", "all", "--journal-args", "--directory=" + jdir}
	ag := startAgent(t, args...)
	r := waitSearch(t, a.URL(), `service:payworker`, 3)
	if len(r.Events) != 3 {
		t.Fatalf("%d journal events, want 3", len(r.Events))
	}
	levels := map[string]bool{}
	for _, e := range r.Events {
		levels[e.Level] = true
		if e.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" || e.Attributes["journal.unit"] != "payworker.service" || !strings.HasPrefix(e.Message, "payment worker step") {
			t.Errorf("event = %+v", e)
		}
	}
	if !levels["error"] || !levels["warn"] || !levels["info"] {
		t.Errorf("levels from PRIORITY 3, 4, 5: %v", levels)
	}
	ag.kill()
	if b, _ := os.ReadFile(filepath.Join(state, "offsets.json")); !strings.Contains(string(b), `"journal_cursor":"s=`) {
		t.Fatalf("no journal cursor saved: %s", b)
	}
	startAgent(t, args...)
	time.Sleep(1500 * time.Millisecond)
	if n := len(search(t, a.URL(), `service:payworker`, "now-1h", "now+1h", 100).Events); n != 3 {
		t.Fatalf("after a restart: %d events, want still 3 (resumed from the cursor)", n)
	}
}

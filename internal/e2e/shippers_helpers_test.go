package e2e

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/debpkg"
)

// freeUDPPort returns a loopback UDP port free at the time of the call.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func portOf(t *testing.T, addr string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// waitSearch polls a search until it finds at least n events (syslog and
// forward have no answer to wait for), flushing the pipeline between tries.
func waitSearch(t *testing.T, base, q string, n int) searchResult {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := search(t, base, q, "now-1h", "now+1h", 1000)
		if len(r.Events) >= n || time.Now().After(deadline) {
			return r
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// needPackage installs Debian packages when cmd is missing, or skips the
// test when apt-get cannot (not root, no network).
func needPackage(t *testing.T, cmd string, pkgs ...string) string {
	t.Helper()
	return debpkg.Need(t, cmd, pkgs...)
}

func aptInstall(t *testing.T, pkgs ...string) {
	t.Helper()
	debpkg.Install(t, pkgs...)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// startDaemon runs a test's daemon until the test ends.
func startDaemon(t *testing.T, env []string, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := exec.CommandContext(ctx, name, args...)
	c.Env = append(os.Environ(), env...)
	out, err := os.Create(filepath.Join(t.TempDir(), filepath.Base(name)+".log"))
	if err != nil {
		t.Fatal(err)
	}
	c.Stdout, c.Stderr = out, out
	c.WaitDelay = 5 * time.Second
	if err := c.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		cancel()
		_ = c.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(out.Name())
			t.Logf("%s output:\n%s", name, b)
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

// Package debpkg lets tests that need a real server or client (rsyslog,
// syslog-ng, clickhouse-server, …) install it from Debian with apt-get when
// it is missing, so a fresh machine runs them instead of skipping them.
package debpkg

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Need returns the path of cmd, installing pkgs with apt-get when cmd is
// not found, and skips the test, saying why, when apt-get cannot install
// them (not root, no network).
func Need(t testing.TB, cmd string, pkgs ...string) string {
	t.Helper()
	if p := find(cmd); p != "" {
		return p
	}
	Install(t, pkgs...)
	if p := find(cmd); p != "" {
		return p
	}
	t.Skipf("%s is not installed and apt-get could not install %v", cmd, pkgs)
	return ""
}

// Install runs apt-get install for pkgs (with an apt-get update first when
// the plain install fails), logging a failure instead of failing the test.
// Test packages run in parallel, so apt-get waits for another's dpkg lock
// rather than failing on it.
func Install(t testing.TB, pkgs ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	install := func() error {
		c := exec.CommandContext(ctx, "apt-get", append([]string{"-o", "DPkg::Lock::Timeout=240", "install", "-y", "--no-install-recommends"}, pkgs...)...)
		c.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		return c.Run()
	}
	if install() != nil {
		_ = exec.CommandContext(ctx, "apt-get", "-o", "DPkg::Lock::Timeout=240", "update").Run()
		if err := install(); err != nil {
			t.Logf("apt-get install %v: %v", pkgs, err)
		}
	}
}

func find(cmd string) string {
	if p, err := exec.LookPath(cmd); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin"} {
		p := filepath.Join(dir, cmd)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

package chtest

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The current ClickHouse release the tests run the store's SQL on: chDB
// (ClickHouse as an embedded library) from the npm registry, whose
// package holds libchdb.so. Debian packages only 18.16.
const (
	chdbPackage = "@chdb/lib-linux-x64-gnu"
	// ChDBVersion is the chDB release, whose ClickHouse is the same
	// major.minor (version() answers 26.5.x).
	ChDBVersion = "26.5.3"
	// chdbIntegrity is the registry's dist.integrity of the package's
	// tarball: a fetched tarball that does not match is refused.
	chdbIntegrity = "sha512-fPrLmRt5Moor9yGz4mazbrNje4t7X9KB2mTGkXFWRxRBs2iKy8yh6jx11xsa0Qr3iDFMU/yHqd+bVdYJXu3QaQ=="
)

// StartCurrent starts a current ClickHouse release for t: chDB
// ChDBVersion behind chdbhttp, a test-only front speaking the part of
// ClickHouse's HTTP interface Lore's store uses (up to four statements at
// once, each on a chDB session of its own). The engine is ClickHouse's own
// (its parser, analyzer, functions, MergeTree, mutations, KILL QUERY), the
// HTTP server is not: what only the server does (its HTTP handling,
// sessions, compression) is checked on 18.16 (Start).
//
// The library (560 MB) is fetched with npm into the user's cache
// directory (lore/chdb-VERSION) on first use and checked against the
// registry's integrity. StartCurrent skips t, saying why, in -short mode,
// when the platform is not linux/amd64, or when npm cannot fetch the
// package. The front is built into t's temporary directory, listens on a
// free loopback port with its own data directory, and stops when t ends
// (or when the test process goes away: it exits when its standard input
// closes). Kill stops it at once; Restart is for Start's servers only.
func StartCurrent(t testing.TB) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("starts chDB, a current ClickHouse")
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("chDB's npm package %s is for linux/amd64, not %s/%s", chdbPackage, runtime.GOOS, runtime.GOARCH)
	}
	lib := chdbLibrary(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "chdbhttp")
	build := exec.Command(goTool(), "build", "-o", bin, "github.com/lore-dev/lore/internal/chtest/chdbhttp")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the chDB front: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	// One thread a query and 1 GB a query, as Start's servers.
	cmd := exec.Command(bin, "-lib", lib, "-path", data, "--", "--max_threads=1", "--max_memory_usage=1000000000")
	cmd.Dir = dir
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs, err := os.Create(filepath.Join(dir, "front.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logs
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		logs.Close()
		t.Fatalf("start the chDB front: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); logs.Close(); close(exited) }()
	kill := sync.OnceFunc(func() { _ = cmd.Process.Kill(); <-exited })
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			kill()
		}
	})
	first := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		first <- line
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var addr string
	select {
	case line := <-first:
		addr, _ = strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	case <-time.After(2 * time.Minute):
	}
	if addr == "" {
		kill()
		b, _ := os.ReadFile(filepath.Join(dir, "front.log"))
		t.Fatalf("the chDB front did not start within 2 minutes:\n%.4000s", b)
	}
	s := &Server{URL: "http://" + addr + "/", Addr: addr, HTTP: &http.Client{Timeout: 5 * time.Minute}, dir: dir, stop: kill}
	v := strings.TrimSpace(string(s.Post(t, "SELECT version()")))
	if want := ChDBVersion[:strings.LastIndex(ChDBVersion, ".")] + "."; !strings.HasPrefix(v, want) {
		t.Fatalf("chDB %s answers version() %q, want %s…", ChDBVersion, v, want)
	}
	return s
}

// goTool is the go command that runs the tests.
func goTool() string {
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// chdbLibrary is the path of libchdb.so of ChDBVersion in the cache,
// fetched first when missing (under a lock: test packages run in
// parallel).
func chdbLibrary(t testing.TB) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skipf("no cache directory for chDB: %v", err)
	}
	dir := filepath.Join(cache, "lore", "chdb-"+ChDBVersion)
	lib := filepath.Join(dir, "libchdb.so")
	if fileExists(lib) {
		return lib
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Skipf("chDB cache %s: %v", dir, err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Skipf("chDB cache lock: %v", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Skipf("chDB cache lock: %v", err)
	}
	defer func() { _ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) }()
	if fileExists(lib) {
		return lib
	}
	start := time.Now()
	if err := fetchChDB(t, dir, lib); err != nil {
		t.Skipf("chDB %s (npm %s): %v", ChDBVersion, chdbPackage, err)
	}
	t.Logf("fetched chDB %s into %s in %v", ChDBVersion, dir, time.Since(start).Round(time.Second))
	return lib
}

// fetchChDB packs the npm package into dir, checks its integrity, and
// extracts its libchdb.so to lib (through a temporary name, so that lib
// exists only whole).
func fetchChDB(t testing.TB, dir, lib string) error {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return errors.New("npm is not installed")
	}
	tmp, err := os.MkdirTemp(dir, "fetch-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	pack := exec.CommandContext(ctx, npm, "pack", "--silent", chdbPackage+"@"+ChDBVersion)
	pack.Dir = tmp
	out, err := pack.CombinedOutput()
	if err != nil {
		return fmt.Errorf("npm pack: %v\n%s", err, out)
	}
	// The tarball is the one file npm pack wrote into tmp (whatever it
	// printed besides its name).
	tgzs, _ := filepath.Glob(filepath.Join(tmp, "*.tgz"))
	if len(tgzs) != 1 {
		return fmt.Errorf("npm pack wrote %d tarballs: %s", len(tgzs), out)
	}
	tgz := tgzs[0]
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha512.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if got := "sha512-" + base64.StdEncoding.EncodeToString(h.Sum(nil)); got != chdbIntegrity {
		return fmt.Errorf("the tarball's integrity is %s, want %s", got, chdbIntegrity)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return fmt.Errorf("%s holds no package/libchdb.so", filepath.Base(tgz))
		}
		if err != nil {
			return fmt.Errorf("read %s: %v", filepath.Base(tgz), err)
		}
		if hdr.Name != "package/libchdb.so" {
			continue
		}
		part := lib + ".part"
		w, err := os.OpenFile(part, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, tr); err != nil {
			w.Close()
			return fmt.Errorf("extract libchdb.so: %v", err)
		}
		if err := w.Close(); err != nil {
			return err
		}
		return os.Rename(part, lib)
	}
}

// Package s3test runs a real S3-compatible server for tests: s3rver
// (npm), on loopback, on a free port, with its own data directory,
// stopped when the test ends. When s3rver is not installed it is
// installed with npm into a directory kept between runs; a test skips,
// saying why, only when that is impossible (no node/npm, no registry).
package s3test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Version is the s3rver release installed when none is found.
const Version = "3.7.1"

// The credentials s3rver accepts (it checks the signatures made with them).
const (
	AccessKey = "S3RVER"
	SecretKey = "S3RVER"
)

// Server is a running s3rver with one bucket.
type Server struct {
	t      testing.TB
	bin    string
	dir    string
	bucket string
	mu     sync.Mutex
	port   string
	cmd    *exec.Cmd
	done   chan struct{}
}

// Start starts s3rver with the bucket bucket, or skips t when s3rver
// cannot be had.
func Start(t testing.TB, bucket string) *Server {
	t.Helper()
	bin, err := binary(t)
	if err != nil {
		t.Skipf("no S3-compatible server for this test: %v (install node and npm, or set LORE_S3RVER to an s3rver binary)", err)
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir(), bucket: bucket, port: "0"}
	if err := s.start(); err != nil {
		t.Fatalf("start s3rver: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Endpoint is the server's URL, http://127.0.0.1:PORT.
func (s *Server) Endpoint() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "http://127.0.0.1:" + s.port
}

// Env is the environment a client needs: the endpoint and credentials.
func (s *Server) Env() map[string]string {
	return map[string]string{"AWS_ENDPOINT_URL": s.Endpoint(), "AWS_ACCESS_KEY_ID": AccessKey, "AWS_SECRET_ACCESS_KEY": SecretKey, "AWS_REGION": "us-east-1"}
}

// Getenv reads Env, for objstore.Config.Getenv.
func (s *Server) Getenv(k string) string { return s.Env()[k] }

// Dir is the server's data directory.
func (s *Server) Dir() string { return s.dir }

var listening = regexp.MustCompile(`listening on [^:\s]+:(\d+)`)

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := exec.Command(s.bin, "-d", s.dir, "-a", "127.0.0.1", "-p", s.port, "--configure-bucket", s.bucket)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", s.bin, err)
	}
	port := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		var lines []string
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				port <- m[1]
			}
			if len(lines) < 20 {
				lines = append(lines, sc.Text())
			}
		}
		cmd.Wait() //nolint:errcheck // the server is stopped by a signal
		if len(lines) > 0 && os.Getenv("S3TEST_VERBOSE") != "" {
			fmt.Fprintln(os.Stderr, strings.Join(lines, "\n"))
		}
	}()
	select {
	case p := <-port:
		s.port, s.cmd, s.done = p, cmd, done
		return nil
	case <-done:
		return fmt.Errorf("s3rver exited before listening (port %s)", s.port)
	case <-time.After(30 * time.Second):
		cmd.Process.Kill() //nolint:errcheck // gave up on it
		<-done
		return errors.New("s3rver did not listen within 30s")
	}
}

// Stop stops the server (its data stays, for Restart).
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill() //nolint:errcheck // it may have exited
	<-done
}

// Restart starts the stopped server again on the same port and data.
func (s *Server) Restart() {
	s.t.Helper()
	var err error
	for range 50 { // the port may linger a moment
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("restart s3rver: %v", err)
}

// binary finds s3rver: LORE_S3RVER, the PATH, or an npm install kept in
// the user's cache directory (installed now when missing).
func binary(t testing.TB) (string, error) {
	if p := os.Getenv("LORE_S3RVER"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("s3rver"); err == nil {
		return p, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "lore-test", "s3rver-"+Version)
	bin := filepath.Join(dir, "node_modules", ".bin", "s3rver")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", errors.New("s3rver is not installed and npm is not found")
	}
	if _, err := exec.LookPath("node"); err != nil {
		return "", errors.New("s3rver is not installed and node is not found")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// One install at a time (test packages run in parallel).
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := lockFile(lock); err != nil {
		return "", err
	}
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	t.Logf("installing s3rver %s with npm into %s", Version, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--prefix", dir, "s3rver@"+Version)
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = io.Writer(&log), io.Writer(&log)
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("npm install s3rver@%s: %w: %s", Version, err, strings.TrimSpace(log.String()))
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("npm installed s3rver@%s but %s is missing", Version, bin)
	}
	return bin, nil
}

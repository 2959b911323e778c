// Package pgtest starts a throwaway PostgreSQL server for tests: Debian's
// postgresql is installed with apt-get when missing, initdb writes a
// cluster into a temporary directory, and postgres listens on a free
// loopback port (its unix socket in that directory too) until the test or
// the caller stops it. A test that cannot have a server is skipped, saying
// why; nothing is left running.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/lore-dev/lore/internal/debpkg"
	"github.com/lore-dev/lore/internal/testport"
)

// Server is a running PostgreSQL server of a test.
type Server struct {
	dir  string // the cluster, its socket and its log
	port int
	cmd  *exec.Cmd
	done chan error
	dbs  atomic.Int64
}

// Start starts a server for t and stops it when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := Launch(t)
	t.Cleanup(s.Stop)
	return s
}

// Launch starts a server that the caller stops (for one shared by a test
// package, stopped in TestMain). It skips t when PostgreSQL cannot be
// installed and fails it when the server does not start.
func Launch(t testing.TB) *Server {
	t.Helper()
	bin := binDir(t)
	var last error
	for range 3 { // another process may take the free port first
		s, err := launch(bin)
		if err == nil {
			return s
		}
		last = err
	}
	t.Fatalf("start postgres: %v", last)
	return nil
}

// binDir finds the directory of initdb and postgres: Debian keeps them in
// /usr/lib/postgresql/VERSION/bin, off the PATH.
func binDir(t testing.TB) string {
	t.Helper()
	if dir := findBin(); dir != "" {
		return dir
	}
	debpkg.Install(t, "postgresql")
	if dir := findBin(); dir != "" {
		return dir
	}
	t.Skip("postgres is not installed and apt-get could not install postgresql")
	return ""
}

func findBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append([]string{filepath.Dir(p)}, dirs...)
	}
	for _, d := range dirs {
		if isFile(filepath.Join(d, "initdb")) && isFile(filepath.Join(d, "postgres")) {
			return d
		}
	}
	return ""
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// dirPrefix names the temporary directories of the servers.
const dirPrefix = "lore-pgtest-"

// removeStale removes what servers of killed test processes left behind:
// directories older than ten minutes whose postmaster is not running (the
// server itself died with its test process, by Pdeathsig).
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, d := range dirs {
		st, err := os.Stat(d)
		if err != nil || time.Since(st.ModTime()) < 10*time.Minute {
			continue
		}
		if pid, err := os.ReadFile(filepath.Join(d, "data", "postmaster.pid")); err == nil {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(pid), "\n", 2)[0]))
			if n > 0 && syscall.Kill(n, 0) != syscall.ESRCH {
				continue // running
			}
		}
		_ = os.RemoveAll(d)
	}
}

func launch(bin string) (*Server, error) {
	removeStale()
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(dir)
		}
	}()
	cred, err := credential(dir)
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "lore", "--auth=trust",
		"--encoding=UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb %s: %w: %s", data, err, out)
	}
	port, err := testport.Free()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	if cred != nil {
		_ = logf.Chown(int(cred.Uid), int(cred.Gid))
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "shared_buffers=16MB", "-c", "max_connections=100")
	cmd.Stdout, cmd.Stderr = logf, logf
	// The server dies with the test process even when that is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start postgres on port %d: %w", port, err)
	}
	s := &Server{dir: dir, port: port, cmd: cmd, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	if err := s.ready(ctx); err != nil {
		s.Stop()
		log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
		return nil, fmt.Errorf("postgres on port %d: %w: %s", port, err, log)
	}
	ok = true
	return s, nil
}

// credential is who runs the server: postgres refuses root, so root runs
// it as the postgres user (made by Debian's package) and gives it dir.
func credential(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("postgres refuses to run as root and there is no postgres user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// ready waits until the server takes connections.
func (s *Server) ready(ctx context.Context) error {
	db, err := sql.Open("pgx", s.url("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err = db.PingContext(pctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case e := <-s.done:
			s.done <- e
			return fmt.Errorf("exited: %v", e)
		case <-ctx.Done():
			return fmt.Errorf("not ready: %w", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *Server) url(db string) string {
	return fmt.Sprintf("postgres://lore@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// Port is the loopback port the server listens on.
func (s *Server) Port() int { return s.port }

// NewDatabase creates an empty database of its own for t and returns its
// URL (postgres://lore@127.0.0.1:PORT/NAME?sslmode=disable); it is
// dropped when t ends.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%s", s.dbs.Add(1), strings.ToLower(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, t.Name())))
	name = name[:min(len(name), 60)]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.exec(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		t.Fatalf("create database %q: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.exec(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`); err != nil {
			t.Logf("drop database %q: %v", name, err)
		}
	})
	return s.url(name)
}

func (s *Server) exec(ctx context.Context, q string) error {
	db, err := sql.Open("pgx", s.url("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, q)
	return err
}

// Stop stops the server (fast shutdown: clients are disconnected) and
// removes its directory.
func (s *Server) Stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case err := <-s.done:
			s.done <- err
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			err := <-s.done
			s.done <- err
		}
	}
	if err := os.RemoveAll(s.dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(os.Stderr, "pgtest: remove %s: %v\n", s.dir, err)
	}
}

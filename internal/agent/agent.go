// Package agent is `lore agent`: it follows log files by glob and ships
// their records to Lore, surviving rotation (a renamed file is read to its
// end, the new one from its start) and truncation (copytruncate), joining
// multi-line records (Go, Java, Python and Node stack traces) and keeping
// offsets on disk so that nothing is lost or sent twice across restarts:
// an offset moves only after Lore acknowledged the batch, and a batch in
// flight at a crash is sent again under the same idempotency key, which
// Lore stores once. Lines are read by the server as `lore ingest` reads
// them (JSON, logfmt, text). Where journalctl exists it can follow the
// systemd journal too (journal.go).
package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Config is what `lore agent` takes from its flags.
type Config struct {
	URL        string   // Lore's base URL
	Key        string   // an ingest key
	StateDir   string   // where offsets are kept
	Globs      []string // files to follow
	Service    string   // default service of every line (default: the file's name)
	BatchBytes int      // largest batch (default 1 MiB)
	Poll       time.Duration
	// IdleFlush is how long a record that may still grow (a stack trace
	// being written, a last line without its newline) waits for more.
	IdleFlush   time.Duration
	Journal     bool     // follow the systemd journal with journalctl
	JournalArgs []string // extra journalctl arguments (--unit=…, --directory=…)
	// JournalSince is where a first start reads the journal from: "" (now
	// on), "all", or a journalctl --since value; later starts resume.
	JournalSince string
	Log          *slog.Logger
	HTTPClient   *http.Client
}

// Agent follows files and ships them.
type Agent struct {
	cfg   Config
	st    *state
	sh    *shipper
	tails map[string]*tail // by file identity
}

type tail struct {
	id       string
	path     string
	f        *os.File
	lastSize int64
	lastGrow time.Time
	gone     bool // the path no longer names this file: read it to its end, then let go
}

// New loads the agent's state.
func New(cfg Config) (*Agent, error) {
	if cfg.URL == "" || cfg.Key == "" {
		return nil, errors.New("lore agent needs --url and --key (or LORE_URL and LORE_INGEST_KEY)")
	}
	if len(cfg.Globs) == 0 && !cfg.Journal {
		return nil, errors.New("nothing to follow: name file globs, or --journal")
	}
	for _, g := range cfg.Globs {
		if _, err := filepath.Match(g, ""); err != nil {
			return nil, fmt.Errorf("bad glob %q: %w", g, err)
		}
	}
	if cfg.BatchBytes <= 0 {
		cfg.BatchBytes = 1 << 20
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 250 * time.Millisecond
	}
	if cfg.IdleFlush <= 0 {
		cfg.IdleFlush = time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	st, err := loadState(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	return &Agent{cfg: cfg, st: st, tails: map[string]*tail{},
		sh: &shipper{base: strings.TrimRight(cfg.URL, "/"), key: cfg.Key, hc: cfg.HTTPClient, log: cfg.Log.Warn}}, nil
}

// Run follows until ctx ends.
func (a *Agent) Run(ctx context.Context) error {
	defer func() {
		for _, t := range a.tails {
			t.f.Close()
		}
	}()
	errc := make(chan error, 1)
	if a.cfg.Journal {
		go func() { errc <- a.followJournal(ctx) }()
	}
	tick := time.NewTicker(a.cfg.Poll)
	defer tick.Stop()
	for {
		if err := a.scan(); err != nil {
			a.cfg.Log.Warn("lore agent: scan", "err", err)
		}
		for _, t := range a.tails {
			if err := a.pump(ctx, t); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				a.cfg.Log.Warn("lore agent: ship", "file", t.path, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			if err != nil && ctx.Err() == nil {
				return err
			}
		case <-tick.C:
		}
	}
}

// scan matches the globs and opens new files; a file renamed to another
// matching path is the same file (same identity), not a new one.
func (a *Agent) scan() error {
	seen := map[string]bool{}
	for _, g := range a.cfg.Globs {
		paths, _ := filepath.Glob(g)
		for _, p := range paths {
			fi, err := os.Stat(p)
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
			id := fileID(fi, p)
			seen[id] = true
			if t, ok := a.tails[id]; ok {
				t.path, t.gone = p, false
				continue
			}
			f, err := os.Open(p)
			if err != nil {
				a.cfg.Log.Warn("lore agent: open", "file", p, "err", err)
				continue
			}
			a.tails[id] = &tail{id: id, path: p, f: f, lastGrow: time.Now()}
			if err := a.st.update(func() {
				if fs, ok := a.st.Files[id]; ok {
					fs.Path = p
				} else {
					a.st.Files[id] = &fileState{Path: p}
				}
			}); err != nil {
				return err
			}
		}
	}
	for id, t := range a.tails {
		if !seen[id] {
			t.gone = true
		}
	}
	return a.st.update(func() {
		for id := range a.st.Files {
			if _, open := a.tails[id]; !open {
				delete(a.st.Files, id) // neither here nor being drained
			}
		}
	})
}

// pump ships what a file holds past its offset, batch by batch.
func (a *Agent) pump(ctx context.Context, t *tail) error {
	a.st.mu.Lock()
	fs := *a.st.Files[t.id]
	a.st.mu.Unlock()
	if fs.Pending > fs.Offset { // a batch sent before a restart, perhaps stored
		if err := a.ship(ctx, t, fs.Offset, fs.Pending, true); err != nil {
			return err
		}
		fs.Offset, fs.Pending = fs.Pending, 0
	}
	for {
		fi, err := t.f.Stat()
		if err != nil {
			return err
		}
		size := fi.Size()
		if size != t.lastSize {
			t.lastSize, t.lastGrow = size, time.Now()
		}
		if size < fs.Offset { // truncated in place: start over
			a.cfg.Log.Info("lore agent: file truncated, reading it from the start", "file", t.path)
			fs.Offset = 0
			if err := a.st.update(func() { a.st.Files[t.id].Offset, a.st.Files[t.id].Pending = 0, 0 }); err != nil {
				return err
			}
		}
		if size == fs.Offset {
			if t.gone {
				t.f.Close()
				delete(a.tails, t.id)
				return a.st.update(func() { delete(a.st.Files, t.id) })
			}
			return nil
		}
		idle := t.gone || time.Since(t.lastGrow) >= a.cfg.IdleFlush
		end, err := a.cut(t, fs.Offset, size, idle)
		if err != nil || end == fs.Offset {
			return err
		}
		if err := a.ship(ctx, t, fs.Offset, end, false); err != nil {
			return err
		}
		fs.Offset = end
	}
}

// cut finds where the next batch from off ends: after the last record
// known complete, at most about BatchBytes on.
func (a *Agent) cut(t *tail, off, size int64, idle bool) (int64, error) {
	n := min(size-off, int64(a.cfg.BatchBytes+maxRecordBytes))
	buf := make([]byte, n)
	if _, err := t.f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return off, fmt.Errorf("read %s: %w", t.path, err)
	}
	complete := bytes.LastIndexByte(buf, '\n') + 1 // bytes of whole lines
	if complete == 0 {
		if !idle && int64(len(buf)) < int64(a.cfg.BatchBytes+maxRecordBytes) {
			return off, nil // a line still being written
		}
		return off + int64(len(buf)), nil // idle, or a line longer than a batch: ship what there is
	}
	// A record is known complete when the next one starts; the last one
	// only once the file has been idle (a stack trace may still grow).
	var j joiner
	recEnd, prevEnd, full := 0, 0, false
	for pos := 0; pos < complete; {
		nl := bytes.IndexByte(buf[pos:complete], '\n')
		if done := j.add(strings.TrimSuffix(string(buf[pos:pos+nl]), "\r")); done != nil {
			recEnd = prevEnd
		}
		pos += nl + 1
		prevEnd = pos
		if recEnd >= a.cfg.BatchBytes {
			full = true
			break
		}
	}
	if idle && !full {
		recEnd = prevEnd
		if complete < len(buf) {
			recEnd = len(buf) // a last line without its newline, after a while
		}
	}
	return off + int64(recEnd), nil
}

// ship sends [from, to) of a file as records, marking it pending first so
// a restart resends exactly it; then it moves the offset.
func (a *Agent) ship(ctx context.Context, t *tail, from, to int64, resend bool) error {
	buf := make([]byte, to-from)
	if _, err := t.f.ReadAt(buf, from); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read %s: %w", t.path, err)
	}
	var body []byte
	var j joiner
	for _, line := range strings.Split(strings.TrimSuffix(string(buf), "\n"), "\n") {
		if rec := j.add(strings.TrimSuffix(line, "\r")); rec != nil {
			body = appendRecord(body, rec)
		}
	}
	if rec := j.flush(); rec != nil {
		body = appendRecord(body, rec)
	}
	if !resend {
		if err := a.st.update(func() { a.st.Files[t.id].Pending = to }); err != nil {
			return err
		}
	}
	key := fmt.Sprintf("agent-%s-%s-%d-%d", a.st.Agent, t.id, from, to)
	if len(body) > 0 {
		if err := a.sh.send(ctx, body, a.service(t.path), key); err != nil {
			return err
		}
	}
	return a.st.update(func() {
		if fs := a.st.Files[t.id]; fs != nil {
			fs.Offset, fs.Pending = to, 0
		}
	})
}

func (a *Agent) service(path string) string {
	if a.cfg.Service != "" {
		return a.cfg.Service
	}
	return ServiceFromFile(path)
}

// ServiceFromFile is the service of a file's lines that name none: its
// name without the log extensions (checkout.log → checkout).
func ServiceFromFile(path string) string {
	b := filepath.Base(path)
	for _, ext := range []string{".gz", ".zst", ".log", ".jsonl", ".ndjson", ".json", ".txt"} {
		b = strings.TrimSuffix(b, ext)
	}
	return b
}

// fileID identifies a file across renames: device and inode.
func fileID(fi os.FileInfo, path string) string {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fmt.Sprintf("%d:%d", st.Dev, st.Ino)
	}
	return "path:" + path
}

package cli

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/internal/client"
	"github.com/lore-dev/lore/internal/ingest/native"
)

// importSink takes one chunk of lines and answers what happened to them.
type importSink interface {
	send(ctx context.Context, chunk []byte, service string) (accepted int, errs []native.LineError, err error)
	close(ctx context.Context) error
}

type remoteSink struct{ c *client.Client }

func (s remoteSink) send(ctx context.Context, chunk []byte, service string) (int, []native.LineError, error) {
	res, err := s.c.Ingest(ctx, chunk, service)
	if err != nil {
		return 0, nil, err
	}
	errs := make([]native.LineError, len(res.Errors))
	for i, e := range res.Errors {
		errs[i] = native.LineError{Line: e.Line, Error: e.Error}
	}
	// The server lists at most 1000 errors a request; count the rest by
	// reason from its summary.
	for reason, n := range res.Reasons {
		listed := 0
		for _, e := range errs {
			if strings.HasPrefix(e.Error, reason+":") || e.Error == reason {
				listed++
			}
		}
		for ; listed < n; listed++ {
			errs = append(errs, native.LineError{Line: 0, Error: reason})
		}
	}
	return res.Accepted, errs, nil
}

func (remoteSink) close(context.Context) error { return nil }

type localSink struct{ l *app.Local }

func (s localSink) send(ctx context.Context, chunk []byte, service string) (int, []native.LineError, error) {
	res := native.Decode(chunk, native.Options{ProjectID: 1, Now: time.Now().UnixMicro(), Service: service})
	if err := s.l.Submit(ctx, res.Events); err != nil {
		return 0, nil, err
	}
	return len(res.Events), res.Errors, nil
}

func (s localSink) close(ctx context.Context) error { return s.l.Close(ctx) }

func runIngest(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlags("ingest", stdio)
	var rf remoteFlags
	rf.register(fs, "LORE_INGEST_KEY")
	data := fs.String("data", "", "write straight into this data directory instead of a server (the server must be stopped)")
	service := fs.String("service", "", "service name for lines that name none (default: the file's base name)")
	chunkMiB := fs.Int("chunk-mib", 4, "MiB of lines per request")
	workers := fs.Int("workers", 2, "requests in flight")
	quiet := fs.Bool("quiet", false, "no progress output")
	fs.Usage = func() {
		fmt.Fprintln(stdio.Err, "Usage: lore ingest [flags] FILE... (- reads stdin; .gz and .zst files are decompressed)\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(reorderFlags(fs, args)); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("no files given")
	}
	var sink importSink
	if *data != "" {
		l, err := app.OpenLocal(ctx, *data, newLogger(stdio.Err, "warn"))
		if err != nil {
			return err
		}
		printKeys(stdio.Err, l.Bootstrap)
		sink = localSink{l}
	} else {
		c, err := rf.client()
		if err != nil {
			return err
		}
		sink = remoteSink{c}
	}
	var total int64
	for _, f := range fs.Args() {
		if st, err := os.Stat(f); err == nil && f != "-" {
			total += st.Size()
		}
	}
	progressOut := stdio.Err
	if *quiet {
		progressOut = io.Discard
	}
	prog := newProgress(progressOut, total)
	sum := &importSummary{reasons: map[string]int{}}
	var runErr error
	for _, f := range fs.Args() {
		svc := *service
		if svc == "" && f != "-" {
			svc = serviceFromFile(f)
		}
		if err := importFile(ctx, f, svc, sink, *chunkMiB<<20, max(*workers, 1), prog, sum); err != nil {
			runErr = err
			break
		}
	}
	prog.finish()
	if err := sink.close(ctx); err != nil && runErr == nil {
		runErr = err
	}
	sum.print(stdio.Out)
	return runErr
}

// serviceFromFile names a service after a log file: "/var/log/nginx-access.log.gz" → "nginx-access".
func serviceFromFile(path string) string {
	b := filepath.Base(path)
	for _, ext := range []string{".gz", ".zst", ".log", ".jsonl", ".ndjson", ".json", ".txt"} {
		b = strings.TrimSuffix(b, ext)
	}
	return b
}

type importSummary struct {
	mu       sync.Mutex
	accepted int
	rejected int
	reasons  map[string]int
	samples  []string
}

func (s *importSummary) add(file string, firstLine int, accepted int, errs []native.LineError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accepted += accepted
	s.rejected += len(errs)
	for _, e := range errs {
		reason, _, _ := strings.Cut(e.Error, ":")
		s.reasons[reason]++
		if len(s.samples) < 5 && e.Line > 0 {
			s.samples = append(s.samples, fmt.Sprintf("%s:%d: %s", file, firstLine+e.Line-1, e.Error))
		}
	}
}

func (s *importSummary) print(w io.Writer) {
	fmt.Fprintf(w, "imported %d events, rejected %d lines\n", s.accepted, s.rejected)
	reasons := make([]string, 0, len(s.reasons))
	for r := range s.reasons {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool { return s.reasons[reasons[i]] > s.reasons[reasons[j]] })
	for _, r := range reasons {
		fmt.Fprintf(w, "  %8d  %s\n", s.reasons[r], r)
	}
	for _, l := range s.samples {
		fmt.Fprintf(w, "  e.g. %s\n", l)
	}
}

// countingReader counts the (compressed) bytes read from a file.
type countingReader struct {
	r    io.Reader
	prog *progress
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.prog.add(int64(n), 0)
	return n, err
}

func openInput(name string, prog *progress) (io.Reader, func(), error) {
	var f *os.File
	if name == "-" {
		f = os.Stdin
	} else {
		var err error
		if f, err = os.Open(name); err != nil {
			return nil, nil, err
		}
	}
	closeFn := func() {
		if f != os.Stdin {
			f.Close()
		}
	}
	br := bufio.NewReaderSize(countingReader{f, prog}, 1<<20)
	magic, _ := br.Peek(4)
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		gz, err := gzip.NewReader(br)
		if err != nil {
			closeFn()
			return nil, nil, fmt.Errorf("read gzip file %q: %w", name, err)
		}
		return gz, closeFn, nil
	case len(magic) == 4 && bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br)
		if err != nil {
			closeFn()
			return nil, nil, fmt.Errorf("read zstd file %q: %w", name, err)
		}
		return zr, func() { zr.Close(); closeFn() }, nil
	}
	return br, closeFn, nil
}

type chunk struct {
	body      []byte
	firstLine int
	lines     int
}

// importFile cuts a file into chunks at line boundaries and sends them with
// a few workers; a chunk the server refuses for overload is retried by the
// client after Retry-After, so nothing is skipped.
func importFile(ctx context.Context, name, service string, sink importSink, chunkBytes, workers int, prog *progress, sum *importSummary) error {
	r, closeFn, err := openInput(name, prog)
	if err != nil {
		return fmt.Errorf("open %q: %w", name, err)
	}
	defer closeFn()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan chunk, workers)
	errc := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range chunks {
				acc, errs, err := sink.send(ctx, c.body, service)
				if err != nil {
					errc <- fmt.Errorf("send lines %d–%d of %q: %w", c.firstLine, c.firstLine+c.lines-1, name, err)
					cancel()
					return
				}
				sum.add(name, c.firstLine, acc, errs)
				prog.add(0, int64(c.lines))
			}
		}()
	}
	br := bufio.NewReaderSize(r, 1<<20)
	line := 1
	var buf []byte
	n := 0
	flush := func() bool {
		if len(buf) == 0 {
			return true
		}
		select {
		case chunks <- chunk{body: buf, firstLine: line - n, lines: n}:
		case <-ctx.Done():
			return false
		}
		buf, n = nil, 0
		return true
	}
	var readErr error
	for {
		l, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: keep reading it whole; the
			// decoder rejects it with its length if it is too long.
			big := append([]byte(nil), l...)
			for errors.Is(err, bufio.ErrBufferFull) {
				l, err = br.ReadSlice('\n')
				big = append(big, l...)
			}
			l = big
		}
		if len(l) > 0 {
			if buf == nil {
				buf = make([]byte, 0, chunkBytes+4096)
			}
			buf = append(buf, l...)
			if l[len(l)-1] != '\n' {
				buf = append(buf, '\n')
			}
			n++
			line++
			if len(buf) >= chunkBytes && !flush() {
				break
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			readErr = fmt.Errorf("read %q: %w", name, err)
			break
		}
	}
	flush()
	close(chunks)
	wg.Wait()
	close(errc)
	for err := range errc {
		return err
	}
	return readErr
}

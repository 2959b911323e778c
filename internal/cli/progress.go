package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// progress prints an import's progress: bytes done of total, lines/s and an
// ETA; in place on a terminal, as a line every few seconds otherwise.
type progress struct {
	w       io.Writer
	tty     bool
	total   int64 // bytes, 0 when unknown (stdin)
	bytes   atomic.Int64
	lines   atomic.Int64
	start   time.Time
	stop    chan struct{}
	done    sync.WaitGroup
	lastLen int
}

func newProgress(w io.Writer, total int64) *progress {
	p := &progress{w: w, total: total, start: time.Now(), stop: make(chan struct{})}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	every := 5 * time.Second
	if p.tty {
		every = 200 * time.Millisecond
	}
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.print(false)
			case <-p.stop:
				return
			}
		}
	}()
	return p
}

func (p *progress) add(bytes, lines int64) {
	p.bytes.Add(bytes)
	p.lines.Add(lines)
}

func (p *progress) finish() {
	close(p.stop)
	p.done.Wait()
	p.print(true)
}

func (p *progress) print(final bool) {
	el := time.Since(p.start).Seconds()
	b, l := p.bytes.Load(), p.lines.Load()
	rate := float64(l) / max(el, 0.001)
	s := fmt.Sprintf("%s", humanBytes(b))
	if p.total > 0 {
		pct := 100 * float64(b) / float64(p.total)
		s = fmt.Sprintf("%s / %s  %3.0f%%", humanBytes(b), humanBytes(p.total), pct)
	}
	s += fmt.Sprintf("  %d lines  %.0f lines/s", l, rate)
	if p.total > 0 && b > 0 && !final {
		eta := time.Duration(el*float64(p.total-b)/float64(b)) * time.Second
		s += "  ETA " + eta.Round(time.Second).String()
	}
	if final {
		s += fmt.Sprintf("  in %s", time.Since(p.start).Round(time.Millisecond))
	}
	if p.tty {
		pad := ""
		if n := p.lastLen - len(s); n > 0 {
			pad = fmt.Sprintf("%*s", n, "")
		}
		p.lastLen = len(s)
		end := ""
		if final {
			end = "\n"
		}
		fmt.Fprintf(p.w, "\r%s%s%s", s, pad, end)
		return
	}
	fmt.Fprintln(p.w, s)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

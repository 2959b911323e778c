package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/event"
)

// followJournal runs `journalctl --follow --output=json` from the cursor
// saved after the last acknowledged batch (or from now, on a first start)
// and ships its entries in batches.
func (a *Agent) followJournal(ctx context.Context) error {
	bin, err := exec.LookPath("journalctl")
	if err != nil {
		return errors.New("--journal: journalctl is not installed here")
	}
	a.st.mu.Lock()
	cursor := a.st.Journal
	a.st.mu.Unlock()
	args := []string{"--follow", "--output=json", "--no-pager", "--all"}
	switch {
	case cursor != "":
		args = append(args, "--after-cursor="+cursor)
	case a.cfg.JournalSince == "all":
	case a.cfg.JournalSince != "":
		args = append(args, "--since="+a.cfg.JournalSince)
	default:
		args = append(args, "--lines=0") // from now on
	}
	args = append(args, a.cfg.JournalArgs...)
	cmd := exec.CommandContext(ctx, bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start journalctl: %w", err)
	}
	defer cmd.Wait()
	lines := make(chan []byte, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			lines <- append([]byte(nil), sc.Bytes()...)
		}
	}()
	var (
		body  []byte
		first string
		last  string
		n     int
	)
	flush := func() error {
		if n == 0 {
			return nil
		}
		if err := a.sh.send(ctx, body, "", "agent-"+a.st.Agent+"-journal-"+first); err != nil {
			return err
		}
		c := last
		body, n = body[:0], 0
		return a.st.update(func() { a.st.Journal = c })
	}
	tick := time.NewTicker(a.cfg.IdleFlush)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if err := flush(); err != nil {
				return err
			}
		case l, ok := <-lines:
			if !ok {
				if err := flush(); err != nil {
					return err
				}
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("journalctl ended: %w", cmd.Wait())
			}
			line, cur, err := JournalLine(l)
			if err != nil {
				a.cfg.Log.Warn("lore agent: journal entry", "err", err)
				continue
			}
			if n == 0 {
				first = cur
			}
			body = append(append(body, line...), '\n')
			last = cur
			n++
			if n >= 1000 || len(body) >= a.cfg.BatchBytes {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
}

// JournalLine maps one entry of `journalctl -o json` onto an ingest line:
// MESSAGE, the time it was logged, PRIORITY as the level, the host, the
// service (SYSLOG_IDENTIFIER, else the unit without .service), the unit
// and pid as journal.* attributes, and the entry's own fields (lower-cased,
// so TRACE_ID is trace_id). It returns the entry's cursor too.
func JournalLine(raw []byte) (line []byte, cursor string, err error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, "", fmt.Errorf("cannot parse journal entry %q: %w", head(raw), err)
	}
	str := func(k string) string {
		switch v := m[k].(type) {
		case string:
			return v
		case []any: // binary fields come as byte arrays
			b := make([]byte, 0, len(v))
			for _, x := range v {
				if f, ok := x.(float64); ok {
					b = append(b, byte(f))
				}
			}
			return string(b)
		}
		return ""
	}
	cursor = str("__CURSOR")
	if cursor == "" {
		return nil, "", fmt.Errorf("journal entry without __CURSOR: %q", head(raw))
	}
	var e event.Event
	if us, err := strconv.ParseInt(str("__REALTIME_TIMESTAMP"), 10, 64); err == nil {
		e.TS = us
	}
	e.Message = str("MESSAGE")
	if p, err := strconv.Atoi(str("PRIORITY")); err == nil {
		e.Level = syslogLevel(p)
	}
	e.Host = str("_HOSTNAME")
	unit := str("_SYSTEMD_UNIT")
	e.Service = str("SYSLOG_IDENTIFIER")
	if e.Service == "" {
		e.Service = strings.TrimSuffix(unit, ".service")
	}
	add := func(k, v string) {
		if v != "" {
			e.Attributes = append(e.Attributes, event.Attr{Key: k, Value: v})
		}
	}
	add("journal.unit", unit)
	add("journal.pid", str("_PID"))
	add("journal.transport", str("_TRANSPORT"))
	for k := range m {
		if strings.HasPrefix(k, "_") || k == "MESSAGE" || k == "PRIORITY" || k == "SYSLOG_IDENTIFIER" || k == "SYSLOG_FACILITY" || k == "SYSLOG_PID" || k == "SYSLOG_TIMESTAMP" {
			continue
		}
		add(strings.ToLower(k), str(k))
	}
	return appendFlat(nil, &e), cursor, nil
}

func syslogLevel(p int) string {
	switch {
	case p <= 2:
		return event.LevelFatal
	case p == 3:
		return event.LevelError
	case p == 4:
		return event.LevelWarn
	case p <= 6:
		return event.LevelInfo
	}
	return event.LevelDebug
}

func head(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

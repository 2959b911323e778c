package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/agent"
)

func runAgent(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlags("agent", stdio)
	url := fs.String("url", env("LORE_URL", "http://localhost:4780"), "Lore's base URL (env LORE_URL)")
	key := fs.String("key", env("LORE_INGEST_KEY", ""), "ingest key (env LORE_INGEST_KEY)")
	stateDir := fs.String("state", env("LORE_AGENT_STATE", defaultAgentState()), "directory of the agent's offsets (env LORE_AGENT_STATE)")
	service := fs.String("service", "", "service of lines that name none (default: each file's name)")
	batchKiB := fs.Int("batch-kib", 1024, "largest batch sent at once, in KiB")
	idle := fs.Duration("idle-flush", time.Second, "how long a last line or a stack trace may still grow before it is sent")
	journal := fs.Bool("journal", false, "follow the systemd journal with journalctl (from now on the first time, then from where it stopped)")
	journalArgs := fs.String("journal-args", "", "extra journalctl arguments, space-separated (e.g. \"--unit=nginx --directory=/var/log/journal\")")
	journalSince := fs.String("journal-since", "", "where a first start reads the journal from: empty for now on, all, or a journalctl --since value (\"-1h\")")
	logLevel := fs.String("log-level", env("LORE_LOG_LEVEL", "info"), "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := agent.New(agent.Config{
		URL: *url, Key: *key, StateDir: *stateDir, Globs: fs.Args(), Service: *service,
		BatchBytes: *batchKiB << 10, IdleFlush: *idle, Journal: *journal, JournalArgs: strings.Fields(*journalArgs), JournalSince: *journalSince,
		Log: newLogger(stdio.Err, *logLevel),
	})
	if err != nil {
		return err
	}
	return a.Run(ctx)
}

func defaultAgentState() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "lore-agent")
	}
	return ".lore-agent"
}

package cli

import (
	"context"
	"fmt"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/web"
)

type serveFlags struct {
	data, addr, ingestKey, readKey, logLevel string
}

func (f *serveFlags) register(fs interface {
	StringVar(*string, string, string, string)
}, defaultData string) {
	fs.StringVar(&f.data, "data", env("LORE_DATA", defaultData), "data directory (env LORE_DATA)")
	fs.StringVar(&f.addr, "addr", env("LORE_ADDR", ":4780"), "listen address (env LORE_ADDR)")
	fs.StringVar(&f.ingestKey, "ingest-key", env("LORE_INGEST_KEY", ""), "use this ingest key for project 1 instead of a generated one (env LORE_INGEST_KEY)")
	fs.StringVar(&f.readKey, "read-key", env("LORE_READ_KEY", ""), "use this read key for project 1 instead of a generated one (env LORE_READ_KEY)")
	fs.StringVar(&f.logLevel, "log-level", env("LORE_LOG_LEVEL", "info"), "debug, info, warn or error")
}

func (f *serveFlags) config(stdio Stdio) app.Config {
	return app.Config{
		DataDir:   f.data,
		Addr:      f.addr,
		IngestKey: f.ingestKey,
		ReadKey:   f.readKey,
		Log:       newLogger(stdio.Err, f.logLevel),
		UI:        web.Dist(),
	}
}

func runServe(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlags("serve", stdio)
	var f serveFlags
	f.register(fs, "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if f.data == "" {
		return fmt.Errorf("no data directory: pass --data DIR (or set LORE_DATA)")
	}
	a, err := app.Open(ctx, f.config(stdio))
	if err != nil {
		return err
	}
	printKeys(stdio, a)
	return a.Serve(ctx)
}

// printKeys shows keys created on this start; they are stored only as
// hashes, so this is the one time they can be read.
func printKeys(stdio Stdio, a *app.App) {
	b := a.Bootstrap
	if b.IngestKey == "" && b.ReadKey == "" {
		return
	}
	fmt.Fprintf(stdio.Out, "Project 1 keys (shown once; only their hashes are stored):\n")
	if b.IngestKey != "" {
		fmt.Fprintf(stdio.Out, "  ingest key: %s\n", b.IngestKey)
	}
	if b.ReadKey != "" {
		fmt.Fprintf(stdio.Out, "  read key:   %s\n", b.ReadKey)
	}
}

package cli

import (
	"context"

	"github.com/lore-dev/lore/internal/bench"
)

func runBench(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlags("bench", stdio)
	var cfg bench.Config
	fs.StringVar(&cfg.Workload, "workload", "shop", "shop (the simulated shop) or freeform (free-form logs shaped unlike it)")
	fs.IntVar(&cfg.Events, "events", 1_000_000, "events in the workload")
	fs.Int64Var(&cfg.Seed, "seed", 1, "workload seed")
	fs.IntVar(&cfg.Clients, "clients", 4, "concurrent ingest clients")
	fs.IntVar(&cfg.Queries, "queries", 40, "runs of each query for the latency percentiles")
	fs.StringVar(&cfg.DataDir, "data", "", "data directory (default: a fresh temporary one, removed after)")
	fs.StringVar(&cfg.Binary, "binary", "", "lore binary to benchmark (default: this one)")
	fs.StringVar(&cfg.Store, "store", "", "the servers' events store: empty for the embedded DuckDB, or an empty ClickHouse database clickhouse://HOST:8123/DB")
	fs.IntVar(&cfg.Nodes, "nodes", 1, "lore serve processes sharing --store (more than one needs ClickHouse)")
	fs.StringVar(&cfg.ServerLog, "server-log", "", "file to append the server's whole log to (default: only its errors are shown)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, err := bench.Run(ctx, cfg, stdio.Out)
	return err
}

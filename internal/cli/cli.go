// Package cli implements the lore command's subcommands: serve, demo,
// ingest, query, story and bench. Each parses its own flags (with LORE_*
// environment variables as defaults) and calls into internal/app, the API
// client or the bench harness.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Stdio is where a command reads and writes.
type Stdio struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

type command struct {
	name, usage string
	run         func(ctx context.Context, args []string, io Stdio) error
}

func commands() []command {
	return []command{
		{"serve", "run the server: lore serve --data DIR --addr :4780", runServe},
		{"demo", "run the server with the simulated shop: lore demo [--seed N] [--days 3]", runDemo},
		{"ingest", "import log files: lore ingest [--url URL --key KEY | --data DIR] FILE... (- for stdin)", runIngest},
		{"agent", "follow log files and ship them: lore agent --url URL --key KEY [--journal] 'GLOB'...", runAgent},
		{"query", "search: lore query 'level:error service:payment-service' --from now-1h [--json]", runQuery},
		{"story", "tell a journey: lore story trace|user|session ID", runStory},
		{"bench", "benchmark the simulated workload: lore bench --events 1000000", runBench},
		{"issues", "list grouped errors: lore issues [--status unresolved] [--sort last_seen]", runIssues},
		{"funnel", "a funnel: lore funnel 'Product Viewed' 'Checkout Started' 'Order Completed' --from now-7d", runFunnel},
		{"retention", "cohort retention: lore retention 'Signed Up' 'Order Completed' --period week", runRetention},
		{"paths", "common paths: lore paths --start 'Product Viewed' | --end '$error' --depth 5", runPaths},
		{"trends", "an event over time: lore trends 'Order Completed' --measure persons --compare", runTrends},
		{"web", "web analytics: lore web --from now-24h", runWeb},
		{"stories", "what the system is telling you: lore stories --from now-24h", runStories},
		{"timeline", "what left its baseline first: lore timeline --at 2026-11-20T09:30:00Z", runTimeline},
		{"dashboards", "dashboards and saved searches as YAML: lore dashboards export|import|list", runDashboards},
		{"monitors", "alerts: lore monitors list|create|evaluate|delete", runMonitors},
		{"checks", "uptime checks: lore checks list|create|run|delete|status", runChecks},
		{"channels", "where alerts go: lore channels list|create|test|deliveries|delete", runChannels},
		{"keys", "API keys: lore keys list|create|rotate|revoke --data DIR", runKeys},
		{"projects", "projects: lore projects list|create|rename|delete --data DIR", runProjects},
		{"users", "people who sign in: lore users list|add|remove|reset --data DIR", runUsers},
		{"backup", "a consistent backup of a running server: lore backup --url URL --email ADMIN --password P --out FILE", runBackup},
		{"erase", "erase a person's events, identities and recordings (GDPR): lore erase --key ADMIN_KEY USER_ID", runErase},
		{"restore", "restore a backup into a data directory: lore restore --data DIR FILE", runRestore},
		{"sourcemaps", "source maps of a release: lore sourcemaps upload DIR --release R", runSourcemaps},
	}
}

// Main runs the lore command with args (without the program name) and
// returns the process exit code. SIGINT and SIGTERM cancel the context, so
// the server shuts down gracefully.
func Main(ctx context.Context, args []string, stdio Stdio) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(args) == 0 {
		usage(stdio.Err)
		return 2
	}
	if isHelp(args[0]) || args[0] == "help" {
		if len(args) > 1 && args[0] == "help" { // lore help COMMAND
			args = []string{args[1], "-h"}
		} else {
			usage(stdio.Out)
			return 0
		}
	}
	for _, c := range commands() {
		if c.name == args[0] {
			help := helpRequested(args[1:])
			if help {
				// Asked for: the usage goes to stdout and the exit
				// code is 0, and nothing else runs (lore ingest
				// --help reads no file named --help).
				args = []string{c.name, "-h"}
				stdio.Err = stdio.Out
			}
			err := c.run(ctx, args[1:], stdio)
			if errors.Is(err, flag.ErrHelp) {
				if help {
					return 0
				}
				return 2
			}
			if err != nil {
				fmt.Fprintf(stdio.Err, "lore %s: %v\n", c.name, err)
				return 1
			}
			return 0
		}
	}
	fmt.Fprintf(stdio.Err, "lore: unknown command %q\n\n", args[0])
	usage(stdio.Err)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Lore turns logs, errors, traces and product events into stories.\n\nUsage: lore COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-7s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, "\nRun 'lore COMMAND -h' for a command's flags.")
}

// isHelp reports whether a command-line argument asks for help.
func isHelp(a string) bool {
	return a == "-h" || a == "--h" || a == "-help" || a == "--help"
}

// helpRequested reports whether args ask for help before a "--".
func helpRequested(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if isHelp(a) {
			return true
		}
	}
	return false
}

// env returns the environment variable's value or def.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func newFlags(name string, stdio Stdio) *flag.FlagSet {
	fs := flag.NewFlagSet("lore "+name, flag.ContinueOnError)
	fs.SetOutput(stdio.Err)
	return fs
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	switch strings.ToLower(level) {
	case "debug":
		l = slog.LevelDebug
	case "warn":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/lore-dev/lore/internal/analysis/journey"
	"github.com/lore-dev/lore/internal/analysis/pipes"
	"github.com/lore-dev/lore/internal/client"
	"github.com/lore-dev/lore/internal/event"
)

type remoteFlags struct{ url, key string }

func (f *remoteFlags) register(fs interface {
	StringVar(*string, string, string, string)
}, keyEnv string) {
	fs.StringVar(&f.url, "url", env("LORE_URL", "http://localhost:4780"), "Lore server URL (env LORE_URL)")
	fs.StringVar(&f.key, "key", env(keyEnv, env("LORE_KEY", "")), "API key (env "+keyEnv+" or LORE_KEY)")
}

func (f *remoteFlags) client() (*client.Client, error) {
	if f.key == "" {
		return nil, fmt.Errorf("no API key: pass --key or set LORE_KEY")
	}
	return client.New(f.url, f.key), nil
}

const queryUsage = `Usage: lore query [flags] 'QUERY'

Examples:
  lore query 'level:error service:payment-service' --from now-1h
  lore query 'status:429 | stats p95(duration_ms) by endpoint' --since 2h
  lore query 'name:payment_gateway_retry | timechart span=1h count()' --from 2026-12-01T09:00:00Z --to 2026-12-01T11:00:00Z
  lore query --sql 'SELECT endpoint, count(*) AS n FROM events WHERE http_status = 429 GROUP BY 1' --since 2h

A search prints the matching events, newest first; with --json, JSON lines,
one event per line. A query with pipes (| stats, | timechart, | top, | where,
…) prints the answer's table; with --json, the API's answer
({"columns", "rows", "took_ms", …}). With --sql the text is one read-only
SELECT over the events view of the project in the time range (POST
/api/v1/sql), printed the same way.`

func runQuery(ctx context.Context, args []string, stdio Stdio) error {
	cmd := newReadCommand("query", queryUsage, stdio)
	cmd.timeRange("now-1h", "start of the time range (RFC 3339, or relative like now-1h)")
	fs, from, to, asJSON := cmd.fs, cmd.from, cmd.to, cmd.asJSON
	limit := fs.Int("limit", 100, "events to print (newest first); a query with pipes says its own with | limit")
	since := fs.String("since", "", "the time range is the last DURATION (1h, 30m, 7d): --from now-DURATION")
	asSQL := fs.Bool("sql", false, "QUERY is one read-only SELECT over the events view (POST /api/v1/sql)")
	if err := cmd.parse(args); err != nil {
		return err
	}
	if *since != "" {
		*from = "now-" + strings.TrimPrefix(*since, "-")
	}
	q := strings.Join(fs.Args(), " ")
	if *asSQL {
		return printTable(ctx, cmd, stdio, "/api/v1/sql", nil, map[string]string{"sql": q, "from": *from, "to": *to}, "narrow the SELECT or add LIMIT")
	}
	if p, err := pipes.Parse(q); err != nil || len(p.Pipes) > 0 {
		// A query with pipes (or one only the server can explain) is a table.
		v := cmd.rangeValues()
		v.Set("q", q)
		return printTable(ctx, cmd, stdio, "/api/v1/query", v, nil, "narrow the query or add | limit")
	}
	c, err := cmd.rf.client()
	if err != nil {
		return err
	}
	var tw *tabwriter.Writer
	if !*asJSON {
		tw = tabwriter.NewWriter(stdio.Out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "TIME (UTC)\tLEVEL\tSERVICE\tMESSAGE")
	}
	printed, cursor := 0, ""
	for printed < *limit {
		page := min(*limit-printed, 1000)
		v := url.Values{"q": {q}, "from": {*from}, "to": {*to}, "limit": {strconv.Itoa(page)}, "cursor": {cursor}}
		var res struct {
			Events     []json.RawMessage `json:"events"`
			NextCursor string            `json:"next_cursor"`
		}
		if err := c.GetJSON(ctx, "/api/v1/search", v, &res); err != nil {
			return err
		}
		for _, raw := range res.Events {
			if *asJSON {
				stdio.Out.Write(raw)
				stdio.Out.Write([]byte{'\n'})
				continue
			}
			var e event.Event
			if err := json.Unmarshal(raw, &e); err != nil {
				return fmt.Errorf("decode event: %w", err)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Time().Format("2006-01-02 15:04:05.000"), orDash(e.Level), orDash(e.Service), oneLine(e))
		}
		printed += len(res.Events)
		if res.NextCursor == "" || len(res.Events) == 0 {
			break
		}
		cursor = res.NextCursor
	}
	if tw != nil {
		tw.Flush()
		if printed == 0 {
			fmt.Fprintln(stdio.Err, "no events match")
		}
	}
	return nil
}

// printTable asks path (GET with v, or POST body) for a table and prints
// it, its columns aligned, or under --json the answer as the API sent it;
// hint says how to get fewer rows.
func printTable(ctx context.Context, cmd *readCommand, stdio Stdio, path string, v url.Values, body any, hint string) error {
	var res struct {
		Columns []struct {
			Name        string `json:"name"`
			Estimated   bool   `json:"estimated"`
			Approximate bool   `json:"approximate"`
		} `json:"columns"`
		Rows      [][]any `json:"rows"`
		Truncated bool    `json:"truncated"`
	}
	if done, err := cmd.ask(ctx, stdio, path, v, body, &res); done || err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdio.Out, 0, 0, 2, ' ', 0)
	var notes []string
	for i, c := range res.Columns {
		if i > 0 {
			fmt.Fprint(tw, "\t")
		}
		fmt.Fprint(tw, c.Name)
		switch {
		case c.Estimated:
			fmt.Fprint(tw, " (estimated)")
			notes = append(notes, c.Name+": estimated before sampling (each kept event weighs 1/lore.sample_rate)")
		case c.Approximate:
			fmt.Fprint(tw, " (approximate)")
			notes = append(notes, c.Name+": approximate, the exact answer needed more memory than the server's --store-memory")
		}
	}
	fmt.Fprintln(tw)
	for _, row := range res.Rows {
		for i, v := range row {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, cell(v))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	for _, n := range notes {
		fmt.Fprintln(stdio.Err, n)
	}
	switch {
	case len(res.Rows) == 0:
		fmt.Fprintln(stdio.Err, "no rows")
	case res.Truncated:
		fmt.Fprintf(stdio.Err, "stopped at %d rows: %s\n", len(res.Rows), hint)
	}
	return nil
}

// cell is a table value as printed: numbers rounded to six decimals,
// without exponent or trailing zeros, null as "-", text on one line.
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case float64:
		if r := math.Round(x*1e6) / 1e6; !math.IsInf(r, 0) {
			x = r
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		return strings.NewReplacer("\n", " ⏎ ", "\t", " ").Replace(x)
	case []any, map[string]any: // a list or map column of SQL
		b, _ := json.Marshal(x)
		return cell(string(b))
	}
	return fmt.Sprint(v)
}

func oneLine(e event.Event) string {
	s := e.Message
	if s == "" {
		s = e.Name
	}
	if e.Kind != event.KindLog && e.Kind != "" {
		s = "[" + e.Kind + "] " + s
	}
	if e.HTTPStatus != 0 {
		s += fmt.Sprintf(" (%d)", e.HTTPStatus)
	}
	if e.TraceID != (event.TraceID{}) {
		s += "  trace=" + e.TraceID.String()
	}
	s = strings.ReplaceAll(s, "\n", " ⏎ ")
	if len(s) > 240 {
		s = s[:240] + "…"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runStory(ctx context.Context, args []string, stdio Stdio) error {
	cmd := newReadCommand("story", "Usage: lore story [flags] trace|user|session ID", stdio)
	cmd.timeRange("", "start of the time range (default 31 days ago)")
	fs := cmd.fs
	color := fs.Bool("color", false, "colour the output")
	if err := cmd.parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return fmt.Errorf("want two arguments, trace|user|session and an id; got %d", fs.NArg())
	}
	by, id := fs.Arg(0), fs.Arg(1)
	switch by {
	case "trace", "user", "session":
	default:
		return fmt.Errorf("unknown journey kind %q: use trace, user or session", by)
	}
	var res struct {
		Events  []event.Event       `json:"events"`
		Story   []journey.StoryLine `json:"story"`
		Summary journey.Summary     `json:"summary"`
	}
	if done, err := cmd.ask(ctx, stdio, "/api/v1/journeys/"+by+"/"+url.PathEscape(id), cmd.rangeValues(), nil, &res); done || err != nil {
		return err
	}
	return journey.RenderText(stdio.Out, journey.Result{Events: res.Events, Story: res.Story, Summary: res.Summary}, *color)
}

// reorderFlags lets flags follow positional arguments ("lore query 'x'
// --from now-1h"), as users type them: known flags (and their values) move
// to the front; everything after "--" stays positional.
func reorderFlags(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if isHelp(a) {
			flags = append(flags, a)
			continue
		}
		name := strings.TrimLeft(a, "-")
		name, _, hasValue := strings.Cut(name, "=")
		f := fs.Lookup(name)
		if !strings.HasPrefix(a, "-") || f == nil {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); (ok && b.IsBoolFlag()) || hasValue {
			continue
		}
		if i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		}
	}
	return append(append(flags, "--"), pos...)
}

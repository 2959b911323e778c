package cli

import (
	"context"
	"fmt"
	"net/url"
	"os"

	"github.com/lore-dev/lore/internal/analysis/narrative"
)

// runStories prints the story cards of a time range.
func runStories(ctx context.Context, args []string, stdio Stdio) error {
	cmd := newReadCommand("stories", "Usage: lore stories [flags]\n\nExample: lore stories --from now-24h", stdio)
	cmd.timeRange("now-24h", "start of the time range (RFC 3339, or relative like now-24h)")
	minSev := cmd.fs.String("min-severity", "", "hide cards below this severity: info, warning or critical")
	if err := cmd.parse(args); err != nil {
		return err
	}
	q := cmd.rangeValues()
	q.Set("min_severity", *minSev)
	var res narrative.StoriesResult
	if done, err := cmd.ask(ctx, stdio, "/api/v1/stories", q, nil, &res); done || err != nil {
		return err
	}
	if len(res.Stories) == 0 {
		fmt.Fprintf(stdio.Err, "no stories between %s and %s\n", res.From, res.To)
	}
	color := isTerminal(stdio.Out)
	for i, s := range res.Stories {
		if i > 0 {
			fmt.Fprintln(stdio.Out)
		}
		sev := "[" + s.Severity + "]"
		if color {
			sev = severityColor(s.Severity) + sev + "\x1b[0m"
		}
		fmt.Fprintf(stdio.Out, "%s %s  (%s, %s → %s)\n", sev, s.Title, s.Type, s.From, s.To)
		for _, line := range s.Narrative {
			fmt.Fprintf(stdio.Out, "  %s\n", line)
		}
		if s.Recommendation != "" {
			fmt.Fprintf(stdio.Out, "  Recommended: %s\n", s.Recommendation)
		}
		for _, j := range s.Evidence.Journeys {
			fmt.Fprintf(stdio.Out, "  Journey: %s\n", j)
		}
	}
	for _, e := range res.Errors {
		fmt.Fprintf(stdio.Err, "detector failed: %s\n", e)
	}
	return nil
}

// runTimeline prints what left its baseline first before a moment.
func runTimeline(ctx context.Context, args []string, stdio Stdio) error {
	cmd := newReadCommand("timeline", "Usage: lore timeline [flags]\n\nExample: lore timeline --at 2026-11-20T09:30:00Z --before 30m", stdio)
	at := cmd.fs.String("at", "now", "the moment to explain (RFC 3339, or relative like now-10m)")
	before := cmd.fs.String("before", "15m", "how far back to look before --at")
	if err := cmd.parse(args); err != nil {
		return err
	}
	var res narrative.TimelineResult
	if done, err := cmd.ask(ctx, stdio, "/api/v1/incidents/timeline", url.Values{"at": {*at}, "before": {*before}}, nil, &res); done || err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "From %s to %s (step %s)\n", res.From, res.At, res.Step)
	for _, line := range res.Narrative {
		fmt.Fprintf(stdio.Out, "  %s\n", line)
	}
	for _, e := range res.Events {
		fmt.Fprintf(stdio.Out, "%s  %-20s %-11s %v  value %g (baseline %g, warning above %g)\n",
			e.At, e.Service, e.Signal, e.Crossed, e.Value, e.Baseline.Median, e.Baseline.Warn)
	}
	return nil
}

func severityColor(s string) string {
	switch s {
	case narrative.SeverityCritical:
		return "\x1b[31m"
	case narrative.SeverityWarning:
		return "\x1b[33m"
	}
	return "\x1b[2m"
}

// isTerminal reports whether w is a character device.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

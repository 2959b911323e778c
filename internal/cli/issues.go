package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/lore-dev/lore/internal/issue"
)

// runIssues is `lore issues`: list grouped errors, show one, or change its
// status.
//
//	lore issues [--status unresolved] [--sort last_seen] [--from now-14d] [QUERY]
//	lore issues show ID
//	lore issues resolve|resolve-next|unresolve|ignore ID
func runIssues(ctx context.Context, args []string, stdio Stdio) error {
	cmd := newReadCommand("issues", `Usage: lore issues [flags] [QUERY]
       lore issues show ID
       lore issues resolve|resolve-next|unresolve|ignore ID

QUERY restricts the events counted, in the search syntax (release:shop@1.2 env:prod).`, stdio)
	cmd.timeRange("now-14d", "start of the time range (RFC 3339, or relative like now-24h)")
	fs := cmd.fs
	status := fs.String("status", "unresolved", "unresolved (with regressed), resolved, resolved_in_next_release, ignored, regressed or all")
	sort := fs.String("sort", "last_seen", "last_seen, count, users or first_seen")
	limit := fs.Int("limit", 50, "issues to list")
	if err := cmd.parse(args); err != nil {
		return err
	}
	c, err := cmd.rf.client()
	if err != nil {
		return err
	}
	rest := fs.Args()
	rng := cmd.rangeValues()
	if len(rest) == 2 {
		id, err := strconv.ParseInt(rest[1], 10, 64)
		if err == nil {
			path := "/api/v1/issues/" + rest[1]
			switch rest[0] {
			case "show":
				var d json.RawMessage
				if err := c.GetJSON(ctx, path, rng, &d); err != nil {
					return err
				}
				return printIssue(stdio, d, *cmd.asJSON)
			case "resolve", "resolve-next", "unresolve", "ignore":
				st := map[string]string{"resolve": "resolved", "resolve-next": "resolved_in_next_release",
					"unresolve": "unresolved", "ignore": "ignored"}[rest[0]]
				body, _ := json.Marshal(map[string]string{"status": st})
				_, err := c.Do(ctx, http.MethodPatch, path, rng, body, http.Header{"Content-Type": {"application/json"}})
				if err != nil {
					return err
				}
				fmt.Fprintf(stdio.Out, "issue %d is now %s\n", id, st)
				return nil
			}
		}
	}
	q := strings.Join(rest, " ")
	v := cmd.rangeValues()
	v.Set("status", *status)
	v.Set("sort", *sort)
	v.Set("q", q)
	v.Set("limit", strconv.Itoa(*limit))
	var l issue.List
	if done, err := cmd.ask(ctx, stdio, "/api/v1/issues", v, nil, &l); done || err != nil {
		return err
	}
	if len(l.Issues) == 0 {
		fmt.Fprintln(stdio.Err, "no issues match")
		return nil
	}
	tw := tabwriter.NewWriter(stdio.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tEVENTS\tUSERS\tLAST SEEN (UTC)\tFIRST RELEASE\t24H\tTITLE")
	for _, is := range l.Issues {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%s\t%s\t%s\t%s\n", is.ID, is.Status, is.Count, is.Users, shortTime(is.LastSeen),
			orDash(is.FirstRelease), sparkline(is.Count24h), clipText(is.Title, 80))
	}
	return tw.Flush()
}

func printIssue(stdio Stdio, raw json.RawMessage, asJSON bool) error {
	if asJSON {
		stdio.Out.Write(raw)
		stdio.Out.Write([]byte{'\n'})
		return nil
	}
	var d issue.Detail
	if err := json.Unmarshal(raw, &d); err != nil {
		return fmt.Errorf("decode issue: %w", err)
	}
	w := stdio.Out
	fmt.Fprintf(w, "#%d %s\n", d.ID, d.Title)
	fmt.Fprintf(w, "  %s · %s · %d events · %d users\n", d.Status, orDash(d.Culprit), d.Count, d.Users)
	fmt.Fprintf(w, "  first seen %s in %s, last seen %s in %s\n", shortTime(d.FirstSeen), orDash(d.FirstRelease), shortTime(d.LastSeen), orDash(d.LastRelease))
	if d.RegressedIn != "" {
		fmt.Fprintf(w, "  regressed in %s\n", d.RegressedIn)
	}
	fmt.Fprintf(w, "  24h %s   14d %s\n", sparkline(d.Count24h), sparkline(d.Count14d))
	if e := d.LatestEvent; e != nil {
		fmt.Fprintf(w, "\nLatest event %s (%s, %s, user %s)\n", e.TS, orDash(e.Service), orDash(e.Release), orDash(e.UserID))
		if e.Stacktrace != nil {
			fr := e.Stacktrace.Frames
			for i := len(fr) - 1; i >= 0; i-- {
				mark := " "
				if fr[i].InApp {
					mark = "*"
				}
				fmt.Fprintf(w, "  %s %s in %s:%d\n", mark, fr[i].Function, orDash(firstNonEmpty(fr[i].Module, fr[i].Filename)), fr[i].Lineno)
			}
		}
		for _, b := range e.Breadcrumbs {
			fmt.Fprintf(w, "  · %s\n", string(b))
		}
	}
	for _, f := range issue.TagFields {
		if vals := d.Tags[f]; len(vals) > 0 {
			parts := make([]string, 0, len(vals))
			for _, v := range vals {
				parts = append(parts, fmt.Sprintf("%s (%d)", v.Value, v.Count))
			}
			fmt.Fprintf(w, "  %s: %s\n", f, strings.Join(parts, ", "))
		}
	}
	if d.Related.TraceID != "" {
		fmt.Fprintf(w, "\nTrace %s: %d related events from %s\n", d.Related.TraceID, d.Related.TotalEvents, strings.Join(d.Related.Services, ", "))
	}
	if d.Related.JourneyURL != "" {
		fmt.Fprintf(w, "User journey: %s\n", d.Related.JourneyURL)
	}
	return nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func shortTime(s string) string {
	if len(s) >= 19 {
		return strings.Replace(s[:19], "T", " ", 1)
	}
	return orDash(s)
}

func clipText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// sparkline draws counts as block characters.
func sparkline(v []int64) string {
	const bars = "▁▂▃▄▅▆▇█"
	var peak int64
	for _, x := range v {
		peak = max(peak, x)
	}
	if peak == 0 {
		return strings.Repeat(" ", len(v))
	}
	r := []rune(bars)
	var b strings.Builder
	for _, x := range v {
		if x == 0 {
			b.WriteRune(' ')
			continue
		}
		b.WriteRune(r[int(x*int64(len(r)-1)/peak)])
	}
	return b.String()
}

package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/lore-dev/lore/internal/analysis/product"
)

// newProductFlags is a read command over the last 7 days by default, as
// every product-analytics command is.
func newProductFlags(name, usage string, stdio Stdio) (*flag.FlagSet, *readCommand) {
	c := newReadCommand(name, usage, stdio)
	c.timeRange("now-7d", "start of the time range (RFC 3339, or relative like now-7d)")
	return c.fs, c
}

// parseStep reads "Event Name" or "Event Name|where query".
func parseStep(s string) product.StepSpec {
	name, where, _ := strings.Cut(s, "|")
	return product.StepSpec{Event: strings.TrimSpace(name), Where: strings.TrimSpace(where)}
}

func runFunnel(ctx context.Context, args []string, stdio Stdio) error {
	fs, pf := newProductFlags("funnel", "Usage: lore funnel [flags] STEP STEP...\n\nA step is an event name, optionally with a filter after '|'.\nExample: lore funnel 'Product Viewed|plan:pro' 'Checkout Started' 'Order Completed' --window 1h --from now-7d", stdio)
	window := fs.String("window", "1h", "conversion window from the first step")
	breakdown := fs.String("breakdown", "", "break down by a property of the first step's event")
	if err := fs.Parse(reorderFlags(fs, args)); err != nil {
		return err
	}
	if fs.NArg() < 2 {
		fs.Usage()
		return errors.New("a funnel needs at least 2 steps")
	}
	req := product.FunnelRequest{Window: *window, From: *pf.from, To: *pf.to, Breakdown: *breakdown}
	for _, a := range fs.Args() {
		req.Steps = append(req.Steps, parseStep(a))
	}
	var res product.FunnelResult
	if done, err := pf.ask(ctx, stdio, "/api/v1/funnels", nil, req, &res); done || err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdio.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tPERSONS\tCONVERSION\tDROPPED AFTER\tMEDIAN TIME")
	for i, st := range res.Steps {
		med := "-"
		if i > 0 {
			med = fmt.Sprintf("%.1fs", st.MedianSecondsToConvert)
		}
		fmt.Fprintf(tw, "%d. %s\t%d\t%.1f%%\t%d\t%s\n", i+1, st.Name, st.Persons, 100*st.ConversionRate, st.DroppedAfter, med)
	}
	tw.Flush()
	for _, st := range res.Steps {
		if len(st.DropoffErrors) == 0 {
			continue
		}
		fmt.Fprintf(stdio.Out, "\nWho dropped after %q (%s) hit:\n", st.Name, persons(st.DroppedAfter))
		for _, c := range st.DropoffErrors {
			extra := ""
			if c.Kind == "slow" {
				extra = fmt.Sprintf(", median %.0f ms", c.MedianMS)
			}
			fmt.Fprintf(stdio.Out, "  %-5s %s (%s) — %s, %d events%s\n", c.Kind, c.Label, orDash(c.Service), persons(c.Persons), c.Events, extra)
		}
		if len(st.SamplePersons) > 0 {
			fmt.Fprintf(stdio.Out, "  see: lore story user %s\n", st.SamplePersons[0])
		}
	}
	if len(res.Breakdown) > 0 {
		fmt.Fprintln(stdio.Out, "\nBy "+*breakdown+":")
		tw = tabwriter.NewWriter(stdio.Out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "VALUE\tPERSONS PER STEP\tCONVERSION")
		for _, b := range res.Breakdown {
			var ps []string
			for _, st := range b.Steps {
				ps = append(ps, fmt.Sprint(st.Persons))
			}
			fmt.Fprintf(tw, "%s\t%s\t%.1f%%\n", orDash(b.Value), strings.Join(ps, " → "), 100*b.Steps[len(b.Steps)-1].ConversionRate)
		}
		tw.Flush()
	}
	return nil
}

func runRetention(ctx context.Context, args []string, stdio Stdio) error {
	fs, pf := newProductFlags("retention", "Usage: lore retention [flags] START_EVENT [RETURN_EVENT]\n\nExample: lore retention 'Signed Up' 'Order Completed' --period week --periods 8 --from now-8w", stdio)
	period := fs.String("period", "day", "day or week")
	periods := fs.Int("periods", 8, "periods to follow each cohort")
	breakdown := fs.String("breakdown", "", "break cohorts down by a property of the start event")
	if err := fs.Parse(reorderFlags(fs, args)); err != nil {
		return err
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		fs.Usage()
		return errors.New("give a start event and optionally a return event")
	}
	req := product.RetentionRequest{StartEvent: fs.Arg(0), ReturnEvent: fs.Arg(1), Period: *period, Periods: *periods, From: *pf.from, To: *pf.to, Breakdown: *breakdown}
	var res product.RetentionResult
	if done, err := pf.ask(ctx, stdio, "/api/v1/retention", nil, req, &res); done || err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdio.Out, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "COHORT\t"
	if *breakdown != "" {
		head += strings.ToUpper(*breakdown) + "\t"
	}
	head += "SIZE\t"
	for k := range *periods {
		head += fmt.Sprintf("%s %d\t", *period, k)
	}
	fmt.Fprintln(tw, head)
	for _, c := range res.Cohorts {
		line := c.Start[:10] + "\t"
		if *breakdown != "" {
			line += orDash(c.Breakdown) + "\t"
		}
		line += fmt.Sprintf("%d\t", c.Size)
		for _, r := range c.Rates {
			line += fmt.Sprintf("%.0f%%\t", 100*r)
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}

func runPaths(ctx context.Context, args []string, stdio Stdio) error {
	fs, pf := newProductFlags("paths", "Usage: lore paths [flags] --start EVENT | --end EVENT\n\nExample: lore paths --end '$error' --depth 5   (top journeys that end in an error)", stdio)
	start := fs.String("start", "", "paths after this event")
	end := fs.String("end", "", "paths before this event ($error: any error)")
	depth := fs.Int("depth", 5, "events per path")
	limit := fs.Int("limit", 20, "paths to show")
	if err := fs.Parse(reorderFlags(fs, args)); err != nil {
		return err
	}
	req := product.PathsRequest{StartEvent: *start, EndEvent: *end, Depth: *depth, Limit: *limit, From: *pf.from, To: *pf.to}
	var res product.PathsResult
	if done, err := pf.ask(ctx, stdio, "/api/v1/paths", nil, req, &res); done || err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdio.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PERSONS\tPATH")
	for _, p := range res.Paths {
		fmt.Fprintf(tw, "%d\t%s\n", p.Persons, strings.Join(p.Steps, " → "))
	}
	return tw.Flush()
}

func runTrends(ctx context.Context, args []string, stdio Stdio) error {
	fs, pf := newProductFlags("trends", "Usage: lore trends [flags] EVENT\n\nExample: lore trends 'Order Completed' --measure sum --property amount --interval 1d --compare", stdio)
	measure := fs.String("measure", "count", "count, persons, sum, avg or p95")
	property := fs.String("property", "", "numeric property for sum, avg and p95")
	interval := fs.String("interval", "", "interval (default: about 60 over the range)")
	breakdown := fs.String("breakdown", "", "split by a property")
	compare := fs.Bool("compare", false, "compare with the previous period")
	if err := fs.Parse(reorderFlags(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("give one event")
	}
	st := parseStep(fs.Arg(0))
	req := product.TrendsRequest{Event: st.Event, Where: st.Where, Measure: *measure, Property: *property, Interval: *interval, Breakdown: *breakdown, Compare: *compare, From: *pf.from, To: *pf.to}
	var res product.TrendsResult
	if done, err := pf.ask(ctx, stdio, "/api/v1/trends", nil, req, &res); done || err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdio.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERIES\tTOTAL\tCHANGE\tPOINTS")
	for _, s := range res.Series {
		change := "-"
		if s.Change != nil {
			change = fmt.Sprintf("%+.1f%%", 100**s.Change)
		}
		var pts []string
		for _, p := range s.Points {
			pts = append(pts, fmt.Sprintf("%g", p.Value))
		}
		name := s.Breakdown
		if name == "" {
			name = req.Event
		}
		fmt.Fprintf(tw, "%s\t%g\t%s\t%s\n", name, s.Total, change, strings.Join(pts, " "))
	}
	return tw.Flush()
}

func runWeb(ctx context.Context, args []string, stdio Stdio) error {
	fs, pf := newProductFlags("web", "Usage: lore web [flags]\n\nExample: lore web --from now-24h", stdio)
	limit := fs.Int("limit", 10, "values per top list")
	if err := fs.Parse(reorderFlags(fs, args)); err != nil {
		return err
	}
	var res product.WebResult
	q := url.Values{"from": {*pf.from}, "to": {*pf.to}, "limit": {fmt.Sprint(*limit)}}
	if done, err := pf.ask(ctx, stdio, "/api/v1/web", q, nil, &res); done || err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "page views %d · visitors %d · sessions %d · bounce rate %.1f%% · avg session %.0fs · pages/session %.1f\n",
		res.Pageviews, res.Visitors, res.Sessions, 100*res.BounceRate, res.AvgSessionSeconds, res.PagesPerSession)
	for _, l := range []struct {
		name string
		v    []product.WebCount
	}{
		{"Top pages (views)", res.TopPages}, {"Entry pages (sessions)", res.EntryPages}, {"Exit pages (sessions)", res.ExitPages},
		{"Referrers (sessions)", res.Referrers}, {"UTM sources (sessions)", res.UTMSources}, {"UTM campaigns (sessions)", res.UTMCampaigns},
		{"Browsers (visitors)", res.Browsers}, {"Operating systems (visitors)", res.OperatingSystems}, {"Devices (visitors)", res.DeviceTypes},
	} {
		if len(l.v) == 0 {
			continue
		}
		fmt.Fprintln(stdio.Out, "\n"+l.name)
		tw := tabwriter.NewWriter(stdio.Out, 0, 0, 2, ' ', 0)
		for _, c := range l.v {
			fmt.Fprintf(tw, "  %s\t%d\n", c.Value, c.Count)
		}
		tw.Flush()
	}
	return nil
}

func persons(n int64) string {
	if n == 1 {
		return "1 person"
	}
	return fmt.Sprintf("%d persons", n)
}

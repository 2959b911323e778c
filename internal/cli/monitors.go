package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"text/tabwriter"
)

const monitorsUsage = `lore monitors list
lore monitors create --name NAME --kind query|latency|error_rate|issue [--query Q]
                     [--op '>'] --threshold N [--window 5m] [--interval 1m]
                     [--measure count|rate] [--webhook URL] [--muted]
lore monitors evaluate ID
lore monitors delete ID

Monitors evaluate a search, the p95 latency of matching spans, the error
rate, or new and regressed issues over a window, and alert when the value
crosses the threshold. Example:

  lore monitors create --name 'payment errors' --kind query \
    --query 'level:error service:payment-service' --threshold 10 --window 5m`

// monitorView is the part of a monitor the CLI prints.
type monitorView struct {
	ID        int64    `json:"id"`
	Name      string   `json:"name"`
	Kind      string   `json:"kind"`
	Query     string   `json:"query"`
	Measure   string   `json:"measure"`
	Op        string   `json:"op"`
	Threshold float64  `json:"threshold"`
	Window    string   `json:"window"`
	Muted     bool     `json:"muted"`
	State     string   `json:"state"`
	Value     *float64 `json:"value"`
	LastError string   `json:"last_error"`
}

// runMonitors lists, creates, evaluates and deletes monitors.
func runMonitors(ctx context.Context, args []string, stdio Stdio) error {
	c := newReadCommand("monitors", monitorsUsage, stdio)
	var m struct {
		Name      string  `json:"name"`
		Kind      string  `json:"kind"`
		Query     string  `json:"query"`
		Measure   string  `json:"measure,omitempty"`
		Op        string  `json:"op,omitempty"`
		Threshold float64 `json:"threshold"`
		Window    string  `json:"window,omitempty"`
		Interval  string  `json:"interval,omitempty"`
		Webhook   string  `json:"webhook,omitempty"`
		Muted     bool    `json:"muted"`
	}
	c.fs.StringVar(&m.Name, "name", "", "create: the monitor's name")
	c.fs.StringVar(&m.Kind, "kind", "query", "create: query, latency, error_rate or issue")
	c.fs.StringVar(&m.Query, "query", "", "create: the events watched, in the search syntax")
	c.fs.StringVar(&m.Measure, "measure", "", "create: query monitors: count (default) or rate (per minute)")
	c.fs.StringVar(&m.Op, "op", ">", "create: comparison with the threshold: >, >=, < or <=")
	c.fs.Float64Var(&m.Threshold, "threshold", 0, "create: alert when the value crosses this")
	c.fs.StringVar(&m.Window, "window", "5m", "create: the window measured")
	c.fs.StringVar(&m.Interval, "interval", "1m", "create: how often it is evaluated")
	c.fs.StringVar(&m.Webhook, "webhook", "", "create: URL that receives state changes as JSON")
	c.fs.BoolVar(&m.Muted, "muted", false, "create: evaluate without notifying")
	if err := c.parse(args); err != nil {
		return err
	}
	rest := c.fs.Args()
	if len(rest) == 0 {
		c.fs.Usage()
		return errors.New("monitors: say list, create, evaluate or delete")
	}
	cl, err := c.rf.client()
	if err != nil {
		return err
	}
	var (
		raw []byte
		one bool
	)
	switch rest[0] {
	case "list":
		raw, err = cl.Do(ctx, http.MethodGet, "/api/v1/monitors", nil, nil, nil)
	case "create":
		body, merr := json.Marshal(m)
		if merr != nil {
			return merr
		}
		raw, err = cl.Do(ctx, http.MethodPost, "/api/v1/monitors", nil, body, http.Header{"Content-Type": {"application/json"}})
		one = true
	case "evaluate", "delete":
		if len(rest) != 2 {
			return fmt.Errorf("monitors %s: give one monitor id", rest[0])
		}
		if _, perr := strconv.ParseInt(rest[1], 10, 64); perr != nil {
			return fmt.Errorf("monitors %s: bad id %q", rest[0], rest[1])
		}
		path := "/api/v1/monitors/" + url.PathEscape(rest[1])
		if rest[0] == "delete" {
			if _, err := cl.Do(ctx, http.MethodDelete, path, nil, nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(stdio.Out, "deleted monitor %s\n", rest[1])
			return nil
		}
		raw, err = cl.Do(ctx, http.MethodPost, path+"/evaluate", nil, nil, nil)
		one = true
	default:
		return fmt.Errorf("monitors: unknown action %q (want list, create, evaluate or delete)", rest[0])
	}
	if err != nil {
		return err
	}
	if *c.asJSON {
		_, err := stdio.Out.Write(raw)
		return err
	}
	var list []monitorView
	if one {
		var v monitorView
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("decode monitor: %w", err)
		}
		list = []monitorView{v}
	} else {
		var ans struct {
			Monitors []monitorView `json:"monitors"`
		}
		if err := json.Unmarshal(raw, &ans); err != nil {
			return fmt.Errorf("decode monitors: %w", err)
		}
		list = ans.Monitors
		if len(list) == 0 {
			fmt.Fprintln(stdio.Out, "no monitors yet: lore monitors create --name NAME --kind query --query 'level:error' --threshold 10")
			return nil
		}
	}
	return printMonitors(stdio, list)
}

func printMonitors(stdio Stdio, list []monitorView) error {
	tw := tabwriter.NewWriter(stdio.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tNAME\tKIND\tVALUE\tRULE\tQUERY")
	for _, m := range list {
		val := "-"
		if m.Value != nil {
			val = strconv.FormatFloat(*m.Value, 'g', 4, 64)
		}
		state := m.State
		if m.Muted {
			state += " (muted)"
		}
		kind := m.Kind
		if m.Measure != "" && m.Measure != "count" {
			kind += "/" + m.Measure
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s %g over %s\t%s\n", m.ID, state, m.Name, kind, val, m.Op, m.Threshold, m.Window, m.Query)
		if m.LastError != "" {
			fmt.Fprintf(tw, "\t\terror: %s\n", m.LastError)
		}
	}
	return tw.Flush()
}

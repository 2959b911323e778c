package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
)

const monitorsUsage = `lore monitors list
lore monitors create --name NAME --kind KIND [--query Q] [--op '>'] --threshold N
                     [--window 5m] [--interval 1m] [--measure M] [--group-by service|endpoint|env|host]
                     [--pending 2m] [--cooldown 30m] [--timeout 30s] [--mute WINDOW]...
                     [--channels 1,2] [--webhook URL] [--muted]
                     [--check ID] [--story-type T] [--severity S] [--signal S] [--service S]
lore monitors evaluate ID
lore monitors delete ID

Kinds: query (count or rate of a search), latency (p95 of spans), error_rate,
issue (new: new and regressed issues; events, users: per issue), check (an
uptime check down, or --measure tls_days), story (cards of a type and
severity appearing, per service), baseline (a service's error_rate, p95_ms,
retries or error_logs leaving its baseline).

A mute window is START-END [TZ] [DAYS] ('22:00-06:00 Europe/Paris fri,sat')
or FROM/TO in RFC 3339. Examples:

  lore monitors create --name 'payment errors' --kind query \
    --query 'level:error' --group-by service --threshold 10 --window 5m \
    --pending 2m --cooldown 30m --channels 1
  lore monitors create --name 'shop down' --kind check --check 1 --channels 1,2`

// monitorView is the part of a monitor the CLI prints.
type monitorView struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	Query       string   `json:"query"`
	Measure     string   `json:"measure"`
	Op          string   `json:"op"`
	Threshold   float64  `json:"threshold"`
	Window      string   `json:"window"`
	Muted       bool     `json:"muted"`
	State       string   `json:"state"`
	Value       *float64 `json:"value"`
	Approximate bool     `json:"approximate"` // Value is an estimate from sampled events
	LastError   string   `json:"last_error"`
	Series      []struct {
		Key         string   `json:"key"`
		State       string   `json:"state"`
		Value       *float64 `json:"value"`
		Approximate bool     `json:"approximate"`
	} `json:"series"`
}

// monitorValue writes a monitor's value: "-" without one, "≈3120" when
// it is an estimate.
func monitorValue(v *float64, approximate bool) string {
	switch {
	case v == nil:
		return "-"
	case approximate:
		return "≈" + strconv.FormatFloat(*v, 'g', 4, 64)
	}
	return strconv.FormatFloat(*v, 'g', 4, 64)
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
		GroupBy   string  `json:"group_by,omitempty"`
		Pending   string  `json:"pending,omitempty"`
		Cooldown  string  `json:"cooldown,omitempty"`
		Timeout   string  `json:"timeout,omitempty"`
		Channels  []int64 `json:"channels,omitempty"`
		Mute      []mute  `json:"mute,omitempty"`
		Check     int64   `json:"check,omitempty"`
		StoryType string  `json:"story_type,omitempty"`
		Severity  string  `json:"severity,omitempty"`
		Signal    string  `json:"signal,omitempty"`
		Service   string  `json:"service,omitempty"`
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
	c.fs.StringVar(&m.GroupBy, "group-by", "", "create: one series and one alert per value of service, endpoint, env or host")
	c.fs.StringVar(&m.Pending, "pending", "", "create: how long the condition holds before it alerts")
	c.fs.StringVar(&m.Cooldown, "cooldown", "", "create: least time between two alerts of a series")
	c.fs.StringVar(&m.Timeout, "timeout", "", "create: an evaluation longer than this is an error (default 30s)")
	c.fs.Int64Var(&m.Check, "check", 0, "create: kind check: the uptime check's id")
	c.fs.StringVar(&m.StoryType, "story-type", "", "create: kind story: the card type (default any)")
	c.fs.StringVar(&m.Severity, "severity", "", "create: kind story: least severity; kind baseline: warning or critical")
	c.fs.StringVar(&m.Signal, "signal", "", "create: kind baseline: error_rate, p95_ms, retries or error_logs")
	c.fs.StringVar(&m.Service, "service", "", "create: kinds story and baseline: only this service")
	c.fs.Func("channels", "create: channel ids to notify, separated by commas", func(v string) error {
		for _, f := range strings.Split(v, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
			if err != nil {
				return fmt.Errorf("bad channel id %q", f)
			}
			m.Channels = append(m.Channels, id)
		}
		return nil
	})
	c.fs.Func("mute", "create: a mute window (repeatable): START-END [TZ] [DAYS], or FROM/TO", func(v string) error {
		w, err := parseMute(v)
		m.Mute = append(m.Mute, w)
		return err
	})
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
		val := monitorValue(m.Value, m.Approximate)
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
		for _, sr := range m.Series {
			if sr.Key != "" && sr.State != "ok" && sr.State != "no_data" {
				fmt.Fprintf(tw, "\t%s\t  %s\t\t%s\t\t\n", sr.State, sr.Key, monitorValue(sr.Value, sr.Approximate))
			}
		}
	}
	return tw.Flush()
}

// mute is a mute window as the API takes it.
type mute struct {
	From  string   `json:"from,omitempty"`
	To    string   `json:"to,omitempty"`
	Days  []string `json:"days,omitempty"`
	Start string   `json:"start,omitempty"`
	End   string   `json:"end,omitempty"`
	TZ    string   `json:"tz,omitempty"`
}

// parseMute reads "22:00-06:00 Europe/Paris fri,sat" or "FROM/TO"; the
// server checks the values.
func parseMute(v string) (mute, error) {
	if from, to, ok := strings.Cut(strings.TrimSpace(v), "/"); ok && strings.Contains(from, "T") {
		return mute{From: from, To: to}, nil
	}
	fields := strings.Fields(v)
	if len(fields) == 0 {
		return mute{}, fmt.Errorf("empty mute window")
	}
	start, end, ok := strings.Cut(fields[0], "-")
	if !ok {
		return mute{}, fmt.Errorf("mute window %q: want START-END (22:00-06:00) or FROM/TO", v)
	}
	w := mute{Start: start, End: end}
	for _, f := range fields[1:] {
		if strings.Contains(f, "/") || f == "UTC" {
			w.TZ = f
		} else {
			w.Days = append(w.Days, strings.Split(f, ",")...)
		}
	}
	return w, nil
}

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

	"github.com/lore-dev/lore/internal/client"
)

const checksUsage = `lore checks list
lore checks create --name NAME --target URL [--interval 1m] [--timeout 10s]
                   [--expect-status 200] [--expect-body TEXT]
lore checks run ID
lore checks delete ID
lore checks status

Uptime checks fetch a URL on an interval (down to 5s) within a timeout,
and keep whether it answered, with the status, the latency and the days
its TLS certificate has left; every result is a kind:check event. Example:

  lore checks create --name shop --target https://shop.example.com/health \
    --interval 30s --timeout 5s --expect-status 200 --expect-body ok

(--url and --key say which Lore server, as for every command.)`

// checkView is the part of a check the CLI prints.
type checkView struct {
	ID        int64    `json:"id"`
	Name      string   `json:"name"`
	URL       string   `json:"url"`
	Interval  string   `json:"interval"`
	Status    string   `json:"status"`
	Uptime    *float64 `json:"uptime"`
	LastCheck *struct {
		StatusCode  int     `json:"status_code"`
		LatencyMS   float64 `json:"latency_ms"`
		Error       string  `json:"error"`
		TLSDaysLeft *int    `json:"tls_days_left"`
		TLSExpiring bool    `json:"tls_expiring"`
	} `json:"last_check"`
}

// runChecks lists, creates, runs and deletes uptime checks, and prints the
// project's status.
func runChecks(ctx context.Context, args []string, stdio Stdio) error {
	c := newReadCommand("checks", checksUsage, stdio)
	var ck struct {
		Name         string `json:"name"`
		URL          string `json:"url"`
		Interval     string `json:"interval,omitempty"`
		Timeout      string `json:"timeout,omitempty"`
		ExpectStatus int    `json:"expect_status,omitempty"`
		ExpectBody   string `json:"expect_body,omitempty"`
	}
	c.fs.StringVar(&ck.Name, "name", "", "create: the check's name (its events' service)")
	c.fs.StringVar(&ck.URL, "target", "", "create: the URL checked (or give it as the argument after create)")
	c.fs.StringVar(&ck.Interval, "interval", "", "create: how often (default 1m, at least 5s)")
	c.fs.StringVar(&ck.Timeout, "timeout", "", "create: how long an answer may take (default 10s, at most the interval)")
	c.fs.IntVar(&ck.ExpectStatus, "expect-status", 0, "create: the status wanted (default any 2xx or 3xx)")
	c.fs.StringVar(&ck.ExpectBody, "expect-body", "", "create: text the answer must contain")
	if err := c.parse(args); err != nil {
		return err
	}
	rest := c.fs.Args()
	if len(rest) == 0 {
		c.fs.Usage()
		return errors.New("checks: say list, create, run, delete or status")
	}
	cl, err := c.rf.client()
	if err != nil {
		return err
	}
	var raw []byte
	switch rest[0] {
	case "list":
		raw, err = cl.Do(ctx, http.MethodGet, "/api/v1/checks", nil, nil, nil)
	case "status":
		raw, err = cl.Do(ctx, http.MethodGet, "/api/v1/status", nil, nil, nil)
		if err == nil && !*c.asJSON {
			return printStatus(stdio, raw)
		}
	case "create":
		if ck.URL == "" && len(rest) == 2 {
			ck.URL = rest[1]
		}
		raw, err = postJSON(ctx, cl, "/api/v1/checks", ck)
	case "run", "delete":
		id, ierr := idArg("checks", rest)
		if ierr != nil {
			return ierr
		}
		path := "/api/v1/checks/" + id
		if rest[0] == "delete" {
			if _, err := cl.Do(ctx, http.MethodDelete, path, nil, nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(stdio.Out, "deleted check %s\n", id)
			return nil
		}
		raw, err = cl.Do(ctx, http.MethodPost, path+"/run", nil, nil, nil)
	default:
		return fmt.Errorf("checks: unknown action %q (want list, create, run, delete or status)", rest[0])
	}
	if err != nil {
		return err
	}
	if *c.asJSON {
		return writeRaw(stdio, raw)
	}
	var list []checkView
	if rest[0] == "list" {
		var ans struct {
			Checks []checkView `json:"checks"`
		}
		if err := json.Unmarshal(raw, &ans); err != nil {
			return fmt.Errorf("decode checks: %w", err)
		}
		if len(ans.Checks) == 0 {
			fmt.Fprintln(stdio.Out, "no checks yet: lore checks create --name shop --target https://shop.example.com/health")
			return nil
		}
		list = ans.Checks
	} else {
		var v checkView
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("decode check: %w", err)
		}
		list = []checkView{v}
	}
	return printChecks(stdio, list)
}

func printChecks(stdio Stdio, list []checkView) error {
	tw := tabwriter.NewWriter(stdio.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tUPTIME 24H\tLAST\tNAME\tEVERY\tURL")
	for _, c := range list {
		up := "-"
		if c.Uptime != nil {
			up = strconv.FormatFloat(100**c.Uptime, 'f', 2, 64) + "%"
		}
		last := "-"
		if l := c.LastCheck; l != nil {
			last = fmt.Sprintf("%d in %.0f ms", l.StatusCode, l.LatencyMS)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Status, up, last, c.Name, c.Interval, c.URL)
		if l := c.LastCheck; l != nil && l.Error != "" {
			fmt.Fprintf(tw, "\t\terror: %s\n", l.Error)
		}
		if l := c.LastCheck; l != nil && l.TLSExpiring {
			fmt.Fprintf(tw, "\t\tits TLS certificate expires in %d days\n", *l.TLSDaysLeft)
		}
	}
	return tw.Flush()
}

func printStatus(stdio Stdio, raw []byte) error {
	var s struct {
		Status   string      `json:"status"`
		Up       int         `json:"up"`
		Down     int         `json:"down"`
		Checks   []checkView `json:"checks"`
		Alerting []struct {
			ID     int64    `json:"id"`
			Name   string   `json:"name"`
			Since  string   `json:"since"`
			Series []string `json:"series"`
		} `json:"alerting"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("decode status: %w", err)
	}
	fmt.Fprintf(stdio.Out, "status: %s (%d up, %d down, %d monitors alerting)\n", s.Status, s.Up, s.Down, len(s.Alerting))
	for _, a := range s.Alerting {
		fmt.Fprintf(stdio.Out, "  ALERT monitor %d %q since %s %v\n", a.ID, a.Name, a.Since, a.Series)
	}
	if len(s.Checks) == 0 {
		return nil
	}
	fmt.Fprintln(stdio.Out)
	return printChecks(stdio, s.Checks)
}

// idArg reads the one numeric id after an action.
func idArg(cmd string, rest []string) (string, error) {
	if len(rest) != 2 {
		return "", fmt.Errorf("%s %s: give one id", cmd, rest[0])
	}
	if _, err := strconv.ParseInt(rest[1], 10, 64); err != nil {
		return "", fmt.Errorf("%s %s: bad id %q", cmd, rest[0], rest[1])
	}
	return url.PathEscape(rest[1]), nil
}

// postJSON posts body as JSON and answers the response body.
func postJSON(ctx context.Context, cl *client.Client, path string, body any) ([]byte, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	return cl.Do(ctx, http.MethodPost, path, nil, b, http.Header{"Content-Type": {"application/json"}})
}

// writeRaw prints an API answer as it came, ending in a newline.
func writeRaw(stdio Stdio, raw []byte) error {
	if _, err := stdio.Out.Write(raw); err != nil {
		return err
	}
	if len(raw) > 0 && raw[len(raw)-1] != '\n' {
		_, err := fmt.Fprintln(stdio.Out)
		return err
	}
	return nil
}

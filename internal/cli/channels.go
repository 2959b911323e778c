package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"text/tabwriter"
)

const channelsUsage = `lore channels list
lore channels create --name NAME --type webhook|slack|discord --target URL
lore channels create --name NAME --type email --to ops@example.com[,...]
                     --smtp-host HOST [--smtp-port 587] [--smtp-tls starttls|tls|none]
                     [--smtp-username USER] --smtp-from lore@example.com
                     (the password from LORE_SMTP_PASSWORD)
lore channels test ID
lore channels deliveries ID
lore channels delete ID

Channels are where monitors send their alerts and resolutions: a generic
JSON webhook, a Slack or Discord incoming webhook, or email over SMTP.
Monitors name them: lore monitors create ... --channels 1,2`

// channelView is the part of a channel the CLI prints.
type channelView struct {
	ID   int64    `json:"id"`
	Name string   `json:"name"`
	Type string   `json:"type"`
	URL  string   `json:"url"`
	To   []string `json:"to"`
	SMTP *struct {
		Host string `json:"host"`
		Port int    `json:"port"`
	} `json:"smtp"`
}

// runChannels lists, creates, tests and deletes notification channels.
func runChannels(ctx context.Context, args []string, stdio Stdio) error {
	c := newReadCommand("channels", channelsUsage, stdio)
	type smtp struct {
		Host     string `json:"host"`
		Port     int    `json:"port,omitempty"`
		Username string `json:"username,omitempty"`
		Password string `json:"password,omitempty"`
		From     string `json:"from"`
		TLS      string `json:"tls,omitempty"`
	}
	var (
		ch struct {
			Name string `json:"name"`
			Type string `json:"type"`
			URL  string `json:"url,omitempty"`
			To   string `json:"to,omitempty"`
			SMTP *smtp  `json:"smtp,omitempty"`
		}
		s smtp
	)
	c.fs.StringVar(&ch.Name, "name", "", "create: the channel's name")
	c.fs.StringVar(&ch.Type, "type", "webhook", "create: webhook, slack, discord or email")
	c.fs.StringVar(&ch.URL, "target", "", "create: the webhook URL (webhook, slack, discord)")
	c.fs.StringVar(&ch.To, "to", "", "create: email recipients, separated by commas")
	c.fs.StringVar(&s.Host, "smtp-host", "", "create: the mail server")
	c.fs.IntVar(&s.Port, "smtp-port", 0, "create: its port (default 587 with starttls, 465 with tls, 25 with none)")
	c.fs.StringVar(&s.TLS, "smtp-tls", "starttls", "create: starttls, tls or none")
	c.fs.StringVar(&s.Username, "smtp-username", "", "create: the SMTP user (the password from LORE_SMTP_PASSWORD)")
	c.fs.StringVar(&s.From, "smtp-from", "", "create: the sender address")
	limit := c.fs.Int("limit", 50, "deliveries: how many attempts")
	if err := c.parse(args); err != nil {
		return err
	}
	rest := c.fs.Args()
	if len(rest) == 0 {
		c.fs.Usage()
		return errors.New("channels: say list, create, test, deliveries or delete")
	}
	cl, err := c.rf.client()
	if err != nil {
		return err
	}
	var raw []byte
	switch rest[0] {
	case "list":
		raw, err = cl.Do(ctx, http.MethodGet, "/api/v1/channels", nil, nil, nil)
	case "create":
		if ch.Type == "email" {
			s.Password = env("LORE_SMTP_PASSWORD", "")
			ch.SMTP = &s
		}
		raw, err = postJSON(ctx, cl, "/api/v1/channels", ch)
	case "test", "deliveries", "delete":
		id, ierr := idArg("channels", rest)
		if ierr != nil {
			return ierr
		}
		path := "/api/v1/channels/" + id
		switch rest[0] {
		case "delete":
			if _, err := cl.Do(ctx, http.MethodDelete, path, nil, nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(stdio.Out, "deleted channel %s\n", id)
			return nil
		case "test":
			raw, err = cl.Do(ctx, http.MethodPost, path+"/test", nil, nil, nil)
			if err == nil && !*c.asJSON {
				var t struct {
					OK    bool   `json:"ok"`
					Error string `json:"error"`
				}
				if err := json.Unmarshal(raw, &t); err != nil {
					return fmt.Errorf("decode test: %w", err)
				}
				if !t.OK {
					return fmt.Errorf("channel %s did not take the test message: %s", id, t.Error)
				}
				fmt.Fprintf(stdio.Out, "channel %s took the test message\n", id)
				return nil
			}
		default:
			raw, err = cl.Do(ctx, http.MethodGet, path+"/deliveries", map[string][]string{"limit": {fmt.Sprint(*limit)}}, nil, nil)
			if err == nil && !*c.asJSON {
				return printDeliveries(stdio, raw)
			}
		}
	default:
		return fmt.Errorf("channels: unknown action %q (want list, create, test, deliveries or delete)", rest[0])
	}
	if err != nil {
		return err
	}
	if *c.asJSON {
		return writeRaw(stdio, raw)
	}
	var list []channelView
	if rest[0] == "list" {
		var ans struct {
			Channels []channelView `json:"channels"`
		}
		if err := json.Unmarshal(raw, &ans); err != nil {
			return fmt.Errorf("decode channels: %w", err)
		}
		if len(ans.Channels) == 0 {
			fmt.Fprintln(stdio.Out, "no channels yet: lore channels create --name ops --type slack --target https://hooks.slack.com/services/...")
			return nil
		}
		list = ans.Channels
	} else {
		var v channelView
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("decode channel: %w", err)
		}
		list = []channelView{v}
	}
	tw := tabwriter.NewWriter(stdio.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTYPE\tNAME\tTO")
	for _, ch := range list {
		to := ch.URL
		if ch.Type == "email" {
			to = strings.Join(ch.To, ", ")
			if ch.SMTP != nil {
				to += fmt.Sprintf(" via %s:%d", ch.SMTP.Host, ch.SMTP.Port)
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", ch.ID, ch.Type, ch.Name, to)
	}
	return tw.Flush()
}

func printDeliveries(stdio Stdio, raw []byte) error {
	var d struct {
		Attempts []struct {
			At         string  `json:"at"`
			MonitorID  int64   `json:"monitor_id"`
			Attempt    int     `json:"attempt"`
			OK         bool    `json:"ok"`
			DurationMS float64 `json:"duration_ms"`
			Error      string  `json:"error"`
			Final      string  `json:"final"`
		} `json:"attempts"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return fmt.Errorf("decode deliveries: %w", err)
	}
	tw := tabwriter.NewWriter(stdio.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tMONITOR\tATTEMPT\tRESULT\tMS\tERROR")
	for _, a := range d.Attempts {
		res := "failed"
		if a.OK {
			res = "ok"
		}
		if a.Final == "failed" {
			res = "gave up"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%.0f\t%s\n", a.At, a.MonitorID, a.Attempt, res, a.DurationMS, a.Error)
	}
	return tw.Flush()
}

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
)

const dashboardsUsage = `lore dashboards list [--searches]
lore dashboards export [ID] [--searches] [--out FILE]
lore dashboards import [--searches] FILE... (- for stdin)

Dashboards (or, with --searches, saved searches) as YAML, to keep them in
version control: export writes every one (or one by id) as YAML documents;
import creates or replaces them by name.`

// runDashboards exports, imports and lists dashboards and saved searches.
func runDashboards(ctx context.Context, args []string, stdio Stdio) error {
	c := newReadCommand("dashboards", dashboardsUsage, stdio)
	searches := c.fs.Bool("searches", false, "saved searches instead of dashboards")
	out := c.fs.String("out", "", "export: write to this file instead of stdout")
	if err := c.parse(args); err != nil {
		return err
	}
	rest := c.fs.Args()
	if len(rest) == 0 {
		c.fs.Usage()
		return errors.New("dashboards: say list, export or import")
	}
	base, key := "/api/v1/dashboards", "dashboards"
	if *searches {
		base, key = "/api/v1/searches", "searches"
	}
	cl, err := c.rf.client()
	if err != nil {
		return err
	}
	switch rest[0] {
	case "list":
		raw, err := cl.Do(ctx, http.MethodGet, base, nil, nil, nil)
		if err != nil {
			return err
		}
		if *c.asJSON {
			_, err := stdio.Out.Write(raw)
			return err
		}
		var ans map[string][]struct {
			ID     int64             `json:"id"`
			Name   string            `json:"name"`
			Query  string            `json:"query"`
			Panels []json.RawMessage `json:"panels"`
		}
		if err := json.Unmarshal(raw, &ans); err != nil {
			return fmt.Errorf("decode %s answer: %w", base, err)
		}
		for _, d := range ans[key] {
			if *searches {
				fmt.Fprintf(stdio.Out, "%4d  %s  %s\n", d.ID, d.Name, d.Query)
			} else {
				fmt.Fprintf(stdio.Out, "%4d  %s  (%d panels)\n", d.ID, d.Name, len(d.Panels))
			}
		}
		if len(ans[key]) == 0 {
			fmt.Fprintf(stdio.Out, "no %s yet\n", key)
		}
		return nil
	case "export":
		path := base
		if len(rest) > 1 {
			path += "/" + url.PathEscape(rest[1])
		}
		raw, err := cl.Do(ctx, http.MethodGet, path, url.Values{"format": {"yaml"}}, nil, nil)
		if err != nil {
			return err
		}
		if *out != "" {
			if err := os.WriteFile(*out, raw, 0o644); err != nil {
				return fmt.Errorf("write %q: %w", *out, err)
			}
			fmt.Fprintf(stdio.Err, "wrote %s\n", *out)
			return nil
		}
		_, err = stdio.Out.Write(raw)
		return err
	case "import":
		if len(rest) < 2 {
			return errors.New("dashboards import: name the YAML files (- for stdin)")
		}
		for _, f := range rest[1:] {
			var body []byte
			var err error
			if f == "-" {
				body, err = io.ReadAll(stdio.In)
			} else {
				body, err = os.ReadFile(f)
			}
			if err != nil {
				return fmt.Errorf("read %q: %w", f, err)
			}
			raw, err := cl.Do(ctx, http.MethodPost, base+"/import", nil, body, http.Header{"Content-Type": {"application/yaml"}})
			if err != nil {
				return fmt.Errorf("import %q: %w", f, err)
			}
			var ans map[string]json.RawMessage
			if err := json.Unmarshal(raw, &ans); err != nil {
				return fmt.Errorf("decode import answer: %w", err)
			}
			fmt.Fprintf(stdio.Out, "%s: imported %s %s\n", f, bytes.TrimSpace(ans["imported"]), key)
		}
		return nil
	}
	return fmt.Errorf("dashboards: unknown action %q (want list, export or import)", rest[0])
}

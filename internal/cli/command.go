package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// readCommand is what every command that reads the API shares: where the
// server is and the key (remoteFlags), an optional time range, --json, the
// usage text, parsing (flags may follow the arguments), and ask, which
// fetches an answer and, under --json, prints it as the API sent it.
type readCommand struct {
	fs       *flag.FlagSet
	rf       remoteFlags
	from, to *string
	asJSON   *bool
}

// newReadCommand registers the shared flags; usage is printed above them.
func newReadCommand(name, usage string, stdio Stdio) *readCommand {
	fs := newFlags(name, stdio)
	c := &readCommand{fs: fs}
	c.rf.register(fs, "LORE_READ_KEY")
	c.asJSON = fs.Bool("json", false, "print the API's JSON answer")
	fs.Usage = func() {
		fmt.Fprintln(stdio.Err, usage+"\n\nFlags:")
		fs.PrintDefaults()
	}
	return c
}

// timeRange adds --from (with this default) and --to.
func (c *readCommand) timeRange(defaultFrom, fromHelp string) {
	c.from = c.fs.String("from", defaultFrom, fromHelp)
	c.to = c.fs.String("to", "", "end of the time range (default now)")
}

// rangeValues are the time range's query parameters.
func (c *readCommand) rangeValues() url.Values {
	return url.Values{"from": {*c.from}, "to": {*c.to}}
}

func (c *readCommand) parse(args []string) error { return c.fs.Parse(reorderFlags(c.fs, args)) }

// ask sends a GET (body nil) or a JSON POST and decodes the answer into out;
// with --json it prints the answer instead and returns done = true.
func (c *readCommand) ask(ctx context.Context, stdio Stdio, path string, q url.Values, body, out any) (done bool, err error) {
	cl, err := c.rf.client()
	if err != nil {
		return false, err
	}
	var raw []byte
	if body == nil {
		raw, err = cl.Do(ctx, http.MethodGet, path, q, nil, nil)
	} else {
		b, merr := json.Marshal(body)
		if merr != nil {
			return false, merr
		}
		raw, err = cl.Do(ctx, http.MethodPost, path, nil, b, http.Header{"Content-Type": {"application/json"}})
	}
	if err != nil {
		return false, err
	}
	if *c.asJSON {
		stdio.Out.Write(raw)
		if len(raw) > 0 && raw[len(raw)-1] != '\n' {
			io.WriteString(stdio.Out, "\n")
		}
		return true, nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return false, fmt.Errorf("decode %s answer: %w", path, err)
	}
	return false, nil
}

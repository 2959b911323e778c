package app

import (
	"context"
	"fmt"
	"time"

	"github.com/lore-dev/lore/internal/check"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/notify"
	"github.com/lore-dev/lore/internal/server"
	"github.com/lore-dev/lore/internal/store"
)

// checks serves the checks and status APIs: rules and latest results from
// the metadata store, uptime from the kind:check events, runs on demand
// from the runner.
type checks struct {
	meta   *meta.Store
	runner *check.Runner
	events store.Reader
}

var _ server.ChecksService = (*checks)(nil)

func (c *checks) withUptime(ctx context.Context, project int64, cs []meta.Check) (map[string]check.Uptime, error) {
	names := make([]string, len(cs))
	for i, x := range cs {
		names[i] = x.Name
	}
	u, err := check.UptimeOf(ctx, c.events, project, names, time.Now())
	if err != nil {
		return nil, err
	}
	for i := range cs {
		cs[i].Uptime = u[cs[i].Name].Ratio
	}
	return u, nil
}

func (c *checks) Checks(ctx context.Context, project int64) ([]meta.Check, error) {
	cs, err := c.meta.Checks(ctx, project)
	if err != nil {
		return nil, err
	}
	_, err = c.withUptime(ctx, project, cs)
	return cs, err
}

func (c *checks) Check(ctx context.Context, project, id int64) (meta.Check, error) {
	x, err := c.meta.Check(ctx, project, id)
	if err != nil {
		return x, err
	}
	one := []meta.Check{x}
	_, err = c.withUptime(ctx, project, one)
	return one[0], err
}

func (c *checks) SaveCheck(ctx context.Context, project int64, x meta.Check) (meta.Check, error) {
	return c.meta.SaveCheck(ctx, project, x)
}

func (c *checks) DeleteCheck(ctx context.Context, project, id int64) error {
	return c.meta.DeleteCheck(ctx, project, id)
}

// RunCheck runs a check now and answers it with its new result.
func (c *checks) RunCheck(ctx context.Context, project, id int64) (meta.Check, error) {
	x, err := c.meta.Check(ctx, project, id)
	if err != nil {
		return x, err
	}
	if _, err := c.runner.RunOnce(ctx, x); err != nil {
		return meta.Check{}, err
	}
	return c.Check(ctx, project, id)
}

func (c *checks) Status(ctx context.Context, project int64) (check.Summary, error) {
	cs, err := c.meta.Checks(ctx, project)
	if err != nil {
		return check.Summary{}, err
	}
	u, err := c.withUptime(ctx, project, cs)
	if err != nil {
		return check.Summary{}, err
	}
	ms, err := c.meta.Monitors(ctx, project)
	if err != nil {
		return check.Summary{}, err
	}
	return check.Summarize(project, cs, u, ms, time.Now()), nil
}

// channels serves the channels API: the channels and the delivery log
// from the metadata store, test messages sent at once by the sender.
type channels struct {
	*meta.Store
	sender    *notify.Sender
	publicURL func() string
}

var _ server.ChannelsService = channels{}

// testTimeout bounds a test message.
const testTimeout = 15 * time.Second

// TestChannel sends a test notification to a channel now, once.
func (c channels) TestChannel(ctx context.Context, project, id int64) error {
	ch, err := c.Channel(ctx, project, id)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, testTimeout)
	defer cancel()
	base := c.publicURL()
	m := &notify.Message{
		Monitor: notify.MonitorRef{Name: "test from Lore", Kind: "test"},
		Status:  notify.Firing, To: meta.StateAlert, From: meta.StateOK, Test: true, Threshold: 0,
		At:        time.Now().UTC().Format(time.RFC3339Nano),
		DedupeKey: fmt.Sprintf("lore/%d/test/%d", project, id),
		Text:      fmt.Sprintf("[Lore] test notification to channel %q: if you read this, monitors can reach you here.", ch.Name),
	}
	if base != "" {
		m.URL = base + "/#/settings"
	}
	return c.sender.Send(ctx, ch, m)
}

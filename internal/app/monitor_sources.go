package app

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/lore-dev/lore/internal/analysis/narrative"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/issue"
	"github.com/lore-dev/lore/internal/monitor"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/server"
	"github.com/lore-dev/lore/internal/store"
)

// The monitors read the issues and the narrative engine through the
// small interfaces of internal/monitor; these adapters are the only place
// that knows the features' own types, so a change in them stops here.

// issueService is what monitors use of the issues feature.
type issueService interface {
	List(ctx context.Context, r issue.ListRequest) (issue.List, error)
	Get(ctx context.Context, r issue.DetailRequest) (issue.Detail, error)
}

var _ issueService = (*issue.Service)(nil)

type issueSource struct{ s issueService }

var _ monitor.IssueReader = issueSource{}

func (s issueSource) TopIssues(ctx context.Context, project int64, rng store.Range, q *query.Query, by string, limit int) ([]monitor.IssueCount, error) {
	sort := "count"
	if by == "users" {
		sort = "users"
	}
	l, err := s.s.List(ctx, issue.ListRequest{ProjectID: project, Range: rng, Status: "unresolved", Query: q, Sort: sort, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]monitor.IssueCount, len(l.Issues))
	for i, is := range l.Issues {
		out[i] = monitor.IssueCount{ID: is.ID, Title: is.Title, Culprit: is.Culprit, Fingerprint: is.Fingerprint, Count: is.Count, Users: is.Users}
	}
	return out, nil
}

// maxStackFrames is how much of a stack a notification quotes.
const maxStackFrames = 5

func (s issueSource) IssueStack(ctx context.Context, project, id int64, rng store.Range) ([]string, error) {
	d, err := s.s.Get(ctx, issue.DetailRequest{ProjectID: project, ID: id, Range: rng})
	if err != nil || d.LatestEvent == nil || d.LatestEvent.Stacktrace == nil {
		return nil, err
	}
	frames := d.LatestEvent.Stacktrace.Frames // oldest first
	var in, all []string
	for i := len(frames) - 1; i >= 0; i-- {
		f := frames[i]
		name := f.Function
		if name == "" {
			name = "?"
		}
		where := f.Filename
		if where == "" {
			where = f.AbsPath
		}
		s := name
		if where != "" {
			s = fmt.Sprintf("%s (%s:%d)", name, where, f.Lineno)
		}
		all = append(all, s)
		if f.InApp {
			in = append(in, s)
		}
	}
	if len(in) == 0 {
		in = all
	}
	return in[:min(len(in), maxStackFrames)], nil
}

type storySource struct{ n server.NarrativeService }

var _ monitor.StoryReader = storySource{}

func (s storySource) Stories(ctx context.Context, project int64, rng store.Range) ([]monitor.Story, error) {
	res, err := s.n.Stories(ctx, narrative.Stories{ProjectID: project, Range: rng})
	if err != nil {
		return nil, err
	}
	out := make([]monitor.Story, 0, len(res.Stories))
	for _, c := range res.Stories {
		st := monitor.Story{Type: c.Type, Title: c.Title, Severity: c.Severity, Service: cardService(c), Narrative: c.Narrative, TraceIDs: c.Evidence.TraceIDs}
		keys := make([]string, 0, len(c.Evidence.Queries))
		for k := range c.Evidence.Queries {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if len(keys) > 0 {
			st.Query = c.Evidence.Queries[keys[0]]
		}
		out = append(out, st)
	}
	return out, nil
}

// cardService is the service a card is about: its facts name it as
// service, caller (throttling, retries), root (a cascade) or the first of
// services (hidden coupling).
func cardService(c narrative.Card) string {
	for _, k := range []string{"service", "caller", "root"} {
		if s, ok := c.Facts[k].(string); ok && s != "" {
			return s
		}
	}
	switch ss := c.Facts["services"].(type) {
	case []string:
		if len(ss) > 0 {
			return ss[0]
		}
	case []any: // an answer another node computed, read back from JSON
		if len(ss) > 0 {
			s, _ := ss[0].(string)
			return s
		}
	}
	return ""
}

type baselineSource struct{ n server.NarrativeService }

var _ monitor.BaselineReader = baselineSource{}

// baselineSignals are the timeline's signals that have a baseline (its
// new_error and new_pattern events have none).
var baselineSignals = map[string]bool{"error_rate": true, "p95_ms": true, "retries": true, "error_logs": true}

func (b baselineSource) Departures(ctx context.Context, project int64, at time.Time, window time.Duration) ([]monitor.Departure, error) {
	res, err := b.n.Timeline(ctx, narrative.Timeline{ProjectID: project, At: at.UnixMicro(), Before: window.Microseconds()})
	if err != nil {
		return nil, err
	}
	var out []monitor.Departure
	for _, a := range res.Events {
		if !baselineSignals[a.Signal] {
			continue
		}
		t, _ := event.ParseMicros(a.At)
		out = append(out, monitor.Departure{Service: a.Service, Signal: a.Signal, At: time.UnixMicro(t), Value: a.Value, Peak: a.Peak,
			Median: a.Baseline.Median, Warning: a.Baseline.Warn, Critical: a.Baseline.Crit, Text: a.Text})
	}
	return out, nil
}

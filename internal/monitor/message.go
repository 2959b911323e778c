package monitor

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/notify"
	"github.com/lore-dev/lore/internal/store"
)

// message is the notification of f: what fired, the value against the
// threshold, and (gathered only for a firing) the evidence.
func (e *Evaluator) message(ctx context.Context, m meta.Monitor, f Fire, now time.Time) *notify.Message {
	n := &notify.Message{
		Monitor: notify.MonitorRef{ID: m.ID, Name: m.Name, Kind: m.Kind, Query: m.Query, Op: m.Op, Window: m.Window, Measure: m.Measure},
		From:    f.From, To: f.To, Value: f.Value, Threshold: f.Threshold, Approximate: f.Approximate, Sampled: f.Sampled,
		At: now.UTC().Format(time.RFC3339Nano), Status: f.Status, Series: f.Series, GroupBy: groupName(m),
		DedupeKey: fmt.Sprintf("lore/%d/%d/%s", m.ProjectID, m.ID, f.Series),
	}
	if base := e.cfg.PublicURL(); base != "" {
		n.URL = base + "/#/monitors/" + fmt.Sprint(m.ID)
	}
	verb := "is ALERTING"
	if f.Status == notify.Resolved {
		verb = "recovered (" + f.To + ")"
	}
	group := ""
	if f.Series != "" {
		group = " for " + n.GroupBy + "=" + f.Series
	}
	n.Text = fmt.Sprintf("[Lore] monitor %q %s%s: %s over %s (%s)", m.Name, verb, group, describe(m), m.Window, n.ValueLine())
	if m.Kind == meta.MonitorCheck && e.cfg.Sources.Checks != nil {
		if c, err := e.cfg.Sources.Checks.Check(ctx, m.ProjectID, m.Check); err == nil {
			n.Text = checkText(m, c, verb, f)
		}
	}
	ectx, cancel := context.WithTimeout(ctx, e.cfg.EvidenceTimeout)
	defer cancel()
	n.Evidence = e.evidence(ectx, m, f, now)
	return n
}

// groupName is what a grouped monitor's series are values of.
func groupName(m meta.Monitor) string {
	switch {
	case m.GroupBy != "":
		return m.GroupBy
	case m.Kind == meta.MonitorStory || m.Kind == meta.MonitorBaseline:
		return "service"
	case m.Kind == meta.MonitorAggregate:
		return aggregateGroups(m)
	case Grouped(&m):
		return "issue"
	}
	return ""
}

// describe says what m measures, as in its first webhooks ("query count
// of level:error").
func describe(m meta.Monitor) string {
	q := m.Query
	if q == "" {
		q = "*"
	}
	switch m.Kind {
	case meta.MonitorQuery:
		return "query " + m.Measure + " of " + q
	case meta.MonitorIssue:
		if m.Measure == "new" {
			return "issue of " + q
		}
		return "issue " + m.Measure + " of " + q
	case meta.MonitorCheck:
		if m.Measure == "tls_days" {
			return fmt.Sprintf("check %d certificate days left", m.Check)
		}
		return fmt.Sprintf("check %d down", m.Check)
	case meta.MonitorStory:
		t := m.StoryType
		if t == "" {
			t = "any"
		}
		return fmt.Sprintf("story cards of type %s, %s or worse", t, m.Severity)
	case meta.MonitorBaseline:
		return m.Signal + " leaving its baseline (" + m.Severity + ")"
	case meta.MonitorAggregate:
		return m.Measure + " of " + q
	}
	return m.Kind + " of " + q
}

// evidenceQuery is the search whose events the value of series key counts.
func evidenceQuery(m meta.Monitor, key string) string {
	if m.Kind == meta.MonitorAggregate {
		return aggregateEvidence(m, key)
	}
	parts := []string{}
	add := func(s string) {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if m.Query != "" {
		if strings.Contains(m.Query, " OR ") || strings.Contains(m.Query, " or ") {
			add("(" + m.Query + ")")
		} else {
			add(m.Query)
		}
	}
	if g := groupName(m); key != "" && (g == "service" || m.GroupBy != "") {
		add(fieldIs(g, key))
	}
	switch m.Kind {
	case meta.MonitorErrorRate:
		add(errorFilter)
	case meta.MonitorLatency:
		add("kind:span")
	case meta.MonitorIssue:
		add("kind:error")
	case meta.MonitorBaseline:
		add(map[string]string{"error_rate": errorFilter, "p95_ms": "", "retries": "retry_attempt:>=1", "error_logs": "(kind:log OR kind:error) (level:error OR level:fatal)"}[m.Signal])
	}
	return strings.Join(parts, " ")
}

// evidence gathers what a notification links to; what cannot be read in
// time is left out.
func (e *Evaluator) evidence(ctx context.Context, m meta.Monitor, f Fire, now time.Time) *notify.Evidence {
	window := m.WindowDuration()
	rng := store.Range{From: now.Add(-window).UnixMicro(), To: now.UnixMicro()}
	ev := &notify.Evidence{}
	src := e.cfg.Sources
	q := evidenceQuery(m, f.Series)
	var story *Story
	switch m.Kind {
	case meta.MonitorCheck:
		c, err := src.Checks.Check(ctx, m.ProjectID, m.Check)
		if err != nil {
			return nil
		}
		q = "kind:check " + fieldIs("service", c.Name)
		ce := &notify.CheckEvidence{ID: c.ID, Name: c.Name, URL: c.URL}
		if lc := c.LastCheck; lc != nil {
			ce.StatusCode, ce.LatencyMS, ce.Error, ce.TLSDays = lc.StatusCode, lc.LatencyMS, lc.Error, lc.TLSDaysLeft
		}
		ev.Check = ce
	case meta.MonitorStory:
		if cards, err := matchingStories(ctx, src.Stories, m, rng); err == nil {
			for i := range cards {
				if cards[i].Service == f.Series {
					story = &cards[i]
					break
				}
			}
		}
		q = ""
		if story != nil {
			q = story.Query
		}
	}
	if q != "" || m.Kind == meta.MonitorQuery {
		ev.Explore = &notify.Link{Title: "Events in Explore", URL: e.link("explore", url.Values{"q": {q}, "from": {isoTime(rng.From)}, "to": {isoTime(rng.To)}}), Query: q}
	}
	if f.Status == notify.Resolved {
		return ev
	}
	if src.Stories != nil && story == nil && (groupName(m) == "service" && f.Series != "") {
		if all, err := src.Stories.Stories(ctx, m.ProjectID, rng); err == nil {
			for i := range all {
				if all[i].Service == f.Series {
					story = &all[i]
					break
				}
			}
		}
	}
	if story != nil {
		ev.Story = &notify.StoryEvidence{Type: story.Type, Title: story.Title, Severity: story.Severity, Narrative: story.Narrative,
			URL: e.link("overview", url.Values{"from": {isoTime(rng.From)}, "to": {isoTime(rng.To)}})}
	}
	if src.Issues != nil && m.Kind != meta.MonitorCheck && m.Kind != meta.MonitorStory {
		var fp string
		ev.Issue, fp = e.topIssue(ctx, m, f.Series, rng)
		if groupName(m) == "issue" && fp != "" {
			// The series is one issue: its events, not all matching errors.
			q = "kind:error " + fieldIs("fingerprint", fp)
			ev.Explore = &notify.Link{Title: "Events in Explore", URL: e.link("explore", url.Values{"q": {q}, "from": {isoTime(rng.From)}, "to": {isoTime(rng.To)}}), Query: q}
		}
	}
	traces := []string(nil)
	if story != nil {
		traces = story.TraceIDs
	}
	ev.Journey = e.sampleJourney(ctx, m.ProjectID, rng, q, traces)
	return ev
}

// topIssue is the issue with the most events among those the monitor
// counts (for an issue monitor, the series' own issue), with its stack.
func (e *Evaluator) topIssue(ctx context.Context, m meta.Monitor, key string, rng store.Range) (*notify.IssueEvidence, string) {
	q := m.Query
	if m.Kind == meta.MonitorAggregate {
		q = aggregateEvidence(m, key)
	} else if g := groupName(m); key != "" && (g == "service" || m.GroupBy != "") {
		q = strings.TrimSpace(q + " " + fieldIs(g, key))
	}
	parsed, err := parse(q)
	if err != nil {
		return nil, ""
	}
	limit := 1
	if groupName(m) == "issue" {
		limit = meta.MaxMonitorGroups
	}
	top, err := e.cfg.Sources.Issues.TopIssues(ctx, m.ProjectID, rng, parsed, "events", limit)
	if err != nil || len(top) == 0 {
		return nil, ""
	}
	is := top[0]
	if groupName(m) == "issue" {
		found := false
		for _, t := range top {
			if IssueKey(t.ID) == key {
				is, found = t, true
			}
		}
		if !found {
			return nil, ""
		}
	}
	out := &notify.IssueEvidence{ID: is.ID, Title: is.Title, Culprit: is.Culprit, Count: is.Count, Users: is.Users,
		URL: e.link("issues/"+fmt.Sprint(is.ID), nil)}
	out.Stack, _ = e.cfg.Sources.Issues.IssueStack(ctx, m.ProjectID, is.ID, rng)
	return out, is.Fingerprint
}

// sampleJourney links one journey of the matching events: the first
// trace of a story, else the newest matching event's trace, user or
// session.
func (e *Evaluator) sampleJourney(ctx context.Context, project int64, rng store.Range, q string, traces []string) *notify.Link {
	if len(traces) > 0 {
		return &notify.Link{Title: "Sample journey (trace " + traces[0] + ")", URL: e.link("journey/trace/"+traces[0], nil)}
	}
	if q == "" {
		return nil
	}
	parsed, err := parse(q)
	if err != nil {
		return nil
	}
	res, err := e.cfg.Sources.Events.Search(ctx, store.SearchRequest{ProjectID: project, Range: rng, Query: parsed, Limit: 50})
	if err != nil {
		return nil
	}
	for _, ev := range res.Events {
		if ev.TraceID != (event.TraceID{}) {
			id := ev.TraceID.String()
			return &notify.Link{Title: "Sample journey (trace " + id + ")", URL: e.link("journey/trace/"+id, nil)}
		}
	}
	for _, ev := range res.Events {
		switch {
		case ev.UserID != "":
			return &notify.Link{Title: "Sample journey (user " + ev.UserID + ")", URL: e.link("journey/user/"+url.PathEscape(ev.UserID), nil)}
		case ev.SessionID != "":
			return &notify.Link{Title: "Sample journey (session " + ev.SessionID + ")", URL: e.link("journey/session/"+url.PathEscape(ev.SessionID), nil)}
		}
	}
	return nil
}

// link is a URL of Lore's UI: PublicURL/#/path?query.
func (e *Evaluator) link(path string, q url.Values) string {
	s := e.cfg.PublicURL() + "/#/" + path
	if len(q) > 0 {
		s += "?" + strings.ReplaceAll(q.Encode(), "+", "%20")
	}
	return s
}

func isoTime(us int64) string { return time.UnixMicro(us).UTC().Format(time.RFC3339) }

// checkText tells a check monitor's change with the check's name and why
// it is down: `[Lore] monitor "shop down" is ALERTING: check "shop"
// (https://shop.example.com/health) is down: status 503, want 200`.
func checkText(m meta.Monitor, c meta.Check, verb string, f Fire) string {
	head := fmt.Sprintf("[Lore] monitor %q %s: check %q (%s)", m.Name, verb, c.Name, c.URL)
	lc := c.LastCheck
	if m.Measure == "tls_days" {
		if lc == nil || lc.TLSDaysLeft == nil {
			return head + " has no certificate to measure"
		}
		return fmt.Sprintf("%s: its certificate expires in %d days (%s), threshold %s %s", head, *lc.TLSDaysLeft, lc.TLSExpiresAt, m.Op, notify.FormatValue(f.Threshold))
	}
	if f.Status == notify.Resolved {
		if lc != nil && lc.Up() {
			return fmt.Sprintf("%s is up again (%d in %.0f ms)", head, lc.StatusCode, lc.LatencyMS)
		}
		return head + " is no longer down"
	}
	if lc == nil {
		return head + " is down"
	}
	return head + " is down: " + lc.Error
}

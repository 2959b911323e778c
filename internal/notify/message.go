// Package notify delivers monitor notifications to channels — a generic
// JSON webhook, Slack and Discord incoming webhooks, email over SMTP —
// from an outbox kept in the metadata database: every notification is
// stored with the state change that caused it, then delivered by one
// worker per channel, retried with exponential backoff and logged per
// attempt, so a failing or hanging channel delays only its own
// notifications and a restart loses none.
package notify

import (
	"fmt"
	"strconv"
	"strings"
)

// Message is a notification: what fired (or resolved), the value against
// the threshold and the evidence. Its JSON is the body posted to a
// generic webhook; the fields of Lore's first webhooks (monitor, from,
// to, value, threshold, at, text) keep their meaning.
type Message struct {
	Monitor MonitorRef `json:"monitor"`
	From    string     `json:"from"`
	To      string     `json:"to"`
	Value   *float64   `json:"value"`
	// Approximate says Value is an estimate, not an exact measure: a
	// count before sampling estimated from the events the project's
	// sampling kept (Sampled of them), or an aggregate computed
	// approximately. The text writes it "≈142".
	Approximate bool    `json:"approximate"`
	Sampled     int64   `json:"sampled,omitempty"`
	Threshold   float64 `json:"threshold"`
	At          string  `json:"at"`   // RFC 3339
	Text        string  `json:"text"` // one line for chat tools
	// Status is "firing" or "resolved".
	Status string `json:"status"`
	// Series is the group that fired ("checkout" for a monitor grouped by
	// service); "" for a monitor that is not grouped.
	Series  string `json:"series,omitempty"`
	GroupBy string `json:"group_by,omitempty"`
	// DedupeKey is the same for the firing and the resolution of one
	// series, so a receiver can pair them (PagerDuty's dedup_key).
	DedupeKey string    `json:"dedupe_key"`
	URL       string    `json:"url,omitempty"` // the monitor in Lore's UI
	Evidence  *Evidence `json:"evidence,omitempty"`
	Test      bool      `json:"test,omitempty"` // sent by "test channel"
}

// MonitorRef is the monitor as a notification describes it.
type MonitorRef struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Query   string `json:"query"`
	Op      string `json:"op"`
	Window  string `json:"window"`
	Measure string `json:"measure,omitempty"`
}

// Notification statuses.
const (
	Firing   = "firing"
	Resolved = "resolved"
)

// Evidence is what a notification links to, each part when it applies.
type Evidence struct {
	Explore *Link          `json:"explore,omitempty"` // the events in Explore
	Issue   *IssueEvidence `json:"issue,omitempty"`   // the top issue among them
	Story   *StoryEvidence `json:"story,omitempty"`   // the story card
	Journey *Link          `json:"journey,omitempty"` // a sample journey
	Check   *CheckEvidence `json:"check,omitempty"`   // the uptime check's last result
}

// Link is a titled URL into Lore's UI.
type Link struct {
	Title string `json:"title"`
	URL   string `json:"url"`
	Query string `json:"query,omitempty"`
}

// IssueEvidence is an issue with a summary of its stack.
type IssueEvidence struct {
	ID      int64    `json:"id"`
	Title   string   `json:"title"`
	Culprit string   `json:"culprit,omitempty"`
	Count   int64    `json:"count"`
	Users   int64    `json:"users"`
	Stack   []string `json:"stack,omitempty"` // in-app frames, innermost first
	URL     string   `json:"url"`
}

// StoryEvidence is a story card.
type StoryEvidence struct {
	Type      string   `json:"type"`
	Title     string   `json:"title"`
	Severity  string   `json:"severity"`
	Narrative []string `json:"narrative,omitempty"`
	URL       string   `json:"url"`
}

// CheckEvidence is an uptime check's last result.
type CheckEvidence struct {
	ID         int64   `json:"id"`
	Name       string  `json:"name"`
	URL        string  `json:"url"`
	StatusCode int     `json:"status_code"`
	LatencyMS  float64 `json:"latency_ms"`
	Error      string  `json:"error,omitempty"`
	TLSDays    *int    `json:"tls_days_left,omitempty"`
}

// Title is the one-line summary: "ALERT payment errors (service=checkout)".
func (m *Message) Title() string {
	verb := "ALERT"
	if m.Status == Resolved {
		verb = "RESOLVED"
	}
	if m.Test {
		verb = "TEST"
	}
	t := verb + " " + m.Monitor.Name
	if m.Series != "" {
		by := m.GroupBy
		if by == "" {
			by = "group"
		}
		t += " (" + by + "=" + m.Series + ")"
	}
	return t
}

// ValueLine says the value against the threshold: "value 12, threshold
// > 10", or for an estimate "value ≈142 (estimated from sampled events),
// threshold > 100".
func (m *Message) ValueLine() string {
	v := "no data"
	if m.Value != nil {
		v = FormatValue(*m.Value)
		switch {
		case m.Approximate && m.Sampled > 0:
			v = "≈" + v + " (estimated from sampled events)"
		case m.Approximate:
			v = "≈" + v + " (approximate)"
		}
	}
	return fmt.Sprintf("value %s, threshold %s %s", v, m.Monitor.Op, FormatValue(m.Threshold))
}

// FormatValue renders a number briefly: 12, 0.053, 1234.5.
func FormatValue(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

// Lines is the notification as plain text lines, for email and as the
// fallback of chat messages.
func (m *Message) Lines() []string {
	lines := []string{m.Text, ""}
	if m.URL != "" {
		lines = append(lines, "Monitor: "+m.URL)
	}
	ev := m.Evidence
	if ev == nil {
		return lines
	}
	if c := ev.Check; c != nil {
		s := fmt.Sprintf("Check %q %s: status %d in %.0f ms", c.Name, c.URL, c.StatusCode, c.LatencyMS)
		if c.Error != "" {
			s += ": " + c.Error
		}
		lines = append(lines, s)
	}
	if l := ev.Explore; l != nil {
		lines = append(lines, "Events: "+l.URL)
	}
	if is := ev.Issue; is != nil {
		lines = append(lines, fmt.Sprintf("Top issue: %s (%d events, %d users) %s", is.Title, is.Count, is.Users, is.URL))
		for _, f := range is.Stack {
			lines = append(lines, "    at "+f)
		}
	}
	if st := ev.Story; st != nil {
		lines = append(lines, fmt.Sprintf("Story (%s): %s %s", st.Severity, st.Title, st.URL))
		for _, n := range st.Narrative {
			lines = append(lines, "    "+n)
		}
	}
	if j := ev.Journey; j != nil {
		lines = append(lines, "Sample journey: "+j.URL)
	}
	return lines
}

// oneLine trims s to one line of at most n bytes, for chat fields.
func oneLine(s string, n int) string {
	return truncate(strings.ReplaceAll(s, "\n", " "), n)
}

package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Webhook is the generic webhook's body: the message as JSON.
func Webhook(m *Message) ([]byte, error) { return json.Marshal(m) }

// slackEscape escapes the three characters Slack's mrkdwn reserves.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func slackLink(url, text string) string {
	return "<" + url + "|" + slackEscape(strings.ReplaceAll(text, "|", "/")) + ">"
}

// Slack is the body of a Slack incoming webhook: text (shown in
// notifications and by clients without blocks) and blocks.
func Slack(m *Message) ([]byte, error) {
	icon := ":red_circle:"
	if m.Status == Resolved {
		icon = ":large_green_circle:"
	}
	head := icon + " *" + slackEscape(m.Title()) + "*"
	if m.URL != "" {
		head = icon + " *" + slackLink(m.URL, m.Title()) + "*"
	}
	body := []string{head, slackEscape(m.Text)}
	var links []string
	if ev := m.Evidence; ev != nil {
		if c := ev.Check; c != nil && c.Error != "" {
			body = append(body, "Check: `"+slackEscape(oneLine(c.Error, 300))+"`")
		}
		if is := ev.Issue; is != nil {
			s := fmt.Sprintf("Top issue: %s (%d events, %d users)", slackLink(is.URL, is.Title), is.Count, is.Users)
			if len(is.Stack) > 0 {
				s += "\n```" + slackEscape(strings.Join(is.Stack, "\n")) + "```"
			}
			body = append(body, s)
		}
		if st := ev.Story; st != nil {
			s := "Story (" + st.Severity + "): " + slackLink(st.URL, st.Title)
			if len(st.Narrative) > 0 {
				s += "\n> " + slackEscape(oneLine(strings.Join(st.Narrative, " "), 600))
			}
			body = append(body, s)
		}
		if l := ev.Explore; l != nil {
			links = append(links, slackLink(l.URL, "Events in Explore"))
		}
		if l := ev.Journey; l != nil {
			links = append(links, slackLink(l.URL, "Sample journey"))
		}
	}
	blocks := []map[string]any{{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": truncate(strings.Join(body, "\n"), 2900)}}}
	if len(links) > 0 {
		blocks = append(blocks, map[string]any{"type": "context", "elements": []map[string]any{{"type": "mrkdwn", "text": strings.Join(links, " · ")}}})
	}
	return json.Marshal(map[string]any{"text": slackEscape(m.Title() + ": " + m.ValueLine()), "blocks": blocks})
}

// Discord is the body of a Discord webhook: one embed, red while firing
// and green once resolved.
func Discord(m *Message) ([]byte, error) {
	color := 0xE5484D
	if m.Status == Resolved {
		color = 0x30A46C
	}
	type field struct {
		Name   string `json:"name"`
		Value  string `json:"value"`
		Inline bool   `json:"inline,omitempty"`
	}
	fields := []field{{Name: "Value", Value: m.ValueLine(), Inline: true}}
	if ev := m.Evidence; ev != nil {
		if c := ev.Check; c != nil && c.Error != "" {
			fields = append(fields, field{Name: "Check", Value: truncate(c.Error, 1000)})
		}
		if is := ev.Issue; is != nil {
			v := fmt.Sprintf("[%s](%s) — %d events, %d users", oneLine(is.Title, 200), is.URL, is.Count, is.Users)
			if len(is.Stack) > 0 {
				v += "\n```\n" + strings.Join(is.Stack, "\n") + "\n```"
			}
			fields = append(fields, field{Name: "Top issue", Value: truncate(v, 1000)})
		}
		if st := ev.Story; st != nil {
			v := fmt.Sprintf("[%s](%s)", oneLine(st.Title, 200), st.URL)
			if len(st.Narrative) > 0 {
				v += "\n" + strings.Join(st.Narrative, " ")
			}
			fields = append(fields, field{Name: "Story (" + st.Severity + ")", Value: truncate(v, 1000)})
		}
		var links []string
		if l := ev.Explore; l != nil {
			links = append(links, "[Events in Explore]("+l.URL+")")
		}
		if l := ev.Journey; l != nil {
			links = append(links, "[Sample journey]("+l.URL+")")
		}
		if len(links) > 0 {
			fields = append(fields, field{Name: "Evidence", Value: strings.Join(links, " · ")})
		}
	}
	embed := map[string]any{
		"title": truncate(m.Title(), 250), "description": truncate(m.Text, 4000), "color": color, "fields": fields,
	}
	if m.URL != "" {
		embed["url"] = m.URL
	}
	if _, err := time.Parse(time.RFC3339Nano, m.At); err == nil {
		embed["timestamp"] = m.At
	}
	return json.Marshal(map[string]any{"username": "Lore", "embeds": []any{embed}})
}

// Email is the RFC 5322 message for m: a subject of the title and a
// quoted-printable text body.
func Email(m *Message, from string, to []string, now time.Time) ([]byte, error) {
	var b bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", from)
	hdr("To", strings.Join(to, ", "))
	hdr("Subject", mime.QEncoding.Encode("utf-8", "[Lore] "+m.Title()))
	hdr("Date", now.Format(time.RFC1123Z))
	hdr("Message-ID", fmt.Sprintf("<lore.%d.%d@%s>", m.Monitor.ID, now.UnixNano(), hostOf(from)))
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", `text/plain; charset="utf-8"`)
	hdr("Content-Transfer-Encoding", "quoted-printable")
	hdr("X-Lore-Dedupe-Key", m.DedupeKey)
	b.WriteString("\r\n")
	w := quotedprintable.NewWriter(&b)
	if _, err := w.Write([]byte(strings.Join(append(m.Lines(), "", "— Lore"), "\r\n") + "\r\n")); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func hostOf(addr string) string {
	a, err := mail.ParseAddress(addr)
	if err != nil {
		return "lore"
	}
	if _, host, ok := strings.Cut(a.Address, "@"); ok {
		return host
	}
	return "lore"
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

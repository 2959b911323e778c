package notify

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSlackAndDiscordPayloads checks the shapes Slack and Discord accept:
// Slack's text and mrkdwn blocks (with <, > and & escaped and links as
// <url|text>), Discord's embed with a colour per status and fields of
// at most 1024 characters.
func TestSlackAndDiscordPayloads(t *testing.T) {
	m := sample()
	m.Evidence.Issue.Title = "x < y && z > 0"
	b, err := Slack(m)
	if err != nil {
		t.Fatal(err)
	}
	var slack struct {
		Text   string `json:"text"`
		Blocks []struct {
			Type string `json:"type"`
			Text *struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"text"`
			Elements []struct {
				Text string `json:"text"`
			} `json:"elements"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(b, &slack); err != nil {
		t.Fatal(err)
	}
	if slack.Text != "ALERT payment errors (service=payment-service): value 12, threshold &gt; 10" {
		t.Errorf("slack text %q", slack.Text)
	}
	if len(slack.Blocks) != 2 || slack.Blocks[0].Text == nil || slack.Blocks[0].Text.Type != "mrkdwn" {
		t.Fatalf("slack blocks: %s", b)
	}
	sec := slack.Blocks[0].Text.Text
	for _, want := range []string{"<http://lore.example/#/monitors/7|ALERT payment errors (service=payment-service)>", "<http://lore.example/#/issues/3|x &lt; y &amp;&amp; z &gt; 0>", "charge (pay.go:42)", "Story (critical)"} {
		if !strings.Contains(sec, want) {
			t.Errorf("slack section lacks %q:\n%s", want, sec)
		}
	}
	if ctx := slack.Blocks[1].Elements[0].Text; !strings.Contains(ctx, "|Events in Explore>") || !strings.Contains(ctx, "/#/journey/trace/abc|Sample journey>") {
		t.Errorf("slack context %q", ctx)
	}

	for _, status := range []string{Firing, Resolved} {
		m.Status = status
		m.Evidence.Issue.Stack = []string{strings.Repeat("frame ", 400)}
		b, err := Discord(m)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Embeds []struct {
				Title  string `json:"title"`
				URL    string `json:"url"`
				Color  int    `json:"color"`
				Fields []struct {
					Name  string `json:"name"`
					Value string `json:"value"`
				} `json:"fields"`
				Timestamp string `json:"timestamp"`
			} `json:"embeds"`
		}
		if err := json.Unmarshal(b, &d); err != nil || len(d.Embeds) != 1 {
			t.Fatalf("discord: %v %s", err, b)
		}
		e := d.Embeds[0]
		wantColor, wantTitle := 0xE5484D, "ALERT payment errors (service=payment-service)"
		if status == Resolved {
			wantColor, wantTitle = 0x30A46C, "RESOLVED payment errors (service=payment-service)"
		}
		if e.Color != wantColor || e.Title != wantTitle || e.URL != m.URL || e.Timestamp != m.At {
			t.Errorf("discord embed %+v", e)
		}
		for _, f := range e.Fields {
			if len(f.Value) > 1024 {
				t.Errorf("discord field %q is %d long", f.Name, len(f.Value))
			}
		}
		if e.Fields[0].Value != "value 12, threshold > 10" {
			t.Errorf("discord value field %q", e.Fields[0].Value)
		}
	}
}

// TestApproximateValues checks that a value estimated from sampled
// events is marked "≈" with why wherever a notification states it —
// Slack's text, Discord's value field, the email's lines — and in the
// webhook's JSON as approximate and sampled; an exact value is not.
func TestApproximateValues(t *testing.T) {
	m := sample()
	v := 3120.0
	m.Value, m.Approximate, m.Sampled = &v, true, 309
	const want = "value ≈3120 (estimated from sampled events), threshold > 10"
	if got := m.ValueLine(); got != want {
		t.Errorf("value line %q, want %q", got, want)
	}
	b, err := Slack(m)
	if err != nil {
		t.Fatal(err)
	}
	var slack struct{ Text string }
	if err := json.Unmarshal(b, &slack); err != nil || !strings.HasSuffix(slack.Text, strings.ReplaceAll(want, ">", "&gt;")) {
		t.Errorf("slack text %q (%v)", slack.Text, err)
	}
	if b, err = Discord(m); err != nil || !strings.Contains(string(b), `"value":"`+strings.ReplaceAll(want, ">", `\u003e`)+`"`) {
		t.Errorf("discord: %v %s", err, b)
	}
	var hook map[string]any
	if b, err = Webhook(m); err != nil || json.Unmarshal(b, &hook) != nil || hook["approximate"] != true || hook["sampled"] != 309.0 {
		t.Errorf("webhook: %v %s", err, b)
	}
	m.Sampled = 0 // approximate otherwise (a percentile in bounded memory)
	if got := m.ValueLine(); got != "value ≈3120 (approximate), threshold > 10" {
		t.Errorf("value line %q", got)
	}
	m.Approximate = false
	if got := m.ValueLine(); got != "value 3120, threshold > 10" {
		t.Errorf("exact value line %q", got)
	}
	hook = nil
	if b, err = Webhook(m); err != nil || json.Unmarshal(b, &hook) != nil || hook["approximate"] != false || hook["sampled"] != nil {
		t.Errorf("exact webhook: %v %s", err, b)
	}
}

package meta

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// FuzzMonitorRule: a monitor body from the API never panics decoding,
// validation or the mute windows; a rule that validates validates again
// to the same rule (defaults are filled in once).
func FuzzMonitorRule(f *testing.F) {
	for _, s := range []string{
		`{"name":"e","kind":"query","query":"level:error","group_by":"service","threshold":10,"pending":"2m","cooldown":"30m"}`,
		`{"name":"c","kind":"check","check":3,"measure":"tls_days"}`,
		`{"name":"s","kind":"story","story_type":"cascade","severity":"critical","service":"pay"}`,
		`{"name":"b","kind":"baseline","signal":"p95_ms","window":"2m"}`,
		`{"name":"m","kind":"query","mute":[{"start":"22:00","end":"06:00","tz":"Europe/Paris","days":["fri"]},{"from":"2026-12-24T18:00:00Z","to":"2026-12-26T08:00:00Z"}]}`,
		`{"name":"x","kind":"issue","measure":"users","channels":[1,1,2],"timeout":"10m"}`,
		`{"name":"a","kind":"aggregate","query":"service:payment-service | stats p95(duration_ms) as p95, count() by endpoint | where count > 3","threshold":800}`,
		`{"name":"t","kind":"aggregate","query":"level:error | eval s = duration_ms / 1000 | top 5 endpoint, http_status","measure":"count"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var m Monitor
		if json.Unmarshal(body, &m) != nil {
			return
		}
		if m.Validate() != nil {
			return
		}
		first, _ := json.Marshal(m)
		if err := m.Validate(); err != nil {
			t.Fatalf("a valid rule fails again: %v\n%s", err, first)
		}
		again, _ := json.Marshal(m)
		if string(first) != string(again) {
			t.Fatalf("validation is not idempotent:\n%s\n%s", first, again)
		}
		for _, at := range []string{"2026-11-20T21:30:00Z", "2026-11-21T04:59:00Z", "2026-03-29T01:30:00Z"} {
			now, _ := time.Parse(time.RFC3339, at)
			m.MutedAt(now)
		}
		_ = m.WindowDuration() + m.IntervalDuration() + m.PendingDuration() + m.CooldownDuration() + m.TimeoutDuration()
	})
}

// FuzzChannel: a channel body never panics, and its redacted form never
// holds the SMTP password.
func FuzzChannel(f *testing.F) {
	for _, s := range []string{
		`{"name":"s","type":"slack","url":"https://hooks.slack.com/services/T/B/secret"}`,
		`{"name":"m","type":"email","to":"a@b.c, d@e.f","smtp":{"host":"smtp.x","username":"u","password":"pw","from":"Lore <l@x.y>","tls":"tls"}}`,
		`{"name":"m","type":"email","to":["a@b.c"],"smtp":{"host":"smtp.x","port":70000,"from":"l@x.y"}}`,
		`{"name":"w","type":"webhook","url":"ftp://x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var c Channel
		if json.Unmarshal(body, &c) != nil {
			return
		}
		valid := c.Validate() == nil
		r := c.Redacted()
		if r.SMTP != nil && r.SMTP.Password != "" {
			t.Fatal("the redacted channel holds the password")
		}
		if valid && (c.Type == ChannelSlack || c.Type == ChannelDiscord) && !strings.HasSuffix(r.URL, "/…") {
			t.Fatalf("a %s URL's path shows: %q", c.Type, r.URL)
		}
	})
}

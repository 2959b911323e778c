package privacy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/event"
)

// FuzzScrub checks, for any text under any key: scrubbing never panics,
// is idempotent (a scrubbed event scrubs to itself), keeps a valid JSON
// document valid, and never lets a planted password through.
func FuzzScrub(f *testing.F) {
	for _, s := range []struct{ k, v string }{
		{"message", "login failed password=hunter2 user=bob"},
		{"extra", `{"user":"bob","password":"hunter2","n":4111111111111111}`},
		{"sentry.breadcrumbs", `[{"data":{"url":"/x?token=abc123","headers":{"Authorization":"Basic Zm9v"}}}]`},
		{"url.full", "https://u:p@x.io/cb?code=1&access_token=abc.def"},
		{"note", "Cookie: sid=abc; Bearer 0123456789abcdef card 4111 1111 1111 1111"},
		{"client.address", "10.1.2.3, 2001:db8::1"},
		{"k", "-----BEGIN PRIVATE KEY-----\nabc"},
		{"k", "[scrubbed]]]password=[scrubbed"},
	} {
		f.Add(s.k, s.v, uint8(0))
	}
	f.Fuzz(func(t *testing.T, key, val string, opts uint8) {
		st := Settings{Emails: opts&1 != 0, KeepCardNumbers: opts&2 != 0}
		switch opts >> 2 & 3 {
		case 1:
			st.IPAddresses = IPTruncate
		case 2:
			st.IPAddresses = IPDrop
		}
		c, err := compile(st)
		if err != nil {
			t.Fatal(err)
		}
		e := event.Event{Message: val, Attributes: []event.Attr{{Key: key, Value: val}}}
		c.scrubEvent(&e)
		once := e
		once.Attributes = append([]event.Attr(nil), e.Attributes...)
		if n := c.scrubEvent(&e); n != 0 {
			t.Fatalf("not idempotent: %q under %q: %q then %q", val, key, once.Attributes[0].Value, e.Attributes[0].Value)
		}
		// A JSON document (object or array) is scrubbed member by member and
		// stays a document; a scalar that is itself a secret or a card
		// number is replaced whole, as any value is under a sensitive key.
		_, denied := c.keyRule(key)
		if doc := strings.TrimSpace(val); !denied && len(doc) > 1 && (doc[0] == '{' || doc[0] == '[') &&
			json.Valid([]byte(val)) && !json.Valid([]byte(e.Attributes[0].Value)) {
			t.Fatalf("valid JSON %q became %q", val, e.Attributes[0].Value)
		}
		planted := event.Event{Message: val + " password=Zq9xSECRETx " + val}
		c.scrubEvent(&planted)
		if strings.Contains(planted.Message, "Zq9xSECRETx") {
			t.Fatalf("planted password kept: %q", planted.Message)
		}
	})
}

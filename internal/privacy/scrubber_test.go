package privacy

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/event"
)

func TestScrubText(t *testing.T) {
	c, _ := compile(Settings{})
	f := func(in, want string) {
		t.Helper()
		got, changed := c.scrubText(in)
		if got != want {
			t.Errorf("scrubText(%q)\n got %q\nwant %q", in, got, want)
		}
		if changed != (in != want) {
			t.Errorf("scrubText(%q): changed = %v", in, changed)
		}
		if again, ch := c.scrubText(got); ch || again != got {
			t.Errorf("scrubbing %q again changed it to %q", got, again)
		}
	}
	// Kept: ordinary text, words near sensitive ones, numbers that are not cards.
	f("user 42 logged in", "user 42 logged in")
	f("input_tokens=512 output_tokens=20", "input_tokens=512 output_tokens=20")
	f("Basic authentication failed", "Basic authentication failed")
	f("Token expired", "Token expired")
	f("ts=1733400000000 order=1234567890123", "ts=1733400000000 order=1234567890123")
	f("trace 4bf92f3577b34da6a3ce929d0e0e4736", "trace 4bf92f3577b34da6a3ce929d0e0e4736")
	// key=value in text, query strings and JSON-ish text.
	f("login failed password=hunter2 user=bob", "login failed password=[scrubbed] user=bob")
	f("db_password: s3cr3t!", "db_password: [scrubbed]")
	f(`{"user":"bob","password":"hunter2"}`, `{"user":"bob","password":"[scrubbed]"}`)
	f(`{\"password\":\"hunter2\"}`, `{\"password\":\"[scrubbed]\"}`)
	f("GET /cb?code=1&access_token=abc.def&state=x", "GET /cb?code=1&access_token=[scrubbed]&state=x")
	f("https://api.example.com/v1?api_key=AbC123&q=shoes", "https://api.example.com/v1?api_key=[scrubbed]&q=shoes")
	f("client_secret=xyz", "client_secret=[scrubbed]")
	// Authorization headers and schemes.
	f("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc.def", "Authorization: Bearer [scrubbed]")
	f("sent header Bearer 0123456789abcdef to upstream", "sent header Bearer [scrubbed] to upstream")
	f("Basic dXNlcjpwYXNz", "Basic [scrubbed]")
	f("Cookie: sid=abc123; theme=dark", "Cookie: [scrubbed]")
	f("set-cookie: sid=abc; HttpOnly\nnext line", "set-cookie: [scrubbed]\nnext line")
	// Secrets by their shape.
	f("key AKIAIOSFODNN7EXAMPLE used", "key [scrubbed] used")
	f("token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "token [scrubbed]")
	f("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl here", "jwt [scrubbed] here")
	f("stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc", "stripe [scrubbed]")
	f("key lore_in_0123456789abcdef0123456789abcdef01234567", "key [scrubbed]")
	f("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "[scrubbed]")
	f("postgres://app:hunter2@db:5432/shop", "postgres://app:[scrubbed]@db:5432/shop")
	// Card numbers: Luhn-valid ones only.
	f("card 4111 1111 1111 1111 declined", "card [scrubbed] declined")
	f("card 4111-1111-1111-1111", "card [scrubbed]")
	f("card 4111111111111112 declined", "card 4111111111111112 declined")
	// Digits glued to an identifier are the identifier's, even when they pass Luhn.
	f("Receiving block blk_-4111111111111111 src: /10.0.0.1", "Receiving block blk_-4111111111111111 src: /10.0.0.1")
	f("build 1.4111111111111111 at /srv/4111111111111111/x", "build 1.4111111111111111 at /srv/4111111111111111/x")
	f("card=4111111111111111 (4111111111111111)", "card=[scrubbed] ([scrubbed])")
	f("amex 378282246310005", "amex [scrubbed]")
	// E-mails and IPs are kept by default.
	f("mail ada@example.com from 10.1.2.3", "mail ada@example.com from 10.1.2.3")
}

func TestScrubTextOptions(t *testing.T) {
	f := func(st Settings, in, want string) {
		t.Helper()
		c, err := compile(st)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := c.scrubText(in); got != want {
			t.Errorf("%+v: scrubText(%q)\n got %q\nwant %q", st, in, got, want)
		}
	}
	f(Settings{Emails: true}, "mail ada.l@example.co.uk now", "mail [scrubbed] now")
	f(Settings{IPAddresses: IPTruncate}, "from 10.1.2.3 and 999.1.1.1", "from 10.1.2.0 and 999.1.1.1")
	f(Settings{IPAddresses: IPDrop}, "from 10.1.2.3", "from [scrubbed]")
	f(Settings{KeepCardNumbers: true}, "card 4111111111111111", "card 4111111111111111")
	f(Settings{Patterns: []string{`EMP-\d{6}`}}, "employee EMP-123456 left", "employee [scrubbed] left")
}

func TestScrubEvent(t *testing.T) {
	e := event.Event{
		Kind:     event.KindError,
		Message:  "charge failed for card 4111111111111111 with token=tok_abcdef123",
		Endpoint: "/pay?password=hunter2",
		Attributes: []event.Attr{
			{Key: "http.request.header.authorization", Value: "Bearer abc"},
			{Key: "extra.password", Value: "hunter2"},
			{Key: "X-Api-Key", Value: "k-123"},
			{Key: "http.request.header.set-cookie", Value: "sid=1"},
			{Key: "gen_ai.usage.input_tokens", Value: "512"},
			{Key: "author", Value: "ada"},
			{Key: "sentry.breadcrumbs", Value: `[{"category":"http","data":{"url":"/x?token=abc123","headers":{"Authorization":"Basic Zm9v"}},"message":"ok"}]`},
			{Key: "sentry.exception", Value: `[{"type":"AuthError","value":"bad password=hunter2","frames":[{"vars":{"password":"hunter2","n":3}}]}]`},
			{Key: "note", Value: "fine"},
		},
	}
	n := Scrub(&e)
	if n != 8 {
		t.Errorf("scrubbed %d values, want 8", n)
	}
	want := map[string]string{
		"http.request.header.authorization": Redacted,
		"extra.password":                    Redacted,
		"X-Api-Key":                         Redacted,
		"http.request.header.set-cookie":    Redacted,
		"gen_ai.usage.input_tokens":         "512",
		"author":                            "ada",
		"sentry.breadcrumbs":                `[{"category":"http","data":{"url":"/x?token=[scrubbed]","headers":{"Authorization":"[scrubbed]"}},"message":"ok"}]`,
		"sentry.exception":                  `[{"type":"AuthError","value":"bad password=[scrubbed]","frames":[{"vars":{"password":"[scrubbed]","n":3}}]}]`,
		"note":                              "fine",
		AttrScrubbed:                        "X-Api-Key,endpoint,extra.password,http.request.header.authorization,http.request.header.set-cookie,message,sentry.breadcrumbs,sentry.exception",
	}
	for k, w := range want {
		if got, _ := e.Attr(k); got != w {
			t.Errorf("%s = %q, want %q", k, got, w)
		}
	}
	if e.Message != "charge failed for card [scrubbed] with token=[scrubbed]" || e.Endpoint != "/pay?password=[scrubbed]" {
		t.Errorf("message %q, endpoint %q", e.Message, e.Endpoint)
	}
	// Scrubbing again changes nothing and keeps one mark.
	if n := Scrub(&e); n != 0 {
		t.Errorf("second scrub changed %d values", n)
	}
}

func TestScrubSettingsLists(t *testing.T) {
	e := event.Event{Message: "password=hunter2", Attributes: []event.Attr{
		{Key: "customer.ssn", Value: "123-45-6789"},
		{Key: "csrf_token", Value: "public-ok"},
		{Key: "client.address", Value: "2001:db8:1234:5678::1"},
	}}
	n, err := ScrubWith(Settings{DenyFields: []string{"ssn"}, AllowFields: []string{"csrf_token", "message"}, IPAddresses: IPTruncate}, &e)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 || e.Message != "password=hunter2" {
		t.Errorf("n=%d message %q", n, e.Message)
	}
	for k, w := range map[string]string{"customer.ssn": Redacted, "csrf_token": "public-ok", "client.address": "2001:db8:1234::"} {
		if got, _ := e.Attr(k); got != w {
			t.Errorf("%s = %q, want %q", k, got, w)
		}
	}
	off := event.Event{Message: "password=hunter2"}
	if n, _ := ScrubWith(Settings{Disabled: true}, &off); n != 0 || off.Message != "password=hunter2" {
		t.Errorf("disabled scrubbing changed %q", off.Message)
	}
}

func TestParseSettings(t *testing.T) {
	f := func(doc, wantErr string) {
		t.Helper()
		_, err := ParseSettings([]byte(doc))
		switch {
		case wantErr == "" && err != nil:
			t.Errorf("%s: %v", doc, err)
		case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
			t.Errorf("%s: error %v, want one with %q", doc, err, wantErr)
		}
	}
	f(`{}`, "")
	f(`{"emails":true,"ip_addresses":"truncate","patterns":["EMP-\\d+"],"deny_fields":["ssn"]}`, "")
	f(`{"ip_addresses":"hide"}`, `"hide"`)
	f(`{"patterns":["("]}`, `"("`)
	f(`{"patterns":["a*"]}`, "empty string")
	f(`{"deny_fields":[" "]}`, "bad field name")
	f(`{"emial":true}`, "emial")
}

type fakeSource map[int64]string

func (f fakeSource) ProjectSettings(_ context.Context, p int64, _ string) (json.RawMessage, error) {
	if d, ok := f[p]; ok {
		return json.RawMessage(d), nil
	}
	return json.RawMessage("{}"), nil
}

func TestScrubberPerProject(t *testing.T) {
	src := fakeSource{2: `{"disabled":true}`, 3: `{"emails":true}`}
	s := NewScrubber(src, nil, nil)
	evs := []event.Event{
		{ProjectID: 1, Message: "password=a1 ada@example.com"},
		{ProjectID: 2, Message: "password=a1 ada@example.com"},
		{ProjectID: 3, Message: "password=a1 ada@example.com"},
	}
	out, err := s.Process(context.Background(), evs)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"password=[scrubbed] ada@example.com", "password=a1 ada@example.com", "password=[scrubbed] [scrubbed]"}
	for i, w := range want {
		if out[i].Message != w {
			t.Errorf("project %d: %q, want %q", out[i].ProjectID, out[i].Message, w)
		}
	}
	src[2] = `{}`
	s.Invalidate(2)
	out, _ = s.Process(context.Background(), []event.Event{{ProjectID: 2, Message: "password=a1"}})
	if out[0].Message != "password=[scrubbed]" {
		t.Errorf("after Invalidate: %q", out[0].Message)
	}
}

func BenchmarkScrubClean(b *testing.B) {
	e := event.Event{Message: "GET /api/cart/42 200 in 12ms user=ada cache=hit", Attributes: []event.Attr{
		{Key: "service.name", Value: "cart"}, {Key: "http.route", Value: "/api/cart/{id}"}, {Key: "user_agent", Value: "Mozilla/5.0 (X11; Linux x86_64)"}}}
	c, _ := compile(Settings{})
	b.ReportAllocs()
	for b.Loop() {
		ev := e
		c.scrubEvent(&ev)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

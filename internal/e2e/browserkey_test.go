package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/internal/meta"
)

// TestBrowserKey: a key with the browser scope (the public key web pages
// carry) sends events to the browser SDKs' endpoints — Lore's own ingest,
// PostHog's capture and remote config, Segment's, Sentry's envelope —
// from the project's allowed origins only (Origin, else Referer; none
// listed: any), and nothing else: the shippers' endpoints (Loki,
// Elasticsearch bulk), reading, writing are refused. Ingest keys are not
// bound to origins. Allowed origins are read by viewers and changed by
// admins only (PUT /api/v1/origins).
func TestBrowserKey(t *testing.T) {
	a := startApp(t, func(c *app.Config) { c.AdminKey = adminKey })
	base := a.URL()
	ctx := context.Background()
	bk, err := a.Meta().CreateKey(ctx, 1, meta.RoleBrowser)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	// Each browser endpoint, as its SDK sends it, with the key and the
	// page's origin headers.
	type send struct {
		name, method, path string
		body               string
		hdr                func(key string) map[string]string
	}
	bearerKey := func(key string) map[string]string { return map[string]string{"Authorization": "Bearer " + key} }
	browserSends := []send{
		{"lore ingest", "POST", "/api/v1/ingest", `{"ts":"` + now + `","message":"browser key hello","service":"web"}` + "\n", bearerKey},
		{"posthog capture", "POST", "/e/", "", nil},
		{"posthog config", "GET", "/array/{key}/config", "", nil},
		{"segment track", "POST", "/v1/track", "", nil},
		{"sentry envelope", "POST", "/api/1/envelope/", string(envelopeBody(1, 1, time.Now())), func(key string) map[string]string {
			return map[string]string{"X-Sentry-Auth": "Sentry sentry_version=7, sentry_key=" + key}
		}},
	}
	do := func(s send, key string, origin map[string]string) (int, string) {
		t.Helper()
		path := strings.ReplaceAll(s.path, "{key}", key)
		body := s.body
		switch s.name {
		case "posthog capture":
			body = fmt.Sprintf(`{"api_key":%q,"event":"$pageview","properties":{"distinct_id":"u1","$current_url":"https://shop.example.com/"}}`, key)
		case "segment track":
			body = fmt.Sprintf(`{"writeKey":%q,"type":"track","event":"Clicked","userId":"u1"}`, key)
		}
		hdr := map[string]string{}
		if s.hdr != nil {
			hdr = s.hdr(key)
		}
		for k, v := range origin {
			hdr[k] = v
		}
		var b []byte
		if s.method == "POST" {
			b = []byte(body)
		}
		return caller{name: s.name}.do(t, s.method, base+path, b, hdr)
	}
	ok := func(code int) bool { return code >= 200 && code < 300 }
	shop := map[string]string{"Origin": "https://shop.example.com"}
	evil := map[string]string{"Origin": "https://evil.test"}

	// No allowed origins yet: a browser key works from any page.
	for _, s := range browserSends {
		if code, b := do(s, bk, evil); !ok(code) {
			t.Errorf("%s with a browser key, no origins listed: %d %s", s.name, code, b)
		}
	}

	// Allowed origins are an admin's: viewers read them.
	admin := caller{name: "admin key", key: adminKey}
	member, err := a.Meta().CreateKey(ctx, 1, meta.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	set := []byte(`{"allowed_origins":["https://shop.example.com","https://*.example.org"]}`)
	if code, b := (caller{name: "member key", key: member}).do(t, "PUT", base+"/api/v1/origins", set, nil); code != 403 {
		t.Errorf("a member sets allowed origins: %d %s", code, b)
	}
	if code, b := admin.do(t, "PUT", base+"/api/v1/origins", []byte(`{"allowed_origins":["shop.example.com/path"]}`), nil); code != 400 || !strings.Contains(b, "scheme://host") {
		t.Errorf("a bad origin: %d %s", code, b)
	}
	if code, b := admin.do(t, "PUT", base+"/api/v1/origins", set, nil); code != 200 {
		t.Fatalf("set allowed origins: %d %s", code, b)
	}
	if code, b := (caller{name: "read key", key: readKey}).do(t, "GET", base+"/api/v1/origins", nil, nil); code != 200 ||
		!strings.Contains(b, `"allowed_origins":["https://*.example.org","https://shop.example.com"]`) {
		t.Errorf("read allowed origins: %d %s", code, b)
	}

	for _, s := range browserSends {
		if code, b := do(s, bk, shop); !ok(code) {
			t.Errorf("%s from an allowed origin: %d %s", s.name, code, b)
		}
		if code, b := do(s, bk, map[string]string{"Origin": "https://blog.example.org"}); !ok(code) {
			t.Errorf("%s from a wildcard origin: %d %s", s.name, code, b)
		}
		if code, b := do(s, bk, map[string]string{"Referer": "https://shop.example.com/cart?x=1"}); !ok(code) {
			t.Errorf("%s with only a Referer of an allowed page: %d %s", s.name, code, b)
		}
		if code, b := do(s, bk, evil); code != 403 || !strings.Contains(b, "evil.test") {
			t.Errorf("%s from another origin: %d %s, want 403", s.name, code, b)
		}
		if code, b := do(s, bk, nil); code != 403 || !strings.Contains(b, "no Origin") {
			t.Errorf("%s with no origin: %d %s, want 403", s.name, code, b)
		}
		// An ingest key (a server's) is not bound to origins.
		if code, b := do(s, ingestKey, evil); !ok(code) {
			t.Errorf("%s with an ingest key from another origin: %d %s", s.name, code, b)
		}
	}

	// Nothing but the browser endpoints, even from an allowed origin.
	browser := caller{name: "browser key", key: bk}
	for _, c := range []struct{ method, path, body, why string }{
		{"POST", "/loki/api/v1/push", `{"streams":[{"stream":{"job":"x"},"values":[["1","hi"]]}]}`, "browser SDKs' endpoints"},
		{"POST", "/_bulk", "{\"index\":{}}\n{\"message\":\"hi\"}\n", "browser SDKs' endpoints"},
		{"GET", "/api/v1/search?q=hello", "", "reading needs a read key"},
		{"GET", "/api/v1/issues", "", "reading needs a read key"},
		{"POST", "/api/v1/dashboards", `{"name":"x","panels":[]}`, "browser key"},
		{"GET", "/api/v1/keys", "", "browser key"},
	} {
		var body []byte
		if c.body != "" {
			body = []byte(c.body)
		}
		code, b := browser.do(t, c.method, base+c.path, body, shop)
		if code != 403 || !strings.Contains(b, c.why) {
			t.Errorf("%s %s with a browser key: %d %s, want 403 saying %q", c.method, c.path, code, b, c.why)
		}
	}

	// The events sent with the browser key are stored in project 1.
	flush(t, a)
	code, b := (caller{name: "read key", key: readKey}).do(t, "GET", base+"/api/v1/search?q=%22browser+key+hello%22&from=now-1h", nil, nil)
	var res struct{ Total int }
	json.Unmarshal([]byte(b), &res)
	if code != 200 || !strings.Contains(b, "browser key hello") {
		t.Errorf("search for the browser key's events: %d %.300s", code, b)
	}

	// Emptying the list accepts any origin again.
	if code, b := admin.do(t, "PUT", base+"/api/v1/origins", []byte(`{"allowed_origins":[]}`), nil); code != 200 || !strings.Contains(b, `"allowed_origins":[]`) {
		t.Fatalf("clear allowed origins: %d %s", code, b)
	}
	if code, b := do(browserSends[0], bk, evil); !ok(code) {
		t.Errorf("after clearing the origins: %d %s", code, b)
	}
}

package server

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestBrowserPreflights: every browser endpoint answers a preflight that
// carries the tracing headers Sentry's and Lore's SDKs add.
func TestBrowserPreflights(t *testing.T) {
	srv := newTestServer(t, &fakeQueue{}, DefaultLimits())
	for _, p := range []string{"/batch/", "/i/v0/e/", "/e/", "/flags/", "/decide/", "/s/", "/array/in/config", "/v1/t", "/v1/p", "/v1/i",
		"/v1/batch", "/v1/track", "/v1/projects/in/settings", "/api/1/envelope/", "/api/v1/ingest", "/v1/traces", "/v1/logs", "/sdk.js"} {
		req, _ := http.NewRequest("OPTIONS", srv.URL+p, nil)
		req.Header.Set("Origin", "https://shop.example")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,sentry-trace,baggage,traceparent,tracestate,authorization")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		allow := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
		if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("OPTIONS %s: %d, allow-origin %q", p, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
		for _, h := range []string{"content-type", "authorization", "sentry-trace", "baggage", "traceparent", "tracestate"} {
			if !strings.Contains(allow, h) {
				t.Errorf("OPTIONS %s: %s not allowed (%q)", p, h, allow)
			}
		}
	}
}

// TestSegmentBrowserRoutes: analytics-next's settings, its short routes,
// and the write key in the body or as the basic-auth user.
func TestSegmentBrowserRoutes(t *testing.T) {
	q := &fakeQueue{}
	srv := newTestServer(t, q, DefaultLimits())
	resp, err := http.Get(srv.URL + "/v1/projects/in/settings")
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Integrations map[string]struct {
			APIKey   string `json:"apiKey"`
			APIHost  string `json:"apiHost"`
			Protocol string `json:"protocol"`
		} `json:"integrations"`
	}
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	u, _ := url.Parse(srv.URL)
	if io := st.Integrations["Segment.io"]; resp.StatusCode != 200 || io.APIHost != u.Host+"/v1" || io.Protocol != "http" || io.APIKey != "in" ||
		resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("settings: %d %+v", resp.StatusCode, st)
	}
	if resp, _ := http.Get(srv.URL + "/v1/projects/nope/settings"); resp.StatusCode != 401 {
		t.Errorf("settings of an unknown key: %d", resp.StatusCode)
	}
	post := func(path, body string, header map[string]string) (int, map[string]any) {
		t.Helper()
		status, _, m := do(t, srv, "POST", path, "", []byte(body), header)
		return status, m
	}
	if s, m := post("/v1/t", `{"type":"track","event":"Pay Clicked","anonymousId":"a1","writeKey":"in","properties":{"amount":3}}`, map[string]string{"Content-Type": "text/plain"}); s != 200 {
		t.Errorf("/v1/t with writeKey in the body: %d %v", s, m)
	}
	if s, m := post("/v1/i", `{"type":"identify","userId":"u1","anonymousId":"a1"}`, map[string]string{"Authorization": "Basic aW46"}); s != 200 {
		t.Errorf("/v1/i with the basic-auth user: %d %v", s, m)
	}
	if s, m := post("/v1/track", `{"event":"x","userId":"u"}`, nil); s != 401 || !strings.Contains(m["error"].(string), "writeKey") {
		t.Errorf("no key: %d %v", s, m)
	}
	if len(q.events) != 2 || q.events[0].Name != "Pay Clicked" || q.events[0].ProjectID != 1 || q.events[1].Name != "$identify" {
		t.Errorf("events %+v", q.events)
	}
}

// TestPostHogRemoteConfig: posthog-js's start-up requests are answered in
// PostHog's shape from the project's settings, and recordings are counted.
func TestPostHogRemoteConfig(t *testing.T) {
	srv := newTestServer(t, &fakeQueue{}, DefaultLimits())
	get := func(path string) (int, string, http.Header) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	code, body, h := get("/array/in/config")
	var cfg map[string]any
	json.Unmarshal([]byte(body), &cfg)
	if code != 200 || cfg["autocapture_opt_out"] != false || cfg["autocaptureExceptions"] != true || cfg["sessionRecording"] != false ||
		h.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("config: %d %s", code, body)
	}
	if code, body, h = get("/array/in/config.js"); code != 200 || !strings.Contains(body, `window._POSTHOG_REMOTE_CONFIG["in"] = {"config":{`) ||
		!strings.HasPrefix(h.Get("Content-Type"), "text/javascript") {
		t.Errorf("config.js: %d %s", code, body)
	}
	if code, _, _ = get("/array/nope/config"); code != 401 {
		t.Errorf("config of an unknown key: %d", code)
	}
	status, _, m := do(t, srv, "POST", "/flags/?v=2&compression=base64", "", []byte("data=eyJ0b2tlbiI6ImluIiwiZGlzdGluY3RfaWQiOiJkIn0%3D"),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if flags, ok := m["flags"].(map[string]any); status != 200 || !ok || len(flags) != 0 || m["errorsWhileComputingFlags"] != false {
		t.Errorf("flags: %d %v", status, m)
	}
	status, _, m = do(t, srv, "POST", "/decide/?v=3", "", []byte(`{"token":"in","distinct_id":"d"}`), nil)
	if status != 200 || m["autocaptureExceptions"] != true || m["featureFlags"] == nil {
		t.Errorf("decide: %d %v", status, m)
	}
	status, _, m = do(t, srv, "POST", "/s/?compression=gzip-js", "", []byte(`{"api_key":"in","batch":[{"event":"$snapshot","distinct_id":"d","properties":{"$snapshot_data":[]}},{"event":"$snapshot","distinct_id":"d","properties":{}}]}`), nil)
	if status != 200 {
		t.Errorf("recording: %d %v", status, m)
	}
	_, metrics, _ := get("/metrics")
	if !strings.Contains(metrics, `lore_ingest_items_unstored_total{protocol="posthog",type="$snapshot"} 2`) {
		t.Errorf("recordings not counted:\n%s", metrics)
	}
}

// TestSDKPackage: /sdk.tgz is an npm package tarball of the browser SDK.
func TestSDKPackage(t *testing.T) {
	srv := newTestServer(t, &fakeQueue{}, DefaultLimits())
	resp, err := http.Get(srv.URL + "/sdk.tgz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	names := map[string]bool{}
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names[h.Name] = true
		if h.Name == "package/package.json" {
			var p struct {
				Name   string `json:"name"`
				Module string `json:"module"`
			}
			json.NewDecoder(tr).Decode(&p)
			if p.Name != "@lore-dev/browser" || p.Module != "dist/lore.mjs" {
				t.Errorf("package.json %+v", p)
			}
		}
	}
	for _, n := range []string{"package/package.json", "package/dist/lore.mjs", "package/dist/lore.js", "package/dist/types/index.d.ts"} {
		if !names[n] {
			t.Errorf("tarball lacks %s: %v", n, names)
		}
	}
}

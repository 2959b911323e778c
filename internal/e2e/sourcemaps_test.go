package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestSourceMapsUploadAndSymbolicate: `lore sourcemaps upload` sends a
// build's bundle and map for a release; a browser error of that release
// with a minified stack, sent as @sentry/browser sends it, becomes an issue
// whose culprit and stack name the original function and file; the same
// bug in the next build (other minified names) joins the same issue.
func TestSourceMapsUploadAndSymbolicate(t *testing.T) {
	a := startApp(t)
	base := a.URL()
	for rel, dir := range map[string]string{"web@1": "../sourcemap/testdata/dist-3f9a2b", "web@2": "../sourcemap/testdata/dist-c0ffee1"} {
		out, errOut, code := runCLI(t, "sourcemaps", "upload", dir, "--release", rel, "--url", base, "--key", adminKey)
		if code != 0 || !strings.Contains(out, "2 files uploaded, 1 source maps") {
			t.Fatalf("upload %s: %d %s %s", rel, code, out, errOut)
		}
	}
	if out, _, code := runCLI(t, "sourcemaps", "list", "--release", "web@1", "--url", base, "--key", adminKey); code != 0 || !strings.Contains(out, "assets/index-3f9a2b.js.map") {
		t.Errorf("list: %d %s", code, out)
	}
	if _, errOut, code := runCLI(t, "sourcemaps", "upload", "../sourcemap/testdata/dist-3f9a2b", "--release", "web@1", "--url", base, "--key", ingestKey); code == 0 {
		t.Errorf("an ingest key uploaded source maps: %s", errOut)
	}
	// @sentry/browser's frames, oldest first (V8 positions in the bundles).
	frames := func(file string, cols ...int) string {
		fns := []string{"Object.onPay", "Object.<anonymous>", "Object.payNow", "", "?"}
		var fs []string
		for i, c := range cols {
			fn := fns[i]
			if fn == "" {
				fn = map[string]string{"index-3f9a2b.js": "r", "index-c0ffee1.js": "e"}[file]
			}
			fs = append(fs, fmt.Sprintf(`{"filename":"https://shop.example/assets/%s","function":%q,"lineno":1,"colno":%d,"in_app":true}`, file, fn, c))
		}
		return strings.Join(fs, ",")
	}
	send := func(rel, file string, cols ...int) {
		ev := fmt.Sprintf(`{"event_id":"%032x","timestamp":%q,"platform":"javascript","release":%q,"exception":{"values":[{"type":"TypeError",`+
			`"value":"Cannot read properties of null (reading 'amount')","stacktrace":{"frames":[%s]}}]}}`, time.Now().UnixNano(), time.Now().UTC().Format(time.RFC3339Nano), rel, frames(file, cols...))
		if code, b := sentryPost(t, base, "/api/1/store/", []byte(ev), nil); code != 200 {
			t.Fatalf("store: %d %s", code, b)
		}
	}
	send("web@1", "index-3f9a2b.js", 199, 294, 237, 30, 54)
	send("web@2", "index-c0ffee1.js", 309, 404, 347, 140, 164)
	flush(t, a)
	l := listIssues(t, base, url.Values{})
	if len(l.Issues) != 1 {
		t.Fatalf("want one issue across the two builds, got %+v", l.Issues)
	}
	is := l.Issues[0]
	if is.Culprit != "orders.js in computeTotal" || is.Count != 2 {
		t.Errorf("issue = %+v", is)
	}
	var d map[string]json.RawMessage
	getJSON(t, base, fmt.Sprintf("/api/v1/issues/%d", is.ID), nil, &d)
	raw := d["latest_event"]
	for _, want := range []string{`"function":"computeTotal"`, `"filename":"app/src/orders.js"`, `"function":"Object.wrapped"`, "return items.reduce"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("stack lacks %s: %s", want, raw)
		}
	}
	if out, _, code := runCLI(t, "sourcemaps", "delete", "--release", "web@1", "--url", base, "--key", adminKey); code != 0 || !strings.Contains(out, "2 files deleted") {
		t.Errorf("delete: %d %s", code, out)
	}
}

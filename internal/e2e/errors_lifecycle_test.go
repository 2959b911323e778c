package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// sentryPost sends a body to a Sentry endpoint with the DSN key in
// X-Sentry-Auth, as the SDKs do.
func sentryPost(t *testing.T, base, path string, body []byte, header map[string]string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(body))
	req.Header.Set("X-Sentry-Auth", "Sentry sentry_version=7, sentry_client=test/1.0, sentry_key="+ingestKey)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// storeEvent sends one event through /api/1/store/.
func storeEvent(t *testing.T, base string, ev map[string]any) {
	t.Helper()
	b, _ := json.Marshal(ev)
	if code, resp := sentryPost(t, base, "/api/1/store/", b, nil); code != 200 {
		t.Fatalf("store: %d %s", code, resp)
	}
}

// sentryError is an error event raised in fn of module shop/pay.
func sentryError(ts time.Time, release, typ, msg, fn string, line int) map[string]any {
	return map[string]any{
		"timestamp": ts.Format(time.RFC3339Nano), "release": release, "environment": "prod", "level": "error",
		"user": map[string]any{"id": "u-" + fmt.Sprint(line%3)},
		"exception": map[string]any{"values": []any{map[string]any{"type": typ, "value": msg,
			"stacktrace": map[string]any{"frames": []any{
				map[string]any{"module": "shop/http", "function": "Serve", "lineno": 10, "in_app": true},
				map[string]any{"module": "shop/pay", "function": fn, "lineno": line, "in_app": true},
			}}}}},
	}
}

func patchIssue(t *testing.T, base string, id int64, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPatch, fmt.Sprintf("%s/api/v1/issues/%d", base, id), strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestGroupingAcrossReleasesAndFunctions(t *testing.T) {
	a := startApp(t)
	base := a.URL()
	t0 := time.Now().Add(-time.Hour)
	// The same bug in two releases: the line moved, the order id differs.
	storeEvent(t, base, sentryError(t0, "shop@1.0", "DeclinedError", "card declined for order 17", "Charge", 40))
	storeEvent(t, base, sentryError(t0.Add(time.Minute), "shop@1.1", "DeclinedError", "card declined for order 9912", "Charge", 88))
	// Another bug with the same message in a different function.
	storeEvent(t, base, sentryError(t0.Add(2*time.Minute), "shop@1.1", "DeclinedError", "card declined for order 17", "Refund", 40))
	flush(t, a)
	l := listIssues(t, base, url.Values{"sort": {"first_seen"}})
	if len(l.Issues) != 2 {
		t.Fatalf("want 2 issues, got %+v", l.Issues)
	}
	charge, refund := l.Issues[1], l.Issues[0] // newest first
	if charge.Count != 2 || charge.FirstRelease != "shop@1.0" || charge.LastRelease != "shop@1.1" || charge.Culprit != "shop/pay in Charge" {
		t.Errorf("charge issue = %+v", charge)
	}
	if refund.Count != 1 || refund.Culprit != "shop/pay in Refund" || refund.FirstRelease != "shop@1.1" {
		t.Errorf("refund issue = %+v", refund)
	}
	// q restricts the counted events.
	if l := listIssues(t, base, url.Values{"q": {"release:shop@1.0"}}); len(l.Issues) != 1 || l.Issues[0].Count != 1 {
		t.Errorf("q=release:shop@1.0 gave %+v", l.Issues)
	}

	// Merge: the refund issue joins the charge issue, and stays merged
	// when new events arrive.
	if code, b := patchIssue(t, base, charge.ID, fmt.Sprintf(`{"merge":[%d]}`, refund.ID)); code != 200 {
		t.Fatalf("merge: %d %s", code, b)
	}
	storeEvent(t, base, sentryError(t0.Add(3*time.Minute), "shop@1.1", "DeclinedError", "card declined for order 5", "Refund", 41))
	flush(t, a)
	l = listIssues(t, base, nil)
	if len(l.Issues) != 1 || l.Issues[0].ID != charge.ID || l.Issues[0].Count != 4 || l.Issues[0].Users != 2 { // u-1 in both, u-2: distinct users, not a sum
		t.Fatalf("after merge: %+v", l.Issues)
	}
	if l := listIssues(t, base, url.Values{"sort": {"users"}}); len(l.Issues) != 1 || l.Issues[0].Users != 2 {
		t.Errorf("sort=users after merge: %+v", l.Issues)
	}
	// Unmerge splits it out again.
	if code, b := patchIssue(t, base, charge.ID, fmt.Sprintf(`{"unmerge":[%q]}`, refund.Fingerprint)); code != 200 {
		t.Fatalf("unmerge: %d %s", code, b)
	}
	if l = listIssues(t, base, url.Values{"sort": {"users"}}); len(l.Issues) != 2 || l.Issues[0].ID != refund.ID || l.Issues[0].Users != 2 || l.Issues[1].Users != 1 {
		t.Fatalf("after unmerge, by users: %+v", l.Issues)
	}
}

func TestIssueStatusesAndRegression(t *testing.T) {
	a := startApp(t)
	base := a.URL()
	t0 := time.Now().Add(-2 * time.Hour)
	storeEvent(t, base, sentryError(t0, "shop@2.0", "TimeoutError", "upstream timed out", "Charge", 10))
	flush(t, a)
	l := listIssues(t, base, nil)
	if len(l.Issues) != 1 {
		t.Fatalf("issues: %+v", l.Issues)
	}
	id := l.Issues[0].ID

	// Resolved: an event after the resolution reopens it as regressed,
	// recording the release.
	if code, b := patchIssue(t, base, id, `{"status":"resolved","assignee":"ada"}`); code != 200 || !strings.Contains(string(b), `"status":"resolved"`) {
		t.Fatalf("resolve: %d %s", code, b)
	}
	if l := listIssues(t, base, nil); len(l.Issues) != 0 {
		t.Errorf("a resolved issue is listed as unresolved: %+v", l.Issues)
	}
	if l := listIssues(t, base, url.Values{"status": {"resolved"}}); len(l.Issues) != 1 {
		t.Errorf("status=resolved: %+v", l.Issues)
	}
	storeEvent(t, base, sentryError(time.Now(), "shop@2.1", "TimeoutError", "upstream timed out", "Charge", 12))
	flush(t, a)
	l = listIssues(t, base, nil)
	if len(l.Issues) != 1 || l.Issues[0].Status != "regressed" || l.Issues[0].RegressedIn != "shop@2.1" {
		t.Fatalf("after the bug came back: %+v", l.Issues)
	}
	var sig struct {
		Signals []struct {
			IssueID int64  `json:"issue_id"`
			Kind    string `json:"kind"`
			Release string `json:"release"`
		} `json:"signals"`
	}
	getJSON(t, base, "/api/v1/issues/signals", url.Values{"from": {"now-1d"}}, &sig)
	if len(sig.Signals) != 2 || sig.Signals[0].Kind != "new" || sig.Signals[0].Release != "shop@2.0" ||
		sig.Signals[1].Kind != "regressed" || sig.Signals[1].Release != "shop@2.1" {
		t.Errorf("signals = %+v", sig.Signals)
	}

	// Resolved in next release: more events of the current release do not
	// reopen it; one from another release does.
	if code, b := patchIssue(t, base, id, `{"status":"resolved_in_next_release"}`); code != 200 {
		t.Fatalf("resolve in next release: %d %s", code, b)
	}
	storeEvent(t, base, sentryError(time.Now(), "shop@2.1", "TimeoutError", "upstream timed out", "Charge", 12))
	flush(t, a)
	if l := listIssues(t, base, url.Values{"status": {"resolved_in_next_release"}}); len(l.Issues) != 1 {
		t.Fatalf("an event of the old release reopened the issue: %+v", l.Issues)
	}
	storeEvent(t, base, sentryError(time.Now(), "shop@2.2", "TimeoutError", "upstream timed out", "Charge", 12))
	flush(t, a)
	if l := listIssues(t, base, nil); len(l.Issues) != 1 || l.Issues[0].Status != "regressed" || l.Issues[0].RegressedIn != "shop@2.2" {
		t.Fatalf("after an event of the next release: %+v", l.Issues)
	}

	// Ignored until 2 more events.
	if code, b := patchIssue(t, base, id, `{"status":"ignored","ignore_count":2}`); code != 200 {
		t.Fatalf("ignore: %d %s", code, b)
	}
	storeEvent(t, base, sentryError(time.Now(), "shop@2.2", "TimeoutError", "upstream timed out", "Charge", 12))
	flush(t, a)
	if l := listIssues(t, base, url.Values{"status": {"ignored"}}); len(l.Issues) != 1 {
		t.Fatalf("ignored issue reopened too early: %+v", l.Issues)
	}
	storeEvent(t, base, sentryError(time.Now(), "shop@2.2", "TimeoutError", "upstream timed out", "Charge", 12))
	flush(t, a)
	if l := listIssues(t, base, nil); len(l.Issues) != 1 || l.Issues[0].Status != "unresolved" {
		t.Fatalf("ignored issue did not come back after its count: %+v", l.Issues)
	}

	// Bad changes.
	for _, body := range []string{`{"status":"done"}`, `{"stauts":"resolved"}`, `{"merge":[999]}`} {
		if code, b := patchIssue(t, base, id, body); code != 400 && code != 404 {
			t.Errorf("PATCH %s: %d %s", body, code, b)
		}
	}
	if code, _ := patchIssue(t, base, 12345, `{"status":"resolved"}`); code != 404 {
		t.Errorf("PATCH of a missing issue: %d", code)
	}
}

func TestSentryEndpointsBadInput(t *testing.T) {
	a := startApp(t)
	base := a.URL()
	good := `{"type":"event"}` + "\n" + `{"message":"good one"}`
	bad := `{"type":"event"}` + "\n" + `{"exception":42}`
	f := func(name, path string, body []byte, header map[string]string, want int, wantBody string) {
		t.Helper()
		code, b := sentryPost(t, base, path, body, header)
		if code != want || !strings.Contains(string(b), wantBody) {
			t.Errorf("%s: %d %s, want %d with %q", name, code, b, want, wantBody)
		}
	}
	f("malformed header", "/api/1/envelope/", []byte("nope\n"), nil, 400, "envelope header")
	f("only bad items", "/api/1/envelope/", []byte("{}\n"+bad+"\n"), nil, 400, "bad exception")
	f("bad beside good", "/api/1/envelope/", []byte("{}\n"+bad+"\n"+good+"\n"), nil, 200, `"errors"`)
	f("wrong project", "/api/2/envelope/", []byte("{}\n"+good+"\n"), nil, 403, "project")
	f("bad store body", "/api/1/store/", []byte("{"), nil, 400, "cannot read event")
	f("oversized", "/api/1/envelope/", bytes.Repeat([]byte("x"), 17<<20), nil, 413, "too large")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("{}\n" + `{"type":"event"}` + "\n" + `{"message":"gzipped one"}` + "\n"))
	zw.Close()
	f("gzip", "/api/1/envelope/", gz.Bytes(), map[string]string{"Content-Encoding": "gzip"}, 200, `"id"`)

	// Keys: missing, unknown, read-only; ?sentry_key= works too.
	req, _ := http.NewRequest(http.MethodPost, base+"/api/1/envelope/", strings.NewReader("{}\n"+good))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("no key: %d", resp.StatusCode)
	}
	f("read key", "/api/1/envelope/", []byte("{}\n"+good), map[string]string{"X-Sentry-Auth": "Sentry sentry_key=" + readKey}, 403, "ingest key")
	resp, err = http.Post(base+"/api/1/envelope/?sentry_key="+ingestKey, "application/x-sentry-envelope", strings.NewReader("{}\n"+`{"type":"event"}`+"\n"+`{"message":"query key"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("?sentry_key=: %d", resp.StatusCode)
	}
	flush(t, a)
	l := listIssues(t, base, nil)
	if len(l.Issues) != 3 {
		t.Errorf("want the good, gzipped and query-key events as 3 issues, got %+v", l.Issues)
	}
}

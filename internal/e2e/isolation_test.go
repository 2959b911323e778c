package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/internal/meta"
)

// TestIsolationAcrossProjects: monitors, uptime checks, notification
// channels and issues of project 1 are not listed, read, changed, run,
// tested or deleted from project 2 — by project 2's admin key or by a
// signed-in admin of project 2 — and project 2 cannot point its own
// monitor at project 1's check or channel. Project 1 still sees all of
// them unchanged afterwards.
func TestIsolationAcrossProjects(t *testing.T) {
	a := startApp(t, func(c *app.Config) { c.AdminKey = adminKey; c.AllowPrivateWebhooks = true })
	base := a.URL()
	ctx := context.Background()
	m := a.Meta()
	p2, err := m.CreateProject(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	k2, err := m.CreateKey(ctx, p2.ID, meta.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	u, err := m.AddUser(ctx, "bea@example.com", "bea-password-1", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetMember(ctx, p2.ID, u.ID, meta.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer target.Close()

	one := caller{name: "project 1's admin key", key: adminKey}
	others := []caller{
		{name: "project 2's admin key", key: k2},
		signIn(t, base, "project 2's signed-in admin", "bea@example.com", "bea-password-1", meta.RoleAdmin, p2.ID),
	}
	create := func(path, body string) int64 {
		t.Helper()
		code, b := one.do(t, "POST", base+path, []byte(body), nil)
		if code != 200 {
			t.Fatalf("POST %s: %d %s", path, code, b)
		}
		var v struct{ ID int64 }
		json.Unmarshal([]byte(b), &v)
		if v.ID == 0 {
			t.Fatalf("POST %s: no id in %s", path, b)
		}
		return v.ID
	}
	check := create("/api/v1/checks", `{"name":"one's check","url":"`+target.URL+`/health","interval":"1h","timeout":"2s"}`)
	channel := create("/api/v1/channels", `{"name":"one's hook","type":"webhook","url":"`+target.URL+`/hook"}`)
	monitor := create("/api/v1/monitors", fmt.Sprintf(`{"name":"one's monitor","kind":"check","check":%d,"interval":"1h","channels":[%d]}`, check, channel))

	// An issue of project 1, from a Sentry envelope.
	req, _ := http.NewRequest("POST", base+"/api/1/envelope/", bytes.NewReader(envelopeBody(7, 1, time.Now())))
	req.Header.Set("X-Sentry-Auth", "Sentry sentry_version=7, sentry_key="+ingestKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("envelope: %v %v", err, resp)
	}
	resp.Body.Close()
	flush(t, a)
	var issue int64
	for deadline := time.Now().Add(20 * time.Second); issue == 0 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		_, b := one.do(t, "GET", base+"/api/v1/issues?from=now-1h&to=now%2B1h", nil, nil)
		var l struct{ Issues []struct{ ID int64 } }
		json.Unmarshal([]byte(b), &l)
		if len(l.Issues) > 0 {
			issue = l.Issues[0].ID
		}
	}
	if issue == 0 {
		t.Fatal("project 1 has no issue from its envelope")
	}

	byID := []struct{ method, path, body string }{
		{"GET", fmt.Sprintf("/api/v1/monitors/%d", monitor), ""},
		{"PUT", fmt.Sprintf("/api/v1/monitors/%d", monitor), `{"name":"taken","kind":"check","check":1,"interval":"1h"}`},
		{"POST", fmt.Sprintf("/api/v1/monitors/%d/evaluate", monitor), ""},
		{"GET", fmt.Sprintf("/api/v1/monitors/%d/deliveries", monitor), ""},
		{"DELETE", fmt.Sprintf("/api/v1/monitors/%d", monitor), ""},
		{"GET", fmt.Sprintf("/api/v1/checks/%d", check), ""},
		{"PUT", fmt.Sprintf("/api/v1/checks/%d", check), `{"name":"taken","url":"` + target.URL + `/x","interval":"1h","timeout":"2s"}`},
		{"POST", fmt.Sprintf("/api/v1/checks/%d/run", check), ""},
		{"DELETE", fmt.Sprintf("/api/v1/checks/%d", check), ""},
		{"GET", fmt.Sprintf("/api/v1/channels/%d", channel), ""},
		{"PUT", fmt.Sprintf("/api/v1/channels/%d", channel), `{"name":"taken","type":"webhook","url":"` + target.URL + `/stolen"}`},
		{"POST", fmt.Sprintf("/api/v1/channels/%d/test", channel), ""},
		{"GET", fmt.Sprintf("/api/v1/channels/%d/deliveries", channel), ""},
		{"DELETE", fmt.Sprintf("/api/v1/channels/%d", channel), ""},
		{"GET", fmt.Sprintf("/api/v1/issues/%d?from=now-1h&to=now%%2B1h", issue), ""},
		{"GET", fmt.Sprintf("/api/v1/issues/%d/events?from=now-1h&to=now%%2B1h", issue), ""},
		{"PATCH", fmt.Sprintf("/api/v1/issues/%d", issue), `{"status":"ignored"}`},
	}
	lists := []struct{ path, leak string }{
		{"/api/v1/monitors", "one's monitor"},
		{"/api/v1/checks", "one's check"},
		{"/api/v1/status", "one's check"},
		{"/api/v1/channels", "one's hook"},
		{"/api/v1/issues?from=now-1h&to=now%2B1h", "failed for order"},
		{"/api/v1/issues/signals?from=now-1h&to=now%2B1h", "shop@1.1"},
	}
	// (Project 1's lists do show them: the leak strings are real.)
	for _, l := range lists {
		if code, b := one.do(t, "GET", base+l.path, nil, nil); code != 200 || !strings.Contains(b, l.leak) {
			t.Fatalf("GET %s as project 1: %d %.300s; want %q", l.path, code, b, l.leak)
		}
	}
	for _, o := range others {
		for _, c := range byID {
			var body []byte
			if c.body != "" {
				body = []byte(c.body)
			}
			code, b := o.do(t, c.method, base+c.path, body, nil)
			// 404 (not found in project 2); a handler may read the body
			// before the id and refuse it (400) — never 200.
			if code != 404 && code != 400 {
				t.Errorf("%s %s as %s: %d %.200s; want 404", c.method, c.path, o.name, code, b)
			}
			if code == 400 && !strings.Contains(strings.ToLower(b), "check") && !strings.Contains(strings.ToLower(b), "channel") {
				t.Errorf("%s %s as %s: 400 %.200s", c.method, c.path, o.name, b)
			}
		}
		for _, l := range lists {
			code, b := o.do(t, "GET", base+l.path, nil, nil)
			if code != 200 && code != 404 || strings.Contains(b, l.leak) {
				t.Errorf("GET %s as %s: %d %.300s; project 1's %q leaks", l.path, o.name, code, b, l.leak)
			}
		}
		// Project 2's monitor cannot use project 1's check or channel.
		for _, body := range []string{
			fmt.Sprintf(`{"name":"borrow check","kind":"check","check":%d,"interval":"1h"}`, check),
			fmt.Sprintf(`{"name":"borrow channel","kind":"story","story_type":"cascade","severity":"critical","window":"3h","channels":[%d]}`, channel),
		} {
			code, b := o.do(t, "POST", base+"/api/v1/monitors", []byte(body), nil)
			if code == 200 {
				t.Errorf("project 2 (%s) made a monitor on project 1's check or channel: %s → %s", o.name, body, b)
			}
		}
	}

	// Project 1's things are all there, unchanged.
	for _, c := range []struct{ path, want string }{
		{fmt.Sprintf("/api/v1/monitors/%d", monitor), "one's monitor"},
		{fmt.Sprintf("/api/v1/checks/%d", check), "one's check"},
		{fmt.Sprintf("/api/v1/channels/%d", channel), target.URL + "/hook"},
		{fmt.Sprintf("/api/v1/issues/%d?from=now-1h&to=now%%2B1h", issue), `"status":"unresolved"`},
	} {
		if code, b := one.do(t, "GET", base+c.path, nil, nil); code != 200 || !strings.Contains(b, c.want) {
			t.Errorf("project 1 reads %s after project 2 tried: %d %.300s; want %q", c.path, code, b, c.want)
		}
	}
}

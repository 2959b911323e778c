package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/internal/notify/smtptest"
)

// flipTarget is an HTTP service on loopback that answers 200 "ok" or 503.
type flipTarget struct {
	*httptest.Server
	down atomic.Bool
}

func newFlipTarget(t *testing.T) *flipTarget {
	f := &flipTarget{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.down.Load() {
			http.Error(w, "maintenance", 503)
			return
		}
		fmt.Fprint(w, "ok: all good")
	}))
	t.Cleanup(f.Close)
	return f
}

type checkJSON struct {
	ID        int64    `json:"id"`
	Name      string   `json:"name"`
	Status    string   `json:"status"`
	Uptime    *float64 `json:"uptime"`
	LastCheck *struct {
		At         string  `json:"at"`
		StatusCode int     `json:"status_code"`
		LatencyMS  float64 `json:"latency_ms"`
		Error      string  `json:"error"`
	} `json:"last_check"`
}

// TestUptimeCheckAlertsChannels runs the whole loop on a real server: an
// uptime check of a service on loopback runs on its own, its results are
// kind:check events in search, a check monitor alerts a webhook channel
// and an email channel (a real SMTP server with STARTTLS and AUTH) when
// the service goes down and tells them when it is back, the status
// summary counts it, the incident timeline tells the outage, and the
// monitor's deliveries are logged per attempt.
func TestUptimeCheckAlertsChannels(t *testing.T) {
	mail, err := smtptest.Start("lore", "mail-pass")
	if err != nil {
		t.Fatal(err)
	}
	defer mail.Close()
	a := startApp(t, allowPrivate, func(c *app.Config) {
		c.PublicURL = "https://lore.example.com/"
		c.OutboundRootCAs = mail.CA.Pool // the mail server's certificate is from the test's CA
	})
	base := a.URL()
	target := newFlipTarget(t)
	hookGot := make(chan map[string]any, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n map[string]any
		json.NewDecoder(r.Body).Decode(&n)
		hookGot <- n
	}))
	defer hook.Close()

	var c checkJSON
	code, body := monitorsCall(t, http.MethodPost, base+"/api/v1/checks",
		`{"name":"shop","url":"`+target.URL+`/health","interval":"5s","timeout":"2s","expect_status":200,"expect_body":"ok"}`, &c)
	if code != 200 || c.ID == 0 {
		t.Fatalf("create check: %d %s", code, body)
	}
	checkURL := fmt.Sprintf("%s/api/v1/checks/%d", base, c.ID)
	// The runner runs a new check at once.
	deadline := time.Now().Add(20 * time.Second)
	for c.Status != "up" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		monitorsCall(t, http.MethodGet, checkURL, "", &c)
	}
	if c.Status != "up" || c.LastCheck == nil || c.LastCheck.StatusCode != 200 || c.LastCheck.LatencyMS <= 0 || c.LastCheck.Error != "" {
		t.Fatalf("check after its first run: %+v", c)
	}

	var hookCh, mailCh struct{ ID int64 }
	if code, body = monitorsCall(t, http.MethodPost, base+"/api/v1/channels", `{"name":"ops hook","type":"webhook","url":"`+hook.URL+`"}`, &hookCh); code != 200 {
		t.Fatalf("create webhook channel: %d %s", code, body)
	}
	code, body = monitorsCall(t, http.MethodPost, base+"/api/v1/channels", fmt.Sprintf(
		`{"name":"ops mail","type":"email","to":"ops@shop.test","smtp":{"host":"localhost","port":%d,"username":"lore","password":"mail-pass","from":"Lore <lore@shop.test>","tls":"starttls"}}`, mail.Port), &mailCh)
	if code != 200 || strings.Contains(body, "mail-pass") {
		t.Fatalf("create email channel: %d %s (the password must not be answered)", code, body)
	}
	var test struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	monitorsCall(t, http.MethodPost, fmt.Sprintf("%s/api/v1/channels/%d/test", base, hookCh.ID), "", &test)
	if !test.OK {
		t.Errorf("webhook channel test: %+v", test)
	}
	if n := <-hookGot; n["test"] != true {
		t.Errorf("test message %v", n)
	}
	monitorsCall(t, http.MethodPost, fmt.Sprintf("%s/api/v1/channels/%d/test", base, mailCh.ID), "", &test)
	if !test.OK || len(mail.Wait(1, 10*time.Second)) != 1 {
		t.Errorf("email channel test: %+v", test)
	}

	var m monitorJSON
	code, body = monitorsCall(t, http.MethodPost, base+"/api/v1/monitors",
		fmt.Sprintf(`{"name":"shop down","kind":"check","check":%d,"interval":"5s","channels":[%d,%d]}`, c.ID, hookCh.ID, mailCh.ID), &m)
	if code != 200 {
		t.Fatalf("create check monitor: %d %s", code, body)
	}
	target.down.Store(true)
	for range 3 { // three failed runs: an outage the incident timeline tells
		if code, body = monitorsCall(t, http.MethodPost, checkURL+"/run", "", &c); code != 200 || c.Status != "down" {
			t.Fatalf("run while down: %d %s", code, body)
		}
	}
	if !strings.Contains(c.LastCheck.Error, "status 503, want 200") {
		t.Errorf("down because %q", c.LastCheck.Error)
	}
	// The check going down nudges the monitor: no need to wait its interval.
	var n map[string]any
	select {
	case n = <-hookGot:
	case <-time.After(20 * time.Second):
		t.Fatal("no alert for the check going down")
	}
	ev, _ := n["evidence"].(map[string]any)
	chk, _ := ev["check"].(map[string]any)
	if n["status"] != "firing" || n["to"] != "alert" || chk["name"] != "shop" || chk["status_code"] != 503.0 ||
		n["url"] != fmt.Sprintf("https://lore.example.com/#/monitors/%d", m.ID) || !strings.Contains(fmt.Sprint(n["text"]), "is ALERTING") {
		t.Errorf("alert: %v", n)
	}
	msgs := mail.Wait(2, 20*time.Second)
	if len(msgs) != 2 || !msgs[1].TLS || msgs[1].User != "lore" || !strings.Contains(string(msgs[1].Data), "ALERT shop down") ||
		!strings.Contains(string(msgs[1].Data), "status 503") {
		t.Errorf("alert email: %d messages; last %q", len(msgs), msgs[len(msgs)-1].Data)
	}
	explore, _ := ev["explore"].(map[string]any)
	if q, _ := explore["query"].(string); q != "kind:check service:shop" {
		t.Errorf("alert's explore query %q", q)
	}

	var status struct {
		Status   string `json:"status"`
		Down     int    `json:"down"`
		Alerting []struct {
			Name string `json:"name"`
		} `json:"alerting"`
		Checks []struct {
			Name   string     `json:"name"`
			Hours  []*float64 `json:"hours"`
			Uptime *float64   `json:"uptime"`
		} `json:"checks"`
	}
	flush(t, a)
	getJSON(t, base, "/api/v1/status", nil, &status)
	if status.Status != "down" || status.Down != 1 || len(status.Alerting) != 1 || len(status.Checks) != 1 || len(status.Checks[0].Hours) != 24 {
		t.Errorf("status while down: %+v", status)
	}
	if u := status.Checks[0].Uptime; u == nil || *u <= 0 || *u >= 1 {
		t.Errorf("uptime after 1+ up and 3 down runs: %v", u)
	}

	// Every result is a kind:check event, searchable like any other.
	var found struct {
		Events []struct {
			Service    string  `json:"service"`
			Level      string  `json:"level"`
			HTTPStatus int     `json:"http_status"`
			DurationMS float64 `json:"duration_ms"`
			ErrorType  string  `json:"error_type"`
			Message    string  `json:"message"`
		} `json:"events"`
	}
	getJSON(t, base, "/api/v1/search", url.Values{"q": {"kind:check service:shop http_status:503"}, "from": {"now-1h"}}, &found)
	if len(found.Events) != 3 || found.Events[0].Level != "error" || found.Events[0].DurationMS <= 0 || found.Events[0].ErrorType != "status" ||
		!strings.Contains(found.Events[0].Message, "shop is down: status 503") {
		t.Errorf("search for the failed runs: %+v", found.Events)
	}
	// The outage is in the incident timeline.
	var tl struct {
		Events []struct {
			Service string `json:"service"`
			Signal  string `json:"signal"`
			Text    string `json:"text"`
		} `json:"events"`
	}
	getJSON(t, base, "/api/v1/incidents/timeline", url.Values{"at": {"now"}}, &tl)
	inTimeline := false
	for _, e := range tl.Events {
		if e.Service == "shop" && strings.Contains(e.Text, "shop is down: status 503") {
			inTimeline = true
		}
	}
	if !inTimeline {
		t.Errorf("the outage is not in the incident timeline: %+v", tl.Events)
	}

	target.down.Store(false)
	monitorsCall(t, http.MethodPost, checkURL+"/run", "", &c)
	select {
	case n = <-hookGot:
		if n["status"] != "resolved" || n["from"] != "alert" {
			t.Errorf("resolution: %v", n)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no resolution when the check came back")
	}
	var deliveries struct {
		Attempts []struct {
			OK      bool `json:"ok"`
			Attempt int  `json:"attempt"`
		} `json:"attempts"`
	}
	getJSON(t, base, fmt.Sprintf("/api/v1/monitors/%d/deliveries", m.ID), nil, &deliveries)
	if len(mail.Wait(3, 20*time.Second)) != 3 {
		t.Error("no resolution email")
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		getJSON(t, base, fmt.Sprintf("/api/v1/monitors/%d/deliveries", m.ID), nil, &deliveries)
		if len(deliveries.Attempts) == 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(deliveries.Attempts) != 4 || !deliveries.Attempts[0].OK {
		t.Errorf("monitor deliveries (2 channels × alert and resolution): %+v", deliveries)
	}

	// A channel's secrets are never answered; a Slack URL's token neither.
	var chans struct {
		Channels []map[string]any `json:"channels"`
	}
	monitorsCall(t, http.MethodPost, base+"/api/v1/channels", `{"name":"slack","type":"slack","url":"https://hooks.slack.com/services/T0/B0/SECRET"}`, nil)
	getJSON(t, base, "/api/v1/channels", nil, &chans)
	raw, _ := json.Marshal(chans)
	if len(chans.Channels) != 3 || strings.Contains(string(raw), "SECRET") || strings.Contains(string(raw), "mail-pass") || !strings.Contains(string(raw), `"password_set":true`) {
		t.Errorf("channels: %s", raw)
	}
	for _, bad := range []struct{ path, body, want string }{
		{"/api/v1/checks", `{"name":"x","url":"ftp://x"}`, "not an http or https URL"},
		{"/api/v1/checks", `{"name":"x","url":"http://x.test","interval":"1s"}`, "not between 5s"},
		{"/api/v1/checks", `{"name":"x","url":"http://x.test","interval":"5s","timeout":"10s"}`, "longer than the interval"},
		{"/api/v1/checks", `{"name":"shop","url":"http://x.test"}`, "exists already"},
		{"/api/v1/channels", `{"name":"x","type":"pager","url":"http://x.test"}`, `unknown channel type \"pager\"`},
		{"/api/v1/channels", `{"name":"x","type":"email","to":"not an address","smtp":{"host":"h","from":"a@b.c"}}`, "bad address"},
		{"/api/v1/monitors", `{"name":"x","kind":"check","check":999}`, "no check 999"},
		{"/api/v1/monitors", `{"name":"x","kind":"query","channels":[999]}`, "no channel 999"},
		{"/api/v1/monitors", `{"name":"x","kind":"story","story_type":"volcano"}`, `unknown story_type \"volcano\"`},
	} {
		code, body := monitorsCall(t, http.MethodPost, base+bad.path, bad.body, nil)
		if (code != 400 && code != 409) || !strings.Contains(body, bad.want) {
			t.Errorf("POST %s %s: %d %s, want %q", bad.path, bad.body, code, body, bad.want)
		}
	}
}

// TestEmailChannelRefusesCleartextAuth: an email channel without TLS
// cannot authenticate to a server that refuses AUTH in clear; the channel
// test says why.
func TestEmailChannelRefusesCleartextAuth(t *testing.T) {
	a := startApp(t, allowPrivate)
	base := a.URL()
	mail, err := smtptest.Start("lore", "mail-pass")
	if err != nil {
		t.Fatal(err)
	}
	defer mail.Close()
	var ch struct{ ID int64 }
	monitorsCall(t, http.MethodPost, base+"/api/v1/channels", fmt.Sprintf(
		`{"name":"clear","type":"email","to":["ops@shop.test"],"smtp":{"host":"127.0.0.1","port":%d,"username":"lore","password":"mail-pass","from":"lore@shop.test","tls":"none"}}`, mail.Port), &ch)
	var test struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	monitorsCall(t, http.MethodPost, fmt.Sprintf("%s/api/v1/channels/%d/test", base, ch.ID), "", &test)
	if test.OK || !strings.Contains(test.Error, "538") {
		t.Errorf("AUTH in clear: %+v, want the server's refusal", test)
	}
	if len(mail.Messages()) != 0 {
		t.Error("a message was accepted")
	}
}

// TestWebhooksRefuseLoopbackByDefault: without --allow-private-webhooks a
// channel on loopback is refused (and the test says so), while an uptime
// check may still watch a service on loopback.
func TestWebhooksRefuseLoopbackByDefault(t *testing.T) {
	a := startApp(t)
	base := a.URL()
	var hits atomic.Int64
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1); io.Copy(io.Discard, r.Body) }))
	defer hook.Close()
	var ch struct{ ID int64 }
	monitorsCall(t, http.MethodPost, base+"/api/v1/channels", `{"name":"local","type":"webhook","url":"`+hook.URL+`"}`, &ch)
	var test struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	monitorsCall(t, http.MethodPost, fmt.Sprintf("%s/api/v1/channels/%d/test", base, ch.ID), "", &test)
	if test.OK || !strings.Contains(test.Error, "loopback address") || !strings.Contains(test.Error, "--allow-private-webhooks") || hits.Load() != 0 {
		t.Errorf("loopback webhook without the flag: %+v, %d hits", test, hits.Load())
	}
	target := newFlipTarget(t)
	var c checkJSON
	monitorsCall(t, http.MethodPost, base+"/api/v1/checks", `{"name":"local service","url":"`+target.URL+`","interval":"1m"}`, &c)
	monitorsCall(t, http.MethodPost, fmt.Sprintf("%s/api/v1/checks/%d/run", base, c.ID), "", &c)
	if c.Status != "up" {
		t.Errorf("a check of a loopback service: %+v", c)
	}
	monitorsCall(t, http.MethodPost, base+"/api/v1/checks", `{"name":"metadata","url":"http://169.254.169.254/latest/meta-data/","interval":"1m","timeout":"2s"}`, &c)
	monitorsCall(t, http.MethodPost, fmt.Sprintf("%s/api/v1/checks/%d/run", base, c.ID), "", &c)
	if c.Status != "down" || c.LastCheck == nil || !strings.Contains(c.LastCheck.Error, "link-local") {
		t.Errorf("a check of the metadata address: %+v", c.LastCheck)
	}
}

// TestCLIChecksAndChannels creates, lists and deletes checks and channels
// with the lore command against a running server.
func TestCLIChecksAndChannels(t *testing.T) {
	a := startApp(t)
	base := a.URL()
	target := newFlipTarget(t)
	out, errOut, code := runCLI(t, "checks", "create", "--url", base, "--key", adminKey, "--name", "shop",
		"--target", target.URL+"/health", "--interval", "30s", "--timeout", "5s", "--expect-status", "200")
	if code != 0 || !strings.Contains(out, "shop") {
		t.Fatalf("checks create: %d %s %s", code, out, errOut)
	}
	out, errOut, code = runCLI(t, "checks", "run", "1", "--url", base, "--key", adminKey)
	if code != 0 || !strings.Contains(out, "up") || !strings.Contains(out, "200 in") {
		t.Fatalf("checks run: %d %s %s", code, out, errOut)
	}
	out, _, code = runCLI(t, "checks", "list", "--url", base, "--key", adminKey)
	if code != 0 || !strings.Contains(out, target.URL+"/health") {
		t.Errorf("checks list: %d %s", code, out)
	}
	out, _, code = runCLI(t, "checks", "status", "--url", base, "--key", adminKey)
	if code != 0 || !strings.HasPrefix(out, "status: up (1 up, 0 down") {
		t.Errorf("checks status: %d %s", code, out)
	}
	_, errOut, code = runCLI(t, "checks", "create", "--url", base, "--key", adminKey, "--name", "bad", "--target", "ftp://x")
	if code == 0 || !strings.Contains(errOut, "not an http or https URL") {
		t.Errorf("bad check: %d %s", code, errOut)
	}
	out, errOut, code = runCLI(t, "channels", "create", "--url", base, "--key", adminKey, "--name", "ops", "--type", "discord",
		"--target", "https://discord.com/api/webhooks/1/SECRET")
	if code != 0 || !strings.Contains(out, "discord") || strings.Contains(out, "SECRET") {
		t.Fatalf("channels create: %d %s %s", code, out, errOut)
	}
	t.Setenv("LORE_SMTP_PASSWORD", "pw")
	out, errOut, code = runCLI(t, "channels", "create", "--url", base, "--key", adminKey, "--name", "mail", "--type", "email",
		"--to", "a@shop.test,b@shop.test", "--smtp-host", "mail.shop.test", "--smtp-username", "lore", "--smtp-from", "lore@shop.test")
	if code != 0 || !strings.Contains(out, "a@shop.test, b@shop.test via mail.shop.test:587") {
		t.Fatalf("channels create email: %d %s %s", code, out, errOut)
	}
	out, _, code = runCLI(t, "monitors", "create", "--url", base, "--key", adminKey, "--name", "shop down", "--kind", "check",
		"--check", "1", "--channels", "1,2", "--pending", "1m", "--cooldown", "30m", "--mute", "22:00-06:00 Europe/Paris sat,sun")
	if code != 0 || !strings.Contains(out, "shop down") {
		t.Fatalf("monitors create: %d %s", code, out)
	}
	var m struct {
		Channels []int64 `json:"channels"`
		Pending  string  `json:"pending"`
		Mute     []struct {
			Days []string `json:"days"`
			TZ   string   `json:"tz"`
		} `json:"mute"`
	}
	getJSON(t, base, "/api/v1/monitors/1", nil, &m)
	if len(m.Channels) != 2 || m.Pending != "1m" || len(m.Mute) != 1 || m.Mute[0].TZ != "Europe/Paris" || len(m.Mute[0].Days) != 2 {
		t.Errorf("monitor from the CLI: %+v", m)
	}
	for _, args := range [][]string{{"checks", "delete", "1"}, {"channels", "delete", "1"}} {
		out, errOut, code = runCLI(t, append(args, "--url", base, "--key", adminKey)...)
		if code != 0 || !strings.Contains(out, "deleted") {
			t.Errorf("%v: %d %s %s", args, code, out, errOut)
		}
	}
	// The monitor of the deleted check reports it.
	var mm monitorJSON
	monitorsCall(t, http.MethodPost, base+"/api/v1/monitors/1/evaluate", "", &mm)
	if mm.State != "error" || !strings.Contains(mm.LastError, "no longer exists") {
		t.Errorf("monitor of a deleted check: %+v", mm)
	}
}

// TestAlertStateSurvivesRestart: a check monitor alerts and the server
// stops; a new server on the same data directory keeps the check, the
// monitor and its alert, so when the service comes back the resolution
// is sent (and no second alert), and the check keeps its results.
func TestAlertStateSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	target := newFlipTarget(t)
	got := make(chan map[string]any, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n map[string]any
		json.NewDecoder(r.Body).Decode(&n)
		got <- n
	}))
	defer hook.Close()
	start := func() (*app.App, func()) {
		ctx, cancel := context.WithCancel(context.Background())
		a, err := app.Open(ctx, app.Config{DataDir: dir, Addr: "127.0.0.1:0", IngestKey: ingestKey, ReadKey: readKey, AdminKey: adminKey,
			Log: slog.New(slog.DiscardHandler), AllowPrivateWebhooks: true})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- a.Serve(ctx) }()
		return a, func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		}
	}
	a, stop := start()
	var c checkJSON
	monitorsCall(t, http.MethodPost, a.URL()+"/api/v1/checks", `{"name":"shop","url":"`+target.URL+`","interval":"1m"}`, &c)
	var m monitorJSON
	monitorsCall(t, http.MethodPost, a.URL()+"/api/v1/monitors", fmt.Sprintf(`{"name":"shop down","kind":"check","check":%d,"webhook":%q}`, c.ID, hook.URL), &m)
	target.down.Store(true)
	monitorsCall(t, http.MethodPost, fmt.Sprintf("%s/api/v1/checks/%d/run", a.URL(), c.ID), "", &c)
	var fired map[string]any
	select {
	case fired = <-got:
		if fired["status"] != "firing" {
			t.Fatalf("first notification %v", fired)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no alert before the restart")
	}
	stop()

	a, stop = start()
	defer stop()
	var after checkJSON
	monitorsCall(t, http.MethodGet, fmt.Sprintf("%s/api/v1/checks/%d", a.URL(), c.ID), "", &after)
	if after.Status != "down" || after.LastCheck == nil || after.LastCheck.StatusCode != 503 {
		t.Errorf("the check after the restart: %+v", after)
	}
	monitorsCall(t, http.MethodGet, fmt.Sprintf("%s/api/v1/monitors/%d", a.URL(), m.ID), "", &m)
	if m.State != "alert" {
		t.Errorf("the monitor after the restart is %s, want alert", m.State)
	}
	target.down.Store(false)
	monitorsCall(t, http.MethodPost, fmt.Sprintf("%s/api/v1/checks/%d/run", a.URL(), c.ID), "", &c)
	// Delivery is at least once: the alert may come again if the server
	// stopped before it knew the receiver took it — the same alert, with
	// the same dedupe key and time, never a new one.
	for {
		select {
		case n := <-got:
			if n["status"] == "resolved" {
				if n["dedupe_key"] != fired["dedupe_key"] {
					t.Errorf("the resolution's dedupe key %v, the alert's %v", n["dedupe_key"], fired["dedupe_key"])
				}
				return
			}
			if n["status"] != "firing" || n["at"] != fired["at"] {
				t.Fatalf("after the restart %v was sent; want the resolution (or the same alert again)", n)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("no resolution after the restart")
		}
	}
}

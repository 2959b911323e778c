package notify

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/notify/smtptest"
	"github.com/lore-dev/lore/internal/outbound"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.DiscardHandler)

func sample() *Message {
	v := 12.0
	return &Message{
		Monitor: MonitorRef{ID: 7, Name: "payment errors", Kind: "query", Query: "level:error", Op: ">", Window: "5m", Measure: "count"},
		From:    "pending", To: "alert", Value: &v, Threshold: 10, At: "2026-11-21T09:30:00Z", Status: Firing,
		Series: "payment-service", GroupBy: "service", DedupeKey: "lore/1/7/payment-service",
		Text: `[Lore] monitor "payment errors" is ALERTING: query count of level:error over 5m (value 12, threshold > 10)`,
		URL:  "http://lore.example/#/monitors/7",
		Evidence: &Evidence{
			Explore: &Link{Title: "Events", URL: "http://lore.example/#/explore?q=level%3Aerror", Query: "level:error"},
			Issue:   &IssueEvidence{ID: 3, Title: "CardDeclined: card declined", Count: 12, Users: 4, Stack: []string{"charge (pay.go:42)", "checkout (shop.go:10)"}, URL: "http://lore.example/#/issues/3"},
			Story:   &StoryEvidence{Type: "throttling", Title: "Stripe throttled payment-service", Severity: "critical", Narrative: []string{"Between 09:00 and 09:30 Stripe answered 429."}, URL: "http://lore.example/#/overview"},
			Journey: &Link{Title: "Sample journey", URL: "http://lore.example/#/journey/trace/abc"},
		},
	}
}

func openMeta(t *testing.T, path string) *meta.Store {
	t.Helper()
	ctx := context.Background()
	m, err := meta.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.MigrateMonitors(ctx); err != nil {
		t.Fatal(err)
	}
	return m
}

var loopback = outbound.Options{AllowPrivate: true}

// TestEmailOverSTARTTLSWithAuth sends a notification to a real SMTP
// server on loopback: the client upgrades with STARTTLS, authenticates,
// and the message carries the title as subject and the value, threshold
// and evidence links in its body. A wrong password and a server that
// answers DATA with 451 are errors that say so.
func TestEmailOverSTARTTLSWithAuth(t *testing.T) {
	srv, err := smtptest.Start("alerts@shop.test", "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	s := NewSender(outbound.Options{AllowPrivate: true, RootCAs: srv.CA.Pool, Timeout: 5 * time.Second}, nil)
	ch := meta.Channel{Name: "ops mail", Type: meta.ChannelEmail, To: []string{"ops@shop.test", "oncall@shop.test"},
		SMTP: &meta.SMTP{Host: "localhost", Port: srv.Port, Username: "alerts@shop.test", Password: "s3cret", From: "Lore <lore@shop.test>", TLS: meta.SMTPStartTLS}}
	ctx := context.Background()
	if err := s.Send(ctx, ch, sample()); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server holds %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if !got.TLS || got.User != "alerts@shop.test" || got.From != "lore@shop.test" || strings.Join(got.To, ",") != "ops@shop.test,oncall@shop.test" {
		t.Errorf("envelope: tls=%v user=%q from=%q to=%v", got.TLS, got.User, got.From, got.To)
	}
	parsed, err := mail.ReadMessage(strings.NewReader(string(got.Data)))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, got.Data)
	}
	subj, _ := new(mime.WordDecoder).DecodeHeader(parsed.Header.Get("Subject"))
	if subj != "[Lore] ALERT payment errors (service=payment-service)" {
		t.Errorf("subject %q", subj)
	}
	body, _ := io.ReadAll(quotedPrintable(parsed.Body))
	for _, want := range []string{"value 12, threshold > 10", "http://lore.example/#/explore?q=level%3Aerror", "Top issue: CardDeclined: card declined (12 events, 4 users)",
		"at charge (pay.go:42)", "Story (critical): Stripe throttled payment-service", "Sample journey: http://lore.example/#/journey/trace/abc"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}

	bad := ch
	bad.SMTP = &meta.SMTP{Host: "localhost", Port: srv.Port, Username: "alerts@shop.test", Password: "wrong", From: "lore@shop.test", TLS: meta.SMTPStartTLS}
	if err := s.Send(ctx, bad, sample()); err == nil || !strings.Contains(err.Error(), "AUTH") || !strings.Contains(err.Error(), "535") {
		t.Errorf("wrong password: %v", err)
	}
	srv.FailData(1)
	if err := s.Send(ctx, ch, sample()); err == nil || !strings.Contains(err.Error(), "451") {
		t.Errorf("451 at DATA: %v", err)
	}
	// Without TLS the server refuses AUTH.
	clear := ch
	clear.SMTP = &meta.SMTP{Host: "localhost", Port: srv.Port, Username: "alerts@shop.test", Password: "s3cret", From: "lore@shop.test", TLS: meta.SMTPNone}
	if err := s.Send(ctx, clear, sample()); err == nil {
		t.Error("AUTH over a clear connection succeeded")
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("server holds %d messages after the failures, want 1", n)
	}
	// The strict policy refuses a loopback mail server.
	if err := NewSender(outbound.Options{RootCAs: srv.CA.Pool, Timeout: time.Second}, nil).Send(ctx, ch, sample()); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("strict policy: %v", err)
	}
}

func quotedPrintable(r io.Reader) io.Reader { return quotedprintable.NewReader(r) }

// receiver is an HTTP server on loopback that records what it is sent
// and answers with the status its fail function picks.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	got    chan []byte
}

func newReceiver(t *testing.T, status func(n int) int) *receiver {
	r := &receiver{got: make(chan []byte, 100)}
	n := 0
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		n++
		code := status(n)
		if code/100 == 2 {
			r.bodies = append(r.bodies, b)
		}
		r.mu.Unlock()
		w.WriteHeader(code)
		if code/100 == 2 {
			r.got <- b
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) received() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.bodies...)
}

func queue(t *testing.T, db *meta.Store, chID int64, url string, texts ...string) {
	t.Helper()
	ctx := context.Background()
	m, err := db.SaveMonitor(ctx, 1, meta.Monitor{Name: "m " + url + texts[0], Kind: "query", Threshold: 1})
	if err != nil {
		t.Fatal(err)
	}
	var out []meta.Outgoing
	for _, text := range texts {
		msg := sample()
		msg.Text = text
		b, _ := json.Marshal(msg)
		out = append(out, meta.Outgoing{ProjectID: 1, ChannelID: chID, URL: url, MonitorID: m.ID, Body: b})
	}
	if err := db.RecordEvaluation(ctx, 1, m.ID, meta.Evaluation{At: time.Now(), State: "alert", Outgoing: out}); err != nil {
		t.Fatal(err)
	}
}

func addChannel(t *testing.T, db *meta.Store, name, typ, url string) meta.Channel {
	t.Helper()
	c, err := db.SaveChannel(context.Background(), 1, meta.Channel{Name: name, Type: typ, URL: url})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func textOf(b []byte) string {
	var m Message
	json.Unmarshal(b, &m)
	return m.Text
}

// TestDispatcherRetriesInOrderAndIsolatesChannels delivers to three
// receivers on loopback: one that fails twice before it answers, one
// that hangs, one that works. The working one is served while the
// hanging one still holds its request; the failing one gets its two
// notifications in order after retries with backoff, each attempt
// logged; a receiver that always fails is given up after MaxAttempts.
func TestDispatcherRetriesInOrderAndIsolatesChannels(t *testing.T) {
	db := openMeta(t, filepath.Join(t.TempDir(), "meta.db"))
	defer db.Close()
	flaky := newReceiver(t, func(n int) int {
		if n <= 2 {
			return 500
		}
		return 200
	})
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hanging.Close()
	defer close(release)
	good := newReceiver(t, func(int) int { return 204 })
	dead := newReceiver(t, func(int) int { return 503 })

	cFlaky := addChannel(t, db, "flaky", meta.ChannelWebhook, flaky.URL)
	cHang := addChannel(t, db, "hanging", meta.ChannelWebhook, hanging.URL)
	cDead := addChannel(t, db, "dead", meta.ChannelDiscord, dead.URL+"/api/webhooks/1/token")
	queue(t, db, cHang.ID, "", "to the hanging one")
	queue(t, db, cFlaky.ID, "", "first", "second")
	queue(t, db, cDead.ID, "", "never")
	queue(t, db, 0, good.URL, "to the good one") // a monitor's own webhook

	var mu sync.Mutex
	outcomes := map[string][]bool{}
	d := NewDispatcher(Config{Outbox: db, Sender: NewSender(outbound.Options{AllowPrivate: true, Timeout: time.Minute}, nil), Log: quiet,
		AttemptTimeout: time.Minute, MaxAttempts: 3, Backoff: 20 * time.Millisecond, Poll: 10 * time.Millisecond,
		Delivered: func(typ string, ok bool) { mu.Lock(); outcomes[typ] = append(outcomes[typ], ok); mu.Unlock() }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	select {
	case b := <-good.got:
		if textOf(b) != "to the good one" {
			t.Errorf("good receiver got %q", textOf(b))
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the good receiver got nothing while another channel hangs")
	}
	for range 2 {
		select {
		case <-flaky.got:
		case <-time.After(30 * time.Second):
			t.Fatal("the flaky receiver never got its notifications")
		}
	}
	if got := flaky.received(); len(got) != 2 || textOf(got[0]) != "first" || textOf(got[1]) != "second" {
		t.Errorf("flaky receiver got %d notifications, want first then second", len(got))
	}
	waitFor(t, func() bool {
		a, _ := db.Attempts(context.Background(), 1, cDead.ID, 0, 10)
		f, _ := db.Attempts(context.Background(), 1, cFlaky.ID, 0, 10)
		g, _ := db.Attempts(context.Background(), 1, 0, 0, 20)
		return len(a) == 3 && a[0].Final == meta.NotificationFailed && len(f) == 4 && len(g) == 8
	})
	attempts, err := db.Attempts(context.Background(), 1, cFlaky.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	// Newest first: the second notification (sent at once), the first's
	// third attempt (sent), then its two failures.
	var trail []string
	for _, a := range attempts {
		s := "fail"
		if a.OK {
			s = "ok"
		}
		trail = append(trail, s+"#"+string(rune('0'+a.Attempt)))
		if !a.OK && !strings.Contains(a.Error, "status 500") {
			t.Errorf("attempt error %q does not say status 500", a.Error)
		}
	}
	if strings.Join(trail, " ") != "ok#1 ok#3 fail#2 fail#1" {
		t.Errorf("flaky channel's attempts (newest first): %v", trail)
	}
	deadAttempts, _ := db.Attempts(context.Background(), 1, cDead.ID, 0, 10)
	for _, a := range deadAttempts {
		if strings.Contains(a.Error, "token") {
			t.Errorf("a Discord URL's token leaks in the attempts log: %q", a.Error)
		}
	}
	// The hanging channel's attempt is still open: nothing recorded yet.
	if a, _ := db.Attempts(context.Background(), 1, cHang.ID, 0, 10); len(a) != 0 {
		t.Errorf("hanging channel has %d attempts recorded while its request hangs", len(a))
	}
	mu.Lock()
	if okCount(outcomes["webhook"]) != 3 || len(outcomes["discord"]) != 3 || okCount(outcomes["discord"]) != 0 {
		t.Errorf("delivered outcomes: %v", outcomes)
	}
	mu.Unlock()
}

func okCount(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHangingChannelTimesOutAndRetries cuts a hanging attempt off at the
// attempt timeout, logs it, and delivers on the retry.
func TestHangingChannelTimesOutAndRetries(t *testing.T) {
	db := openMeta(t, filepath.Join(t.TempDir(), "meta.db"))
	defer db.Close()
	var mu sync.Mutex
	calls := 0
	got := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		if first {
			io.Copy(io.Discard, r.Body) // the server notices a closed connection only after the body
			<-r.Context().Done()        // hang until the client gives up
			return
		}
		got <- struct{}{}
	}))
	defer srv.Close()
	ch := addChannel(t, db, "slow", meta.ChannelSlack, srv.URL+"/services/T0/B0/secret")
	queue(t, db, ch.ID, "", "slow one")
	d := NewDispatcher(Config{Outbox: db, Sender: NewSender(outbound.Options{AllowPrivate: true, Timeout: time.Minute}, nil), Log: quiet,
		AttemptTimeout: 200 * time.Millisecond, Backoff: 10 * time.Millisecond, Poll: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	select {
	case <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("no delivery after the hanging attempt")
	}
	waitFor(t, func() bool { a, _ := db.Attempts(context.Background(), 1, ch.ID, 0, 10); return len(a) == 2 })
	a, _ := db.Attempts(context.Background(), 1, ch.ID, 0, 10)
	if !a[0].OK || a[1].OK || !strings.Contains(a[1].Error, "deadline exceeded") || strings.Contains(a[1].Error, "secret") {
		t.Errorf("attempts: %+v", a)
	}
}

// TestOutboxSurvivesRestart queues notifications, closes the metadata
// database without delivering, and delivers them from a new dispatcher
// on the reopened database; a shutdown in the middle of an attempt leaves
// the notification pending, not failed.
func TestOutboxSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	db := openMeta(t, path)
	hold := make(chan struct{})
	var mu sync.Mutex
	hung := false
	rcv := newReceiver(t, func(int) int { return 200 })
	blocking := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		first := !hung
		hung = true
		mu.Unlock()
		io.Copy(io.Discard, r.Body)
		if first {
			close(hold)
			<-r.Context().Done()
			return
		}
		rcv.got <- nil
	}))
	defer blocking.Close()
	queue(t, db, 0, rcv.URL, "before restart")
	queue(t, db, 0, blocking.URL, "interrupted")
	db.Close()

	db = openMeta(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	d := NewDispatcher(Config{Outbox: db, Sender: NewSender(outbound.Options{AllowPrivate: true, Timeout: time.Minute}, nil), Log: quiet, Poll: 10 * time.Millisecond})
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	if b := <-rcv.got; textOf(b) != "before restart" {
		t.Errorf("got %q", textOf(b))
	}
	<-hold
	waitFor(t, func() bool { a, _ := db.Attempts(context.Background(), 1, 0, 0, 10); return len(a) == 1 })
	cancel()
	<-done
	pending, err := db.PendingNotifications(context.Background(), 10)
	if err != nil || len(pending) != 1 || pending[0].Attempts != 0 || textOf(pending[0].Body) != "interrupted" {
		t.Fatalf("after a shutdown mid-attempt: %d pending, %v; want the interrupted one, never attempted", len(pending), err)
	}
	db.Close()

	db = openMeta(t, path)
	defer db.Close()
	ctx, cancel = context.WithCancel(context.Background())
	d = NewDispatcher(Config{Outbox: db, Sender: NewSender(outbound.Options{AllowPrivate: true, Timeout: time.Minute}, nil), Log: quiet, Poll: 10 * time.Millisecond})
	done = make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	select {
	case <-rcv.got:
	case <-time.After(30 * time.Second):
		t.Fatal("the interrupted notification was not delivered after the restart")
	}
	cancel()
	<-done
}

func TestBackoff(t *testing.T) {
	f := func(n int, want time.Duration) {
		t.Helper()
		if got := Backoff(2*time.Second, 5*time.Minute, n); got != want {
			t.Errorf("Backoff(attempt %d) = %s, want %s", n, got, want)
		}
	}
	f(1, 2*time.Second)
	f(2, 4*time.Second)
	f(5, 32*time.Second)
	f(8, 256*time.Second)
	f(9, 5*time.Minute)
	f(40, 5*time.Minute)
}

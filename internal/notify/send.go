package notify

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/outbound"
)

// Sender delivers one message to one channel, once.
type Sender struct {
	client *http.Client
	mail   mailer
	now    func() time.Time
}

// NewSender builds a sender whose connections go through the outbound
// check with o (its policy, timeout and roots); redirects are not
// followed.
func NewSender(o outbound.Options, now func() time.Time) *Sender {
	if now == nil {
		now = time.Now
	}
	o.NoRedirects = true
	return &Sender{client: outbound.Client(o), mail: mailer{opts: o}, now: now}
}

// Send delivers m to ch (ch.ID 0 with a URL: a monitor's own webhook).
func (s *Sender) Send(ctx context.Context, ch meta.Channel, m *Message) error {
	var (
		body []byte
		err  error
	)
	switch ch.Type {
	case meta.ChannelWebhook:
		body, err = Webhook(m)
	case meta.ChannelSlack:
		body, err = Slack(m)
	case meta.ChannelDiscord:
		body, err = Discord(m)
	case meta.ChannelEmail:
		if ch.SMTP == nil {
			return fmt.Errorf("email channel %q has no smtp settings", ch.Name)
		}
		msg, err := Email(m, ch.SMTP.From, ch.To, s.now())
		if err != nil {
			return fmt.Errorf("render email: %w", err)
		}
		return s.mail.send(ctx, *ch.SMTP, ch.To, msg)
	default:
		return fmt.Errorf("unknown channel type %q", ch.Type)
	}
	if err != nil {
		return fmt.Errorf("render %s notification: %w", ch.Type, err)
	}
	return s.post(ctx, ch, body)
}

func (s *Sender) post(ctx context.Context, ch meta.Channel, body []byte) error {
	where := ch.URL
	if ch.Type != meta.ChannelWebhook {
		where = ch.Redacted().URL // a Slack or Discord URL holds its token
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ch.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s %q: %w", ch.Type, where, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "lore-monitors")
	resp, err := s.client.Do(req)
	if err != nil {
		if ue, ok := err.(interface{ Unwrap() error }); ok && ch.Type != meta.ChannelWebhook {
			err = ue.Unwrap() // *url.Error repeats the URL, token and all
		}
		return fmt.Errorf("post %s %q: %w", ch.Type, where, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return fmt.Errorf("post %s %q: status %s: %s", ch.Type, where, resp.Status, bytes.TrimSpace(snippet))
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return nil
}

package meta

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"
)

// Channel types: where a monitor's notifications go.
const (
	ChannelWebhook = "webhook" // the generic JSON body, as a monitor's webhook
	ChannelSlack   = "slack"   // a Slack incoming webhook
	ChannelDiscord = "discord" // a Discord webhook
	ChannelEmail   = "email"   // mail over SMTP
)

// ChannelTypes lists the valid channel types.
var ChannelTypes = []string{ChannelWebhook, ChannelSlack, ChannelDiscord, ChannelEmail}

// SMTP TLS modes.
const (
	SMTPStartTLS = "starttls" // plain connection upgraded with STARTTLS, refused if the server cannot (default)
	SMTPTLS      = "tls"      // TLS from the first byte (port 465)
	SMTPNone     = "none"     // no TLS: only for a relay on a trusted network
)

// Channel is a destination for notifications, configured once per
// project and named by monitors. Secrets (the SMTP password, the path of
// a Slack or Discord URL, which is its token) are never answered back:
// Redacted hides them, and a save that leaves them empty (or as redacted)
// keeps the stored ones.
type Channel struct {
	ID        int64    `json:"id"`
	ProjectID int64    `json:"-"`
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	URL       string   `json:"url,omitempty"`  // webhook, slack, discord
	To        []string `json:"to,omitempty"`   // email: recipients
	SMTP      *SMTP    `json:"smtp,omitempty"` // email: the server
	CreatedAt string   `json:"created_at,omitempty"`
	UpdatedAt string   `json:"updated_at,omitempty"`
}

// SMTP is how an email channel reaches its mail server.
type SMTP struct {
	Host        string `json:"host"`
	Port        int    `json:"port,omitempty"` // default 587 (starttls), 465 (tls), 25 (none)
	Username    string `json:"username,omitempty"`
	Password    string `json:"password,omitempty"`
	PasswordSet bool   `json:"password_set,omitempty"` // answers only: a password is stored
	From        string `json:"from"`
	TLS         string `json:"tls,omitempty"` // starttls (default), tls or none
}

// UnmarshalJSON accepts "to" as a list or as one string of addresses
// separated by commas.
func (c *Channel) UnmarshalJSON(b []byte) error {
	type plain Channel
	var v struct {
		plain
		To json.RawMessage `json:"to,omitempty"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*c = Channel(v.plain)
	c.To = nil
	if len(v.To) == 0 || string(v.To) == "null" {
		return nil
	}
	var one string
	if err := json.Unmarshal(v.To, &one); err == nil {
		for _, a := range strings.Split(one, ",") {
			if a = strings.TrimSpace(a); a != "" {
				c.To = append(c.To, a)
			}
		}
		return nil
	}
	if err := json.Unmarshal(v.To, &c.To); err != nil {
		return fmt.Errorf("channel \"to\" is neither an address list nor a string: %w", err)
	}
	return nil
}

// redactedPath replaces a Slack or Discord URL's secret path.
const redactedPath = "/…"

// Redacted is the channel as the API shows it: no password, and no token
// in a Slack or Discord URL.
func (c Channel) Redacted() Channel {
	if c.SMTP != nil {
		s := *c.SMTP
		s.PasswordSet = s.Password != ""
		s.Password = ""
		c.SMTP = &s
	}
	if c.Type == ChannelSlack || c.Type == ChannelDiscord {
		if u, err := url.Parse(c.URL); err == nil && u.Host != "" {
			c.URL = u.Scheme + "://" + u.Host + redactedPath
		}
	}
	return c
}

// Validate normalises a channel (defaults filled in) and checks it.
func (c *Channel) Validate() error {
	c.Name = strings.TrimSpace(c.Name)
	if c.Name == "" {
		return errors.New("a channel needs a name")
	}
	c.URL = strings.TrimSpace(c.URL)
	switch c.Type {
	case ChannelWebhook, ChannelSlack, ChannelDiscord:
		u, err := url.Parse(c.URL)
		if c.URL == "" {
			return fmt.Errorf("a %s channel needs a url", c.Type)
		}
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("url %q is not an http or https URL", c.URL)
		}
		if len(c.To) > 0 || c.SMTP != nil {
			return fmt.Errorf("a %s channel takes a url, not \"to\" or \"smtp\"", c.Type)
		}
	case ChannelEmail:
		if c.URL != "" {
			return errors.New("an email channel takes \"to\" and \"smtp\", not a url")
		}
		if len(c.To) == 0 {
			return errors.New("an email channel needs \"to\": one or more addresses")
		}
		if len(c.To) > 50 {
			return fmt.Errorf("an email channel takes at most 50 addresses, got %d", len(c.To))
		}
		for i, a := range c.To {
			addr, err := mail.ParseAddress(a)
			if err != nil {
				return fmt.Errorf("bad address %q in \"to\": %w", a, err)
			}
			c.To[i] = addr.Address
		}
		if c.SMTP == nil {
			return errors.New("an email channel needs \"smtp\": {\"host\", \"port\", \"username\", \"password\", \"from\", \"tls\"}")
		}
		return c.SMTP.validate()
	case "":
		return fmt.Errorf("a channel needs a type (one of %s)", strings.Join(ChannelTypes, ", "))
	default:
		return fmt.Errorf("unknown channel type %q (want one of %s)", c.Type, strings.Join(ChannelTypes, ", "))
	}
	return nil
}

func (s *SMTP) validate() error {
	s.Host = strings.TrimSpace(s.Host)
	if s.Host == "" || strings.ContainsAny(s.Host, "/: ") {
		return fmt.Errorf("smtp host %q is not a host name", s.Host)
	}
	switch s.TLS {
	case "":
		s.TLS = SMTPStartTLS
	case SMTPStartTLS, SMTPTLS, SMTPNone:
	default:
		return fmt.Errorf("unknown smtp tls %q (want starttls, tls or none)", s.TLS)
	}
	if s.Port == 0 {
		s.Port = map[string]int{SMTPStartTLS: 587, SMTPTLS: 465, SMTPNone: 25}[s.TLS]
	}
	if s.Port < 1 || s.Port > 65535 {
		return fmt.Errorf("smtp port %d is not a port", s.Port)
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return fmt.Errorf("bad smtp from %q: %w", s.From, err)
	}
	s.From = from.String()
	if s.Password != "" && s.Username == "" {
		return errors.New("an smtp password needs a username")
	}
	s.PasswordSet = false
	return nil
}

func scanChannel(r rowScanner) (Channel, error) {
	var (
		c               Channel
		id, project     int64
		body            string
		created, update int64
	)
	if err := r.Scan(&id, &project, &body, &created, &update); err != nil {
		return c, err
	}
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		return c, fmt.Errorf("decode channel %d: %w", id, err)
	}
	c.ID, c.ProjectID, c.CreatedAt, c.UpdatedAt = id, project, unixTime(created), unixTime(update)
	return c, nil
}

const channelCols = `id, project_id, body, created_at, updated_at`

// Channels lists a project's channels by name, with their secrets (the
// API answers Redacted copies).
func (s *Store) Channels(ctx context.Context, project int64) ([]Channel, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+channelCols+` FROM channels WHERE project_id = ? ORDER BY name`, project)
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	defer rows.Close()
	out := []Channel{}
	for rows.Next() {
		c, err := scanChannel(rows)
		if err != nil {
			return nil, fmt.Errorf("list channels: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Channel returns one channel with its secrets, or ErrNotFound.
func (s *Store) Channel(ctx context.Context, project, id int64) (Channel, error) {
	c, err := scanChannel(s.db.QueryRowContext(ctx, `SELECT `+channelCols+` FROM channels WHERE project_id = ? AND id = ?`, project, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("channel %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("read channel %d: %w", id, err)
	}
	return c, nil
}

// SaveChannel validates and stores a channel: new when c.ID is 0, else it
// replaces channel c.ID, keeping its stored secrets where c leaves them
// empty or redacted. It returns the stored channel (with secrets).
func (s *Store) SaveChannel(ctx context.Context, project int64, c Channel) (Channel, error) {
	if c.ID != 0 {
		old, err := s.Channel(ctx, project, c.ID)
		if err != nil {
			return Channel{}, err
		}
		keepSecrets(&c, old)
	}
	if err := c.Validate(); err != nil {
		return Channel{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	rule := c
	rule.ID, rule.ProjectID, rule.CreatedAt, rule.UpdatedAt = 0, 0, "", ""
	body, err := json.Marshal(rule)
	if err != nil {
		return Channel{}, fmt.Errorf("encode channel %q: %w", c.Name, err)
	}
	now := time.Now().Unix()
	id := c.ID
	if id == 0 {
		err = s.db.QueryRowContext(ctx, `INSERT INTO channels (project_id, name, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			project, c.Name, string(body), now, now).Scan(&id)
	} else {
		_, err = s.db.ExecContext(ctx, `UPDATE channels SET name = ?, body = ?, updated_at = ? WHERE project_id = ? AND id = ?`,
			c.Name, string(body), now, project, id)
	}
	if err != nil {
		if isUniqueViolation(err) {
			return Channel{}, fmt.Errorf("%w: a channel named %q exists already", ErrNameTaken, c.Name)
		}
		return Channel{}, fmt.Errorf("store channel %q: %w", c.Name, err)
	}
	return s.Channel(ctx, project, id)
}

// keepSecrets fills what an edit left empty or redacted from the stored
// channel of the same type.
func keepSecrets(c *Channel, old Channel) {
	if c.Type != old.Type {
		return
	}
	if c.URL == "" || c.URL == old.Redacted().URL {
		c.URL = old.URL
	}
	if c.SMTP != nil && old.SMTP != nil && c.SMTP.Password == "" && c.SMTP.Username == old.SMTP.Username {
		c.SMTP.Password = old.SMTP.Password
	}
}

// DeleteChannel deletes a channel and its undelivered notifications, or
// returns ErrNotFound. Monitors that name it skip it from then on.
func (s *Store) DeleteChannel(ctx context.Context, project, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM channels WHERE project_id = ? AND id = ?`, project, id)
	if err != nil {
		return fmt.Errorf("delete channel %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("channel %d: %w", id, ErrNotFound)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE notifications SET status = 'failed', last_error = 'channel deleted'
		WHERE project_id = ? AND channel_id = ? AND status = 'pending'`, project, id); err != nil {
		return fmt.Errorf("drop notifications of channel %d: %w", id, err)
	}
	return nil
}

// Package sentry decodes the protocol Sentry's SDKs speak — envelopes
// (POST /api/{project}/envelope/) and the older store endpoint (POST
// /api/{project}/store/) — into Lore events. Error and message events
// become events of kind "error", with their exceptions, stack frames and
// breadcrumbs kept as JSON attributes and their fingerprint computed by
// internal/issue; transactions become one span for the transaction and one
// for each child span. Session and client-report items are accepted and
// counted; "log" items (SDKs' structured logs) become events of kind
// "log"; attachments and unknown items are skipped.
//
// Protocol reference: https://develop.sentry.dev/sdk/data-model/envelopes/
// and https://develop.sentry.dev/sdk/data-model/event-payloads/.
package sentry

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest"
)

// Options are what the decoders need besides the body.
type Options struct {
	ProjectID int64
	Now       int64 // µs; the received_at of every event, and ts when an event has none
	MaxItems  int   // items per envelope; 0 means 1000
}

// ErrMalformed is wrapped by errors that make a whole body unreadable
// (answer 400).
var ErrMalformed = errors.New("malformed sentry payload")

// ItemError is an envelope item that could not be decoded. The other items
// of the envelope are kept.
type ItemError struct {
	Index int    `json:"index"`
	Type  string `json:"type"`
	Error string `json:"error"`
}

// Result is a decoded envelope.
type Result struct {
	EventID  string         // the envelope's event_id header, or the first event's
	Events   []event.Event  // the decoded rows of every good item
	Accepted map[string]int // items accepted, by type (session and client_report included)
	Skipped  map[string]int // items skipped, by type (attachments, unknown types)
	// Unstored counts, by type, the items Lore keeps nothing of (sessions
	// and client reports, which are accepted, and every skipped item), so
	// the server can count and log them: a loss is never silent.
	Unstored map[string]int
	// RateLimited are the data categories the SDK should stop sending
	// (answered in X-Sentry-Rate-Limits): "replay" while Lore has no
	// replay store, so the SDK stops uploading a recording every 5 s.
	RateLimited []string
	Errors      []ItemError
}

// Storage of each envelope item type.
const (
	itemStored   = iota // decoded into events
	itemAccepted        // read and counted, nothing stored (sessions, client reports)
	itemSkipped         // not read
)

// ItemStorage tells what Lore does with an envelope item type.
func itemStorage(typ string) int {
	switch typ {
	case "event", "transaction", "log", "span":
		return itemStored
	case "session", "sessions", "client_report":
		return itemAccepted
	}
	return itemSkipped
}

// knownItemTypes are the envelope item types Sentry's protocol defines
// (https://develop.sentry.dev/sdk/data-model/envelope-items/); any other
// is counted as "other", so a client cannot grow the metric's labels.
var knownItemTypes = map[string]bool{
	"event": true, "transaction": true, "log": true, "span": true, "session": true, "sessions": true,
	"client_report": true, "attachment": true, "user_report": true, "feedback": true, "profile": true,
	"profile_chunk": true, "replay_event": true, "replay_recording": true, "replay_video": true,
	"check_in": true, "statsd": true, "metric_meta": true, "otel_log": true, "trace_metric": true,
	"raw_security": true, "nel": true,
}

// ItemLabel is the metric label of an item type: itself when Sentry's
// protocol defines it, else "other".
func ItemLabel(typ string) string {
	if knownItemTypes[typ] {
		return typ
	}
	return "other"
}

// rateLimitCategory is the rate-limit category an SDK files an unstored
// item type under, when Lore asks the SDK to stop sending it.
func rateLimitCategory(typ string) string {
	switch typ {
	case "replay_event", "replay_recording", "replay_video":
		return "replay"
	}
	return ""
}

type envelopeHeader struct {
	EventID string `json:"event_id"`
	DSN     string `json:"dsn"`
}

type itemHeader struct {
	Type        string          `json:"type"`
	Length      json.RawMessage `json:"length"`
	ContentType string          `json:"content_type"`
}

// DecodeEnvelope reads an envelope: a JSON header line, then items, each a
// JSON header line and a payload of the header's length bytes or, without
// a length, up to the next newline. A bad envelope header is an error
// wrapping ErrMalformed; a bad item is reported in Result.Errors and the
// others are kept. A length that runs past the end stops the envelope
// there, keeping what came before.
func DecodeEnvelope(body []byte, opts Options) (Result, error) {
	maxItems := opts.MaxItems
	if maxItems <= 0 {
		maxItems = 1000
	}
	res := Result{Accepted: map[string]int{}, Skipped: map[string]int{}, Unstored: map[string]int{}}
	line, rest := cutLine(body)
	if len(bytes.TrimSpace(line)) == 0 {
		return res, fmt.Errorf("%w: empty envelope header", ErrMalformed)
	}
	var h envelopeHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return res, fmt.Errorf("%w: envelope header %q: %v", ErrMalformed, clip(line), err)
	}
	res.EventID = h.EventID
	for i := 0; len(rest) > 0; i++ {
		line, rest = cutLine(rest)
		if len(bytes.TrimSpace(line)) == 0 {
			continue // trailing newlines
		}
		if i >= maxItems {
			return res, fmt.Errorf("%w: more than %d items", ErrMalformed, maxItems)
		}
		var ih itemHeader
		if err := json.Unmarshal(line, &ih); err != nil {
			res.Errors = append(res.Errors, ItemError{Index: i, Error: fmt.Sprintf("item header %q: %v", clip(line), err)})
			return res, nil // without a header the rest cannot be framed
		}
		var payload []byte
		if len(ih.Length) > 0 && string(ih.Length) != "null" {
			n, err := strconv.Atoi(string(ih.Length))
			if err != nil || n < 0 {
				res.Errors = append(res.Errors, ItemError{Index: i, Type: ih.Type, Error: fmt.Sprintf("bad item length %s", ih.Length)})
				return res, nil
			}
			if n > len(rest) {
				res.Errors = append(res.Errors, ItemError{Index: i, Type: ih.Type, Error: fmt.Sprintf("item length %d runs past the end of the envelope (%d bytes left)", n, len(rest))})
				return res, nil
			}
			payload, rest = rest[:n], rest[n:]
			if len(rest) > 0 && rest[0] == '\n' {
				rest = rest[1:]
			}
		} else {
			payload, rest = cutLine(rest)
		}
		switch ih.Type {
		case "event", "transaction":
			rows, id, err := decodePayload(payload, ih.Type, opts)
			if err != nil {
				res.Errors = append(res.Errors, ItemError{Index: i, Type: ih.Type, Error: err.Error()})
				continue
			}
			if res.EventID == "" {
				res.EventID = id
			}
			res.Events = append(res.Events, rows...)
			res.Accepted[ih.Type]++
		case "log":
			rows, err := decodeLogs(payload, opts)
			if err != nil {
				res.Errors = append(res.Errors, ItemError{Index: i, Type: ih.Type, Error: err.Error()})
				continue
			}
			res.Events = append(res.Events, rows...)
			res.Accepted[ih.Type]++
		case "span":
			rows, err := decodeSpanItem(payload, ih.ContentType, opts)
			if err != nil {
				res.Errors = append(res.Errors, ItemError{Index: i, Type: ih.Type, Error: err.Error()})
				continue
			}
			res.Events = append(res.Events, rows...)
			res.Accepted[ih.Type]++
		default:
			if itemStorage(ih.Type) == itemAccepted {
				res.Accepted[ih.Type]++
			} else { // attachment, profile, replay_*, check_in, statsd, feedback, unknown
				res.Skipped[ih.Type]++
			}
			res.Unstored[ih.Type]++
			if c := rateLimitCategory(ih.Type); c != "" && !slices.Contains(res.RateLimited, c) {
				res.RateLimited = append(res.RateLimited, c)
			}
		}
	}
	return res, nil
}

// decodeSpanItem reads a "span" item: v2 (a list of spans with typed
// attributes, SpanContentType) or the single v1 span older browser SDKs
// send for web vitals.
func decodeSpanItem(payload []byte, contentType string, opts Options) ([]event.Event, error) {
	b := bytes.TrimSpace(payload)
	if contentType == SpanContentType || bytes.Contains(b, []byte(`"items"`)) {
		return decodeSpans(b, opts)
	}
	var sp spanPayload
	if err := json.Unmarshal(b, &sp); err != nil {
		return nil, fmt.Errorf("cannot parse span payload: %v", err)
	}
	base := event.Event{ProjectID: opts.ProjectID, ReceivedAt: opts.Now, TS: opts.Now}
	e, err := sp.event(base, 0)
	if err != nil {
		return nil, err
	}
	return []event.Event{e}, nil
}

// DecodeStore reads the body of the store endpoint: one event (or
// transaction) as JSON, or as base64 of zlib-compressed JSON, which the
// oldest (raven) SDKs send.
func DecodeStore(body []byte, opts Options) ([]event.Event, string, error) {
	if b := bytes.TrimSpace(body); len(b) > 0 && b[0] != '{' {
		raw, err := base64.StdEncoding.DecodeString(string(b))
		if err != nil {
			return nil, "", fmt.Errorf("%w: body is neither JSON nor base64: %v", ErrMalformed, err)
		}
		if body, err = ingest.Decompress(raw, "deflate", maxStoreBytes); err != nil {
			return nil, "", fmt.Errorf("%w: cannot inflate base64 body: %w", ErrMalformed, err)
		}
	}
	rows, id, err := decodePayload(body, "", opts)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return rows, id, nil
}

// maxStoreBytes bounds an inflated legacy store body.
const maxStoreBytes = 16 << 20

func cutLine(b []byte) (line, rest []byte) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}

func clip(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}

// itemType names the kind of a payload, for the store endpoint where no
// item header says it.
func itemType(declared string, p *payload) string {
	if declared != "" {
		return declared
	}
	if p.Type == "transaction" {
		return "transaction"
	}
	return "event"
}

func trimLower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

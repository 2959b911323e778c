// Package elastic decodes Elasticsearch bulk requests (POST /_bulk and
// /{index}/_bulk: NDJSON action and document lines) into Lore events, and
// renders the answers Elasticsearch gives: the bulk response with one
// result per item, the error body, and the few read calls shippers make on
// start-up (cluster info, license, nodes, templates). Filebeat, Logstash,
// Fluent Bit, Vector, rsyslog's omelasticsearch and the official clients
// speak it. Everything here is a pure function of bytes; the HTTP handler
// authenticates, reads the body, filters retried ids and stores the events.
//
// Documents are mapped like the JSON lines of POST /api/v1/ingest (ECS's
// @timestamp, message, log.level, host.name, service.name …). The index
// becomes the attribute es.index, and the service of a document that names
// none (without a trailing date: logs-2026.12.04 is logs).
package elastic

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest/native"
)

// Options tell Decode what the body does not.
type Options struct {
	ProjectID int64
	Now       int64  // µs: ReceivedAt, and TS of documents without a time
	Index     string // from /{index}/_bulk: the index of actions that name none
	MaxItems  int    // 0 = no limit; checked by CountItems before Decode
}

// Actions Lore stores; update and delete are refused per item (an event
// store is append-only).
const (
	ActionIndex  = "index"
	ActionCreate = "create"
)

// Item is the outcome of one action, in request order.
type Item struct {
	Action  string // index, create, update, delete, or what the line named
	Index   string
	ID      string // the _id sent, or one made up for the response
	GivenID bool   // ID was sent by the client (retries may repeat it)
	Line    int    // 1-based line of the action
	Status  int    // 201 created, 200 updated (an id seen before), 4xx/5xx
	ErrType string // Elasticsearch's error type when Status >= 300
	Reason  string
	Event   int // index in Result.Events, or -1
}

// OK reports whether the item was accepted.
func (it *Item) OK() bool { return it.Status < 300 }

// Fail marks the item failed with an Elasticsearch error type and reason,
// dropping its event (the caller removes dropped events with Compact).
func (it *Item) Fail(status int, errType, reason string) {
	it.Status, it.ErrType, it.Reason = status, errType, reason
}

// Result is what Decode made of a bulk body.
type Result struct {
	Events []event.Event
	Items  []Item
}

// RequestError is a body Elasticsearch refuses as a whole (a malformed
// action line): the response is one error, no item is stored.
type RequestError struct {
	Status int
	Type   string
	Reason string
}

func (e *RequestError) Error() string { return e.Type + ": " + e.Reason }

// CountItems counts the action lines of body cheaply (non-empty lines that
// start with {"index", {"create", … would need a parse; half the non-empty
// lines, rounded up, is the bound the limit checks).
func CountItems(body []byte) int {
	n := 0
	for len(body) > 0 {
		var l []byte
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			l, body = body[:i], body[i+1:]
		} else {
			l, body = body, nil
		}
		if len(bytes.TrimSpace(l)) > 0 {
			n++
		}
	}
	return (n + 1) / 2
}

// Decode reads a bulk body: pairs of an action line ({"index": {...}} or
// {"create": {...}}, whose metadata names _index and _id) and a document
// line; delete has no document line. A malformed action line fails the
// whole request, as in Elasticsearch (the pairing of the lines after it is
// unknown). A bad document, an action Lore does not store, or a missing
// index fails that item only; the others are decoded.
func Decode(body []byte, opts Options) (Result, error) {
	var (
		p     fastjson.Parser
		res   Result
		docs  []byte // the documents to decode, one a line
		owner []int  // item of each line of docs
		line  int
	)
	next := func() ([]byte, bool) {
		for len(body) > 0 {
			var l []byte
			if i := bytes.IndexByte(body, '\n'); i >= 0 {
				l, body = body[:i], body[i+1:]
			} else {
				l, body = body, nil
			}
			line++
			if l = bytes.TrimSpace(l); len(l) > 0 {
				return l, true
			}
		}
		return nil, false
	}
	for {
		raw, ok := next()
		if !ok {
			break
		}
		it, err := parseAction(&p, raw, line, opts.Index)
		if err != nil {
			return Result{}, err
		}
		it.Event = -1
		if it.Action == "delete" {
			it.Fail(http.StatusBadRequest, "illegal_argument_exception", "Lore stores events and cannot delete them: the delete action is not supported")
			res.Items = append(res.Items, it)
			continue
		}
		doc, ok := next()
		if !ok {
			return Result{}, &RequestError{Status: http.StatusBadRequest, Type: "illegal_argument_exception",
				Reason: fmt.Sprintf("the bulk request must be terminated by a newline and every %s action on line %d needs a document line after it", it.Action, it.Line)}
		}
		switch {
		case it.Status != 0:
		case it.Action != ActionIndex && it.Action != ActionCreate:
			it.Fail(http.StatusBadRequest, "illegal_argument_exception", fmt.Sprintf("Lore stores events and cannot change them: the %s action is not supported (use index or create)", it.Action))
		case it.Index == "":
			it.Fail(http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: index is missing; name it in the action's _index or the path /{index}/_bulk")
		case !looksLikeObject(doc):
			it.Fail(http.StatusBadRequest, "document_parsing_exception", fmt.Sprintf("[%d:1] failed to parse: the document must be a JSON object, got %q", line, head(doc)))
		default:
			docs = append(docs, doc...)
			docs = append(docs, '\n')
			owner = append(owner, len(res.Items))
		}
		res.Items = append(res.Items, it)
	}
	if len(docs) == 0 {
		return res, nil
	}
	dec := native.Decode(docs, native.Options{ProjectID: opts.ProjectID, Now: opts.Now})
	bad := make(map[int]string, len(dec.Errors))
	for _, le := range dec.Errors {
		bad[le.Line] = le.Error
	}
	if len(dec.Events)+len(dec.Errors) != len(owner) {
		// Every document line yields an event or an error; anything else
		// is a bug worth failing loudly over rather than misattributing.
		return Result{}, fmt.Errorf("decode %d bulk documents: got %d events and %d errors", len(owner), len(dec.Events), len(dec.Errors))
	}
	res.Events = dec.Events
	ev := 0
	for i, item := range owner {
		it := &res.Items[item]
		if reason, isBad := bad[i+1]; isBad {
			it.Fail(http.StatusBadRequest, "document_parsing_exception", fmt.Sprintf("[%d:1] failed to parse: %s", it.Line+1, reason))
			continue
		}
		e := &res.Events[ev]
		it.Event = ev
		ev++
		e.Attributes = append(e.Attributes, event.Attr{Key: "es.index", Value: it.Index})
		if e.Service == "" {
			e.Service = ServiceOf(it.Index)
		}
		it.Status = http.StatusCreated
	}
	return res, nil
}

// Compact drops the events of failed items, renumbering the others.
func (r *Result) Compact() {
	keep := r.Events[:0]
	for i := range r.Items {
		it := &r.Items[i]
		if it.Event < 0 {
			continue
		}
		if !it.OK() || it.Status == http.StatusOK {
			it.Event = -1
			continue
		}
		keep = append(keep, r.Events[it.Event])
		it.Event = len(keep) - 1
	}
	clear(r.Events[len(keep):])
	r.Events = keep
}

// parseAction reads an action line: one key (the action) whose value is an
// object of metadata. An action Lore cannot store still yields an item, so
// that its document line is skipped and its answer says why.
func parseAction(p *fastjson.Parser, raw []byte, line int, defaultIndex string) (Item, error) {
	malformed := func(format string, args ...any) (Item, error) {
		return Item{}, &RequestError{Status: http.StatusBadRequest, Type: "illegal_argument_exception",
			Reason: fmt.Sprintf("Malformed action/metadata line [%d], ", line) + fmt.Sprintf(format, args...)}
	}
	v, err := p.ParseBytes(raw)
	if err != nil {
		return malformed("expected a JSON object such as {\"index\":{}}, got %q: %v", head(raw), err)
	}
	o, err := v.Object()
	if err != nil || o.Len() != 1 {
		return malformed("expected an object with one action (index, create, update or delete), got %q", head(raw))
	}
	it := Item{Line: line, Index: defaultIndex}
	var meta *fastjson.Object
	o.Visit(func(k []byte, v *fastjson.Value) {
		it.Action = string(k)
		meta, _ = v.Object()
	})
	if meta == nil {
		return malformed("the %s action's metadata must be an object, got %q", it.Action, head(raw))
	}
	switch it.Action {
	case ActionIndex, ActionCreate, "update", "delete":
	default:
		return malformed("unknown action %q: expected index, create, update or delete", it.Action)
	}
	meta.Visit(func(k []byte, v *fastjson.Value) {
		s, isStr := v.StringBytes()
		switch string(k) {
		case "_index":
			if isStr == nil {
				it.Index = string(s)
			}
		case "_id":
			switch {
			case isStr == nil && len(s) > 0 && len(s) <= 512:
				it.ID, it.GivenID = string(s), true
			case isStr == nil && len(s) > 512:
				it.Fail(http.StatusBadRequest, "action_request_validation_exception", fmt.Sprintf("Validation Failed: 1: id [%s…] is too long, must be no longer than 512 bytes but was: %d;", s[:32], len(s)))
			case v.Type() == fastjson.TypeNumber:
				it.ID, it.GivenID = v.String(), true
			}
		}
	})
	if !it.GivenID {
		it.ID = newID()
	}
	return it, nil
}

// looksLikeObject reports whether a document line is meant as a JSON
// object (the JSON decoder then names what is wrong with it).
func looksLikeObject(raw []byte) bool {
	if raw[0] != '{' {
		return false
	}
	rest := bytes.TrimLeft(raw[1:], " \t")
	return len(rest) == 0 || rest[0] == '"' || rest[0] == '}'
}

// ServiceOf is the service of a document sent to index, when the document
// names none: the index without a trailing date or date pattern
// (logstash-2026.12.04 → logstash, vector-2026-12 → vector) and without a
// leading dot. Data stream names (logs-nginx-default) stay whole.
func ServiceOf(index string) string {
	s := strings.TrimPrefix(index, ".")
	for {
		i := strings.LastIndexAny(s, "-_")
		if i <= 0 || !isDateish(s[i+1:]) {
			return s
		}
		s = s[:i]
	}
}

// isDateish reports whether s is a date part such as 2026.12.04, 2026-12,
// 20261204 or 04.
func isDateish(s string) bool {
	if s == "" {
		return false
	}
	digits := 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
		default:
			return false
		}
	}
	return digits > 0
}

// newID makes an id like Elasticsearch's auto-generated ones (20
// URL-safe base64 characters).
func newID() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func head(b []byte) []byte {
	const n = 40
	if len(b) > n {
		return b[:n]
	}
	return b
}

package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
)

// AddRecordings takes posthog-js's recording uploads (the $snapshot
// messages of a POST /s/ body, already unpacked) into the same store as
// Lore's SDK's: one chunk per session and window, the events posthog-js
// compresses ("cv": "2024-10": gzip, as latin-1 strings, inside full
// snapshots, mutations and style sheet rules) decompressed into plain
// rrweb. sentAt (ms, 0 when unknown) corrects the device's clock. It
// returns how many rrweb events it stored; nothing when the project does
// not record sessions.
func (s *Service) AddRecordings(ctx context.Context, project int64, sentAt int64, messages []map[string]any) (int, error) {
	pol, err := s.Policy(ctx, project)
	if err != nil {
		return 0, err
	}
	if !pol.Enabled {
		return 0, nil
	}
	now := s.opts.Now()
	docs, err := posthogChunks(messages, sentAt)
	if err != nil {
		s.stats.refused.Add(1)
		return 0, err
	}
	chunks := make([]Chunk, 0, len(docs))
	n := 0
	for _, doc := range docs {
		c, err := DecodeChunk(doc, now, s.opts.Limits)
		if err != nil {
			s.stats.refused.Add(1)
			return 0, err
		}
		c.ProjectID = project
		chunks = append(chunks, c)
		n += c.Events
	}
	if len(chunks) == 0 {
		return 0, nil
	}
	if err := s.submit(ctx, chunks, now); err != nil {
		return 0, err
	}
	return n, nil
}

// posthogChunks groups $snapshot messages by session and window into
// chunk documents.
func posthogChunks(messages []map[string]any, sentAt int64) ([][]byte, error) {
	type group struct {
		session, window, user, anon string
		events                      []any
	}
	var order []*group
	groups := map[[2]string]*group{}
	for i, m := range messages {
		if m == nil {
			return nil, invalidf("message %d is not an object", i)
		}
		if name, _ := m["event"].(string); name != "$snapshot" {
			continue // posthog-js sends only $snapshot here; anything else is not a recording
		}
		props, _ := m["properties"].(map[string]any)
		session, _ := props["$session_id"].(string)
		if session == "" {
			return nil, invalidf("$snapshot %d has no $session_id", i)
		}
		window, _ := props["$window_id"].(string)
		data, ok := props["$snapshot_data"].([]any)
		if !ok {
			if one, isObj := props["$snapshot_data"].(map[string]any); isObj {
				data = []any{one}
			} else {
				return nil, invalidf("$snapshot %d of session %q has no $snapshot_data array", i, session)
			}
		}
		k := [2]string{session, window}
		g := groups[k]
		if g == nil {
			g = &group{session: session, window: window}
			groups[k] = g
			order = append(order, g)
		}
		distinct, _ := m["distinct_id"].(string)
		if distinct == "" {
			distinct, _ = props["distinct_id"].(string)
		}
		device, _ := props["$device_id"].(string)
		if identified, isBool := props["$is_identified"].(bool); (isBool && !identified) || distinct == device {
			g.anon = distinct
		} else if distinct != "" {
			g.user = distinct
		}
		for k, ev := range data {
			e, ok := ev.(map[string]any)
			if !ok {
				return nil, invalidf("$snapshot %d: event %d is not an object", i, k)
			}
			if err := uncompressPostHog(e); err != nil {
				return nil, invalidf("$snapshot %d: event %d: %v", i, k, err)
			}
			g.events = append(g.events, e)
		}
	}
	var out [][]byte
	for _, g := range order {
		if len(g.events) == 0 {
			continue
		}
		seq := int64(0)
		if first, ok := g.events[0].(map[string]any); ok {
			if ts, ok := first["timestamp"].(float64); ok && ts > 0 {
				seq = int64(ts) // posthog-js does not number its uploads; a retry resends the same first event
			}
		}
		doc := map[string]any{"session_id": g.session, "page_id": g.window, "seq": seq, "events": g.events}
		if g.user != "" {
			doc["user_id"] = g.user
		}
		if g.anon != "" {
			doc["anonymous_id"] = g.anon
		}
		if sentAt > 0 {
			doc["sent_at"] = sentAt
		}
		b, err := json.Marshal(doc)
		if err != nil {
			return nil, invalidf("%v", err)
		}
		out = append(out, b)
	}
	return out, nil
}

// uncompressPostHog turns an event posthog-js compressed back into plain
// rrweb, in place.
func uncompressPostHog(e map[string]any) error {
	if cv, _ := e["cv"].(string); cv == "" {
		return nil
	}
	delete(e, "cv")
	typ, _ := e["type"].(float64)
	switch int(typ) {
	case rrFullSnapshot:
		v, err := unpackField(e["data"])
		if err != nil {
			return fmt.Errorf("full snapshot: %w", err)
		}
		e["data"] = v
	case rrIncremental:
		d, _ := e["data"].(map[string]any)
		if d == nil {
			return errors.New("incremental snapshot without data")
		}
		for _, f := range []string{"texts", "attributes", "removes", "adds"} {
			if _, isStr := d[f].(string); !isStr {
				continue
			}
			v, err := unpackField(d[f])
			if err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
			d[f] = v
		}
	}
	return nil
}

// unpackField reads a compressed field: a latin-1 string of gzip (or zstd)
// bytes holding JSON. A value that is not a string is kept as it is.
func unpackField(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return v, nil
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return nil, fmt.Errorf("compressed data holds U+%04X, not a latin-1 byte", r)
		}
		b = append(b, byte(r))
	}
	var raw []byte
	var err error
	switch {
	case bytes.HasPrefix(b, gzipMagic):
		raw, err = gunzip(b, 64<<20)
	case bytes.HasPrefix(b, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		raw, err = unzstd(b, 64<<20)
	default:
		return nil, errors.New("compressed data is neither gzip nor zstd")
	}
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("compressed data is not JSON: %w", err)
	}
	return out, nil
}

func unzstd(b []byte, limit int64) ([]byte, error) {
	d, err := zstd.NewReader(bytes.NewReader(b), zstd.WithDecoderMaxMemory(uint64(limit)), zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	out, err := io.ReadAll(io.LimitReader(d, limit+1))
	if err != nil {
		return nil, fmt.Errorf("cannot decompress zstd: %w", err)
	}
	if int64(len(out)) > limit {
		return nil, tooLargef("compressed data over %d bytes", limit)
	}
	return out, nil
}

package replay

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// Chunk is one upload of a recording: a stretch of one page's rrweb
// events, as the SDK sends it to POST /api/v1/replay — a JSON document
//
//	{"session_id": "…", "page_id": "…", "seq": 3, "sent_at": 1767225600000,
//	 "user_id": "…", "anonymous_id": "…", "events": [rrweb events…]}
//
// gzip-compressed by the browser (or plain). Data keeps that document
// compressed, exactly as stored.
type Chunk struct {
	ProjectID   int64
	SessionID   string
	PageID      string // the page load (posthog-js: the window id); its chunks are played in Seq order
	Seq         int64
	UserID      string
	AnonymousID string
	First, Last int64 // ms since the epoch by the device's clock: the first and last event
	Events      int   // rrweb events
	Clicks      int
	Full        bool  // holds a full snapshot: playback can start here
	SkewMS      int64 // arrival minus sent_at: what brings the device's clock to Lore's
	RawBytes    int64 // the document, uncompressed
	ReceivedAt  int64 // ms since the epoch by Lore's clock: when it arrived
	Data        []byte
}

// Limits bound what a recording may cost. Zero fields take the defaults.
type Limits struct {
	MaxChunkBytes    int64 // a chunk as sent, compressed (default 2 MiB)
	MaxRawChunkBytes int64 // a chunk uncompressed (default 32 MiB)
	MaxSessionBytes  int64 // all of a session's chunks, compressed (default 64 MiB)
	MaxChunkEvents   int   // rrweb events per chunk (default 100,000)
}

func (l *Limits) setDefaults() {
	if l.MaxChunkBytes <= 0 {
		l.MaxChunkBytes = 2 << 20
	}
	if l.MaxRawChunkBytes <= 0 {
		l.MaxRawChunkBytes = 32 << 20
	}
	if l.MaxSessionBytes <= 0 {
		l.MaxSessionBytes = 64 << 20
	}
	if l.MaxChunkEvents <= 0 {
		l.MaxChunkEvents = 100_000
	}
}

var gzipMagic = []byte{0x1f, 0x8b}

// DecodeChunk reads a chunk as sent: it checks that the body is a
// recording — an envelope with a session id and rrweb events, each with
// a known type and a millisecond timestamp — and within the limits. now
// is the arrival time, for the clock skew. The chunk keeps the body's
// compressed bytes; a plain body is compressed here.
func DecodeChunk(body []byte, now time.Time, lim Limits) (Chunk, error) {
	lim.setDefaults()
	if int64(len(body)) > lim.MaxChunkBytes {
		return Chunk{}, tooLargef("a chunk of %d bytes is over the %d-byte limit per chunk: send smaller batches", len(body), lim.MaxChunkBytes)
	}
	var c Chunk
	doc := body
	if bytes.HasPrefix(body, gzipMagic) {
		var err error
		if doc, err = gunzip(body, lim.MaxRawChunkBytes); err != nil {
			return Chunk{}, err
		}
		c.Data = body
	} else {
		if int64(len(body)) > lim.MaxRawChunkBytes {
			return Chunk{}, tooLargef("a chunk of %d bytes is over the %d-byte limit per chunk uncompressed", len(body), lim.MaxRawChunkBytes)
		}
		c.Data = gzipBytes(body)
	}
	c.RawBytes = int64(len(doc))
	var p fastjson.Parser
	v, err := p.ParseBytes(doc)
	if err != nil {
		return Chunk{}, invalidf("not JSON: %v", err)
	}
	if err := c.readEnvelope(v, now, lim); err != nil {
		return Chunk{}, err
	}
	return c, nil
}

// readEnvelope reads and checks the chunk's document.
func (c *Chunk) readEnvelope(v *fastjson.Value, now time.Time, lim Limits) error {
	if v.Type() != fastjson.TypeObject {
		return invalidf("the body must be a JSON object with \"session_id\" and \"events\"")
	}
	var err error
	if c.SessionID, err = idField(v, "session_id", true); err != nil {
		return err
	}
	if c.PageID, err = idField(v, "page_id", false); err != nil {
		return err
	}
	if c.UserID, err = idField(v, "user_id", false); err != nil {
		return err
	}
	if c.AnonymousID, err = idField(v, "anonymous_id", false); err != nil {
		return err
	}
	if s := v.Get("seq"); s != nil {
		n, err := s.Int64()
		if err != nil || n < 0 {
			return invalidf("\"seq\" must be a whole number from 0, not %s", cutRunes(s.String(), 40))
		}
		c.Seq = n
	}
	if s := v.Get("sent_at"); s != nil {
		sent, err := parseMillis(s)
		if err != nil {
			return invalidf("\"sent_at\": %v", err)
		}
		c.SkewMS = now.UnixMilli() - sent
	}
	evs := v.Get("events")
	if evs == nil || evs.Type() != fastjson.TypeArray {
		return invalidf("\"events\" must be an array of rrweb events")
	}
	arr, _ := evs.Array()
	if len(arr) == 0 {
		return invalidf("\"events\" is empty")
	}
	if len(arr) > lim.MaxChunkEvents {
		return tooLargef("%d events in one chunk, over the limit of %d", len(arr), lim.MaxChunkEvents)
	}
	for i, e := range arr {
		h, err := readHead(e)
		if err != nil {
			return invalidf("event %d: %v", i, err)
		}
		if c.First == 0 || h.ts < c.First {
			c.First = h.ts
		}
		c.Last = max(c.Last, h.ts)
		c.Events++
		c.Full = c.Full || h.typ == rrFullSnapshot
		if isClick(e, source(e, h.typ)) {
			c.Clicks++
		}
	}
	return nil
}

// idField reads an id of the envelope: a string of at most 200 bytes of
// valid UTF-8 without control characters.
func idField(v *fastjson.Value, name string, required bool) (string, error) {
	f := v.Get(name)
	if f == nil || f.Type() == fastjson.TypeNull {
		if required {
			return "", invalidf("%q is missing: the SDK's session id ties the recording to the session's events", name)
		}
		return "", nil
	}
	if f.Type() != fastjson.TypeString {
		return "", invalidf("%q must be a string, not %s", name, f.Type())
	}
	s := string(f.GetStringBytes())
	if required && s == "" {
		return "", invalidf("%q is empty", name)
	}
	if len(s) > 200 || !utf8.ValidString(s) {
		return "", invalidf("%q must be at most 200 bytes of UTF-8, not %.40q", name, s)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return "", invalidf("%q holds a control character: %.40q", name, s)
		}
	}
	return s, nil
}

// parseMillis reads a time as milliseconds since the epoch: a number, or
// an RFC 3339 string.
func parseMillis(v *fastjson.Value) (int64, error) {
	switch v.Type() {
	case fastjson.TypeNumber:
		f, _ := v.Float64()
		if f < 1e12 || f > maxEventTS {
			return 0, fmt.Errorf("%s is not milliseconds since the epoch", v)
		}
		return int64(f), nil
	case fastjson.TypeString:
		s := string(v.GetStringBytes())
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return 0, fmt.Errorf("cannot parse time %.40q: %w", s, err)
		}
		return t.UnixMilli(), nil
	}
	return 0, fmt.Errorf("want milliseconds or an RFC 3339 time, not %s", v.Type())
}

// gunzip decompresses at most limit bytes of a gzip body.
func gunzip(b []byte, limit int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, invalidf("cannot read gzip: %v", err)
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, invalidf("cannot decompress gzip: %v", err)
	}
	if int64(len(out)) > limit {
		return nil, tooLargef("the chunk decompresses to more than the %d-byte limit per chunk", limit)
	}
	return out, nil
}

// gzipBytes compresses b.
func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// chunkEvents reads back the events of a stored chunk's document.
func chunkEvents(p *fastjson.Parser, data []byte, limit int64) ([]*fastjson.Value, error) {
	doc, err := gunzip(data, limit)
	if err != nil {
		return nil, err
	}
	v, err := p.ParseBytes(doc)
	if err != nil {
		return nil, invalidf("stored chunk is not JSON: %v", err)
	}
	return v.GetArray("events"), nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

package replay

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/replay/synth"
)

// sampleChunk is a real-looking chunk document: a page load and a click.
func sampleChunk(t *testing.T, session string) []byte {
	t.Helper()
	r := synth.New(t0, 1280, 800)
	r.Load("https://shop.example/checkout", "Checkout", "body{font:14px sans-serif}", checkoutPage())
	r.Click("pay")
	return r.Chunks(session, "page-1", "user-7", "anon-7", 1000)[0]
}

func TestDecodeChunk(t *testing.T) {
	doc := sampleChunk(t, "s-1")
	now := t0.Add(time.Minute)
	for name, body := range map[string][]byte{"plain": doc, "gzip": gzipBytes(doc)} {
		c, err := DecodeChunk(body, now, Limits{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.SessionID != "s-1" || c.PageID != "page-1" || c.UserID != "user-7" || c.AnonymousID != "anon-7" || c.Events != 5 || c.Clicks != 1 || !c.Full {
			t.Fatalf("%s: chunk = %+v", name, c)
		}
		if c.First != t0.UnixMilli() || c.Last <= c.First || c.RawBytes != int64(len(doc)) || !bytes.HasPrefix(c.Data, gzipMagic) {
			t.Fatalf("%s: first %d last %d raw %d", name, c.First, c.Last, c.RawBytes)
		}
		if name == "gzip" && !bytes.Equal(c.Data, body) {
			t.Fatalf("a gzip chunk is stored as it came")
		}
	}
	// sent_at gives the device's clock skew: this one is 90 s behind.
	skewed := bytes.Replace(doc, []byte(`"seq":0`), []byte(`"seq":0,"sent_at":`+itoa(now.Add(-90*time.Second).UnixMilli())), 1)
	c, err := DecodeChunk(skewed, now, Limits{})
	if err != nil || c.SkewMS != 90_000 {
		t.Fatalf("skew = %d, %v", c.SkewMS, err)
	}
}

func TestDecodeChunkRefuses(t *testing.T) {
	f := func(body string, want error, wantText string) {
		t.Helper()
		_, err := DecodeChunk([]byte(body), t0, Limits{MaxChunkBytes: 4096, MaxRawChunkBytes: 8192})
		if !errors.Is(err, want) || !strings.Contains(err.Error(), wantText) {
			t.Errorf("DecodeChunk(%.60q) = %v, want %v containing %q", body, err, want, wantText)
		}
	}
	ev := `{"type":4,"data":{"href":"https://x/"},"timestamp":1772443800000}`
	f(`not json`, ErrInvalid, "not JSON")
	f(`[]`, ErrInvalid, "JSON object")
	f(`{"events":[`+ev+`]}`, ErrInvalid, `"session_id" is missing`)
	f(`{"session_id":"","events":[`+ev+`]}`, ErrInvalid, `"session_id" is empty`)
	f(`{"session_id":7,"events":[`+ev+`]}`, ErrInvalid, `must be a string`)
	f(`{"session_id":"a\u0000b","events":[`+ev+`]}`, ErrInvalid, "control character")
	f(`{"session_id":"s","events":[]}`, ErrInvalid, `"events" is empty`)
	f(`{"session_id":"s","events":{}}`, ErrInvalid, `array of rrweb events`)
	f(`{"session_id":"s","seq":-1,"events":[`+ev+`]}`, ErrInvalid, `"seq"`)
	f(`{"session_id":"s","sent_at":"yesterday","events":[`+ev+`]}`, ErrInvalid, `cannot parse time "yesterday"`)
	f(`{"session_id":"s","events":[`+ev+`,{"type":3,"data":{}}]}`, ErrInvalid, `event 1: an rrweb event needs a numeric "timestamp"`)
	f(`{"session_id":"s","events":[{"type":9,"timestamp":1772443800000}]}`, ErrInvalid, "event 0: unknown rrweb event type 9")
	f(`{"session_id":"s","events":[{"type":2,"timestamp":1772443800}]}`, ErrInvalid, "not milliseconds since the epoch")
	f(`{"session_id":"s","events":["x"]}`, ErrInvalid, "must be an object")
	f(strings.Repeat(" ", 5000), ErrTooLarge, "over the 4096-byte limit per chunk")
	// A small gzip that decompresses past the limit.
	bomb := gzipBytes([]byte(`{"session_id":"s","events":[` + strings.Repeat(" ", 10000) + `]}`))
	if _, err := DecodeChunk(bomb, t0, Limits{MaxChunkBytes: 4096, MaxRawChunkBytes: 8192}); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "decompresses to more than") {
		t.Errorf("bomb: %v", err)
	}
	if _, err := DecodeChunk(append([]byte{0x1f, 0x8b}, "garbage"...), t0, Limits{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad gzip: %v", err)
	}
}

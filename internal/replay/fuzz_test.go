package replay

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/valyala/fastjson"
)

// FuzzDecodeChunk: whatever the body, DecodeChunk returns a chunk or an
// error wrapping ErrInvalid or ErrTooLarge, never panics; and a chunk it
// accepts is one whose events Analyze reads without panicking.
func FuzzDecodeChunk(f *testing.F) {
	f.Add([]byte(`{"session_id":"s","page_id":"p","seq":1,"sent_at":1772443800000,"events":[{"type":4,"data":{"href":"https://x/","width":800,"height":600},"timestamp":1772443800000},{"type":2,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"tagName":"button","attributes":{"id":"b"},"childNodes":[{"type":3,"textContent":"**","id":3}],"id":2}]}},"timestamp":1772443800001},{"type":3,"data":{"source":2,"type":2,"id":2,"x":1,"y":2},"timestamp":1772443800500}]}`))
	f.Add([]byte(`{"session_id":"s","events":[{"type":3,"data":{"source":0,"adds":[{"parentId":1,"node":{"type":2,"tagName":"a","attributes":{},"childNodes":[],"id":9}}],"removes":[{"id":9}],"texts":[],"attributes":[{"id":9,"attributes":{"class":"x"}}]},"timestamp":1772443800000}]}`))
	f.Add(gzipBytes([]byte(`{"session_id":"s","events":[{"type":5,"data":{"tag":"lore.error","payload":{"message":"m"}},"timestamp":1772443800000}]}`)))
	f.Add([]byte{0x1f, 0x8b, 0, 0})
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := DecodeChunk(body, time.Unix(1772443800, 0), Limits{MaxChunkBytes: 1 << 16, MaxRawChunkBytes: 1 << 18})
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error of no kind: %v", err)
			}
			return
		}
		if c.SessionID == "" || c.Events == 0 || c.Last < c.First {
			t.Fatalf("accepted chunk %+v", c)
		}
		var p fastjson.Parser
		evs, err := chunkEvents(&p, c.Data, 1<<18)
		if err != nil {
			t.Fatalf("stored data does not read back: %v", err)
		}
		Analyze([]Stream{{Page: c.PageID, Events: evs}}, []ErrorAt{{TS: c.First, Text: "x"}})
	})
}

// FuzzPostHogChunks: a /s/ batch of any shape becomes chunk documents or
// an error wrapping ErrInvalid or ErrTooLarge, never a panic.
func FuzzPostHogChunks(f *testing.F) {
	f.Add([]byte(`[{"event":"$snapshot","distinct_id":"d","properties":{"$session_id":"s","$window_id":"w","$snapshot_data":[{"type":4,"data":{"href":"https://x/"},"timestamp":1772443800000}]}}]`))
	f.Add([]byte(`[{"event":"$snapshot","properties":{"$session_id":"s","$snapshot_data":[{"type":2,"cv":"2024-10","data":"\u001f\u008b","timestamp":1772443800000}]}}]`))
	f.Add([]byte(`[{"event":"$snapshot","properties":{"$session_id":"s","$snapshot_data":[{"type":3,"cv":"2024-10","data":{"source":0,"adds":"x"},"timestamp":1}]}}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var msgs []map[string]any
		if json.Unmarshal(body, &msgs) != nil {
			return
		}
		docs, err := posthogChunks(msgs, 0)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error of no kind: %v", err)
			}
			return
		}
		for _, d := range docs {
			if _, err := DecodeChunk(d, time.Unix(1772443800, 0), Limits{}); err != nil && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error of no kind: %v", err)
			}
		}
	})
}

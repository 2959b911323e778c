package pipeline

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/lore-dev/lore/internal/event"
)

// fullEvent has every field set.
func fullEvent() event.Event {
	return event.Event{
		ProjectID: 42, TS: 1_763_700_000_123_456, ReceivedAt: 1_763_700_000_200_000,
		Kind: event.KindSpan, Level: event.LevelError,
		Service: "checkout", Env: "prod", Release: "v1.2.3", Host: "web-1",
		TraceID:      event.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		SpanID:       event.SpanID{0xff, 1, 2, 3, 4, 5, 6, 7},
		ParentSpanID: event.SpanID{9, 9, 9, 9, 9, 9, 9, 9},
		UserID:       "u-1", AnonymousID: "anon-1", SessionID: "s-1", RequestID: "r-1",
		Name: "POST /pay", Message: "payment failed: card declined ✗",
		HTTPMethod: "POST", Endpoint: "/pay", HTTPStatus: 502, DurationMS: 123.456,
		ErrorType: "CardError", ErrorCode: "E42", Fingerprint: "fp", RetryAttempt: 3,
		Attributes: []event.Attr{{Key: "cart.items", Value: "3"}, {Key: "", Value: ""}, {Key: "k", Value: "\x00bin"}},
	}
}

func TestEventRoundTrip(t *testing.T) {
	f := func(name string, e event.Event) {
		t.Helper()
		rec := encodeRecord(nil, []event.Event{e})
		sealRecord(rec, 7)
		seq, got, n, err := decodeRecord(rec)
		if err != nil {
			t.Fatalf("%s: decode: %v", name, err)
		}
		if seq != 7 || n != len(rec) || len(got) != 1 {
			t.Fatalf("%s: got seq %d, %d bytes, %d events; want 7, %d, 1", name, seq, n, len(got), len(rec))
		}
		if !reflect.DeepEqual(got[0], e) {
			t.Fatalf("%s: round trip\n got %+v\nwant %+v", name, got[0], e)
		}
	}
	f("zero", event.Event{})
	f("full", fullEvent())
	f("negative numbers", event.Event{ProjectID: -1, TS: math.MinInt64 / 2, ReceivedAt: math.MaxInt64 / 2, HTTPStatus: math.MinInt32, RetryAttempt: math.MaxInt32, DurationMS: -0.5})
	f("negative zero duration", event.Event{DurationMS: math.Copysign(0, -1)})
	f("infinite duration", event.Event{DurationMS: math.Inf(1)})
	f("long message", event.Event{Message: string(bytes.Repeat([]byte("x"), 70_000))})
	f("only trace", event.Event{TraceID: event.TraceID{15: 1}})
}

func TestEventEncodingIsCompact(t *testing.T) {
	e := event.Event{ProjectID: 1, TS: 1_763_700_000_123_456, ReceivedAt: 1_763_700_000_124_000, Kind: "log", Level: "info", Service: "api", Message: "hello"}
	n := len(appendEvent(nil, &e))
	// mask 1 + project 1 + ts 8 + delta 2 + strings (4+5+4+6) = 31
	if n > 32 {
		t.Fatalf("a small log line encodes to %d bytes, want at most 32", n)
	}
}

func TestDecodeRecordRejects(t *testing.T) {
	good := encodeRecord(nil, []event.Event{fullEvent(), {Message: "second"}})
	sealRecord(good, 3)
	f := func(name string, b []byte) {
		t.Helper()
		if _, _, _, err := decodeRecord(b); err == nil {
			t.Fatalf("%s: decodeRecord accepted %d bytes", name, len(b))
		}
	}
	f("empty", nil)
	f("header only", good[:headerSize])
	for _, cut := range []int{1, 9, len(good) / 2, len(good) - 1} {
		f("cut", good[:cut])
	}
	flipped := bytes.Clone(good)
	flipped[len(flipped)-1] ^= 1
	f("bit flip", flipped)
	zeros := make([]byte, 64)
	f("zeros", zeros)
	if _, _, _, err := decodeRecord(good[:len(good)-1]); !errors.Is(err, errTorn) {
		t.Fatalf("a cut record gives %v, want errTorn", err)
	}
}

// FuzzDecodeRecord checks that decoding arbitrary bytes never panics and
// that whatever decodes re-encodes to a record that decodes the same.
func FuzzDecodeRecord(f *testing.F) {
	seed := func(seq uint64, events ...event.Event) {
		rec := encodeRecord(nil, events)
		sealRecord(rec, seq)
		f.Add(rec)
	}
	seed(1, event.Event{})
	seed(2, fullEvent())
	seed(3, fullEvent(), event.Event{Kind: "log", Message: "m"}, event.Event{Attributes: []event.Attr{{Key: "a", Value: "b"}}})
	f.Add([]byte{})
	f.Add(make([]byte, 32))
	f.Fuzz(func(t *testing.T, b []byte) {
		seq, events, n, err := decodeRecord(b)
		if err != nil {
			// Also exercise the event decoder without the checksum in
			// the way.
			_, _ = decodeEvents(b)
			return
		}
		if n > len(b) {
			t.Fatalf("decoded %d bytes out of %d", n, len(b))
		}
		rec := encodeRecord(nil, events)
		sealRecord(rec, seq)
		seq2, events2, _, err := decodeRecord(rec)
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		rec2 := encodeRecord(nil, events2)
		sealRecord(rec2, seq2)
		if seq2 != seq || !bytes.Equal(rec, rec2) {
			t.Fatalf("round trip changed the record")
		}
	})
}

func BenchmarkEncodeEvent(b *testing.B) {
	e := fullEvent()
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = appendEvent(buf[:0], &e)
	}
	b.ReportMetric(float64(len(buf)), "bytes/event")
}

func BenchmarkDecodeRecord(b *testing.B) {
	events := make([]event.Event, 100)
	for i := range events {
		events[i] = fullEvent()
	}
	rec := encodeRecord(nil, events)
	sealRecord(rec, 1)
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := decodeRecord(rec); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(events))/b.Elapsed().Seconds(), "events/s")
}

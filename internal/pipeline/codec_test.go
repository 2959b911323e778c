package pipeline

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
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
// that whatever decodes re-encodes to bytes that decode the same. Random
// bytes rarely pass the checksum, so the input is also decoded as a bare
// payload (event count and events), which exercises the event decoder.
func FuzzDecodeRecord(f *testing.F) {
	seed := func(seq uint64, events ...event.Event) {
		rec := encodeRecord(nil, events)
		sealRecord(rec, seq)
		f.Add(rec)
		f.Add(rec[headerSize+8:])
	}
	seed(1, event.Event{})
	seed(2, fullEvent())
	seed(3, fullEvent(), event.Event{Kind: "log", Message: "m"}, event.Event{Attributes: []event.Attr{{Key: "a", Value: "b"}}})
	f.Add([]byte{})
	f.Add(make([]byte, 32))
	f.Fuzz(func(t *testing.T, b []byte) {
		if seq, events, n, err := decodeRecord(b); err == nil {
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
		}
		if events, err := decodeEvents(b); err == nil {
			p := encodeRecord(nil, events)[headerSize+8:]
			events2, err := decodeEvents(p)
			if err != nil {
				t.Fatalf("re-encoded events do not decode: %v", err)
			}
			if !bytes.Equal(p, encodeRecord(nil, events2)[headerSize+8:]) {
				t.Fatalf("round trip changed the events")
			}
			if len(events2) != len(events) {
				t.Fatalf("round trip gave %d events, want %d", len(events2), len(events))
			}
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

func TestEventRoundTripRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	str := func() string {
		if rng.IntN(3) == 0 {
			return ""
		}
		b := make([]byte, rng.IntN(300))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return string(b)
	}
	i64 := func() int64 { return int64(rng.Uint64()) >> rng.IntN(64) }
	events := make([]event.Event, 500)
	for i := range events {
		e := &events[i]
		*e = event.Event{
			ProjectID: i64(), TS: i64(), ReceivedAt: i64(),
			Kind: str(), Level: str(), Service: str(), Env: str(), Release: str(), Host: str(),
			UserID: str(), AnonymousID: str(), SessionID: str(), RequestID: str(), Name: str(), Message: str(),
			HTTPMethod: str(), Endpoint: str(), HTTPStatus: int32(i64()), DurationMS: rng.NormFloat64() * 1e3,
			ErrorType: str(), ErrorCode: str(), Fingerprint: str(), RetryAttempt: int32(i64()),
		}
		if rng.IntN(2) == 0 {
			for range 1 + rng.IntN(20) {
				e.Attributes = append(e.Attributes, event.Attr{Key: str(), Value: str()})
			}
		}
		if rng.IntN(2) == 0 {
			for j := range e.TraceID {
				e.TraceID[j] = byte(rng.Uint32())
			}
			e.SpanID = event.SpanIDFromUint64(rng.Uint64())
			e.ParentSpanID = event.SpanIDFromUint64(rng.Uint64() >> rng.IntN(64))
		}
	}
	rec := encodeRecord(nil, events)
	sealRecord(rec, 99)
	seq, got, _, err := decodeRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	if seq != 99 || len(got) != len(events) {
		t.Fatalf("got seq %d and %d events, want 99 and %d", seq, len(got), len(events))
	}
	for i := range events {
		if !reflect.DeepEqual(got[i], events[i]) {
			t.Fatalf("event %d changed in the round trip\n got %+v\nwant %+v", i, got[i], events[i])
		}
	}
}

package forward

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
	"time"

	"github.com/tinylib/msgp/msgp"
)

var testNow = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC).UnixMicro()

func eventTimeExt(t time.Time) []byte {
	b := []byte{0xd7, 0x00}
	s, ns := uint32(t.Unix()), uint32(t.Nanosecond())
	return append(b, byte(s>>24), byte(s>>16), byte(s>>8), byte(s), byte(ns>>24), byte(ns>>16), byte(ns>>8), byte(ns))
}

func entry(b []byte, t time.Time, rec map[string]any) []byte {
	b = msgp.AppendArrayHeader(b, 2)
	b = append(b, eventTimeExt(t)...)
	b, err := msgp.AppendIntf(b, rec)
	if err != nil {
		panic(err)
	}
	return b
}

func decodeAll(t *testing.T, b []byte) Message {
	t.Helper()
	v, rest, err := decode(b, 0)
	if err != nil || len(rest) != 0 {
		t.Fatalf("decode: %v, %d bytes left", err, len(rest))
	}
	m, err := DecodeMessage(v, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestModes(t *testing.T) {
	at := time.Date(2026, 12, 4, 10, 0, 0, 123456789, time.UTC)
	rec := map[string]any{"log": "order shipped", "level": "info", "kubernetes": map[string]any{"pod_name": "ship-1"}}

	// Message mode with an integer time and a chunk.
	b := msgp.AppendArrayHeader(nil, 4)
	b = msgp.AppendString(b, "app.shipping")
	b = msgp.AppendInt64(b, at.Unix())
	b, _ = msgp.AppendIntf(b, rec)
	b, _ = msgp.AppendIntf(b, map[string]any{"chunk": "c1"})
	m := decodeAll(t, b)
	if m.Tag != "app.shipping" || m.Chunk != "c1" || len(m.Entries) != 1 || m.Entries[0].TimeNs != at.Unix()*1e9 {
		t.Fatalf("message mode: %+v", m)
	}

	// Forward mode with EventTime and one bad entry.
	b = msgp.AppendArrayHeader(nil, 2)
	b = msgp.AppendString(b, "app")
	b = msgp.AppendArrayHeader(b, 2)
	b = entry(b, at, rec)
	b = msgp.AppendArrayHeader(b, 2)
	b = msgp.AppendString(b, "noon")
	b = msgp.AppendMapHeader(b, 0)
	m = decodeAll(t, b)
	if len(m.Entries) != 1 || m.Entries[0].TimeNs != at.UnixNano() || len(m.Errors) != 1 || !strings.Contains(m.Errors[0], "entry 2: invalid time") {
		t.Fatalf("forward mode: %+v", m)
	}

	// CompressedPackedForward.
	var stream []byte
	for range 3 {
		stream = entry(stream, at, rec)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(stream)
	zw.Close()
	b = msgp.AppendArrayHeader(nil, 3)
	b = msgp.AppendString(b, "k8s")
	b = msgp.AppendBytes(b, gz.Bytes())
	b, _ = msgp.AppendIntf(b, map[string]any{"size": 3, "compressed": "gzip", "chunk": "c2"})
	m = decodeAll(t, b)
	if len(m.Entries) != 3 || m.Chunk != "c2" {
		t.Fatalf("compressed packed forward: %+v", m)
	}
	evs, errs := Events(&m, 5, testNow)
	if len(errs) != 0 || len(evs) != 3 {
		t.Fatalf("events %d, errs %v", len(evs), errs)
	}
	e := evs[0]
	if e.Message != "order shipped" || e.Level != "info" || e.Service != "k8s" || e.TS != at.UnixMicro() || e.ProjectID != 5 {
		t.Errorf("event = %+v", e)
	}
	if v, _ := e.Attr("kubernetes.pod_name"); v != "ship-1" {
		t.Errorf("kubernetes.pod_name = %q", v)
	}
	if v, _ := e.Attr("fluent.tag"); v != "k8s" {
		t.Errorf("fluent.tag = %q", v)
	}
}

func TestRefusals(t *testing.T) {
	for _, b := range [][]byte{
		msgp.AppendString(nil, "not an array"),
		msgp.AppendInt64(msgp.AppendInt64(msgp.AppendArrayHeader(nil, 2), 1), 2),
		msgp.AppendInt64(msgp.AppendString(msgp.AppendArrayHeader(nil, 2), "tag"), 2),
	} {
		v, _, err := decode(b, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeMessage(v, 1<<20); err == nil {
			t.Errorf("accepted %x", b)
		}
	}
	if _, _, err := decode([]byte{0xdd, 0x7f, 0xff, 0xff, 0xff}, 0); err != errShort {
		t.Errorf("a huge array header with nothing after it: %v, want errShort (and no allocation)", err)
	}
	deep := bytes.Repeat([]byte{0x91}, 100)
	if _, _, err := decode(append(deep, 0xc0), 0); err == nil || err == errShort {
		t.Errorf("100 levels of nesting: %v", err)
	}
}

func TestAck(t *testing.T) {
	for _, chunk := range []string{"c", strings.Repeat("x", 40), strings.Repeat("y", 300)} {
		v, rest, err := decode(AppendAck(nil, chunk), 0)
		if err != nil || len(rest) != 0 || v.(map[string]any)["ack"] != chunk {
			t.Errorf("ack of %d bytes = %v %v", len(chunk), v, err)
		}
	}
}

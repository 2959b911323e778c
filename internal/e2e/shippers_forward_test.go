package e2e

import (
	"bytes"
	"compress/gzip"
	"net"
	"testing"
	"time"

	"github.com/fluent/fluent-logger-golang/fluent"
	"github.com/tinylib/msgp/msgp"

	"github.com/lore-dev/lore/internal/app"
)

// TestFluentForward posts with fluent-logger-golang (acknowledged,
// sub-second EventTime), then sends a CompressedPackedForward chunk twice,
// as Fluent Bit does when an ack is lost: it is acknowledged both times and
// stored once.
func TestFluentForward(t *testing.T) {
	a := startApp(t, func(c *app.Config) {
		c.Listeners.Forward = []app.ForwardListener{{Addr: "127.0.0.1:0", Key: ingestKey}}
	})
	addr := a.ListenerAddr("forward")
	host, port, _ := net.SplitHostPort(addr)
	p, _ := net.LookupPort("tcp", port)
	logger, err := fluent.New(fluent.Config{FluentHost: host, FluentPort: p, RequestAck: true, SubSecondPrecision: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		err := logger.Post("app.inventory", map[string]any{"message": "stock counted", "level": "warn", "shelf": i, "trace_id": "5bf92f3577b34da6a3ce929d0e0e4736"})
		if err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	if err := logger.Close(); err != nil {
		t.Fatal(err)
	}

	// A compressed packed chunk, sent twice on one connection.
	var stream []byte
	for i := range 5 {
		stream = msgp.AppendArrayHeader(stream, 2)
		stream = msgp.AppendInt64(stream, time.Now().Unix())
		stream, _ = msgp.AppendIntf(stream, map[string]any{"log": "pod restarted", "kubernetes": map[string]any{"pod_name": "ship-" + itoa(i)}})
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(stream)
	zw.Close()
	msg := msgp.AppendArrayHeader(nil, 3)
	msg = msgp.AppendString(msg, "kube.shipping")
	msg = msgp.AppendBytes(msg, gz.Bytes())
	msg, _ = msgp.AppendIntf(msg, map[string]any{"size": 5, "compressed": "gzip", "chunk": "Y2h1bmstMQ=="})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for try := range 2 {
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		ack, err := msgp.NewReader(c).ReadIntf()
		if err != nil {
			t.Fatalf("try %d: no ack: %v", try, err)
		}
		if m, _ := ack.(map[string]any); m["ack"] != "Y2h1bmstMQ==" {
			t.Fatalf("try %d: ack = %v", try, ack)
		}
	}

	flush(t, a)
	r := search(t, a.URL(), `service:app.inventory`, "now-1h", "now+1h", 100)
	if len(r.Events) != 20 {
		t.Fatalf("fluent-logger events: %d, want 20", len(r.Events))
	}
	if e := r.Events[0]; e.Level != "warn" || e.Message != "stock counted" || e.TraceID != "5bf92f3577b34da6a3ce929d0e0e4736" || e.Attributes["fluent.tag"] != "app.inventory" {
		t.Errorf("event = %+v", e)
	}
	r = search(t, a.URL(), `fluent.tag:kube.shipping`, "now-1h", "now+1h", 100)
	if len(r.Events) != 5 {
		t.Fatalf("the resent chunk stored %d events, want 5 (once)", len(r.Events))
	}
	if e := r.Events[0]; e.Message != "pod restarted" || e.Attributes["kubernetes.pod_name"] == "" {
		t.Errorf("event = %+v", e)
	}
}

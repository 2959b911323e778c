package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/grafana/loki/pkg/push"
	"github.com/tinylib/msgp/msgp"
	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/lore-dev/lore/internal/agent"
	"github.com/lore-dev/lore/internal/app"
)

// benchBatch is the events in one request: a realistic shipper batch.
const benchBatch = 500

// benchRecord is one structured log record of about 300 bytes.
func benchRecord(i int) map[string]any {
	return map[string]any{
		"level": []string{"info", "info", "info", "warn", "error"}[i%5], "service": "checkout",
		"message":  fmt.Sprintf("order %d paid in %d ms by card ending %04d", 100000+i, 20+i%300, i%10000),
		"trace_id": fmt.Sprintf("%032x", 0xabc000+i/8), "user_id": fmt.Sprintf("user_%d", i%5000),
		"http_status": 200 + (i%7/6)*302, "duration_ms": 20 + i%300, "endpoint": "/api/checkout", "region": "eu-west-1",
	}
}

func benchJSON(i int) string {
	r := benchRecord(i)
	return fmt.Sprintf(`{"ts":%q,"level":%q,"service":"checkout","message":%q,"trace_id":%q,"user_id":%q,"http_status":%d,"duration_ms":%d,"endpoint":"/api/checkout","region":"eu-west-1"}`,
		time.Now().UTC().Format(time.RFC3339Nano), r["level"], r["message"], r["trace_id"], r["user_id"], r["http_status"], r["duration_ms"])
}

// BenchmarkShipperEndpoints sends realistic batches through each shipper
// endpoint of a whole server and reports events/s until acknowledged
// (for syslog, which has no answer, until stored). Run it with
//
//	go test ./internal/e2e -run '^$' -bench ShipperEndpoints -benchtime 20x
//
// The figures go to BENCHMARKS.md.
func BenchmarkShipperEndpoints(b *testing.B) {
	a := startApp(b, func(c *app.Config) {
		c.Listeners = app.Listeners{OTLPGRPCAddr: "127.0.0.1:0",
			Syslog:  []app.SyslogListener{{Addr: "127.0.0.1:0", Key: ingestKey}},
			Forward: []app.ForwardListener{{Addr: "127.0.0.1:0", Key: ingestKey}}}
	})
	var ndjson, bulk, syslogBody bytes.Buffer
	lokiReq := push.PushRequest{Streams: []push.Stream{{Labels: `{service_name="checkout", job="shop"}`}}}
	otlpReq := &collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{
		Resource:  &resourcepb.Resource{Attributes: []*commonpb.KeyValue{{Key: "service.name", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "checkout"}}}}},
		ScopeLogs: []*logspb.ScopeLogs{{}}}}}
	fwd := msgp.AppendArrayHeader(nil, 3)
	fwd = msgp.AppendString(fwd, "checkout")
	fwd = msgp.AppendArrayHeader(fwd, benchBatch)
	for i := range benchBatch {
		line := benchJSON(i)
		ndjson.WriteString(line + "\n")
		bulk.WriteString(`{"create":{"_index":"checkout"}}` + "\n" + line + "\n")
		lokiReq.Streams[0].Entries = append(lokiReq.Streams[0].Entries, push.Entry{Timestamp: time.Now(), Line: line})
		r := benchRecord(i)
		otlpReq.ResourceLogs[0].ScopeLogs[0].LogRecords = append(otlpReq.ResourceLogs[0].ScopeLogs[0].LogRecords, &logspb.LogRecord{
			TimeUnixNano: uint64(time.Now().UnixNano()), SeverityText: r["level"].(string), Body: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: r["message"].(string)}},
			Attributes: []*commonpb.KeyValue{{Key: "user.id", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: r["user_id"].(string)}}},
				{Key: "http.route", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "/api/checkout"}}}}})
		msg := fmt.Sprintf(`<14>1 %s web-1 checkout 42 - - %s`, time.Now().UTC().Format(time.RFC3339Nano), line)
		fmt.Fprintf(&syslogBody, "%d %s", len(msg), msg)
		fwd = msgp.AppendArrayHeader(fwd, 2)
		fwd = msgp.AppendInt64(fwd, time.Now().Unix())
		fwd, _ = msgp.AppendIntf(fwd, r)
	}
	rawLoki, _ := lokiReq.Marshal()
	lokiProto := snappy.Encode(nil, rawLoki)

	post := func(b *testing.B, path, ct string, body []byte) {
		req, _ := http.NewRequest("POST", a.URL()+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+ingestKey)
		req.Header.Set("Content-Type", ct)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			b.Fatalf("%s: %d", path, resp.StatusCode)
		}
	}
	run := func(name string, send func(b *testing.B)) {
		b.Run(name, func(b *testing.B) {
			start := time.Now()
			for range b.N {
				send(b)
			}
			b.ReportMetric(float64(b.N*benchBatch)/time.Since(start).Seconds(), "events/s")
		})
	}
	run("native-ndjson", func(b *testing.B) { post(b, "/api/v1/ingest", "application/x-ndjson", ndjson.Bytes()) })
	run("elasticsearch-bulk", func(b *testing.B) { post(b, "/_bulk", "application/x-ndjson", bulk.Bytes()) })
	run("loki-protobuf", func(b *testing.B) { post(b, "/loki/api/v1/push", "application/x-protobuf", lokiProto) })

	conn, err := grpc.NewClient(a.ListenerAddr("otlp-grpc"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	logs := collogspb.NewLogsServiceClient(conn)
	octx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+ingestKey)
	run("otlp-grpc", func(b *testing.B) {
		if _, err := logs.Export(octx, otlpReq); err != nil {
			b.Fatal(err)
		}
	})

	fc, err := net.Dial("tcp", a.ListenerAddr("forward"))
	if err != nil {
		b.Fatal(err)
	}
	defer fc.Close()
	ack := make([]byte, 64)
	chunk := 0
	run("fluent-forward-acked", func(b *testing.B) {
		chunk++ // a new chunk id each time: a repeated one is acknowledged without being stored
		msg, _ := msgp.AppendIntf(append([]byte(nil), fwd...), map[string]any{"chunk": fmt.Sprintf("c%d", chunk)})
		if _, err := fc.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := fc.Read(ack); err != nil { // {"ack":"c"} once stored
			b.Fatal(err)
		}
	})

	sc, err := net.Dial("tcp", a.ListenerAddr("syslog"))
	if err != nil {
		b.Fatal(err)
	}
	defer sc.Close()
	b.Run("syslog-tcp-until-stored", func(b *testing.B) {
		before := countService(b, a, "checkout")
		start := time.Now()
		for range b.N {
			if _, err := sc.Write(syslogBody.Bytes()); err != nil {
				b.Fatal(err)
			}
		}
		for countService(b, a, "checkout") < before+int64(b.N*benchBatch) {
			time.Sleep(20 * time.Millisecond)
		}
		b.ReportMetric(float64(b.N*benchBatch)/time.Since(start).Seconds(), "events/s")
	})

	// lore agent tailing a file as it grows, until Lore acknowledged every line.
	b.Run("agent-lines", func(b *testing.B) {
		dir := b.TempDir()
		path := filepath.Join(dir, "bench.log")
		f, _ := os.Create(path)
		defer f.Close()
		ag, err := agent.New(agent.Config{URL: a.URL(), Key: ingestKey, StateDir: filepath.Join(dir, "state"), Globs: []string{path}, IdleFlush: 50 * time.Millisecond, Poll: 20 * time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- ag.Run(ctx) }()
		start := time.Now()
		var size int64
		for i := range b.N * benchBatch {
			n, _ := f.WriteString(benchJSON(i) + "\n")
			size += int64(n)
		}
		for !strings.Contains(readFile(filepath.Join(dir, "state", "offsets.json")), fmt.Sprintf(`"offset":%d}`, size)) {
			time.Sleep(10 * time.Millisecond)
		}
		b.ReportMetric(float64(b.N*benchBatch)/time.Since(start).Seconds(), "lines/s")
		cancel()
		<-done
	})
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

func countService(b *testing.B, a *app.App, service string) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := a.Pipeline().Flush(ctx); err != nil {
		b.Fatal(err)
	}
	_, total := facetCounts(b, a.URL(), "service:"+service, "level")
	return total
}

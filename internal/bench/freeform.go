package bench

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/lore-dev/lore/internal/sim"
)

// The "freeform" workload is shaped unlike the shop: free-form log messages
// from many services and hosts, full of numbers, ids, addresses, paths and
// durations; three to five free attributes per event drawn from a wide set
// of keys; high-cardinality 16-hex session ids and 32-hex trace ids; no
// spans and no product events. About 370 bytes of NDJSON per event. It is
// deterministic by seed, so two runs store the same rows.

// freeformBatch is the events per request body.
const freeformBatch = 2000

var ffServices = []string{
	"edge-proxy", "auth-svc", "billing-worker", "ledger", "search-indexer", "mailer", "thumbnailer",
	"scheduler", "notifier", "geo-lookup", "fraud-scorer", "export-job", "kafka-bridge", "feature-flags",
	"session-store", "invoice-renderer", "ratelimiter", "audit-sink", "cdn-purger", "webhooks-out",
	"ml-ranker", "pricing", "tax-calc", "inventory-sync", "shipping-quotes", "sso-bridge", "reports",
	"backup-agent", "dns-updater", "metrics-relay", "cron-runner", "pdf-service", "chat-gateway",
	"media-transcoder", "recommendations", "loyalty", "coupon-engine", "address-validator", "kyc-checker",
	"status-page",
}

var ffLevels = []struct {
	name   string
	weight int
}{{"debug", 10}, {"info", 68}, {"warn", 14}, {"error", 8}}

var ffWords = []string{
	"primary", "replica", "shard", "partition", "leader", "follower", "segment", "bucket", "tenant",
	"snapshot", "checkpoint", "compaction", "lease", "token", "handshake", "backlog", "quota",
	"eviction", "rebalance", "watermark", "cursor", "manifest", "fanout", "upstream", "downstream",
}

var ffPaths = []string{
	"/v2/accounts/%d/items", "/v1/orders/%d/refunds", "/internal/shards/%d/health", "/api/tenants/%d/export",
	"/v3/users/%d/sessions", "/hooks/%d/deliver", "/assets/img/%d.webp", "/graphql?op=Q%d",
}

var ffAttrKeys = []string{
	"region", "pod", "tenant_id", "order_id", "bytes", "retries", "queue", "shard", "route", "namespace",
	"job_id", "attempt", "cache", "db", "peer", "build", "az", "worker", "topic", "offset", "customer_tier",
	"feature", "content_type", "status_class", "gc_pause_ms", "heap_mb", "conn_id", "lock", "file", "table",
}

// ffGen draws the workload's values from one seeded source.
type ffGen struct {
	r      *rand.Rand
	traces []string // traces still open, joined by later events
	b      bytes.Buffer
}

func (g *ffGen) hex(n int) string {
	const digits = "0123456789abcdef"
	buf := make([]byte, n)
	for i := range buf {
		buf[i] = digits[g.r.IntN(16)]
	}
	return string(buf)
}

func (g *ffGen) ip() string {
	switch g.r.IntN(3) {
	case 0:
		return fmt.Sprintf("10.%d.%d.%d", g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
	case 1:
		return fmt.Sprintf("172.16.%d.%d", g.r.IntN(256), 1+g.r.IntN(254))
	default:
		return fmt.Sprintf("203.0.113.%d", 1+g.r.IntN(254))
	}
}

func (g *ffGen) dur() string {
	if g.r.IntN(4) == 0 {
		return strconv.FormatFloat(float64(g.r.IntN(9000))/1000+0.01, 'f', 2, 64) + "s"
	}
	return strconv.FormatFloat(float64(g.r.IntN(50000))/100, 'f', 1, 64) + "ms"
}

func (g *ffGen) word() string { return ffWords[g.r.IntN(len(ffWords))] }

// message is one free-form line: a template family with its variables.
func (g *ffGen) message(level string) string {
	r := g.r
	if level == "error" {
		switch r.IntN(5) {
		case 0:
			return fmt.Sprintf("TLS handshake with %s:%d failed: remote error: bad certificate (attempt %d)", g.ip(), 1024+r.IntN(60000), 1+r.IntN(5))
		case 1:
			return fmt.Sprintf("query on %s %s timed out after %s: SELECT * FROM orders WHERE customer_id = %d", g.word(), g.hex(8), g.dur(), r.IntN(1_000_000))
		case 2:
			return fmt.Sprintf("upstream %s:%d returned 503 for %s, giving up after %d retries", g.ip(), 8000+r.IntN(100), fmt.Sprintf(ffPaths[r.IntN(len(ffPaths))], r.IntN(100000)), 1+r.IntN(6))
		case 3:
			return fmt.Sprintf("panic recovered in worker-%d: index out of range [%d] with length %d", r.IntN(64), r.IntN(512), r.IntN(512))
		default:
			return fmt.Sprintf("could not acquire %s lock %s held by %s for %s", g.word(), g.hex(12), g.ip(), g.dur())
		}
	}
	switch r.IntN(10) {
	case 0:
		return fmt.Sprintf("accepted connection from %s:%d fd=%d tls=%t", g.ip(), 1024+r.IntN(60000), r.IntN(4096), r.IntN(2) == 0)
	case 1:
		p := fmt.Sprintf(ffPaths[r.IntN(len(ffPaths))], r.IntN(1_000_000))
		return fmt.Sprintf("GET %s completed in %s status=%d bytes=%d", p, g.dur(), []int{200, 200, 200, 201, 204, 304, 404, 429}[r.IntN(8)], r.IntN(200_000))
	case 2:
		return fmt.Sprintf("job %s retry %d/5 after timeout of %dms contacting %s:5432", g.hex(8), 1+r.IntN(5), 500*(1+r.IntN(8)), g.ip())
	case 3:
		return fmt.Sprintf("cache miss key=sess:%s ttl=%ds %s=%d", g.hex(12), 60*(1+r.IntN(10)), g.word(), r.IntN(10000))
	case 4:
		return fmt.Sprintf("worker-%d processed batch %d of %d records in %s (%d rec/s)", r.IntN(64), r.IntN(1_000_000), 100+r.IntN(10000), g.dur(), r.IntN(50000))
	case 5:
		return fmt.Sprintf("disk /dev/nvme%dn1p%d usage %.1f%% threshold %d%%", r.IntN(4), 1+r.IntN(4), 50+float64(r.IntN(500))/10, 75+5*r.IntN(4))
	case 6:
		return fmt.Sprintf("%s %s moved from node-%d to node-%d (%d keys, %s)", g.word(), g.hex(6), r.IntN(48), r.IntN(48), r.IntN(5_000_000), g.dur())
	case 7:
		return fmt.Sprintf("user %d updated profile fields=[email,phone] from %s took %s", r.IntN(2_000_000), g.ip(), g.dur())
	case 8:
		return fmt.Sprintf("gc pause %s heap %dMB -> %dMB goroutines=%d", g.dur(), 200+r.IntN(3000), 100+r.IntN(2000), r.IntN(20000))
	default:
		return fmt.Sprintf("consumer group %s lag %d on topic %s-%d partition %d", g.hex(6), r.IntN(100000), g.word(), r.IntN(20), r.IntN(64))
	}
}

func (g *ffGen) attrValue(key string) string {
	r := g.r
	switch key {
	case "bytes", "retries", "offset", "attempt", "gc_pause_ms", "heap_mb":
		return strconv.Itoa(r.IntN(100000))
	case "region", "az":
		return strconv.Quote([]string{"eu-west-1", "us-east-1", "ap-south-1", "eu-central-1", "us-west-2"}[r.IntN(5)])
	case "peer":
		return strconv.Quote(g.ip())
	default:
		return strconv.Quote(key[:1] + "-" + g.hex(2+r.IntN(8)))
	}
}

// line appends one event as an NDJSON line.
func (g *ffGen) line(ts time.Time) {
	r := g.r
	lv := r.IntN(100)
	level := ffLevels[len(ffLevels)-1].name
	for _, l := range ffLevels {
		if lv < l.weight {
			level = l.name
			break
		}
		lv -= l.weight
	}
	svc := ffServices[r.IntN(len(ffServices))]
	b := &g.b
	fmt.Fprintf(b, `{"ts":%q,"level":%q,"service":%q,"host":"ip-%d-%d","msg":%q`,
		ts.Format(time.RFC3339Nano), level, svc, r.IntN(16), r.IntN(200), g.message(level))
	// A trace is joined by a few events, of several services, close in time.
	if r.IntN(10) < 7 {
		var tr string
		if len(g.traces) > 0 && r.IntN(4) != 0 {
			i := r.IntN(len(g.traces))
			tr = g.traces[i]
			if r.IntN(5) == 0 { // the trace ends
				g.traces[i] = g.traces[len(g.traces)-1]
				g.traces = g.traces[:len(g.traces)-1]
			}
		} else {
			tr = g.hex(32)
			if len(g.traces) < 256 {
				g.traces = append(g.traces, tr)
			}
		}
		fmt.Fprintf(b, `,"trace_id":%q,"span_id":%q`, tr, g.hex(16))
	}
	if r.IntN(4) != 0 {
		fmt.Fprintf(b, `,"session_id":%q`, g.hex(16))
	}
	if r.IntN(2) == 0 {
		fmt.Fprintf(b, `,"request_id":"%s-%s-%s-%s-%s"`, g.hex(8), g.hex(4), g.hex(4), g.hex(4), g.hex(12))
	}
	if r.IntN(5) < 2 {
		fmt.Fprintf(b, `,"user_id":"u%d"`, r.IntN(500_000))
	}
	n := 3 + r.IntN(3)
	first := r.IntN(len(ffAttrKeys))
	for i := range n {
		k := ffAttrKeys[(first+i*7)%len(ffAttrKeys)]
		fmt.Fprintf(b, `,%q:%s`, k, g.attrValue(k))
	}
	b.WriteString("}\n")
}

// FreeformWorkload generates n events of the freeform workload spread in
// time order over span from start, as native-ingest requests.
func FreeformWorkload(seed int64, n int, start time.Time, span time.Duration) []sim.Request {
	g := &ffGen{r: rand.New(rand.NewPCG(uint64(seed), 0xf4ee))}
	var reqs []sim.Request
	step := span / time.Duration(max(n, 1))
	for done := 0; done < n; {
		k := min(freeformBatch, n-done)
		g.b.Reset()
		for i := range k {
			ts := start.Add(step*time.Duration(done+i) + time.Duration(g.r.IntN(int(max(step, time.Microsecond)))))
			g.line(ts)
		}
		reqs = append(reqs, sim.Request{Path: sim.PathLogs, ContentType: sim.ContentTypeJSONL, Body: bytes.Clone(g.b.Bytes()), Events: k})
		done += k
	}
	return reqs
}

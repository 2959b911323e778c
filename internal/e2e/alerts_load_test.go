package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestAlertsUnderIngestLoad measures whether monitors and uptime checks
// keep their schedule while clients ingest as fast as they can: 20
// monitors every 10 s (counts grouped by service, error rates, p95s) and
// 4 checks every 5 s on a whole server, with two clients posting
// 1,000-line batches for LORE_ALERTS_LOAD (e.g. 30s). It reports the
// events ingested, the evaluations and check runs against their schedule
// and how late evaluations started on average. A measurement, not a
// check (speed is never asserted in make test); its figures are in
// /work/coord/15.md and the README.
func TestAlertsUnderIngestLoad(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("LORE_ALERTS_LOAD"))
	if err != nil {
		t.Skip("set LORE_ALERTS_LOAD=30s to measure")
	}
	a := startApp(t)
	base := a.URL()
	target := newFlipTarget(t)
	for i := range 20 {
		body := map[int]string{
			0: `{"name":"errors %d","kind":"query","query":"level:error","group_by":"service","threshold":1000000,"interval":"10s"}`,
			1: `{"name":"error rate %d","kind":"error_rate","query":"service:svc-%d","threshold":0.9,"interval":"10s"}`,
			2: `{"name":"p95 %d","kind":"latency","threshold":100000,"interval":"10s"}`,
			3: `{"name":"rate %d","kind":"query","query":"level:warn","measure":"rate","threshold":1000000,"interval":"10s"}`,
		}[i%4]
		body = fmt.Sprintf(strings.Replace(body, "%d", strconv.Itoa(i), 1), i%5)
		if code, b := monitorsCall(t, http.MethodPost, base+"/api/v1/monitors", body, nil); code != 200 {
			t.Fatalf("monitor %d: %d %s", i, code, b)
		}
	}
	for i := range 4 {
		if code, b := monitorsCall(t, http.MethodPost, base+"/api/v1/checks", fmt.Sprintf(`{"name":"check %d","url":"%s","interval":"5s","timeout":"2s"}`, i, target.URL), nil); code != 200 {
			t.Fatalf("check %d: %d %s", i, code, b)
		}
	}
	before := metricsOf(t, base)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var sent atomic.Int64
	var wg sync.WaitGroup
	for c := range 2 {
		wg.Go(func() {
			var sb strings.Builder
			for n := 0; ctx.Err() == nil; n++ {
				sb.Reset()
				now := time.Now().UTC()
				for i := range 1000 {
					level := "info"
					if i%20 == 0 {
						level = "error"
					}
					fmt.Fprintf(&sb, `{"ts":%q,"level":%q,"service":"svc-%d","msg":"request %d of client %d","duration_ms":%d,"http.status_code":200}`+"\n",
						now.Format(time.RFC3339Nano), level, i%5, n*1000+i, c, i%300)
				}
				code, _, _, err := post(ctx, http.DefaultClient, base, "/api/v1/ingest", ingestKey, "application/x-ndjson", []byte(sb.String()))
				if err == nil && code == 200 {
					sent.Add(1000)
				} else if code == 429 || code == 503 {
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	after := metricsOf(t, base)
	evals := after["lore_monitor_evaluations_total"] - before["lore_monitor_evaluations_total"]
	late := after["lore_monitor_late_seconds_total"] - before["lore_monitor_late_seconds_total"]
	runs := after["lore_checks_total"] - before["lore_checks_total"]
	errs := after[`lore_monitor_evaluations_total{result="error"}`] - before[`lore_monitor_evaluations_total{result="error"}`]
	t.Logf("%s of ingest: %d events (%.0f/s); %0.f monitor evaluations of %.0f scheduled (%.0f errors), started %.0f ms late on average; %.0f check runs of %.0f scheduled",
		d, sent.Load(), float64(sent.Load())/d.Seconds(), evals, 20*d.Seconds()/10, errs, 1000*late/max(evals, 1), runs, 4*d.Seconds()/5)
	// Let the store catch up before the server stops (its shutdown loads
	// what was acknowledged, within a minute).
	fctx, fcancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer fcancel()
	if err := a.Pipeline().Flush(fctx); err != nil {
		t.Fatal(err)
	}
}

// metricsOf reads the server's counters, summed over their labels (and
// each labelled one by itself).
func metricsOf(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, val, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			continue
		}
		out[name] += v
		if i := strings.IndexByte(name, '{'); i > 0 {
			out[name[:i]] += v
		}
	}
	return out
}

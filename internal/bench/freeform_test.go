package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"time"
)

// TestFreeformWorkload checks the second workload's promises: the asked
// number of events, valid JSON lines in time order, about 370 bytes each,
// several free attributes, high-cardinality 16-hex sessions and 32-hex
// traces that several events share, and the same bytes for the same seed.
func TestFreeformWorkload(t *testing.T) {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	reqs := FreeformWorkload(3, 10_000, start, 72*time.Hour)
	again := FreeformWorkload(3, 10_000, start, 72*time.Hour)
	var n, size int
	traces := map[string]int{}
	sessions := map[string]bool{}
	levels := map[string]int{}
	var last time.Time
	for i, r := range reqs {
		if !bytes.Equal(r.Body, again[i].Body) {
			t.Fatalf("request %d differs between two runs of one seed", i)
		}
		size += len(r.Body)
		sc := bufio.NewScanner(bytes.NewReader(r.Body))
		sc.Buffer(nil, 1<<20)
		lines := 0
		for sc.Scan() {
			lines++
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("line %q: %v", sc.Text(), err)
			}
			ts, err := time.Parse(time.RFC3339Nano, m["ts"].(string))
			if err != nil {
				t.Fatal(err)
			}
			if ts.Before(last) {
				t.Fatalf("line %q goes back in time from %v", sc.Text(), last)
			}
			last = ts
			levels[m["level"].(string)]++
			if tr, ok := m["trace_id"].(string); ok {
				if len(tr) != 32 {
					t.Fatalf("trace id %q", tr)
				}
				traces[tr]++
			}
			if s, ok := m["session_id"].(string); ok {
				if len(s) != 16 {
					t.Fatalf("session id %q", s)
				}
				sessions[s] = true
			}
			free := 0
			for k := range m {
				switch k {
				case "ts", "level", "service", "host", "msg", "trace_id", "span_id", "session_id", "user_id", "request_id":
				default:
					free++
				}
			}
			if free < 3 || free > 5 {
				t.Fatalf("line %q has %d free attributes, want 3–5", sc.Text(), free)
			}
		}
		if lines != r.Events {
			t.Fatalf("request %d says %d events and holds %d", i, r.Events, lines)
		}
		n += lines
	}
	if n != 10_000 {
		t.Fatalf("%d events, want 10000", n)
	}
	if per := size / n; per < 300 || per > 460 {
		t.Errorf("%d bytes of NDJSON per event, want about 370", per)
	}
	shared := 0
	for _, c := range traces {
		if c > 1 {
			shared++
		}
	}
	if len(traces) < 1000 || shared < 300 {
		t.Errorf("%d traces, %d of them with several events: want many, many shared", len(traces), shared)
	}
	if len(sessions) < 6000 {
		t.Errorf("%d sessions in 10k events: want high cardinality", len(sessions))
	}
	if levels["error"] < 400 || levels["info"] < 5000 {
		t.Errorf("levels %v", levels)
	}
}

// TestCPUSeconds: the CPU time read from /proc grows while this process
// works (busy until it does, up to 20 s of wall time on a loaded machine).
func TestCPUSeconds(t *testing.T) {
	pid := os.Getpid()
	before := CPUSeconds(pid)
	deadline := time.Now().Add(20 * time.Second)
	after := before
	for x := 0; after <= before && time.Now().Before(deadline); x++ {
		if x%1_000_000 == 0 {
			after = CPUSeconds(pid)
		}
	}
	if after <= before || after-before > 60 {
		t.Errorf("CPU seconds %v then %v after busy work", before, after)
	}
	if CPUSeconds(-1) != 0 {
		t.Error("CPUSeconds of no process is not 0")
	}
}

package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	"github.com/lore-dev/lore/internal/replay"
)

// replaySink decodes the traffic like decodeSink and keeps the recordings.
type replaySink struct {
	decodeSink
	rmu    sync.Mutex
	chunks [][]byte
	events int // events decoded when the first chunk came
}

func (r *replaySink) Replay(_ context.Context, chunk []byte) error {
	r.rmu.Lock()
	defer r.rmu.Unlock()
	if len(r.chunks) == 0 {
		r.events = len(r.decodeSink.events)
	}
	r.chunks = append(r.chunks, append([]byte(nil), chunk...))
	return nil
}

var _ ReplaySink = (*replaySink)(nil)

func recordThrottle(t *testing.T) (*replaySink, Throttle) {
	t.Helper()
	th := Throttle{At: at(10, 0), For: time.Hour}
	s := New(Config{Seed: 11, SessionsPerDay: 12000, Incidents: []Incident{th}, RecordSessions: 0.05})
	d := &replaySink{decodeSink: decodeSink{t: t}}
	if err := s.Backfill(context.Background(), at(9, 30), at(12, 0), d, nil); err != nil {
		t.Fatalf("Backfill: %v", err)
	}
	return d, th
}

// The shop's recordings are valid rrweb uploads that Lore takes, tell
// the throttle the way the backend does (people rage-click Pay in the
// traces that met a 429; a failing request's error follows the click
// that made it), and never hold what people typed.
func TestRecordingsShowTheThrottle(t *testing.T) {
	d, _ := recordThrottle(t)
	if len(d.chunks) == 0 {
		t.Fatal("no recordings sent")
	}
	if d.events == 0 {
		t.Fatal("a recording was sent before any event: its session's events must go first")
	}
	throttled := map[string]bool{} // traces that met a 429
	sessions := map[string]bool{}
	for _, e := range d.sorted() {
		if e.name == "payment_gateway_response" && e.status == 429 {
			throttled[e.trace] = true
		}
		if e.service == svcWeb && e.session != "" {
			sessions[e.session] = true
		}
	}
	type page struct {
		seq    []int64
		events []*fastjson.Value
	}
	bySession := map[string]map[string]*page{}
	var parsers []*fastjson.Parser
	now := at(12, 0)
	for i, c := range d.chunks {
		ch, err := replay.DecodeChunk(c, now, replay.Limits{})
		if err != nil {
			t.Fatalf("chunk %d is refused: %v\n%.300s", i, err, c)
		}
		if bytes.Contains(c, []byte("someone@example.com")) || bytes.Contains(c, []byte("hunter22")) {
			t.Fatalf("chunk %d holds what was typed", i)
		}
		p := new(fastjson.Parser)
		parsers = append(parsers, p)
		v, _ := p.ParseBytes(c)
		if bySession[ch.SessionID] == nil {
			bySession[ch.SessionID] = map[string]*page{}
		}
		pg := bySession[ch.SessionID][ch.PageID]
		if pg == nil {
			pg = &page{}
			bySession[ch.SessionID][ch.PageID] = pg
		}
		pg.seq = append(pg.seq, ch.Seq)
		pg.events = append(pg.events, v.GetArray("events")...)
	}
	if n := len(bySession); n < 20 || n > len(sessions)/2 {
		t.Fatalf("%d of %d sessions recorded: want the troubled ones and a share of the rest", n, len(sessions))
	}
	var rage, rageThrottled, errClicks, dead int
	for sid, pages := range bySession {
		var streams []replay.Stream
		for id, pg := range pages {
			streams = append(streams, replay.Stream{Page: id, Events: pg.events})
		}
		sort.Slice(streams, func(i, j int) bool {
			return streams[i].Events[0].GetInt64("timestamp") < streams[j].Events[0].GetInt64("timestamp")
		})
		sum := replay.Analyze(streams, nil)
		if len(sum.Pages) == 0 || sum.Clicks == 0 && len(sum.Pages) < 1 {
			t.Fatalf("session %s: %+v", sid, sum)
		}
		for _, x := range sum.Detections {
			switch x.Kind {
			case replay.DetectRageClick:
				rage++
				if x.Text != "Pay now" || !strings.Contains(x.Selector, "button#pay") || !strings.HasSuffix(x.URL, "/checkout/payment") {
					t.Errorf("rage click: %+v", x)
				}
				if throttled[x.TraceID] {
					rageThrottled++
				}
			case replay.DetectDeadClick:
				dead++
				if x.Text != "Size guide" || !strings.Contains(x.URL, "/products/") {
					t.Errorf("dead click: %+v", x)
				}
			case replay.DetectErrorAfterClick:
				errClicks++
				if x.TraceID == "" || x.Error == "" {
					t.Errorf("error after a click without its trace or error: %+v", x)
				}
			}
		}
	}
	if dead == 0 {
		t.Error("no dead click on the size guide")
	}
	if rage == 0 || rageThrottled < rage*3/4 {
		t.Fatalf("%d rage clicks, %d of them in a throttled payment's trace", rage, rageThrottled)
	}
	t.Logf("%d chunks, %d sessions recorded of %d; %d rage clicks (%d throttled), %d dead clicks, %d errors after a click",
		len(d.chunks), len(bySession), len(sessions), rage, rageThrottled, dead, errClicks)
}

func TestRecordingsAreDeterministic(t *testing.T) {
	a, _ := recordThrottle(t)
	b, _ := recordThrottle(t)
	if len(a.chunks) != len(b.chunks) {
		t.Fatalf("%d chunks, then %d", len(a.chunks), len(b.chunks))
	}
	for i := range a.chunks {
		if !bytes.Equal(a.chunks[i], b.chunks[i]) {
			t.Fatalf("chunk %d differs", i)
		}
	}
	// Recording changes nothing else: the same events as a shop that does not record.
	s := New(Config{Seed: 11, SessionsPerDay: 12000, Incidents: []Incident{Throttle{At: at(10, 0), For: time.Hour}}})
	d := &decodeSink{t: t}
	if err := s.Backfill(context.Background(), at(9, 30), at(12, 0), d, nil); err != nil {
		t.Fatal(err)
	}
	x, _ := json.Marshal(len(d.events))
	y, _ := json.Marshal(len(a.decodeSink.events))
	if !bytes.Equal(x, y) {
		t.Fatalf("%s events without recording, %s with", x, y)
	}
}

package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/replay/synth"
	"github.com/lore-dev/lore/internal/store"
)

// eventsStore stands for the events store behind the loader: it keeps
// the batches appended, and answers journeys and searches from them.
type eventsStore struct {
	mu      sync.Mutex
	batches []store.Batch
	journey []event.Event
}

func (e *eventsStore) Append(_ context.Context, b store.Batch) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.batches = append(e.batches, b)
	return nil
}

func (e *eventsStore) LastSeq(context.Context) (uint64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.batches) == 0 {
		return 0, nil
	}
	return e.batches[len(e.batches)-1].Seq, nil
}

func (e *eventsStore) all() []event.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []event.Event
	for _, b := range e.batches {
		out = append(out, b.Events...)
	}
	return out
}

func (e *eventsStore) Search(_ context.Context, r store.SearchRequest) (store.SearchResult, error) {
	// Enough for the seal recovery's query: kind, session and seal.
	var out []event.Event
	want := r.Query.String()
	for _, ev := range e.all() {
		seal, _ := ev.Attr(AttrSeal)
		if ev.Kind == KindReplay && strings.Contains(want, ev.SessionID) && strings.Contains(want, AttrSeal+":"+seal) {
			out = append(out, ev)
		}
	}
	return store.SearchResult{Events: out}, nil
}
func (e *eventsStore) Histogram(context.Context, store.HistogramRequest) (store.HistogramResult, error) {
	return store.HistogramResult{}, nil
}
func (e *eventsStore) Facets(context.Context, store.FacetsRequest) (store.FacetsResult, error) {
	return store.FacetsResult{}, nil
}
func (e *eventsStore) Journey(_ context.Context, r store.JourneyRequest) ([]event.Event, error) {
	return e.journey, nil
}

// loaderWAL stands for the pipeline: a submitted batch is logged, then
// loaded through the replay Writer at once.
type loaderWAL struct {
	mu  sync.Mutex
	w   store.Writer
	seq uint64
	err error
}

func (l *loaderWAL) Submit(ctx context.Context, evs []event.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	l.seq++
	return l.w.Append(ctx, store.Batch{Seq: l.seq, Events: evs})
}

// sinkFunc is the ingest sink as the seal sees it.
type sinkFunc func(ctx context.Context, path string, evs []event.Event) error

func (f sinkFunc) Authenticate(context.Context, string) (int64, error) { return 1, nil }
func (f sinkFunc) Submit(ctx context.Context, path string, evs []event.Event) error {
	return f(ctx, path, evs)
}

type policyFunc func(int64) Policy

func (f policyFunc) ReplayPolicy(_ context.Context, p int64) (Policy, error) { return f(p), nil }

type fixture struct {
	svc    *Service
	blobs  *SQLite
	events *eventsStore
	wal    *loaderWAL
	now    time.Time
}

func newFixture(t *testing.T, lim Limits) *fixture {
	t.Helper()
	blobs, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "replay.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blobs.Close() })
	f := &fixture{blobs: blobs, events: &eventsStore{}, now: t0.Add(time.Hour)}
	f.wal = &loaderWAL{}
	pol := policyFunc(func(p int64) Policy {
		return Policy{Enabled: p != 2, SampleRate: 1, AllowedOrigins: map[bool][]string{true: {"https://shop.example"}}[p == 3]}
	})
	f.svc = New(Options{Limits: lim, Now: func() time.Time { return f.now }}, blobs, f.wal, pol, f.events, nil)
	f.wal.w = f.svc.Writer(f.events)
	// The sink writes through the same log, as the server's does.
	f.svc.SetSink(sinkFunc(func(ctx context.Context, _ string, evs []event.Event) error { return f.wal.Submit(ctx, evs) }))
	return f
}

func TestAcceptStoresChunksAndLeavesTheEventsTableAlone(t *testing.T) {
	f := newFixture(t, Limits{})
	ctx := context.Background()
	body := gzipBytes(sampleChunk(t, "s-1"))
	a, err := f.svc.Accept(ctx, 1, "https://shop.example", body)
	if err != nil || a.SessionID != "s-1" || a.Events != 5 || a.Bytes != len(body) {
		t.Fatalf("accept = %+v, %v", a, err)
	}
	// The same chunk again (a retry): stored once.
	if _, err := f.svc.Accept(ctx, 1, "", body); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Sessions(ctx, 1, []string{"nope", "s-1"})
	if err != nil || len(got) != 1 {
		t.Fatalf("sessions = %+v, %v", got, err)
	}
	si := got[0]
	if si.Chunks != 1 || si.Events != 5 || si.Clicks != 1 || si.Bytes != int64(len(body)) || si.UserID != "user-7" || si.Pages != 1 || si.Sealed {
		t.Fatalf("session = %+v", si)
	}
	// The loader committed both batches' seqs to the events store, with no chunk in them.
	if n, _ := f.events.LastSeq(ctx); n != 2 || len(f.events.all()) != 0 {
		t.Fatalf("events store: seq %d, %d events", n, len(f.events.all()))
	}
	// Another project does not see it.
	if got, _ := f.svc.Sessions(ctx, 5, []string{"s-1"}); len(got) != 0 {
		t.Fatalf("project 5 sees %+v", got)
	}
}

func TestAcceptRefuses(t *testing.T) {
	f := newFixture(t, Limits{MaxSessionBytes: 3000})
	ctx := context.Background()
	body := gzipBytes(sampleChunk(t, "s-1"))
	if _, err := f.svc.Accept(ctx, 2, "", body); !errors.Is(err, ErrDisabled) {
		t.Errorf("project without recording: %v", err)
	}
	if _, err := f.svc.Accept(ctx, 3, "https://evil.example", body); !errors.Is(err, ErrOrigin) {
		t.Errorf("foreign origin: %v", err)
	}
	if _, err := f.svc.Accept(ctx, 3, "https://shop.example", body); err != nil {
		t.Errorf("allowed origin: %v", err)
	}
	// The session limit: chunks until the next would pass 3000 bytes.
	stored := 0
	var err error
	for i := 0; i < 10; i++ {
		r := synth.New(t0.Add(time.Duration(i)*time.Minute), 1280, 800)
		r.Load("https://shop.example/p"+itoa(int64(i)), "P", strings.Repeat("x", 200), checkoutPage())
		doc := r.Chunks("big", "page", "", "", 100)[0]
		doc = bytes.Replace(doc, []byte(`"seq":0`), []byte(`"seq":`+itoa(int64(i))), 1)
		if _, err = f.svc.Accept(ctx, 1, "", gzipBytes(doc)); err != nil {
			break
		}
		stored++
	}
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), `session "big" would hold`) || stored == 0 {
		t.Fatalf("after %d chunks: %v", stored, err)
	}
	// A refused WAL write is not counted against the session.
	f.wal.err = errors.New("overloaded")
	if _, err := f.svc.Accept(ctx, 1, "", gzipBytes(sampleChunk(t, "s-9"))); err == nil {
		t.Fatal("accepted while the log refuses")
	}
	if len(f.svc.pending) != 0 {
		t.Fatalf("pending after a refused write: %v", f.svc.pending)
	}
}

// recordCheckout records a session of two pages with a rage click and an
// error after a click, uploads it and returns when the last moment was.
func recordCheckout(t *testing.T, f *fixture, session string) time.Time {
	t.Helper()
	r1 := synth.New(t0, 1280, 800)
	r1.Load("https://shop.example/cart", "Cart", "", checkoutPage())
	r1.Wait(2 * time.Second)
	r2 := synth.New(r1.Now(), 1280, 800)
	r2.Load("https://shop.example/checkout", "Checkout", "", checkoutPage())
	r2.Click("pay")
	r2.Wait(time.Second)
	r2.Custom(tagError, map[string]any{"message": "payment failed"})
	r2.Wait(5 * time.Second)
	for i := 0; i < 4; i++ {
		r2.Click("pay")
		r2.Wait(100 * time.Millisecond)
	}
	r2.Wait(5 * time.Second)
	r2.Scroll(10)
	f.now = r2.Now().Add(time.Second) // uploaded as recorded
	for i, rec := range []*synth.Recorder{r1, r2} {
		for _, doc := range rec.Chunks(session, "page-"+itoa(int64(i)), "", "anon-1", 3) {
			if _, err := f.svc.Accept(context.Background(), 1, "", gzipBytes(doc)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return r2.Now()
}

func TestSealWritesTheReplayEventAndDetections(t *testing.T) {
	f := newFixture(t, Limits{})
	ctx := context.Background()
	end := recordCheckout(t, f, "s-1")
	// The session's journey: the SDK's click on Pay now with its text and trace.
	trace, _ := event.ParseTraceID("4bf92f3577b34da6a3ce929d0e0e4736")
	click := event.Event{TS: (end.UnixMilli() - 5550) * 1000, Kind: event.KindEvent, Name: "$autocapture", Service: "shop-web",
		SessionID: "s-1", TraceID: trace, Attributes: []event.Attr{{Key: "$el_text", Value: "Pay now"}, {Key: "$el_selector", Value: "button#pay"}}}
	f.events.journey = []event.Event{click}

	// Not quiet for long enough yet.
	f.now = end.Add(10 * time.Minute)
	if n, err := f.svc.SealReady(ctx); err != nil || n != 0 {
		t.Fatalf("sealed %d early: %v", n, err)
	}
	f.now = end.Add(31 * time.Minute)
	if n, err := f.svc.SealReady(ctx); err != nil || n != 1 {
		t.Fatalf("sealed %d: %v", n, err)
	}
	evs := f.events.all()
	if len(evs) != 5 {
		t.Fatalf("events = %+v", evs)
	}
	r := evs[0]
	attr := func(e event.Event, k string) string { v, _ := e.Attr(k); return v }
	if r.Kind != KindReplay || r.SessionID != "s-1" || r.AnonymousID != "anon-1" || r.Service != "shop-web" || r.Level != event.LevelWarn ||
		attr(r, AttrPages) != "2" || attr(r, AttrClicks) != "5" || attr(r, AttrRageClicks) != "1" || attr(r, AttrErrorClicks) != "1" ||
		attr(r, AttrURL) != "https://shop.example/cart" || r.TS != t0.UnixMicro() || r.DurationMS < 13000 {
		t.Fatalf("replay event = %+v", r)
	}
	if !strings.Contains(r.Message, "2 pages, 5 clicks, 1 error, 1 rage click, 2 dead clicks, 1 error after a click") {
		t.Errorf("message %q", r.Message)
	}
	byName := map[string]event.Event{}
	dead := 0
	for _, e := range evs[1:] {
		byName[e.Name] = e
		if e.Name == DetectDeadClick {
			dead++
		}
	}
	rage := byName[DetectRageClick]
	if rage.TraceID != trace || attr(rage, "$el_text") != "Pay now" || attr(rage, "clicks") != "4" || rage.Endpoint != "/checkout" ||
		rage.Message != `Rage click: 4 clicks on "Pay now" (button#pay) on /checkout` || attr(rage, AttrDetectionMS) == "" || attr(rage, AttrDetectionMS) == "0" {
		t.Errorf("rage click = %+v", rage)
	}
	if e := byName[DetectErrorAfterClick]; attr(e, "error") != "payment failed" {
		t.Errorf("error after click = %+v", e)
	}
	// Nothing on the page changed after the first click (the error shows
	// nowhere) nor after the burst.
	if dead != 2 {
		t.Errorf("%d dead clicks, want 2", dead)
	}
	got, _ := f.svc.Sessions(ctx, 1, []string{"s-1"})
	if !got[0].Sealed {
		t.Fatalf("not sealed: %+v", got[0])
	}
	var doc RecordingSummary
	if err := json.Unmarshal(got[0].Summary, &doc); err != nil || len(doc.Detections) != 4 || len(doc.Pages) != 2 {
		t.Fatalf("summary %s: %v", got[0].Summary, err)
	}
	// Nothing more to seal; a late chunk opens the session again.
	if n, _ := f.svc.SealReady(ctx); n != 0 {
		t.Fatalf("sealed again: %d", n)
	}
}

func TestSealRecoversAfterACrash(t *testing.T) {
	f := newFixture(t, Limits{})
	ctx := context.Background()
	end := recordCheckout(t, f, "s-1")
	recordCheckout(t, f, "s-2")
	f.now = end.Add(31 * time.Minute)
	// Both seals were begun; s-1's events reached the store, then the
	// process died before either was ended.
	for _, s := range []string{"s-1", "s-2"} {
		if _, err := f.blobs.BeginSeal(ctx, 1, s); err != nil {
			t.Fatal(err)
		}
	}
	f.wal.Submit(ctx, []event.Event{{ProjectID: 1, Kind: KindReplay, SessionID: "s-1", TS: t0.UnixMicro(), Attributes: []event.Attr{{Key: AttrSeal, Value: "1"}}}})
	if err := f.svc.recoverSeals(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := f.svc.Sessions(ctx, 1, []string{"s-1", "s-2"})
	if !got[0].Sealed || got[1].Sealed || len(got[0].Summary) < 10 {
		t.Fatalf("after recovery: s-1 sealed %v (%s), s-2 sealed %v", got[0].Sealed, got[0].Summary, got[1].Sealed)
	}
	// s-2 is sealed by the next round, once.
	if n, err := f.svc.SealReady(ctx); err != nil || n != 1 {
		t.Fatalf("sealed %d: %v", n, err)
	}
	replays := 0
	for _, e := range f.events.all() {
		if e.Kind == KindReplay {
			replays++
		}
	}
	if replays != 2 {
		t.Fatalf("%d kind:replay events, want one per session", replays)
	}
}

func TestLateChunkOpensTheSessionAgain(t *testing.T) {
	f := newFixture(t, Limits{})
	ctx := context.Background()
	end := recordCheckout(t, f, "s-1")
	f.now = end.Add(31 * time.Minute)
	if n, _ := f.svc.SealReady(ctx); n != 1 {
		t.Fatal("not sealed")
	}
	r := synth.New(f.now, 1280, 800)
	r.Load("https://shop.example/", "Home", "", checkoutPage())
	if _, err := f.svc.Accept(ctx, 1, "", r.Chunks("s-1", "page-9", "", "", 10)[0]); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.svc.Sessions(ctx, 1, []string{"s-1"}); got[0].Sealed || got[0].Pages != 3 {
		t.Fatalf("after a late chunk: %+v", got[0])
	}
}

func TestExpire(t *testing.T) {
	f := newFixture(t, Limits{})
	ctx := context.Background()
	recordCheckout(t, f, "old")
	n, b, err := f.blobs.Expire(ctx, t0.UnixMilli())
	if err != nil || n != 0 {
		t.Fatalf("expired %d: %v", n, err)
	}
	n, b, err = f.blobs.Expire(ctx, t0.Add(time.Hour).UnixMilli())
	if err != nil || n != 1 || b == 0 {
		t.Fatalf("expired %d (%d bytes): %v", n, b, err)
	}
	if err := f.blobs.Chunks(ctx, 1, "old", func(Chunk) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("chunks after expiry: %v", err)
	}
}

func TestWriteEventsInPlayingOrderOnLoresClock(t *testing.T) {
	f := newFixture(t, Limits{})
	ctx := context.Background()
	r1 := synth.New(t0, 1280, 800)
	r1.Load("https://shop.example/a", "A", "", checkoutPage())
	r1.Click("pay")
	r2 := synth.New(t0.Add(time.Minute), 1280, 800)
	r2.Load("https://shop.example/b", "B", "", checkoutPage())
	// The device is 2 s behind Lore: its first chunk says so.
	f.now = t0.Add(2 * time.Minute)
	sent := `"sent_at":` + itoa(f.now.Add(-2*time.Second).UnixMilli()) + `,`
	docs := append(r2.Chunks("s", "b", "", "", 1), r1.Chunks("s", "a", "", "", 2)...) // out of order
	for i := len(docs) - 1; i >= 0; i-- {
		doc := bytes.Replace(docs[i], []byte(`{"session_id"`), []byte(`{`+sent+`"session_id"`), 1)
		if _, err := f.svc.Accept(ctx, 1, "", doc); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if err := f.svc.WriteEvents(ctx, 1, "s", &out); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		SkewMS int64 `json:"skew_ms"`
		Events []struct {
			Type      int   `json:"type"`
			Timestamp int64 `json:"timestamp"`
		} `json:"events"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("%v: %.200s", err, out.String())
	}
	if doc.SkewMS != 2000 || len(doc.Events) != 7 || doc.Events[0].Type != 4 || doc.Events[0].Timestamp != t0.UnixMilli()+2000 {
		t.Fatalf("playback = %+v", doc)
	}
	for i := 1; i < len(doc.Events); i++ {
		if doc.Events[i].Timestamp < doc.Events[i-1].Timestamp {
			t.Fatalf("event %d goes back in time: %+v", i, doc.Events)
		}
	}
	if err := f.svc.WriteEvents(ctx, 1, "nope", &out); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown session: %v", err)
	}
}

func TestReplaysOfPersons(t *testing.T) {
	f := newFixture(t, Limits{})
	ctx := context.Background()
	if _, err := f.svc.Accept(ctx, 1, "", gzipBytes(sampleChunk(t, "s-1"))); err != nil {
		t.Fatal(err)
	}
	all, err := f.svc.Replays(ctx, 1, []string{"s-1"})
	if err != nil || len(all) != 1 {
		t.Fatalf("replays = %+v, %v", all, err)
	}
	rec := all[0]
	for _, c := range []struct {
		project  int64
		persons  []string
		from, to int64
		want     int
	}{
		{1, []string{"someone", "user-7"}, rec.StartMS - 1000, rec.EndMS + 1000, 1},
		{1, []string{"user-7"}, rec.EndMS, rec.EndMS + 1000, 1}, // overlapping at its end
		{1, []string{"someone"}, rec.StartMS - 1000, rec.EndMS + 1000, 0},
		{1, []string{"user-7"}, rec.EndMS + 1, rec.EndMS + 1000, 0},
		{1, []string{"user-7"}, rec.StartMS - 1000, rec.StartMS - 1, 0},
		{5, []string{"user-7"}, rec.StartMS - 1000, rec.EndMS + 1000, 0},
	} {
		got, err := f.svc.ReplaysOf(ctx, c.project, c.persons, c.from, c.to, 10)
		if err != nil || len(got) != c.want || (c.want == 1 && got[0].SessionID != "s-1") {
			t.Errorf("replays of %v in project %d, [%d, %d] = %+v, %v; want %d", c.persons, c.project, c.from, c.to, got, err, c.want)
		}
	}
}

// TestSealWaitsForTheSessionsEvents: a recording whose session's events
// are not in the store yet (the loader behind, as in a backfill of old
// sessions) is not sealed until they are, so the seal joins them (the
// page's service, the click's text and trace); one whose events never
// come is sealed without them after JourneyWait.
func TestSealWaitsForTheSessionsEvents(t *testing.T) {
	f := newFixture(t, Limits{})
	f.svc.opts.Idle = time.Second // recorded long ago, uploaded now
	ctx := context.Background()
	end := recordCheckout(t, f, "s-1")
	f.now = end.Add(2 * time.Minute)
	if n, err := f.svc.SealReady(ctx); err != nil || n != 0 {
		t.Fatalf("sealed %d before the session's events were stored: %v", n, err)
	}
	trace, _ := event.ParseTraceID("4bf92f3577b34da6a3ce929d0e0e4736")
	f.events.journey = []event.Event{{TS: (end.UnixMilli() - 5550) * 1000, Kind: event.KindEvent, Name: "$autocapture", Service: "shop-web",
		SessionID: "s-1", TraceID: trace, Attributes: []event.Attr{{Key: "$el_text", Value: "Pay now"}, {Key: "$el_selector", Value: "button#pay"}}}}
	f.now = end.Add(3 * time.Minute)
	if n, err := f.svc.SealReady(ctx); err != nil || n != 1 {
		t.Fatalf("sealed %d once the events came: %v", n, err)
	}
	for _, e := range f.events.all() {
		if e.Service != "shop-web" {
			t.Errorf("%s %s of service %q, want the page's (shop-web)", e.Kind, e.Name, e.Service)
		}
		if e.Name == DetectRageClick && e.TraceID != trace {
			t.Errorf("rage click without the click's trace: %+v", e)
		}
	}

	// Events that never come: sealed without them once JourneyWait passed.
	f.events.journey = nil
	end = recordCheckout(t, f, "s-2")
	for _, wait := range []time.Duration{2 * time.Minute, 9 * time.Minute} {
		f.now = end.Add(wait)
		if n, _ := f.svc.SealReady(ctx); n != 0 {
			t.Fatalf("sealed %d after %v", n, wait)
		}
	}
	f.now = end.Add(11 * time.Minute)
	if n, err := f.svc.SealReady(ctx); err != nil || n != 1 {
		t.Fatalf("sealed %d after JourneyWait: %v", n, err)
	}
	got, _ := f.svc.Sessions(ctx, 1, []string{"s-2"})
	if len(got) != 1 || !got[0].Sealed {
		t.Fatalf("s-2 not sealed: %+v", got)
	}
}

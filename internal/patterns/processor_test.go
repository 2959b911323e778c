package patterns

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/lore-dev/lore/internal/event"
)

func logEvent(project int64, service, msg string) event.Event {
	return event.Event{ProjectID: project, Service: service, Kind: event.KindLog, Message: msg}
}

func patternID(t *testing.T, e event.Event) string {
	t.Helper()
	id, ok := e.Attr(AttrKey)
	if !ok || id == "" {
		t.Fatalf("no pattern id on %+v", e)
	}
	return id
}

func TestProcessorStableAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	p, err := Open(dir, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	evs := []event.Event{
		logEvent(1, "api", "order created: ord_1 in 3 ms"),
		{ProjectID: 1, Service: "api", Kind: event.KindSpan, Message: "not mined"},
		logEvent(2, "api", "order created: ord_2 in 4 ms"),
		logEvent(1, "api", "cache warmed"),
	}
	for _, u := range []string{"root", "guest", "test"} {
		evs = append(evs, logEvent(1, "auth", "session opened for user "+u+" by sshd"))
	}
	if _, err := p.Process(ctx, evs); err != nil {
		t.Fatal(err)
	}
	id1 := patternID(t, evs[0])
	if _, has := evs[1].Attr(AttrKey); has {
		t.Error("a span got a pattern id")
	}
	patternID(t, evs[2])
	guest := patternID(t, evs[5])
	// Generalise project 1's group so its template differs from its id's
	// origin.
	more := []event.Event{logEvent(1, "api", "order created: x_1 in 5 ms")}
	p.Process(ctx, more)
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	q, err := Open(dir, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(ctx)
	again := []event.Event{logEvent(1, "api", "order created: y_7 in 9 ms")}
	for _, u := range []string{"admin", "guest"} {
		again = append(again, logEvent(1, "auth", "session opened for user "+u+" by sshd"))
	}
	q.Process(ctx, again)
	if got := patternID(t, again[0]); got != id1 {
		t.Errorf("after restart the id is %q, was %q", got, id1)
	}
	if g, ok := q.Group(1, id1); !ok || g.Count != 3 || g.Template() != "order created: <*> in <*>" {
		t.Errorf("restored group %+v", g)
	}
	// The variants survived the restart: the fourth user folds them, and
	// the variant's id resolves to the group it folded into.
	root := patternID(t, evs[4])
	if got := patternID(t, again[1]); got != root {
		t.Errorf("the fourth user got %s, want the first group %s", got, root)
	}
	if got := q.Canonical(1, guest); got != root {
		t.Errorf("Canonical(%s) = %s, want %s", guest, got, root)
	}
	if got := patternID(t, again[2]); got != root {
		t.Errorf("a folded variant's words got %s", got)
	}
	if len(q.Groups(2)) != 1 {
		t.Errorf("project 2 groups %+v", q.Groups(2))
	}
	// Every restart is stable: close and reopen once more.
	q.Close(ctx)
	r, err := Open(dir, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	if g, ok := r.Group(1, guest); !ok || g.ID != root {
		t.Errorf("after a second restart Group(%s) = %+v", guest, g)
	}
}

// Each service is mined apart: the same message in two services makes two
// patterns, each found by its id.
func TestProcessorMinesEachServiceApart(t *testing.T) {
	p, err := Open(t.TempDir(), Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	evs := []event.Event{logEvent(1, "api", "connection reset by peer"), logEvent(1, "worker", "connection reset by peer")}
	p.Process(context.Background(), evs)
	a, b := patternID(t, evs[0]), patternID(t, evs[1])
	if a == b {
		t.Fatalf("two services share the pattern %s", a)
	}
	if g, ok := p.Group(1, a); !ok || g.ID != a {
		t.Errorf("Group(%s) = %+v", a, g)
	}
	if g, ok := p.Group(1, b); !ok || g.ID != b {
		t.Errorf("Group(%s) = %+v", b, g)
	}
	if got := p.StreamGroups(Stream{1, "worker"}); len(got) != 1 || got[0].ID != b {
		t.Errorf("worker groups %+v", got)
	}
}

// A flood of unique messages in one service leaves the other services'
// patterns intact: the flood evicts the flooding stream's own least
// recently seen groups, within the per-stream and server-wide bounds.
func TestProcessorFloodLeavesOtherStreamsIntact(t *testing.T) {
	ctx := context.Background()
	p, err := OpenLimits(t.TempDir(), Config{MaxGroups: 500}, Limits{MaxGroups: 800}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	var quiet []event.Event
	for svc := range 3 {
		for i := range 40 {
			quiet = append(quiet, logEvent(1, fmt.Sprintf("quiet-%d", svc), fmt.Sprintf("step %c%c finished for job %d", 'a'+i%26, 'a'+i/26, i)))
		}
	}
	p.Process(ctx, quiet)
	before := map[string]string{}
	for _, e := range quiet {
		before[e.Service+"|"+e.Message] = patternID(t, e)
	}
	// 20,000 unique messages: words no masking can tell from constants.
	for batch := range 40 {
		evs := make([]event.Event, 500)
		for i := range evs {
			n := batch*500 + i
			evs[i] = logEvent(1, "noisy", fmt.Sprintf("%s %s happened", word(n), word(n*7+3)))
		}
		p.Process(ctx, evs)
	}
	if n := len(p.StreamGroups(Stream{1, "noisy"})); n > 500 {
		t.Errorf("the noisy stream holds %d groups, over its bound", n)
	}
	if g := p.groups.Load(); g > 800 {
		t.Errorf("the server holds %d groups, over its bound", g)
	}
	again := make([]event.Event, len(quiet))
	for i, e := range quiet {
		again[i] = logEvent(1, e.Service, e.Message)
	}
	p.Process(ctx, again)
	for _, e := range again {
		was := before[e.Service+"|"+e.Message]
		if got := patternID(t, e); got != was {
			t.Fatalf("%s %q moved from %s to %s after the flood", e.Service, e.Message, was, got)
		}
		if _, ok := p.Group(1, was); !ok {
			t.Fatalf("the quiet group %s was forgotten", was)
		}
	}
}

// word spells n in letters only, so that masking keeps it.
func word(n int) string {
	b := []byte{}
	for {
		b = append(b, byte('a'+n%26))
		n /= 26
		if n == 0 {
			return string(b)
		}
	}
}

// The server-wide bound takes from the largest stream, and the stream
// bound drops the least recently used stream.
func TestProcessorServerBounds(t *testing.T) {
	ctx := context.Background()
	p, err := OpenLimits(t.TempDir(), Config{}, Limits{MaxGroups: 100, MaxStreams: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	for svc := range 6 {
		var evs []event.Event
		for i := range 60 {
			evs = append(evs, logEvent(1, fmt.Sprintf("svc-%d", svc), word(i*31+svc)+" "+word(i)+" done"))
		}
		p.Process(ctx, evs)
		if g := p.groups.Load(); g > 100 {
			t.Fatalf("%d groups", g)
		}
	}
	p.mu.RLock()
	n := len(p.streams)
	_, oldest := p.streams[Stream{1, "svc-0"}]
	p.mu.RUnlock()
	if n > 4 || oldest {
		t.Errorf("%d streams, svc-0 kept: %v", n, oldest)
	}
}

// Templates written by earlier versions (one file for every project) stay
// readable: rows carry their ids.
func TestProcessorReadsLegacyTemplates(t *testing.T) {
	dir := t.TempDir()
	legacy := `{"version":1,"projects":{"1":[{"id":"p0123456789ab","tokens":["order","created:","<*>"],"count":3,"first_seen":7}]}}`
	if err := os.WriteFile(filepath.Join(dir, legacyFile), []byte(legacy), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Open(dir, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	if g, ok := p.Group(1, "p0123456789ab"); !ok || g.Template() != "order created: <*>" || g.FirstSeen != 7 {
		t.Errorf("legacy group %+v %v", g, ok)
	}
}

// A damaged stream file is set aside, not fatal.
func TestProcessorSetsAsideDamagedFiles(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, streamsDir), 0o755)
	bad := filepath.Join(dir, streamsDir, "1-00.json")
	os.WriteFile(bad, []byte("{not json"), 0o644)
	p, err := Open(dir, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	if _, err := os.Stat(bad + ".bad"); err != nil {
		t.Errorf("not set aside: %v", err)
	}
}

func TestProcessorConcurrent(t *testing.T) {
	p, err := Open(t.TempDir(), Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				evs := []event.Event{logEvent(1, "api", fmt.Sprintf("worker %d step %d done", w, i))}
				p.Process(context.Background(), evs)
				p.Save()
			}
		}()
	}
	wg.Wait()
	gs := p.Groups(1)
	if len(gs) != 1 || gs[0].Count != 2000 {
		t.Errorf("groups %+v", gs)
	}
}

// Failed spans with a message are mined (their error events keep the id);
// other spans are not.
func TestProcessorMinesFailedSpans(t *testing.T) {
	p, err := Open(t.TempDir(), Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	evs := []event.Event{
		{ProjectID: 1, Service: "inv", Kind: event.KindSpan, Level: event.LevelError, ErrorType: "TimeoutError", Message: "query timed out after 5000ms"},
		{ProjectID: 1, Service: "inv", Kind: event.KindSpan, Message: "GET /items"},
		logEvent(1, "inv", "query timed out after 4000ms"),
	}
	p.Process(context.Background(), evs)
	if a, b := patternID(t, evs[0]), patternID(t, evs[2]); a != b {
		t.Errorf("the failed span and the log of the same message: %s, %s", a, b)
	}
	if _, has := evs[1].Attr(AttrKey); has {
		t.Error("a plain span got a pattern id")
	}
	if f := p.Family(1, patternID(t, evs[0])); f != patternID(t, evs[0]) {
		t.Errorf("family %s", f)
	}
}

package patterns

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/lore-dev/lore/internal/event"
)

func TestTokenizeMasksVariables(t *testing.T) {
	f := func(msg, want string) {
		t.Helper()
		if got := strings.Join(Tokenize(msg), " "); got != want {
			t.Errorf("Tokenize(%q) = %q, want %q", msg, got, want)
		}
	}
	f("payment 42 took 250ms", "payment <*> took <*>")
	f("retry in -3.5s", "retry in <*>")
	f("connect to 10.1.2.3:5432 failed", "connect to <*> failed")
	f("block blk_-6952295868487656571 done", "block <*> done")
	f("at 0x00e462c0, mask 0x02", "at <*> mask <*>")
	f("trace 3f2a9c1e8b7d6a5f4e3d2c1b0a998877 ended", "trace <*> ended")
	f("id 123e4567-e89b-12d3-a456-426614174000", "id <*>")
	f("open /var/log/app.log: denied", "open <*> denied")
	f("GET https://api.example.com/v1/x ok", "GET <*> ok")
	f(`user "Jane Doe" logged in`, "user <*> logged in")
	f("key 'a b c', then", "key <*> then")
	f("uid=0 euid=1000 user=root", "uid=<*> euid=<*> user=root")
	f("jk2_init() Found child 3746", "jk2_init() Found child <*>")
	f("can't open file", "can't open file")
	f("  spaced\tout \n", "spaced out")
	f("", "")
}

func TestMinerGroupsAndGeneralises(t *testing.T) {
	m := NewMiner(Config{})
	a := m.Add("login accepted for alice from 10.0.0.1", 1)
	b := m.Add("login accepted for bob from 10.0.0.2", 2)
	c := m.Add("disk full on /dev/sda1", 3)
	if !a.New || b.New || a.ID != b.ID {
		t.Fatalf("two logins should share a new group: %+v %+v", a, b)
	}
	if b.Template != "login accepted for <*> from <*>" {
		t.Errorf("template %q", b.Template)
	}
	if c.ID == a.ID || !c.New {
		t.Errorf("a different message joined the login group: %+v", c)
	}
	g, ok := m.Group(a.ID)
	if !ok || g.Count != 2 || g.FirstSeen != 1 {
		t.Errorf("group %+v", g)
	}
	// The id survives the template's generalisation.
	if d := m.Add("login accepted for carol from 10.0.0.3", 4); d.ID != a.ID {
		t.Errorf("id changed: %s, was %s", d.ID, a.ID)
	}
}

func TestMinerCapsGroups(t *testing.T) {
	m := NewMiner(Config{MaxGroups: 2})
	m.Add("alpha beta", 1)
	m.Add("gamma delta epsilon", 1)
	if got := m.Add("one two three four", 1); got.ID != OverflowID {
		t.Errorf("beyond the cap got %+v", got)
	}
}

func TestProcessorStableAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	p, err := Open(dir, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	evs := []event.Event{
		{ProjectID: 1, Kind: event.KindLog, Message: "order created: ord_1"},
		{ProjectID: 1, Kind: event.KindSpan, Message: "not mined"},
		{ProjectID: 2, Kind: event.KindLog, Message: "order created: ord_2"},
		{ProjectID: 1, Kind: event.KindLog, Message: "cache warmed"},
	}
	if _, err := p.Process(ctx, evs); err != nil {
		t.Fatal(err)
	}
	id1, _ := evs[0].Attr(AttrKey)
	if _, has := evs[1].Attr(AttrKey); has {
		t.Error("a span got a pattern id")
	}
	id2, _ := evs[2].Attr(AttrKey)
	if id1 == "" || id2 == "" {
		t.Fatalf("no ids: %+v", evs)
	}
	// Generalise project 1's group so its template differs from its id's
	// origin. (Like the paper's Drain, the miner routes by the first
	// tokens, so variables there split groups.)
	more := []event.Event{{ProjectID: 1, Kind: event.KindLog, Message: "order created: x"}}
	p.Process(ctx, more)
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	q, err := Open(dir, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(ctx)
	again := []event.Event{{ProjectID: 1, Kind: event.KindLog, Message: "order created: y"}}
	q.Process(ctx, again)
	if got, _ := again[0].Attr(AttrKey); got != id1 {
		t.Errorf("after restart the id is %q, was %q", got, id1)
	}
	if g, ok := q.Group(1, id1); !ok || g.Count != 3 || g.Template() != "order created: <*>" {
		t.Errorf("restored group %+v", g)
	}
	if len(q.Groups(2)) != 1 {
		t.Errorf("project 2 groups %+v", q.Groups(2))
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
				evs := []event.Event{{ProjectID: 1, Kind: event.KindLog, Message: fmt.Sprintf("worker %d step %d done", w, i)}}
				p.Process(context.Background(), evs)
			}
		}()
	}
	wg.Wait()
	gs := p.Groups(1)
	if len(gs) != 1 || gs[0].Count != 2000 {
		t.Errorf("groups %+v", gs)
	}
}

func BenchmarkMiner(b *testing.B) {
	s := loadSample(b, "HDFS")
	m := NewMiner(Config{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Add(s.contents[i%len(s.contents)], int64(i))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

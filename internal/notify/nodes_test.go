package notify

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/outbound"
	"github.com/lore-dev/lore/internal/pgtest"
)

// TestDispatchersOfTwoNodesDeliverOnce: two dispatchers on one PostgreSQL
// outbox, as two nodes overlapping while the notifications lease changes
// hands, deliver every notification once, each destination's in order.
func TestDispatchersOfTwoNodesDeliverOnce(t *testing.T) {
	dbURL := pgtest.Start(t).NewDatabase(t)
	a, b := openMeta(t, dbURL), openMeta(t, dbURL)
	defer a.Close()
	defer b.Close()
	if _, err := a.EnsureDefaultProject(context.Background(), "", ""); err != nil {
		t.Fatal(err)
	}
	slow := func(int) int { time.Sleep(20 * time.Millisecond); return 200 }
	toChannel, toURL := newReceiver(t, slow), newReceiver(t, slow)
	ch := addChannel(t, a, "team", meta.ChannelWebhook, toChannel.URL)
	var chTexts, urlTexts []string
	for i := range 15 {
		chTexts = append(chTexts, fmt.Sprintf("channel %02d", i))
		urlTexts = append(urlTexts, fmt.Sprintf("url %02d", i))
	}
	queue(t, a, ch.ID, "", chTexts...)
	queue(t, a, 0, toURL.URL, urlTexts...)

	ctx, cancel := context.WithCancel(context.Background())
	var done []chan struct{}
	for _, db := range []*meta.Store{a, b} {
		d := NewDispatcher(Config{Outbox: db, Sender: NewSender(outbound.Options{AllowPrivate: true}, nil), Log: quiet, Poll: 5 * time.Millisecond})
		c := make(chan struct{})
		go func() { d.Run(ctx); close(c) }()
		done = append(done, c)
	}
	stop := func() {
		cancel()
		for _, c := range done {
			<-c
		}
	}
	defer stop()
	end := time.Now().Add(30 * time.Second)
	for len(toChannel.received()) < len(chTexts) || len(toURL.received()) < len(urlTexts) {
		if time.Now().After(end) {
			t.Fatalf("delivered %d and %d of %d each within 30s", len(toChannel.received()), len(toURL.received()), len(chTexts))
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // a second delivery would come now
	stop()
	for _, c := range []struct {
		r    *receiver
		want []string
	}{{toChannel, chTexts}, {toURL, urlTexts}} {
		var got []string
		for _, b := range c.r.received() {
			got = append(got, textOf(b))
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("delivered %q, want each once in order %q", got, c.want)
		}
	}
	if p, err := a.PendingNotifications(context.Background(), 100); err != nil || len(p) != 0 {
		t.Errorf("%d notifications still pending (%v)", len(p), err)
	}
}

package sim

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/replay/synth"
)

// PathReplay is where the browser SDK uploads session recordings.
const PathReplay = "/api/v1/replay"

// ReplaySink is a Sink that also takes session recordings, one rrweb
// chunk (the SDK's envelope) at a time. A Shop whose Config.RecordSessions
// is set sends the recordings of its browser's sessions through it.
type ReplaySink interface {
	Sink
	// Replay sends one recording chunk, as POST /api/v1/replay.
	Replay(ctx context.Context, chunk []byte) error
}

var _ ReplaySink = (*HTTPSink)(nil)

// Replay posts one chunk to /api/v1/replay (gzip, the key as bearer).
func (h *HTTPSink) Replay(ctx context.Context, chunk []byte) error {
	return h.post(ctx, PathReplay, "application/json", chunk)
}

// Replay passes recordings on when the wrapped sink takes them.
func (s *SentrySink) Replay(ctx context.Context, chunk []byte) error {
	if r, ok := s.next.(ReplaySink); ok {
		return r.Replay(ctx, chunk)
	}
	return fmt.Errorf("sink %T does not take session recordings", s.next)
}

var _ ReplaySink = (*SentrySink)(nil)

// recordIdle: a session's recording is written once its browser has been
// quiet this long (the SDK's session timeout and a margin).
const recordIdle = 35 * 60 * sec

// seen is what a recording needs of one browser event.
type seen struct {
	ts       int64 // micros
	kind     string
	name     string
	path     string
	title    string
	text     string // a click's element text
	selector string // a click's element selector
	trace    event.TraceID
	err      string // an error log's message
	user     string
	anon     string
}

// track is a session's browser events, kept until it is recorded.
type track struct {
	id     string
	events []seen
	last   int64
	keep   bool // hit an error or a payment that went pending: always recorded
}

// recorder follows the browser's sessions and writes the recordings the
// SDK would have uploaded. It has an rng of its own: recording sessions
// changes nothing else the shop does.
type recorder struct {
	rate   float64
	seed   uint64
	tracks map[string]*track
}

func newRecorder(rate float64, seed int64) *recorder {
	return &recorder{rate: rate, seed: uint64(seed), tracks: map[string]*track{}}
}

// see keeps a browser event of a session.
func (rc *recorder) see(r *rec) {
	e := &r.ev
	if r.span || e.Service != svcWeb || e.SessionID == "" {
		return
	}
	t := rc.tracks[e.SessionID]
	if t == nil {
		t = &track{id: e.SessionID}
		rc.tracks[e.SessionID] = t
	}
	s := seen{ts: e.TS, kind: e.Kind, name: e.Name, path: e.Endpoint, trace: e.TraceID, user: e.UserID, anon: e.AnonymousID}
	switch {
	case e.Kind == event.KindPageview:
		s.title, _ = e.Attr("title")
		if s.path == "/checkout/pending" || s.path == "/checkout/error" {
			t.keep = true
		}
	case e.Name == "$click":
		s.text, _ = e.Attr("element.text")
		s.selector, _ = e.Attr("element.selector")
	case e.Level == event.LevelError:
		s.err = e.Message
		t.keep = true
	case e.Kind == event.KindEvent:
	default:
		return
	}
	t.events = append(t.events, s)
	t.last = max(t.last, e.TS)
}

// due takes out the sessions quiet since before now-recordIdle (all of
// them when now is 0) that are to be recorded: those that hit trouble
// and a share rate of the others, chosen by their id.
func (rc *recorder) due(now int64) []*track {
	var out []*track
	for id, t := range rc.tracks {
		if now != 0 && t.last > now-recordIdle {
			continue
		}
		delete(rc.tracks, id)
		if t.keep || unit(rc.seed, id) < rc.rate {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].events[0].ts < out[j].events[0].ts })
	return out
}

// unit is a number in [0, 1) fixed by the session id and the seed.
func unit(seed uint64, id string) float64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return float64((h.Sum64()^seed)>>11) / (1 << 53)
}

// The shop's pages as the recordings show them: drawn at fixed places in
// a 1280×800 viewport, the shop's own words unmasked (data-lore-unmask on
// the body), the person's data masked.
const shopCSS = `body{margin:0;font-family:system-ui,sans-serif;background:#fafaf7;color:#222}
header{background:#1f3a5f;color:#fff}header a{color:#fff;text-decoration:none;font-weight:600}
button{background:#e4572e;color:#fff;border:0;border-radius:6px;font-size:16px;cursor:pointer}
button[disabled]{background:#999}.card{background:#fff;border:1px solid #ddd;border-radius:8px}
.error{background:#fde8e8;color:#9b1c1c;border:1px solid #f5b5b5;border-radius:6px;padding:8px}
input{border:1px solid #bbb;border-radius:4px;font-size:16px;padding:4px}`

func header(user string) *synth.Node {
	account := synth.El("span", map[string]string{"data-lore-mask": ""}, synth.T("Sign in"))
	if user != "" {
		account = synth.El("span", map[string]string{"data-lore-mask": ""}, synth.T(user))
	}
	return synth.El("header", nil,
		synth.El("a", map[string]string{"href": "/"}, synth.T("Example Shop")).At(24, 18, 160, 28),
		synth.El("a", map[string]string{"href": "/cart", "id": "cart-link"}, synth.T("Cart "), synth.El("span", map[string]string{"id": "cart-count"}, synth.T("0")).As("cart-count")).At(1080, 18, 80, 28),
		account.At(1170, 18, 100, 28),
	).At(0, 0, 1280, 64)
}

// page draws the shop's page at path.
func page(path, title, user string, items int) *synth.Node {
	main := synth.El("main", nil).As("main").At(0, 64, 1280, 736)
	add := func(n ...*synth.Node) { main.Kids = append(main.Kids, n...) }
	switch {
	case path == "/":
		add(synth.El("h1", nil, synth.T("Autumn collection")).At(40, 90, 600, 40))
		for i := 0; i < 6; i++ {
			x, y := 40+(i%3)*400, 160+(i/3)*300
			id := strconv.Itoa(1 + i*17)
			add(synth.El("a", map[string]string{"class": "card", "href": "/products/" + id},
				synth.El("div", map[string]string{"style": "background:#dfe7ef;height:180px"}),
				synth.El("p", nil, synth.T(categories[i%len(categories)]+" · product "+id))).As("card"+strconv.Itoa(i)).At(x, y, 360, 260))
		}
	case strings.HasPrefix(path, "/products/"):
		id := strings.TrimPrefix(path, "/products/")
		pid, _ := strconv.Atoi(id)
		add(synth.El("div", map[string]string{"class": "card", "style": "background:#dfe7ef"}).As("image").At(40, 100, 520, 520),
			synth.El("h1", nil, synth.T(title)).At(600, 100, 600, 40),
			synth.El("p", nil, synth.T("€"+cents(productPrice(pid)))).At(600, 160, 300, 30),
			synth.El("p", nil, synth.T("In stock. Free returns within 30 days.")).At(600, 200, 600, 30),
			synth.El("button", map[string]string{"id": "add-to-cart"}, synth.T("Add to cart")).As("#add-to-cart").At(600, 260, 220, 48),
			synth.El("a", map[string]string{"href": "#size-guide", "class": "size-guide"}, synth.T("Size guide")).As("size-guide").At(600, 330, 120, 24))
	case path == "/cart":
		add(synth.El("h1", nil, synth.T("Your cart")).At(40, 90, 600, 40))
		for i := 0; i < max(1, items); i++ {
			add(synth.El("div", map[string]string{"class": "card"}, synth.T("Item "+strconv.Itoa(i+1))).At(40, 150+i*70, 700, 60))
		}
		add(synth.El("button", map[string]string{"id": "checkout"}, synth.T("Checkout")).As("#checkout").At(800, 150, 220, 48))
	case path == "/login":
		add(synth.El("h1", nil, synth.T("Sign in")).At(440, 110, 400, 40),
			synth.El("input", map[string]string{"type": "email", "name": "email", "value": ""}).As("email").At(440, 180, 400, 36),
			synth.El("input", map[string]string{"type": "password", "name": "password", "value": ""}).As("password").At(440, 230, 400, 36),
			synth.El("button", map[string]string{"id": "submit"}, synth.T("Sign in")).As("#submit").At(440, 290, 400, 48))
	case path == "/checkout/payment":
		add(synth.El("h1", nil, synth.T("Payment")).At(40, 90, 600, 40),
			synth.El("input", map[string]string{"name": "card", "autocomplete": "cc-number", "value": ""}).As("card").At(40, 160, 400, 36),
			synth.El("button", map[string]string{"id": "pay"}, synth.T("Pay now")).As("#pay").At(40, 220, 220, 48))
	case path == "/checkout/pending":
		add(synth.El("h1", nil, synth.T("Payment pending")).At(40, 90, 800, 40),
			synth.El("p", nil, synth.T("We could not confirm your payment yet. We will email you when it goes through.")).At(40, 150, 900, 30),
			synth.El("button", map[string]string{"id": "pay", "disabled": ""}, synth.T("Processing…")).As("#pay").At(40, 220, 220, 48))
	case path == "/checkout/error":
		add(synth.El("h1", nil, synth.T("Something went wrong")).At(40, 90, 800, 40),
			synth.El("div", map[string]string{"class": "error"}, synth.T("We could not complete your order. Please try again.")).At(40, 150, 700, 40),
			synth.El("a", map[string]string{"href": "/cart"}, synth.T("Back to cart")).As("back").At(40, 220, 200, 30))
	case path == "/order/confirmation":
		add(synth.El("h1", nil, synth.T("Thank you!")).At(40, 90, 800, 40),
			synth.El("p", nil, synth.T("Your order is confirmed. A confirmation email is on its way.")).At(40, 150, 900, 30))
	default:
		add(synth.El("h1", nil, synth.T(title)).At(40, 90, 800, 40))
	}
	return synth.El("body", map[string]string{"data-lore-unmask": ""}, header(user), main)
}

// record writes a session's recording as the SDK uploads it: one page
// load per page view, the clicks where the person clicked (after moving
// the mouse there), typing into the sign-in form, the requests the page
// made and its errors as the SDK's custom events, and an error's banner.
// A payment that went pending after the click is rage-clicked, as people
// do when a button seems to do nothing.
func (rc *recorder) record(t *track) [][]byte {
	rng := rand.New(rand.NewPCG(rc.seed, uint64(unit(rc.seed, t.id)*(1<<53))))
	between := func(lo, hi time.Duration) time.Duration { return lo + time.Duration(rng.Int64N(int64(hi-lo))) }
	var out [][]byte
	var r *synth.Recorder
	var cur seen
	pages, items := 0, 0
	user, anon := "", ""
	flush := func() {
		if r == nil {
			return
		}
		out = append(out, r.Chunks(t.id, t.id[:min(8, len(t.id))]+"-"+strconv.Itoa(pages), user, anon, 400)...)
	}
	at := func(us int64) time.Time { return time.UnixMicro(us) }
	for i, e := range t.events {
		if e.user != "" {
			user = e.user
		}
		anon = e.anon
		switch {
		case e.kind == event.KindPageview:
			if r != nil && e.path == "/checkout/pending" && cur.path == "/checkout/payment" {
				// The pay button seems to do nothing while the gateway is
				// retried: the person clicks it again and again.
				r.SetText("#pay", "Processing…")
				r.SetAttr("#pay", "disabled", "")
				r.Wait(between(80*time.Millisecond, 200*time.Millisecond))
				for k := 2 + rng.IntN(3); k > 0; k-- {
					r.Click("#pay")
					r.Wait(between(100*time.Millisecond, 300*time.Millisecond))
				}
			}
			flush()
			start := at(e.ts)
			if r != nil {
				start = maxTime(start, r.Now().Add(50*time.Millisecond))
			}
			pages++
			r = synth.New(start, 1280, 800)
			cur = e
			r.Load("https://shop.example"+e.path, e.title, shopCSS, page(e.path, strings.TrimSuffix(e.title, " | Example Shop"), user, items))
			// A look around: the mouse drifts, a long page is scrolled.
			r.Wait(between(400*time.Millisecond, 1500*time.Millisecond))
			if strings.HasPrefix(e.path, "/products/") || e.path == "/" {
				r.Scroll(int(between(0, 300*time.Millisecond) / time.Millisecond))
			}
			// Now and then the size guide is clicked, and its link is
			// broken: nothing happens (a dead click), when the person
			// stays on the page long enough to tell.
			quiet := true
			for _, n := range t.events[i+1:] {
				if n.kind == event.KindPageview || n.name == "$click" || n.err != "" {
					quiet = n.ts-r.Now().UnixMicro() > 8*sec
					break
				}
			}
			if r.Has("size-guide") && quiet && rng.Float64() < 0.15 {
				r.Move("size-guide", 500*time.Millisecond)
				r.Click("size-guide")
				r.Wait(between(3*time.Second, 5*time.Second))
				r.Move("main", 400*time.Millisecond)
			}
		case r == nil:
			continue
		case e.name == "$click":
			target := e.selector
			if !r.Has(target) {
				continue
			}
			click := at(e.ts)
			if cur.path == "/login" && r.Has("email") && click.Sub(r.Now()) > 6*time.Second {
				r.Move("email", 400*time.Millisecond)
				r.Click("email")
				r.Input("email", "someone@example.com")
				r.Move("password", 300*time.Millisecond)
				r.Click("password")
				r.Input("password", "hunter22")
			}
			if move := click.Sub(r.Now()) - 50*time.Millisecond; move > 0 {
				r.Wait(max(0, move-800*time.Millisecond))
				r.Move(target, min(move, 800*time.Millisecond))
			}
			r.At(click)
			r.Click(target)
			if !e.trace.IsZero() {
				r.Custom("lore.request", map[string]any{"method": "POST", "url": requestURL(target), "trace_id": e.trace.String()})
			}
		case e.err != "":
			r.At(at(e.ts))
			r.Custom("lore.error", map[string]any{"type": "HTTPError", "message": e.err})
			if r.Has("main") {
				r.Append("main", synth.El("div", map[string]string{"class": "error", "role": "alert"}, synth.T(e.err)).At(40, 700, 900, 40))
			}
		case e.name == "Product Added":
			items++
			r.At(at(e.ts))
			r.SetText("cart-count", strconv.Itoa(items))
		}
	}
	if r != nil {
		r.Wait(between(2*time.Second, 6*time.Second))
		r.Move("main", 600*time.Millisecond)
	}
	flush()
	return out
}

// requestURL is the API call a button makes.
func requestURL(selector string) string {
	switch selector {
	case "#add-to-cart":
		return "/api/cart/items"
	case "#checkout":
		return "/api/checkout"
	case "#pay":
		return "/api/checkout/pay"
	case "#submit":
		return "/api/login"
	}
	return "/api"
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// replayVia sends the browser's recordings to sink when it is a
// ReplaySink (otherwise none are written).
func (b *batcher) replayVia(sink Sink) {
	if rs, ok := sink.(ReplaySink); ok {
		b.replay = rs
	}
}

// sendRecordings writes the recordings of the sessions quiet by now (all
// of them when now is 0).
func (s *Shop) sendRecordings(ctx context.Context, b *batcher, now int64) error {
	if s.recording == nil || b.replay == nil {
		return nil
	}
	due := s.recording.due(now)
	if len(due) > 0 {
		// The sessions' events first: a recording is sealed with them.
		if err := b.flush(ctx); err != nil {
			return err
		}
	}
	for _, t := range due {
		for _, c := range s.recording.record(t) {
			if err := b.replay.Replay(ctx, c); err != nil {
				return fmt.Errorf("send the recording of session %s: %w", t.id, err)
			}
			b.recordings++
		}
	}
	return nil
}

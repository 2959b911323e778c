// Package synth writes rrweb recordings deterministically, the way
// @rrweb/record records a page with Lore's SDK settings (text and inputs
// masked unless marked data-lore-unmask): a page load is a Meta and a full
// snapshot, then mouse moves, clicks, inputs, scrolls and DOM mutations.
// It backs the demo's recorded sessions (`lore demo` needs no browser)
// and the replay tests.
package synth

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// rrweb's event types, incremental sources and mouse interactions.
const (
	typeFullSnapshot = 2
	typeIncremental  = 3
	typeMeta         = 4
	typeCustom       = 5

	srcMutation         = 0
	srcMouseMove        = 1
	srcMouseInteraction = 2
	srcScroll           = 3
	srcInput            = 5

	miMouseUp   = 0
	miMouseDown = 1
	miClick     = 2
)

// Box is where an element is drawn: its style places it there, so a
// click's coordinates land on it in the player.
type Box struct{ X, Y, W, H int }

// Node is an element or a text of a recorded page.
type Node struct {
	Tag   string
	Attrs map[string]string
	Text  string // a text node's content (Tag "")
	Kids  []*Node
	Name  string // a handle for Click, Input, Append… ("" for none)
	Box   *Box
	id    int
	up    *Node
}

// El is an element with attributes and children.
func El(tag string, attrs map[string]string, kids ...*Node) *Node {
	return &Node{Tag: tag, Attrs: attrs, Kids: kids}
}

// T is a text node.
func T(s string) *Node { return &Node{Text: s} }

// As names a node, for the actions that act on it.
func (n *Node) As(name string) *Node { n.Name = name; return n }

// At places an element.
func (n *Node) At(x, y, w, h int) *Node { n.Box = &Box{x, y, w, h}; return n }

// Recorder builds one page view's recording (a browsing session is one
// Recorder per page load). Times are milliseconds since the epoch.
type Recorder struct {
	now    int64
	next   int
	width  int
	height int
	named  map[string]*Node
	events []json.RawMessage
	mx, my int
}

// New starts a recording at start with a viewport of w×h.
func New(start time.Time, w, h int) *Recorder {
	return &Recorder{now: start.UnixMilli(), next: 1, width: w, height: h, named: map[string]*Node{}, mx: w / 2, my: h / 3}
}

// Now is the recording's current moment.
func (r *Recorder) Now() time.Time { return time.UnixMilli(r.now) }

// Wait moves the clock on.
func (r *Recorder) Wait(d time.Duration) { r.now += d.Milliseconds() }

// At moves the clock to t (never back).
func (r *Recorder) At(t time.Time) { r.now = max(r.now, t.UnixMilli()) }

func (r *Recorder) emit(typ int, data any) {
	b, err := json.Marshal(map[string]any{"type": typ, "data": data, "timestamp": r.now})
	if err != nil {
		panic(fmt.Sprintf("synth: %v", err)) // only maps, strings and numbers go in
	}
	r.events = append(r.events, b)
}

// Load records a page load: a Meta event with the URL and the viewport,
// and a full snapshot of <html><head><title><style></head><body>.
func (r *Recorder) Load(href, title, css string, body *Node) {
	r.named = map[string]*Node{}
	r.emit(typeMeta, map[string]any{"href": href, "width": r.width, "height": r.height})
	head := El("head", nil, El("title", nil, T(title)), El("style", nil, &Node{Text: css, Tag: "#style"}))
	html := El("html", map[string]string{"lang": "en"}, head, body)
	root := map[string]any{"type": 0, "compatMode": "CSS1Compat", "id": r.id()}
	doctype := map[string]any{"type": 1, "name": "html", "publicId": "", "systemId": "", "id": r.id()}
	root["childNodes"] = []any{doctype, r.serialize(html, nil, false)}
	r.emit(typeFullSnapshot, map[string]any{"node": root, "initialOffset": map[string]int{"left": 0, "top": 0}})
	r.Wait(30 * time.Millisecond)
}

func (r *Recorder) id() int { r.next++; return r.next - 1 }

// serialize numbers n and its children and returns rrweb's serialized
// node; text is masked unless an ancestor has data-lore-unmask.
func (r *Recorder) serialize(n *Node, up *Node, unmasked bool) map[string]any {
	n.id, n.up = r.id(), up
	if n.Name != "" {
		r.named[n.Name] = n
	}
	switch n.Tag {
	case "":
		return map[string]any{"type": 3, "textContent": mask(n.Text, unmasked), "id": n.id}
	case "#style":
		return map[string]any{"type": 3, "textContent": n.Text, "isStyle": true, "id": n.id}
	}
	attrs := map[string]any{}
	for k, v := range n.Attrs {
		attrs[k] = v
	}
	if n.Box != nil {
		attrs["style"] = strings.TrimSpace(fmt.Sprintf("position:absolute;left:%dpx;top:%dpx;width:%dpx;height:%dpx;%s",
			n.Box.X, n.Box.Y, n.Box.W, n.Box.H, n.Attrs["style"]))
	}
	if _, ok := n.Attrs["data-lore-unmask"]; ok {
		unmasked = true
	}
	if _, ok := n.Attrs["data-lore-mask"]; ok {
		unmasked = false
	}
	if n.Tag == "input" {
		attrs["value"] = strings.Repeat("*", utf8.RuneCountInString(n.Attrs["value"]))
	}
	kids := make([]any, 0, len(n.Kids))
	for _, k := range n.Kids {
		kids = append(kids, r.serialize(k, n, unmasked))
	}
	return map[string]any{"type": 2, "tagName": n.Tag, "attributes": attrs, "childNodes": kids, "id": n.id}
}

// mask writes text as the SDK records it: each character but spaces an
// asterisk, unless unmasked.
func mask(s string, unmasked bool) string {
	if unmasked {
		return s
	}
	return strings.Map(func(c rune) rune {
		if c == ' ' || c == '\n' || c == '\t' {
			return c
		}
		return '*'
	}, s)
}

// Has reports whether the page has an element named name.
func (r *Recorder) Has(name string) bool { return r.named[name] != nil }

func (r *Recorder) node(name string) *Node {
	n := r.named[name]
	if n == nil {
		panic("synth: no node named " + strconv.Quote(name))
	}
	return n
}

// center is where a click on an element lands.
func (r *Recorder) center(n *Node) (int, int) {
	for b := n; b != nil; b = b.up {
		if b.Box != nil {
			return b.Box.X + b.Box.W/2, b.Box.Y + b.Box.H/2
		}
	}
	return r.width / 2, r.height / 2
}

// Move moves the mouse to an element over d, as rrweb samples it (a
// position every 50 ms, sent in one event).
func (r *Recorder) Move(name string, d time.Duration) {
	x, y := r.center(r.node(name))
	steps := max(1, int(d/(50*time.Millisecond)))
	var pos []any
	for i := 1; i <= steps; i++ {
		px := r.mx + (x-r.mx)*i/steps
		py := r.my + (y-r.my)*i/steps
		pos = append(pos, map[string]any{"x": px, "y": py, "id": r.node(name).id, "timeOffset": -int((steps - i) * 50)})
	}
	r.Wait(d)
	r.mx, r.my = x, y
	r.emit(typeIncremental, map[string]any{"source": srcMouseMove, "positions": pos})
}

// Click records a mouse down, up and click on an element.
func (r *Recorder) Click(name string) {
	n := r.node(name)
	x, y := r.center(n)
	x, y = x+(n.id*7)%9-4, y+(n.id*5)%7-3
	for _, t := range []int{miMouseDown, miMouseUp, miClick} {
		r.emit(typeIncremental, map[string]any{"source": srcMouseInteraction, "type": t, "id": n.id, "x": x, "y": y, "pointerType": 0})
		r.Wait(40 * time.Millisecond)
	}
}

// Input records typing into a field, masked as the SDK masks it, one
// event per character.
func (r *Recorder) Input(name, value string) {
	n := r.node(name)
	typed := ""
	for _, c := range value {
		typed += string(c)
		r.Wait(120 * time.Millisecond)
		r.emit(typeIncremental, map[string]any{"source": srcInput, "text": strings.Repeat("*", utf8.RuneCountInString(typed)), "isChecked": false, "id": n.id})
	}
}

// Append adds an element at the end of a named parent.
func (r *Recorder) Append(parent string, n *Node) {
	p := r.node(parent)
	_, unmasked := findUp(p, "data-lore-unmask")
	s := r.serialize(n, p, unmasked)
	p.Kids = append(p.Kids, n)
	r.emit(typeIncremental, map[string]any{"source": srcMutation, "texts": []any{}, "attributes": []any{}, "removes": []any{},
		"adds": []any{map[string]any{"parentId": p.id, "nextId": nil, "node": s}}})
}

// Remove takes an element out.
func (r *Recorder) Remove(name string) {
	n := r.node(name)
	r.emit(typeIncremental, map[string]any{"source": srcMutation, "texts": []any{}, "attributes": []any{}, "adds": []any{},
		"removes": []any{map[string]any{"parentId": n.up.id, "id": n.id}}})
	delete(r.named, name)
}

// SetText changes an element's first text.
func (r *Recorder) SetText(name, text string) {
	n := r.node(name)
	for _, k := range n.Kids {
		if k.Tag == "" {
			_, unmasked := findUp(n, "data-lore-unmask")
			k.Text = text
			r.emit(typeIncremental, map[string]any{"source": srcMutation, "adds": []any{}, "removes": []any{}, "attributes": []any{},
				"texts": []any{map[string]any{"id": k.id, "value": mask(text, unmasked)}}})
			return
		}
	}
}

// SetAttr changes an element's attribute.
func (r *Recorder) SetAttr(name, attr, value string) {
	n := r.node(name)
	r.emit(typeIncremental, map[string]any{"source": srcMutation, "adds": []any{}, "removes": []any{}, "texts": []any{},
		"attributes": []any{map[string]any{"id": n.id, "attributes": map[string]any{attr: value}}}})
}

// Scroll scrolls the page to y.
func (r *Recorder) Scroll(y int) {
	r.emit(typeIncremental, map[string]any{"source": srcScroll, "id": 1, "x": 0, "y": y})
}

// Custom adds a custom event, as the SDK does for errors (lore.error) and
// the requests it traces (lore.request).
func (r *Recorder) Custom(tag string, payload map[string]any) {
	r.emit(typeCustom, map[string]any{"tag": tag, "payload": payload})
}

func findUp(n *Node, attr string) (*Node, bool) {
	for ; n != nil; n = n.up {
		if _, ok := n.Attrs[attr]; ok {
			return n, true
		}
	}
	return nil, false
}

// Events is the recording so far, as rrweb JSON events.
func (r *Recorder) Events() []json.RawMessage { return r.events }

// Envelope is a chunk as the SDK uploads it to POST /api/v1/replay.
type Envelope struct {
	SessionID   string            `json:"session_id"`
	PageID      string            `json:"page_id"`
	Seq         int               `json:"seq"`
	UserID      string            `json:"user_id,omitempty"`
	AnonymousID string            `json:"anonymous_id,omitempty"`
	Events      []json.RawMessage `json:"events"`
}

// Chunks cuts the recording into uploads of at most per events, as the
// SDK sends them.
func (r *Recorder) Chunks(session, page, user, anon string, per int) [][]byte {
	var out [][]byte
	for i, seq := 0, 0; i < len(r.events); i, seq = i+per, seq+1 {
		b, _ := json.Marshal(Envelope{SessionID: session, PageID: page, Seq: seq, UserID: user, AnonymousID: anon,
			Events: r.events[i:min(i+per, len(r.events))]})
		out = append(out, b)
	}
	return out
}

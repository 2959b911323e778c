package replay

import (
	"strings"

	"github.com/valyala/fastjson"
)

// maxMirrorNodes bounds the nodes a mirror keeps of one page; past it,
// elements added later are not named (their clicks still count).
const maxMirrorNodes = 200_000

// node is what the analysis keeps of a recorded element: enough to name
// a clicked element the way the SDK names it (tag#id.class > …) and to
// tell a control from text.
type node struct {
	parent int
	tag    string
	id     string
	class  string
	role   string
	typ    string // <input type>
	label  string // aria-label, title or alt
	event  string // data-lore-event
	text   string // its first text child, as recorded (masked text is asterisks)
}

// mirror is the recorded page's elements by rrweb node id, kept up to date
// through the full snapshot and the mutations that follow it.
type mirror map[int]*node

// addTree adds a serialized node and its children under parent.
func (m mirror) addTree(v *fastjson.Value, parent, depth int) {
	if v == nil || depth > 400 || len(m) >= maxMirrorNodes {
		return
	}
	id := v.GetInt("id")
	switch v.GetInt("type") {
	case nodeElement:
		attrs := v.Get("attributes")
		n := &node{parent: parent, tag: strings.ToLower(string(v.GetStringBytes("tagName")))}
		if attrs != nil {
			n.id = attrString(attrs, "id")
			n.class = attrString(attrs, "class")
			n.role = attrString(attrs, "role")
			n.typ = strings.ToLower(attrString(attrs, "type"))
			n.label = firstNonEmpty(attrString(attrs, "aria-label"), attrString(attrs, "title"), attrString(attrs, "alt"))
			n.event = attrString(attrs, "data-lore-event")
		}
		m[id] = n
	case nodeText:
		if p := m[parent]; p != nil && p.text == "" {
			p.text = cutRunes(strings.Join(strings.Fields(string(v.GetStringBytes("textContent"))), " "), 100)
		}
		return
	default:
		// Documents, doctypes, comments: their children hang under them.
		m[id] = &node{parent: parent}
	}
	for _, c := range v.GetArray("childNodes") {
		m.addTree(c, id, depth+1)
	}
}

// mutate applies an incremental mutation: removed nodes go, added trees
// come, changed attributes and texts are updated.
func (m mirror) mutate(data *fastjson.Value) {
	for _, r := range data.GetArray("removes") {
		delete(m, r.GetInt("id"))
	}
	for _, a := range data.GetArray("adds") {
		m.addTree(a.Get("node"), a.GetInt("parentId"), 0)
	}
	for _, a := range data.GetArray("attributes") {
		n := m[a.GetInt("id")]
		attrs := a.Get("attributes")
		if n == nil || attrs == nil || attrs.Type() != fastjson.TypeObject {
			continue
		}
		if v := attrs.Get("class"); v != nil {
			n.class = string(v.GetStringBytes())
		}
		if v := attrs.Get("id"); v != nil {
			n.id = string(v.GetStringBytes())
		}
	}
}

// attrString is a string attribute of a serialized element ("" when
// absent or not a string).
func attrString(attrs *fastjson.Value, name string) string {
	v := attrs.Get(name)
	if v == nil || v.Type() != fastjson.TypeString {
		return ""
	}
	return cutRunes(string(v.GetStringBytes()), 200)
}

// interactive is the control a click on id landed on — the element itself
// or one of its three nearest ancestors that is a link, a button, a
// submit or a [data-lore-event] — or 0 when the click landed on none.
func (m mirror) interactive(id int) int {
	for depth := 0; depth < 4; depth++ {
		n := m[id]
		if n == nil {
			return 0
		}
		switch {
		case n.tag == "a", n.tag == "button", n.role == "button", n.role == "link", n.event != "",
			n.tag == "input" && (n.typ == "submit" || n.typ == "button" || n.typ == "image"):
			return id
		}
		id = n.parent
	}
	return 0
}

// editable reports whether a click on id landed in a form field, which
// a click focuses without changing the page.
func (m mirror) editable(id int) bool {
	n := m[id]
	if n == nil {
		return false
	}
	switch n.tag {
	case "input", "textarea", "select", "option", "label":
		return n.typ != "submit" && n.typ != "button" && n.typ != "image"
	}
	return false
}

// describe names an element as the SDK names a clicked one: a CSS path of
// up to five levels (tag.class, stopping at an element with an id), and
// its text or label.
func (m mirror) describe(id int) (selector, text string) {
	var parts []string
	first := m[id]
	for depth := 0; depth < 5; depth++ {
		n := m[id]
		if n == nil || n.tag == "" {
			break
		}
		if n.id != "" {
			parts = append(parts, n.tag+"#"+n.id)
			break
		}
		p := n.tag
		if cls := strings.Fields(n.class); len(cls) > 0 {
			p += "." + strings.Join(cls[:min(2, len(cls))], ".")
		}
		parts = append(parts, p)
		id = n.parent
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	if first != nil {
		text = firstNonEmpty(first.label, first.event, strings.Trim(first.text, "* "))
	}
	return strings.Join(parts, " > "), text
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// cutRunes cuts s to at most n bytes on a rune boundary.
func cutRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

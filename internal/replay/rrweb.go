package replay

import (
	"fmt"

	"github.com/valyala/fastjson"
)

// rrweb's event types (rrweb's EventType), the sources of its incremental
// snapshots (IncrementalSource) and its mouse interactions
// (MouseInteractions), as recorded by @rrweb/record 2.x and posthog-js.
const (
	rrDOMContentLoaded = 0
	rrLoad             = 1
	rrFullSnapshot     = 2
	rrIncremental      = 3
	rrMeta             = 4
	rrCustom           = 5
	rrPlugin           = 6

	srcMutation         = 0
	srcMouseMove        = 1
	srcMouseInteraction = 2
	srcScroll           = 3
	srcViewportResize   = 4
	srcInput            = 5
	srcTouchMove        = 6
	srcSelection        = 14

	miClick    = 2
	miDblClick = 4
	miTouchEnd = 9

	// rrweb's serialized node types (rrweb-snapshot's NodeType).
	nodeElement = 2
	nodeText    = 3
)

// Custom events the Lore SDK adds to the stream (rrweb's addCustomEvent):
// an uncaught error, a request the page made with the trace it carried,
// and a page view without a page load.
const (
	tagError    = "lore.error"
	tagRequest  = "lore.request"
	tagNavigate = "lore.navigate" // an SPA navigation, which rrweb records no Meta for
)

// maxEventTS bounds an rrweb timestamp (ms since the epoch): year 2200.
const maxEventTS = 7258118400000

// eventHead is what every rrweb event must have: a type and a time.
type eventHead struct {
	typ int
	ts  int64 // ms since the epoch
}

// readHead checks one rrweb event: an object with a known numeric type
// and a plausible millisecond timestamp.
func readHead(v *fastjson.Value) (eventHead, error) {
	if v.Type() != fastjson.TypeObject {
		return eventHead{}, fmt.Errorf("an rrweb event must be an object, not %s", v.Type())
	}
	t := v.Get("type")
	if t == nil || t.Type() != fastjson.TypeNumber {
		return eventHead{}, fmt.Errorf("an rrweb event needs a numeric \"type\"")
	}
	typ, err := t.Int()
	if err != nil || typ < rrDOMContentLoaded || typ > rrPlugin {
		return eventHead{}, fmt.Errorf("unknown rrweb event type %s", t)
	}
	ts := v.Get("timestamp")
	if ts == nil || ts.Type() != fastjson.TypeNumber {
		return eventHead{}, fmt.Errorf("an rrweb event needs a numeric \"timestamp\" (ms since the epoch)")
	}
	f, err := ts.Float64()
	if err != nil || f < 1e12 || f > maxEventTS {
		return eventHead{}, fmt.Errorf("rrweb timestamp %s is not milliseconds since the epoch", ts)
	}
	return eventHead{typ: typ, ts: int64(f)}, nil
}

// source is an incremental snapshot's source, -1 for other events.
func source(v *fastjson.Value, typ int) int {
	if typ != rrIncremental {
		return -1
	}
	return v.GetInt("data", "source")
}

// isClick reports whether an incremental event is a click (or a tap).
func isClick(v *fastjson.Value, src int) bool {
	if src != srcMouseInteraction {
		return false
	}
	switch v.GetInt("data", "type") {
	case miClick, miDblClick, miTouchEnd:
		return true
	}
	return false
}

// customTag is a custom event's tag ("" for other events).
func customTag(v *fastjson.Value, typ int) string {
	if typ != rrCustom {
		return ""
	}
	return string(v.GetStringBytes("data", "tag"))
}

// isConsoleError reports whether a plugin event is rrweb's console plugin
// logging at level error (what posthog-js records).
func isConsoleError(v *fastjson.Value, typ int) bool {
	if typ != rrPlugin || string(v.GetStringBytes("data", "plugin")) != "rrweb/console@1" {
		return false
	}
	l := string(v.GetStringBytes("data", "payload", "level"))
	return l == "error" || l == "assert"
}

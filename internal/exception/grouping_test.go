package exception

import (
	"testing"
)

func TestNormalizeMessage(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := NormalizeMessage(in); got != want {
			t.Errorf("NormalizeMessage(%q) = %q, want %q", in, got, want)
		}
	}
	f("order 1234 not found", "order <num> not found")
	f("user ada@example.com locked", "user <email> locked")
	f("request 3fa85f64-5717-4562-b3fc-2c963f66afa6 failed", "request <uuid> failed")
	f("dial tcp 10.0.3.7:5432: connection refused", "dial tcp <ip>: connection refused")
	f("bad pointer 0xc000123abc", "bad pointer <hex>")
	f("trace 4bf92f3577b34da6a3ce929d0e0e4736 lost", "trace <hex> lost")
	f(`no such key "cart:99"`, "no such key <quoted>")
	f("timeout after 2.5s", "timeout after <num>")
	f("payment declined", "payment declined")
}

func frames(fns ...string) []Frame {
	var out []Frame
	for i, fn := range fns {
		out = append(out, Frame{Module: "shop/checkout", Function: fn, Lineno: 10 + i, InApp: true})
	}
	return out
}

// The same bug from two releases — the code moved, line numbers changed,
// the message carries another order id — groups together.
func TestSameBugAcrossReleasesGroupsTogether(t *testing.T) {
	v1 := []Exception{{Type: "*errors.errorString", Value: "card declined for order 17", Frames: frames("main", "Checkout", "charge")}}
	v2 := []Exception{{Type: "*errors.errorString", Value: "card declined for order 9912", Frames: frames("main", "Checkout", "charge")}}
	for i := range v2[0].Frames {
		v2[0].Frames[i].Lineno += 40 // code moved in release 2
	}
	v2[0].Frames = append([]Frame{{Module: "runtime", Function: "goexit", InApp: false}}, v2[0].Frames...)
	a := Fingerprint(DefaultComponents(v1, ""))
	b := Fingerprint(DefaultComponents(v2, ""))
	if a != b {
		t.Errorf("same bug in two releases got fingerprints %s and %s", a, b)
	}
}

// Two different bugs with the same message, raised in different functions,
// stay apart.
func TestSameMessageDifferentFunctionsSplit(t *testing.T) {
	a := []Exception{{Type: "TimeoutError", Value: "upstream timed out", Frames: frames("main", "Checkout", "charge")}}
	b := []Exception{{Type: "TimeoutError", Value: "upstream timed out", Frames: frames("main", "Search", "queryIndex")}}
	if Fingerprint(DefaultComponents(a, "")) == Fingerprint(DefaultComponents(b, "")) {
		t.Error("two functions with one message share a fingerprint")
	}
}

func TestWithoutFramesGroupByTypeAndNormalizedMessage(t *testing.T) {
	a := DefaultComponents([]Exception{{Type: "KeyError", Value: "order 12 missing"}}, "")
	b := DefaultComponents([]Exception{{Type: "KeyError", Value: "order 99 missing"}}, "")
	c := DefaultComponents([]Exception{{Type: "ValueError", Value: "order 99 missing"}}, "")
	if Fingerprint(a) != Fingerprint(b) {
		t.Errorf("%v and %v should group", a, b)
	}
	if Fingerprint(b) == Fingerprint(c) {
		t.Errorf("%v and %v should not group", b, c)
	}
	m1 := DefaultComponents(nil, "disk 91% full on /dev/sda1")
	m2 := DefaultComponents(nil, "disk 97% full on /dev/sda1")
	if Fingerprint(m1) != Fingerprint(m2) {
		t.Errorf("messages %v and %v should group", m1, m2)
	}
}

func TestSDKFingerprint(t *testing.T) {
	def := []string{"type:E", "message:m"}
	f := func(sdk []string, want []string) {
		t.Helper()
		got := Components(sdk, def)
		if len(got) != len(want) {
			t.Fatalf("Components(%q) = %q, want %q", sdk, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("Components(%q) = %q, want %q", sdk, got, want)
			}
		}
	}
	f(nil, def)
	f([]string{"{{ default }}"}, def)
	f([]string{"{{default}}", "tenant-7"}, []string{"type:E", "message:m", "sdk:tenant-7"})
	f([]string{"payments", "declined"}, []string{"sdk:payments", "sdk:declined"})
}

func TestCulpritAndTitle(t *testing.T) {
	ex := []Exception{{Type: "E", Frames: []Frame{
		{Module: "shop", Function: "main", InApp: true},
		{Module: "shop/pay", Function: "Charge", InApp: true},
		{Module: "net/http", Function: "(*Client).Do", InApp: false},
	}}}
	if got := Culprit(ex); got != "shop/pay in Charge" {
		t.Errorf("Culprit = %q", got)
	}
	if got := Title("TimeoutError", "upstream timed out\nmore"); got != "TimeoutError: upstream timed out" {
		t.Errorf("Title = %q", got)
	}
}

func TestCulpritSkipsAnonymousFrames(t *testing.T) {
	f := func(want string, frames ...Frame) {
		t.Helper()
		if got := Culprit([]Exception{{Type: "TypeError", Frames: frames}}); got != want {
			t.Errorf("culprit = %q, want %q", got, want)
		}
	}
	// @sentry/node: a TypeError in the callback computeTotal passes to
	// reduce (oldest frame first).
	f("orders in computeTotal",
		Frame{Module: "orders", Function: "?", InApp: true},
		Frame{Module: "orders", Function: "computeTotal", InApp: true},
		Frame{Filename: "<anonymous>", Function: "Array.reduce"},
		Frame{Module: "orders", Function: "?", InApp: true})
	f("app.js in HTMLButtonElement.onClick",
		Frame{Filename: "https://shop.example/assets/app-3f9a2b1c.js", Function: "HTMLButtonElement.onClick", InApp: true},
		Frame{Filename: "https://shop.example/assets/app-3f9a2b1c.js", Function: "HTMLButtonElement.<anonymous>", InApp: true})
	// Only anonymous in-app frames: the innermost is named anyway.
	f("orders in ?", Frame{Module: "orders", Function: "?", InApp: true}, Frame{Module: "lib", Function: "run"})
	f("main in chargeCard.func1", Frame{Module: "main", Function: "main", InApp: true}, Frame{Module: "main", Function: "chargeCard.func1", InApp: true})
}

func TestStableFile(t *testing.T) {
	for in, want := range map[string]string{
		"https://shop.example/assets/index-3f9a2b.js":     "index.js",
		"/static/js/main.3f9a2b1c.chunk.js?v=2":           "main.chunk.js",
		"dist/app.js":                                     "app.js",
		"assets/index-BQ3xF8kZ.js":                        "index.js",
		"assets/vendor-react.js":                          "vendor-react.js",
		"assets/dashboard-widget.js":                      "dashboard-widget.js",
		"webpack:///./src/components/PayButton.tsx":       "PayButton.tsx",
		"http://127.0.0.1:4780/dist/chunk-7XKZ2QJD.js#ab": "chunk.js",
	} {
		if got := StableFile(Frame{Filename: in}); got != want {
			t.Errorf("StableFile(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMinifiedStacksGroupAcrossBuilds: three builds of one bundle rename
// the function (rA, nA, aA) and hash the file name differently; they are
// one issue. Another error type in the same bundle is another issue.
func TestMinifiedStacksGroupAcrossBuilds(t *testing.T) {
	build := func(file, fn string, col int, typ, msg string) string {
		return Fingerprint(DefaultComponents([]Exception{{Type: typ, Value: msg, Frames: []Frame{
			{Filename: "https://shop.example/assets/" + file, Function: "HTMLButtonElement." + fn, Lineno: 1, Colno: col, InApp: true},
			{Filename: "https://shop.example/assets/" + file, Function: fn, Lineno: 1, Colno: col + 200, InApp: true},
		}}}, ""))
	}
	a := build("index-3f9a2b.js", "rA", 24520, "TypeError", "Cannot read properties of null (reading 'amount')")
	b := build("index-77aa01.js", "nA", 24542, "TypeError", "Cannot read properties of null (reading 'amount')")
	c := build("index-c0ffee1.js", "aA", 23001, "TypeError", "Cannot read properties of null (reading 'amount')")
	if a != b || b != c {
		t.Errorf("one bug split over builds: %s %s %s", a, b, c)
	}
	if d := build("index-3f9a2b.js", "rA", 24520, "RangeError", "quantity out of range"); d == a {
		t.Error("another error in the same bundle grouped with the first")
	}
	// Readable (not minified) frames still group by function.
	x := Fingerprint(DefaultComponents([]Exception{{Type: "E", Frames: []Frame{{Filename: "src/pay.js", Function: "charge", Lineno: 3, Colno: 9, InApp: true}}}}, ""))
	y := Fingerprint(DefaultComponents([]Exception{{Type: "E", Frames: []Frame{{Filename: "src/pay.js", Function: "refund", Lineno: 3, Colno: 9, InApp: true}}}}, ""))
	if x == y {
		t.Error("different functions of readable code grouped together")
	}
}

func TestGoClosureName(t *testing.T) {
	for in, want := range map[[2]string]string{{"chargeCard", "func1"}: "chargeCard.func1", {"chargeCard.func1", "func1.2"}: "chargeCard.func1.2", {"run", "func2.1"}: "run.func2.1"} {
		if got := goClosureName(in[0], in[1]); got != want {
			t.Errorf("goClosureName(%q, %q) = %q, want %q", in[0], in[1], got, want)
		}
	}
}

// FuzzMessageMasks: a mask's cheap test never skips text its expression
// matches, so NormalizeMessage masks what it masked before the tests.
func FuzzMessageMasks(f *testing.F) {
	for _, s := range []string{`order "abc" 'x' ` + "`y`", "mail bob@example.com", "id 123e4567-e89b-12d3-a456-426614174000",
		"from 10.1.2.3:8080", "ipv6 fe80::1", "ptr 0X1F", "hex deadbeef01", "took 1.5e3ms", "nothing here", "K 0x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, m string) {
		for i, mk := range messageMasks {
			if !mk.may(m) && mk.re.MatchString(m) {
				t.Fatalf("mask %d (%s): may(%q) is false but the expression matches %q", i, mk.mask, m, mk.re.FindString(m))
			}
		}
	})
}

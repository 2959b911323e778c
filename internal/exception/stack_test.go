package exception

import "testing"

func TestParseStack(t *testing.T) {
	f := func(name, text string, want []Frame) {
		t.Helper()
		got := ParseStack(text)
		if len(got) != len(want) {
			t.Fatalf("%s: got %d frames %+v, want %+v", name, len(got), got, want)
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.Module != w.Module || g.Function != w.Function || g.InApp != w.InApp {
				t.Errorf("%s: frame %d = %+v, want %+v", name, i, g, w)
			}
		}
	}
	f("java", "java.lang.IllegalStateException: boom\n\tat com.shop.Pay.charge(Pay.java:42)\n\tat com.shop.Checkout.run(Checkout.java:7)\n\tat java.lang.Thread.run(Thread.java:833)",
		[]Frame{{Module: "java.lang.Thread", Function: "run"}, {Module: "com.shop.Checkout", Function: "run", InApp: true}, {Module: "com.shop.Pay", Function: "charge", InApp: true}})
	f("python", "Traceback (most recent call last):\n  File \"/app/shop/views.py\", line 12, in checkout\n    pay()\n  File \"/usr/lib/python3/site-packages/stripe/api.py\", line 99, in request\nKeyError: 'x'",
		[]Frame{{Function: "checkout", InApp: true}, {Function: "request"}})
	f("node", "TypeError: x is undefined\n    at charge (/app/src/pay.js:12:5)\n    at Object.<anonymous> (/app/node_modules/express/router.js:1:2)",
		[]Frame{{Function: "Object.<anonymous>"}, {Function: "charge", InApp: true}})
	f("go", "goroutine 1 [running]:\nmain.charge(0x1)\n\t/app/main.go:42 +0x1d\nmain.main()\n\t/app/main.go:10 +0x25\nruntime.main()\n\t/usr/local/go/src/runtime/proc.go:250 +0x1",
		[]Frame{{Module: "runtime", Function: "main"}, {Module: "main", Function: "main", InApp: true}, {Module: "main", Function: "charge", InApp: true}})
}

func TestStackErrorType(t *testing.T) {
	for stack, want := range map[string]string{
		"TypeError: Cannot read properties of null (reading 'amount')\n    at computeTotal (/app/orders.js:3:45)": "TypeError",
		"java.lang.IllegalStateException: boom\n\tat com.shop.Pay.charge(Pay.java:42)":                            "java.lang.IllegalStateException",
		"Traceback (most recent call last):\n  File \"/app/pay.py\", line 12, in charge\nValueError: bad card":    "ValueError",
		"Error\n    at main (/app/x.js:1:1)":                                 "Error",
		"panic: runtime error: index out of range\n\ngoroutine 1 [running]:": "",
		"error: something\n  at x":                                           "",
		"just some text\nmore":                                               "",
	} {
		if got := StackErrorType(stack); got != want {
			t.Errorf("StackErrorType(%q) = %q, want %q", stack, got, want)
		}
	}
}

package journey

import "testing"

func TestVerbPhrase(t *testing.T) {
	f := func(name, want string) {
		t.Helper()
		if got := verbPhrase(name); got != want {
			t.Errorf("verbPhrase(%q) = %q, want %q", name, got, want)
		}
	}
	// Segment Object-Action names, including ones the shop never sends.
	f("Checkout Started", "started checkout")
	f("Order Completed", "completed order")
	f("Product Viewed", "viewed product")
	f("Cart Viewed", "viewed cart")
	f("Payment Submitted", "submitted payment")
	f("Payment Info Entered", "entered payment info")
	f("Coupon Applied", "applied coupon")
	f("Products Searched", "searched products")
	f("Invoice Paid", "paid invoice")
	f("Email Sent", "sent email")
	f("Product Added", "added product to cart") // the one special case
	f("Product Removed", "removed product from cart")
	// Already verb-first.
	f("Signed In", "signed in")
	f("Signed Up", "signed up")
	f("Logged Out", "logged out")
	// Other spellings of the same convention.
	f("checkout_started", "started checkout")
	f("orderCompleted", "completed order")
	f("wishlist-shared", "shared wishlist")
	// Imperative names.
	f("add_to_cart", "added to cart")
	f("search", "searched")
	// A word ending in -ed that is no verb does not move.
	f("Product Feed", `triggered "product feed"`)
	f("promo banner", `triggered "promo banner"`)
	f("", "did something")
}

func TestHumanise(t *testing.T) {
	f := func(name, want string) {
		t.Helper()
		if got := humanise(name); got != want {
			t.Errorf("humanise(%q) = %q, want %q", name, got, want)
		}
	}
	f("payment_gateway_call", "payment gateway call")
	f("dbQuery", "db query")
	f("email-sent", "email sent")
	f("SELECT products", "SELECT products") // someone's own words stay
	f("GET /api/cart", "GET /api/cart")
}

func TestStatusMeaning(t *testing.T) {
	f := func(code int32, want string) {
		t.Helper()
		if got := statusText(code); got != want {
			t.Errorf("statusText(%d) = %q, want %q", code, got, want)
		}
	}
	f(200, "200 (OK)")
	f(401, "401 (unauthorized)")
	f(403, "403 (forbidden)")
	f(404, "404 (not found)")
	f(429, "429 (rate limited)")
	f(500, "500 (internal error)")
	f(502, "502 (bad gateway)")
	f(503, "503 (unavailable)")
	f(504, "504 (gateway timeout)")
	f(418, "418 (client error)")
	f(599, "599 (server error)")
	f(226, "226 (success)")
}

func TestHumanDuration(t *testing.T) {
	f := func(ms float64, want string) {
		t.Helper()
		if got := humanDuration(ms); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", ms, got, want)
		}
	}
	f(0, "0 ms")
	f(0.42, "0.4 ms")
	f(12.4, "12 ms")
	f(999, "999 ms")
	f(1000, "1 s")
	f(4200, "4.2 s")
	f(9940, "9.9 s")
	f(12_300, "12 s")
	f(59_400, "59 s")
	f(60_000, "1 min")
	f(150_000, "2 min 30 s")
	f(900_000, "15 min")
	f(902_000, "15 min") // seconds dropped from 10 min on
	f(3_600_000, "1 h")
	f(4_800_000, "1 h 20 min")
	f(86_400_000, "1 day")
	f(2*86_400_000+3*3_600_000, "2 days 3 h")
	f(-5, "0 ms")
}

func TestParseDelay(t *testing.T) {
	f := func(v string, want float64, ok bool) {
		t.Helper()
		got, gotOK := parseDelayMS(v)
		if got != want || gotOK != ok {
			t.Errorf("parseDelayMS(%q) = %v, %v; want %v, %v", v, got, gotOK, want, ok)
		}
	}
	f("900000", 900_000, true)
	f("15m0s", 900_000, true)
	f("2.5s", 2500, true)
	f("soon", 0, false)
	f("-3", 0, false)
	f("", 0, false)
}

func TestIsGap(t *testing.T) {
	const s = 1_000_000
	f := func(gap, median int64, want bool) {
		t.Helper()
		if got := isGap(gap, median); got != want {
			t.Errorf("isGap(%d s, median %d s) = %v, want %v", gap/s, median/s, got, want)
		}
	}
	f(15*60*s, 0, true)      // the throttled retry
	f(29*s, 0, false)        // too short to mention, whatever the rhythm
	f(90*s, 2*s, true)       // long for a quick journey
	f(90*s, 40*s, false)     // a browsing pace: normal
	f(12*60*s, 5*60*s, true) // ten minutes always count
}

func TestLastWord(t *testing.T) {
	for _, name := range []string{"Checkout Started", "payment_succeeded", "orderCompleted", "a.b-c ", "", "$click", "ÉtéFini", "x__", "HTTPServer"} {
		ws := splitWords(name)
		want := ""
		if len(ws) > 0 {
			want = ws[len(ws)-1]
		}
		if got := lastWord(name); got != want {
			t.Errorf("lastWord(%q) = %q, want %q (as splitWords)", name, got, want)
		}
	}
}

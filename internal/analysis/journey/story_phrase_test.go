package journey

import (
	"testing"

	"github.com/lore-dev/lore/internal/event"
)

func TestDescribe(t *testing.T) {
	f := func(e event.Event, want string) {
		t.Helper()
		if got := describe(&e); got != want {
			t.Errorf("describe(%s %q) = %q, want %q", e.Kind, e.Name, got, want)
		}
	}
	const at = "10:00:00"
	// The person.
	f(ev(at, "web", prod, user("user_789"), name("Checkout Started")), "user_789 started checkout")
	f(ev(at, "web", prod, anon("0a1b2c3d4e5f"), name("Checkout Started")), "anonymous visitor 0a1b2c3d started checkout")
	f(ev(at, "web", prod, name("Checkout Started")), "a visitor started checkout")
	// Product events, page views, clicks.
	f(ev(at, "web", prod, user("u"), name("Order Completed"), attr("order.id", "o-7")), "u completed order o-7")
	f(ev(at, "web", prod, user("u"), name("Product Added"), attr("product.name", "Mug")), "u added product Mug to cart")
	f(ev(at, "web", page, user("u"), name("$pageview"), endpoint("/products/42")), "u viewed /products/42")
	f(ev(at, "web", page, user("u"), name("$pageview"), attr("url", "https://x.example/a/b?c=d")), "u viewed /a/b")
	f(ev(at, "web", prod, user("u"), name("$click"), attr("element.text", "Buy now")), `u clicked "Buy now"`)
	f(ev(at, "web", prod, user("u"), name("$click"), attr("element.selector", "#buy")), `u clicked "#buy"`)
	f(ev(at, "web", prod, user("u"), name("$autocapture"), attr("$event_type", "click"), attr("$el_text", "Pay now")), `u clicked "Pay now"`)
	f(ev(at, "web", prod, user("u"), name("$autocapture"), attr("$event_type", "click"),
		attr("$elements_chain", `button.btn.primary:attr__class="btn primary"nth-child="1"nth-of-type="1"text="Pay \"now\"";form:nth-child="2"`)), `u clicked "Pay \"now\""`)
	f(ev(at, "web", prod, user("u"), name("$autocapture"), attr("$event_type", "submit"), attr("$el_text", "Sign up")), `u submitted "Sign up"`)
	f(ev(at, "web", prod, user("u"), name("$autocapture")), `u triggered "$autocapture"`)
	// Frustration found in recordings.
	f(ev(at, "web", prod, user("u"), name("$rageclick"), attr("$el_text", "Pay now"), attr("clicks", "4")), `u rage-clicked "Pay now" 4 times`)
	f(ev(at, "web", prod, user("u"), name("$dead_click"), attr("$el_selector", "div.card > img")), `u clicked "div.card > img" and nothing happened`)
	f(ev(at, "web", prod, user("u"), name("$error_after_click"), attr("$el_text", "Checkout"), attr("error", "Request failed with status code 503")),
		`u clicked "Checkout", then an error: Request failed with status code 503`)
	f(ev(at, "web", prod, user("u"), name("$rageclick")), `u rage-clicked the page`)
	// Requests and their statuses.
	f(ev(at, "cart", log_, http("GET", "/api/cart", 200), msg("request completed")), "handled GET /api/cart (200)")
	f(ev(at, "cart", log_, http("GET", "/api/cart", 404), msg("no such cart")), "GET /api/cart failed with 404 (not found): no such cart")
	f(ev(at, "cart", log_, http("GET", "/api/cart", 503), level(event.LevelError)), "GET /api/cart failed with 503 (unavailable)")
	f(ev(at, "cart", span_, name("GET /api/cart"), http("GET", "/api/cart", 200), dur(4200)), "handled GET /api/cart (200); took 4.2 s")
	// Dependencies, named from attributes, names or messages.
	f(ev(at, "pay", span_, name("POST"), client, attr("peer.service", "stripe"), status(429)), "stripe returned 429 (rate limited)")
	f(ev(at, "pay", span_, name("POST"), client, attr("server.address", "api.bank.example"), status(502), level(event.LevelError)),
		"api.bank.example returned 502 (bad gateway)")
	f(ev(at, "pay", log_, name("fraud_check_response"), status(504)), "fraud check returned 504 (gateway timeout)")
	f(ev(at, "pay", log_, msg("ledger returned 500 Internal Server Error"), status(500)), "ledger returned 500 (internal error)")
	f(ev(at, "pay", span_, name("GET"), client, attr("peer.service", "inventory"), level(event.LevelError), errType("TimeoutError")),
		"TimeoutError: call to inventory failed")
	// Retries.
	f(ev(at, "pay", log_, name("payment_gateway_retry"), retry(3), attr("retry.delay_ms", "900000")), "retry #3 scheduled in 15 min")
	f(ev(at, "pay", log_, name("job_retry"), retry(1), attr("backoff", "2m30s"), msg("retrying job")), "retry #1 scheduled in 2 min 30 s")
	f(ev(at, "pay", log_, name("payment_succeeded"), retry(2), msg("payment succeeded")), "payment succeeded on retry #2")
	// Errors carry their type; logs their message, else their name.
	f(ev(at, "inventory", log_, name("db_query"), level(event.LevelError), errType("TimeoutError"), msg("query timed out after 5000ms"), dur(5000)),
		"TimeoutError: query timed out after 5000ms")
	f(ev(at, "inventory", log_, name("cache_miss"), level(event.LevelDebug)), "cache miss")
	f(ev(at, "inventory", span_, name("SELECT stock"), dur(12)), "ran SELECT stock")
	f(ev(at, "worker", log_, name("job_done"), msg("nightly export done"), status(500)), "nightly export done → 500 (internal error)")
}

func TestDescribeRequestNamedLogs(t *testing.T) {
	f := func(e event.Event, want string) {
		t.Helper()
		if got := describe(&e); got != want {
			t.Errorf("describe(%q) = %q, want %q", e.Name, got, want)
		}
	}
	f(ev("10:00:00", "api", log_, name("http_request"), http("GET", "/a", 200), msg("request completed")), "handled GET /a (200)")
	f(ev("10:00:00", "api", log_, name("access_log"), http("GET", "/a", 503)), "GET /a failed with 503 (unavailable)")
	// A domain name keeps its own words even with request fields.
	f(ev("10:00:00", "api", log_, name("checkout_started"), http("POST", "/api/checkout", 200), msg("checkout started for u")),
		"checkout started for u")
}

func TestDependency(t *testing.T) {
	f := func(e event.Event, want string) {
		t.Helper()
		if got := dependency(&e); got != want {
			t.Errorf("dependency(%q, %q) = %q, want %q", e.Name, e.Message, got, want)
		}
	}
	f(ev("10:00:00", "pay", span_, client, attr("peer.service", "stripe"), attr("server.address", "api.stripe.com")), "stripe")
	f(ev("10:00:00", "pay", span_, client, attr("server.address", "api.stripe.com")), "api.stripe.com")
	f(ev("10:00:00", "pay", log_, attr("peer.service", "stripe")), "stripe")
	f(ev("10:00:00", "shop", span_, server, attr("server.address", "shop.example"), http("GET", "/", 200)), "") // itself, not a peer
	f(ev("10:00:00", "pay", log_, name("payment_gateway_response")), "payment gateway")
	f(ev("10:00:00", "pay", log_, msg("calling payment gateway")), "payment gateway")
	f(ev("10:00:00", "pay", log_, msg("calling stripe for order o-1")), "stripe")
	f(ev("10:00:00", "pay", log_, msg("ledger returned 502"), status(502)), "ledger")
	f(ev("10:00:00", "pay", log_, msg("ledger returned 502")), "") // no status: not a response
	f(ev("10:00:00", "api", log_, name("http_request"), http("GET", "/", 200)), "")
	f(ev("10:00:00", "api", log_, name("db_query"), msg("query timed out after 5000ms")), "")
}

func TestRetryDelay(t *testing.T) {
	f := func(e event.Event, want string) {
		t.Helper()
		if got := describe(&e); got != want {
			t.Errorf("describe = %q, want %q", got, want)
		}
	}
	r := all(name("job_retry"), retry(2))
	f(ev("10:00:00", "w", log_, r, attr("retry.delay_ms", "1500")), "retry #2 scheduled in 1.5 s")
	f(ev("10:00:00", "w", log_, r, attr("retry_after", "120")), "retry #2 scheduled in 2 min")
	f(ev("10:00:00", "w", log_, r, attr("retry_after", "2m")), "retry #2 scheduled in 2 min")
	f(ev("10:00:00", "w", log_, r, attr("backoff", "soon")), "retry #2 scheduled")
	f(ev("10:00:00", "w", log_, r), "retry #2 scheduled")
}

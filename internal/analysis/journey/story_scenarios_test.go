package journey

import (
	"github.com/lore-dev/lore/internal/event"
)

// Hand-built journeys in the shape the simulated shop emits (see the shared
// vocabulary), used by the golden story tests.

const (
	span_ = event.KindSpan
	log_  = event.KindLog
	prod  = event.KindEvent
	page  = event.KindPageview
)

var (
	client     = attr("span.kind", "client")
	server     = attr("span.kind", "server")
	gatewayDep = all(attr("peer.service", "payment-gateway"), attr("server.address", "api.paygateway.example"))
)

// paymentAttempt is one call of payment-service to the payment gateway in
// trace tr at time t (hh:mm:ss), answered with code after ms milliseconds.
func paymentAttempt(t string, tr, sp byte, attempt int32, code int32, ms float64, opts ...opt) []event.Event {
	ctx := all(trace(tr), user("user_789"), retry(attempt))
	resp := []opt{ctx, span(sp), name("payment_gateway_response"), status(code), dur(ms)}
	switch code {
	case 200:
		resp = append(resp, msg("payment gateway returned 200 OK"))
	case 429:
		resp = append(resp, level(event.LevelWarn), errType("RateLimited"), msg("payment gateway returned 429 Too Many Requests"))
	case 504:
		resp = append(resp, level(event.LevelWarn), errType("GatewayTimeout"), msg("payment gateway returned 504 Gateway Timeout"))
	}
	return []event.Event{
		ev(t+".000", "payment-service", log_, ctx, span(sp), name("payment_gateway_call"), msg("calling payment gateway"),
			attr("payment.amount", "42.50"), attr("payment.currency", "EUR"), attr("order.id", "o-1001")),
		ev(t+".001", "payment-service", span_, ctx, span(sp+1), parent(sp), name("POST"), client, gatewayDep, status(code), dur(ms)),
		ev(t+".900", "payment-service", log_, append(resp, opts...)...),
	}
}

func retryScheduled(t string, tr, sp byte, attempt int32) event.Event {
	return ev(t, "payment-service", log_, trace(tr), span(sp), user("user_789"), name("payment_gateway_retry"),
		retry(attempt), attr("retry.delay_ms", "900000"), msg("scheduling retry #"+string('0'+byte(attempt))+" in 15m0s"))
}

// checkoutStart is the browser's Checkout Started and the backend's answer.
func checkoutStart(t string) []event.Event {
	who := all(user("user_789"), anon("3f2c9a7e-77aa"), session("s-1"))
	return []event.Event{
		ev("09:14:10", "web", page, who, trace(1), name("$pageview"), endpoint("/cart"), attr("title", "Your cart")),
		ev(t+".000", "web", prod, who, trace(2), name("Checkout Started"), attr("order.id", "o-1001")),
		ev(t+".020", "api-gateway", span_, trace(2), span(1), user("user_789"), name("POST /api/checkout"), server,
			http("POST", "/api/checkout", 202), dur(1950)),
		ev(t+".030", "api-gateway", log_, trace(2), span(1), user("user_789"), name("checkout_started"),
			msg("checkout started for user_789"), attr("order.id", "o-1001")),
	}
}

func throttledCheckoutSucceeds() []event.Event {
	var evs []event.Event
	evs = append(evs, checkoutStart("09:15:40")...)
	evs = append(evs, paymentAttempt("09:15:40", 2, 10, 0, 429, 880)...)
	evs = append(evs,
		retryScheduled("09:15:41.950", 2, 10, 1),
		ev("09:15:41.970", "api-gateway", log_, trace(2), span(1), user("user_789"), reqID("r-1"),
			http("POST", "/api/checkout", 202), dur(1950), msg("request completed")),
		ev("09:15:42", "web", page, user("user_789"), session("s-1"), trace(3), name("$pageview"), endpoint("/checkout/pending")),
	)
	evs = append(evs, paymentAttempt("09:30:43", 2, 20, 1, 429, 900)...)
	evs = append(evs, retryScheduled("09:30:43.950", 2, 20, 2))
	evs = append(evs, paymentAttempt("09:45:44", 2, 30, 2, 200, 610)...)
	evs = append(evs,
		ev("09:45:44.950", "payment-service", log_, trace(2), span(30), user("user_789"), name("payment_succeeded"),
			retry(2), msg("payment succeeded"), attr("order.id", "o-1001")),
		ev("09:45:45.100", "api-gateway", log_, trace(2), user("user_789"), name("order_created"), msg("order o-1001 created")),
		ev("09:45:46.300", "email-worker", log_, trace(2), user("user_789"), name("email_sent"),
			msg("order confirmation email sent to user_789")),
		ev("09:52:03", "web", page, user("user_789"), session("s-2"), trace(4), name("$pageview"), endpoint("/orders/o-1001")),
		ev("09:52:03.200", "web", prod, user("user_789"), session("s-2"), trace(4), name("Order Completed"), attr("order.id", "o-1001")),
	)
	return evs
}

func throttledCheckoutFails() []event.Event {
	var evs []event.Event
	evs = append(evs, checkoutStart("09:15:40")...)
	evs = append(evs, paymentAttempt("09:15:40", 2, 10, 0, 429, 880)...)
	evs = append(evs, retryScheduled("09:15:41.950", 2, 10, 1))
	evs = append(evs, paymentAttempt("09:30:43", 2, 20, 1, 429, 900)...)
	evs = append(evs, retryScheduled("09:30:43.950", 2, 20, 2))
	evs = append(evs, paymentAttempt("09:45:44", 2, 30, 2, 504, 10000)...)
	evs = append(evs,
		ev("09:45:55", "payment-service", log_, trace(2), span(30), user("user_789"), name("payment_failed"),
			level(event.LevelError), errType("GatewayTimeout"), msg("payment failed after 3 attempts"), attr("order.id", "o-1001")),
	)
	return evs
}

func abandonedCheckout() []event.Event {
	who := all(user("user_321"), anon("9d0e11aa-0101"), session("s-7"))
	return []event.Event{
		ev("14:02:00", "web", page, who, trace(1), name("$pageview"), endpoint("/"), attr("referrer", "https://news.example/")),
		ev("14:02:41", "web", page, who, trace(2), name("$pageview"), endpoint("/products/42")),
		ev("14:02:41.300", "catalog", log_, trace(2), user("user_321"), http("GET", "/api/products/42", 200), dur(35), msg("request completed")),
		ev("14:03:15", "web", prod, who, trace(3), name("Product Added"), attr("product.name", "Blue Mug")),
		ev("14:03:15.100", "cart", log_, trace(3), user("user_321"), http("POST", "/api/cart/items", 201), dur(22), msg("item added to cart")),
		ev("14:03:52", "web", prod, who, trace(4), name("Cart Viewed")),
		ev("14:04:30", "web", prod, who, trace(5), name("Checkout Started")),
		ev("14:04:30.200", "api-gateway", log_, trace(5), user("user_321"), name("checkout_started"),
			http("POST", "/api/checkout", 200), msg("checkout started for user_321")),
	}
}

// plainTrace is one successful request across four services, each told by
// a server span and a request log, with client spans between them.
func plainTrace() []event.Event {
	t := trace(9)
	u := user("user_42")
	return []event.Event{
		ev("11:00:00.000", "api-gateway", span_, t, span(1), u, name("POST /api/orders"), server, http("POST", "/api/orders", 201), dur(420)),
		ev("11:00:00.002", "api-gateway", span_, t, span(2), parent(1), name("POST"), client, attr("peer.service", "cart"), status(200), dur(60)),
		ev("11:00:00.004", "cart", span_, t, span(3), parent(2), u, name("POST /api/cart/checkout"), server, http("POST", "/api/cart/checkout", 200), dur(55)),
		ev("11:00:00.010", "cart", span_, t, span(4), parent(3), name("GET"), client, attr("peer.service", "inventory"), status(200), dur(30)),
		ev("11:00:00.012", "inventory", span_, t, span(5), parent(4), name("GET /api/stock/42"), server, http("GET", "/api/stock/42", 200), dur(25)),
		ev("11:00:00.014", "inventory", span_, t, span(6), parent(5), name("SELECT stock"), attr("db.system", "postgresql"), dur(8)),
		ev("11:00:00.030", "inventory", log_, t, span(5), reqID("i-1"), http("GET", "/api/stock/42", 200), dur(24), msg("stock reserved: 1 × sku 42")),
		ev("11:00:00.058", "cart", log_, t, span(3), u, reqID("c-1"), http("POST", "/api/cart/checkout", 200), dur(54), msg("request completed")),
		ev("11:00:00.070", "api-gateway", span_, t, span(7), parent(1), name("POST"), client, attr("peer.service", "payment-service"), status(200), dur(330)),
		ev("11:00:00.072", "payment-service", span_, t, span(8), parent(7), u, name("POST /api/payments"), server, http("POST", "/api/payments", 200), dur(325)),
		ev("11:00:00.073", "payment-service", log_, t, span(8), u, name("payment_gateway_call"), msg("calling payment gateway"), attr("payment.amount", "19.90")),
		ev("11:00:00.074", "payment-service", span_, t, span(9), parent(8), name("POST"), client, gatewayDep, status(200), dur(300)),
		ev("11:00:00.380", "payment-service", log_, t, span(8), u, name("payment_gateway_response"), status(200), dur(300), msg("payment gateway returned 200 OK")),
		ev("11:00:00.390", "payment-service", log_, t, span(8), u, name("payment_succeeded"), msg("payment succeeded")),
		ev("11:00:00.395", "payment-service", log_, t, span(8), u, reqID("p-1"), http("POST", "/api/payments", 200), dur(323), msg("request completed")),
		ev("11:00:00.410", "api-gateway", log_, t, span(1), u, name("order_created"), msg("order o-2002 created")),
		ev("11:00:00.419", "api-gateway", log_, t, span(1), u, reqID("g-1"), http("POST", "/api/orders", 201), dur(419), msg("request completed")),
	}
}

// cascadeTimeout: inventory's database is slow, cart times out waiting for
// inventory, and the gateway's circuit breaker opens on cart.
func cascadeTimeout() []event.Event {
	t := trace(7)
	u := user("user_900")
	fail := level(event.LevelError)
	return []event.Event{
		ev("12:30:00.000", "api-gateway", span_, t, span(1), u, name("POST /api/checkout"), server, http("POST", "/api/checkout", 503), dur(5120), fail, msg("POST /api/checkout failed")),
		ev("12:30:00.003", "api-gateway", span_, t, span(2), parent(1), name("POST"), client, attr("peer.service", "cart"), status(504), dur(5100), fail),
		ev("12:30:00.005", "cart", span_, t, span(3), parent(2), u, name("POST /api/cart/checkout"), server, http("POST", "/api/cart/checkout", 504), dur(5090), fail),
		ev("12:30:00.008", "cart", span_, t, span(4), parent(3), name("GET"), client, attr("peer.service", "inventory"), dur(5080), fail, errType("TimeoutError")),
		ev("12:30:00.010", "inventory", span_, t, span(5), parent(4), name("GET /api/stock/42"), server, http("GET", "/api/stock/42", 500), dur(5060), fail),
		ev("12:30:00.012", "inventory", log_, t, span(5), name("db_query"), attr("db.statement", "SELECT qty FROM stock WHERE sku = ?"), level(event.LevelWarn), dur(2400), msg("slow query on stock")),
		ev("12:30:02.500", "inventory", log_, t, span(5), name("db_query"), attr("db.statement", "SELECT qty FROM stock WHERE sku = ?"), fail, errType("TimeoutError"), dur(5000), msg("query timed out after 5000ms")),
		ev("12:30:05.070", "inventory", log_, t, span(5), reqID("i-9"), http("GET", "/api/stock/42", 500), dur(5060), fail, errType("TimeoutError"), msg("request failed")),
		ev("12:30:05.095", "cart", log_, t, span(3), u, reqID("c-9"), http("POST", "/api/cart/checkout", 504), dur(5090), fail, errType("GatewayTimeout"), msg("inventory did not answer within 5 s")),
		ev("12:30:05.110", "api-gateway", log_, t, span(1), u, name("circuit_breaker_opened"), level(event.LevelWarn), attr("peer.service", "cart"), msg("circuit breaker opened for cart after 5 consecutive failures")),
		ev("12:30:05.120", "api-gateway", log_, t, span(1), u, reqID("g-9"), http("POST", "/api/checkout", 503), dur(5120), fail, msg("request failed")),
	}
}

// anonymousThenSignedIn: a visitor browses anonymously, signs in, and goes
// on as user_555 in the same session.
func anonymousThenSignedIn() []event.Event {
	a := all(anon("7c1d2e3f-aaaa-bbbb"), session("s-42"))
	u := all(a, user("user_555"))
	return []event.Event{
		ev("16:00:00", "web", page, a, trace(1), name("$pageview"), endpoint("/"), attr("utm.source", "newsletter")),
		ev("16:00:35", "web", page, a, trace(2), name("$pageview"), attr("url", "https://shop.example/products/7?ref=home")),
		ev("16:01:10", "web", prod, a, trace(3), name("$click"), attr("element.text", "Sign in"), attr("element.tag", "button")),
		ev("16:01:40", "web", prod, a, trace(4), name("$click"), attr("element.text", "Log in"), attr("element.tag", "button")),
		ev("16:01:40.100", "auth", log_, trace(4), reqID("a-1"), http("POST", "/api/login", 401), dur(80), level(event.LevelWarn), msg("invalid password")),
		ev("16:02:05", "web", prod, a, trace(5), name("$click"), attr("element.text", "Log in"), attr("element.tag", "button")),
		ev("16:02:05.150", "auth", log_, trace(5), user("user_555"), reqID("a-2"), http("POST", "/api/login", 200), dur(95), msg("user_555 signed in")),
		ev("16:02:05.300", "web", prod, u, trace(5), name("Signed In")),
		ev("16:09:30", "web", page, u, trace(6), name("$pageview"), endpoint("/account/orders")),
		ev("16:09:30.100", "api-gateway", log_, trace(6), user("user_555"), http("GET", "/api/orders", 200), dur(1830), msg("request completed")),
	}
}

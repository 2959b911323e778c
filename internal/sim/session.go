package sim

import (
	"strconv"
	"time"

	"github.com/lore-dev/lore/internal/event"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

const sessionIdle = int64(30 * time.Minute / time.Microsecond)

var (
	referrers  = [...]string{"", "", "https://www.google.com/", "https://www.google.com/", "https://duckduckgo.com/", "https://news.ycombinator.com/", "https://www.instagram.com/"}
	utmSources = [...]string{"", "", "", "newsletter", "google", "instagram"}
	categories = [...]string{"shoes", "jackets", "bags", "hats", "socks"}
)

// visit is one browsing visit of a visitor.
type visit struct {
	s     *Shop
	v     *visitor
	t     int64  // micros of the current moment
	user  string // user id once known in this visit
	items []int  // product ids in the cart
}

func productPrice(pid int) int { return 900 + (pid*7919)%15000 } // cents

// session simulates one visit starting at start.
func (s *Shop) session(v *visitor, start int64) {
	vs := &visit{s: s, v: v, t: start}
	vs.touch()
	if v.loggedIn {
		vs.user = v.userID
	}
	ref := referrers[s.rng.IntN(len(referrers))]
	utm := utmSources[s.rng.IntN(len(utmSources))]
	pid := 1 + s.rng.IntN(200)
	if s.rng.Float64() < 0.4 {
		vs.home(ref, utm)
	} else if !vs.viewProduct(pid, ref, utm) {
		return
	}
	for s.rng.Float64() < 0.6 {
		vs.think()
		if !vs.viewProduct(1+s.rng.IntN(200), "", "") && s.rng.Float64() < 0.4 {
			return
		}
	}
	if s.rng.Float64() > 0.35 {
		return
	}
	vs.think()
	if !vs.addToCart(pid) && s.rng.Float64() < 0.5 {
		return
	}
	if s.rng.Float64() < 0.8 {
		vs.think()
		vs.viewCart()
	}
	if s.rng.Float64() > 0.6 {
		return
	}
	if v.userID == "" {
		vs.think()
		vs.pageview(s.newTrace("", v.sessionID), "/login", "", "", "Sign in")
		return // anonymous visitors leave at the login wall
	}
	if vs.user == "" && !vs.login() {
		return
	}
	vs.think()
	if !vs.checkout() {
		return
	}
	if s.rng.Float64() > 0.85 {
		return
	}
	vs.pay()
}

// touch renews the session id after 30 minutes idle and records activity.
func (vs *visit) touch() {
	if vs.v.sessionID == "" || vs.t-vs.v.lastSeen > sessionIdle {
		vs.v.sessionID = vs.s.uuid()
	}
	vs.v.lastSeen = max(vs.v.lastSeen, vs.t)
}

// think advances time by a user's pause between actions; rarely a long one
// that ends the session.
func (vs *visit) think() {
	s := vs.s
	if s.rng.Float64() < 0.03 {
		vs.t += s.between(31*60*sec, 50*60*sec)
	} else {
		vs.t += s.between(4*sec, 70*sec)
	}
	vs.touch()
}

// browser emits a browser event at vs.t.
func (vs *visit) browser(c *tctx, kind, name, endpoint string, attrs []event.Attr) *rec {
	r := &rec{ev: event.Event{
		TS: vs.t, Kind: kind, Service: svcWeb, Env: envProd, Release: vs.s.release(svcWeb, vs.t),
		TraceID: c.trace, UserID: vs.user, AnonymousID: vs.v.anonID, SessionID: vs.v.sessionID,
		Name: name, Endpoint: endpoint, Attributes: attrs,
	}}
	vs.s.push(r)
	vs.v.lastSeen = max(vs.v.lastSeen, vs.t)
	return r
}

func (vs *visit) pageview(c *tctx, path, ref, utm, title string) {
	attrs := []event.Attr{{Key: "url", Value: "https://shop.example" + path}, {Key: "title", Value: title + " | Example Shop"},
		{Key: "browser", Value: vs.v.browser}, {Key: "os", Value: vs.v.os}, {Key: "device.type", Value: vs.v.device}}
	if ref != "" {
		attrs = append(attrs, event.Attr{Key: "referrer", Value: ref})
	}
	if utm != "" {
		attrs = append(attrs, event.Attr{Key: "utm.source", Value: utm}, event.Attr{Key: "utm.medium", Value: "referral"})
	}
	vs.browser(c, event.KindPageview, "$pageview", path, attrs)
}

func (vs *visit) click(c *tctx, path, text, selector string) {
	vs.browser(c, event.KindEvent, "$click", path, []event.Attr{
		{Key: "element.text", Value: text}, {Key: "element.tag", Value: "button"}, {Key: "element.selector", Value: selector}})
	vs.t += vs.s.between(20*ms, 200*ms)
}

// gateway sends a request from the browser to api-gateway at vs.t, and
// moves vs.t to when the answer arrived.
func (vs *visit) gateway(c *tctx, method, route, path string, h handler) result {
	start := vs.t + vs.s.between(10*ms, 60*ms)
	r := c.serve(svcGateway, method, route, path, event.SpanID{}, start, tracepb.Span_SPAN_KIND_SERVER, h)
	vs.t = r.end + vs.s.between(10*ms, 60*ms)
	if r.status >= 500 {
		lg := vs.browser(c, event.KindLog, "", path, []event.Attr{{Key: "http.status", Value: strconv.Itoa(r.status)}})
		lg.ev.Level, lg.ev.ErrorType = event.LevelError, "HTTPError"
		lg.ev.Message = "Request failed with status code " + strconv.Itoa(r.status) + ": " + method + " " + path
	}
	return r
}

func (vs *visit) home(ref, utm string) {
	c := vs.s.newTrace(vs.user, vs.v.sessionID)
	vs.pageview(c, "/", ref, utm, "Home")
	vs.gateway(c, "GET", "/api/products", "/api/products", func(span event.SpanID, t int64) result {
		return c.call(svcGateway, svcCatalog, "GET", "/api/products", "/api/products", span, t, 5*sec, func(_ event.SpanID, t int64) result {
			return ok(t + vs.s.between(4*ms, 30*ms))
		})
	})
}

func (vs *visit) viewProduct(pid int, ref, utm string) bool {
	c := vs.s.newTrace(vs.user, vs.v.sessionID)
	id := strconv.Itoa(pid)
	vs.pageview(c, "/products/"+id, ref, utm, "Product "+id)
	vs.browser(c, event.KindEvent, "Product Viewed", "/products/"+id, []event.Attr{
		{Key: "product_id", Value: id}, {Key: "price", Value: cents(productPrice(pid))}, {Key: "category", Value: categories[pid%len(categories)]}})
	r := vs.gateway(c, "GET", "/api/products/{id}", "/api/products/"+id, func(span event.SpanID, t int64) result {
		return c.call(svcGateway, svcCatalog, "GET", "/api/products/{id}", "/api/products/"+id, span, t, 5*sec, c.catalogProduct(pid))
	})
	return r.status < 400
}

func (vs *visit) addToCart(pid int) bool {
	s := vs.s
	c := s.newTrace(vs.user, vs.v.sessionID)
	id := strconv.Itoa(pid)
	vs.click(c, "/products/"+id, "Add to cart", "#add-to-cart")
	vs.browser(c, event.KindEvent, "Product Added", "/products/"+id, []event.Attr{
		{Key: "product_id", Value: id}, {Key: "price", Value: cents(productPrice(pid))}, {Key: "quantity", Value: "1"}})
	r := vs.gateway(c, "POST", "/api/cart/items", "/api/cart/items", func(span event.SpanID, t int64) result {
		if s.breakerOpen(t) {
			return c.gatewayBreaker(span, t)
		}
		r := c.call(svcGateway, svcCart, "POST", "/cart/items", "/cart/items", span, t, 6*sec, func(span event.SpanID, t int64) result {
			return c.cartInventory(span, t+s.between(ms, 4*ms), "GET", "/inventory/{sku}", "/inventory/"+id, "SELECT qty FROM stock WHERE sku = $1")
		})
		return c.gatewayUpstream(span, r, svcCart)
	})
	if r.status < 400 {
		vs.items = append(vs.items, pid)
	}
	return r.status < 400
}

func (vs *visit) viewCart() {
	c := vs.s.newTrace(vs.user, vs.v.sessionID)
	vs.pageview(c, "/cart", "", "", "Cart")
	vs.browser(c, event.KindEvent, "Cart Viewed", "/cart", []event.Attr{{Key: "items", Value: strconv.Itoa(len(vs.items))}})
	vs.gateway(c, "GET", "/api/cart", "/api/cart", func(span event.SpanID, t int64) result {
		return c.call(svcGateway, svcCart, "GET", "/cart", "/cart", span, t, 6*sec, func(_ event.SpanID, t int64) result {
			return ok(t + vs.s.between(ms, 5*ms))
		})
	})
}

// login signs the visitor in (or up, the first time); the browser's events
// carry the user id from then on.
func (vs *visit) login() bool {
	s := vs.s
	vs.think()
	c := s.newTrace("", vs.v.sessionID)
	vs.pageview(c, "/login", "", "", "Sign in")
	for attempt := 0; attempt < 2; attempt++ {
		vs.t += s.between(8*sec, 30*sec)
		vs.touch()
		c = s.newTrace("", vs.v.sessionID)
		signup := !vs.v.signedUp
		route, text := "/api/login", "Sign in"
		if signup {
			route, text = "/api/signup", "Create account"
		}
		vs.click(c, "/login", text, "#submit")
		bad := !signup && s.rng.Float64() < 0.05
		r := vs.gateway(c, "POST", route, route, func(span event.SpanID, t int64) result {
			return c.call(svcGateway, svcAuth, "POST", route, route, span, t, 5*sec, func(span event.SpanID, t int64) result {
				t += s.between(40*ms, 120*ms) // password hashing
				if bad {
					c.log(svcAuth, span, t, event.LevelWarn, "login_failed", "invalid credentials for "+vs.v.userID)
					return result{end: t, status: 401}
				}
				lg := c.log(svcAuth, span, t, event.LevelInfo, "login_succeeded", "user "+vs.v.userID+" authenticated")
				lg.ev.UserID = vs.v.userID
				return ok(t + s.between(ms, 3*ms))
			})
		})
		if r.status >= 400 {
			continue
		}
		vs.user = vs.v.userID
		vs.v.loggedIn, vs.v.signedUp = true, true
		name := "Signed In"
		if signup {
			name = "Signed Up"
		}
		vs.browser(c, event.KindEvent, name, "/login", []event.Attr{{Key: "method", Value: "password"}})
		return true
	}
	return false
}

func (vs *visit) checkout() bool {
	s := vs.s
	c := s.newTrace(vs.user, vs.v.sessionID)
	total := vs.total()
	vs.click(c, "/cart", "Checkout", "#checkout")
	vs.browser(c, event.KindEvent, "Checkout Started", "/cart", []event.Attr{
		{Key: "revenue", Value: cents(total)}, {Key: "currency", Value: "EUR"}, {Key: "items", Value: strconv.Itoa(len(vs.items))}})
	r := vs.gateway(c, "POST", "/api/checkout", "/api/checkout", func(span event.SpanID, t int64) result {
		c.log(svcGateway, span, t, event.LevelInfo, "checkout_started", "checkout started for "+vs.user,
			event.Attr{Key: "cart.total", Value: cents(total)})
		if s.breakerOpen(t) {
			return c.gatewayBreaker(span, t)
		}
		r := c.call(svcGateway, svcCart, "POST", "/cart/checkout", "/cart/checkout", span, t+s.between(ms, 3*ms), 6*sec, func(span event.SpanID, t int64) result {
			return c.cartInventory(span, t+s.between(ms, 4*ms), "POST", "/inventory/reserve", "/inventory/reserve", "UPDATE stock SET reserved = reserved + $1 WHERE sku = $2")
		})
		return c.gatewayUpstream(span, r, svcCart)
	})
	if r.status >= 400 {
		vs.pageview(c, "/checkout/error", "", "", "Something went wrong")
		return false
	}
	vs.t += s.between(300*ms, 900*ms)
	vs.pageview(c, "/checkout/payment", "", "", "Payment")
	return true
}

func (vs *visit) total() int {
	if len(vs.items) == 0 {
		return productPrice(1)
	}
	var t int
	for _, p := range vs.items {
		t += productPrice(p)
	}
	return t
}

func cents(c int) string {
	return strconv.Itoa(c/100) + "." + strconv.Itoa(c%100/10) + strconv.Itoa(c%10)
}

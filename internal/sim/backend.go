package sim

import (
	"strconv"
	"time"

	"github.com/lore-dev/lore/internal/event"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// Services of the shop.
const (
	svcWeb      = "web"
	svcGateway  = "api-gateway"
	svcAuth     = "auth"
	svcCatalog  = "catalog"
	svcCart     = "cart"
	svcInv      = "inventory"
	svcPayment  = "payment-service"
	svcEmail    = "email-worker"
	peerPayment = "payment-gateway"
	envProd     = "production"
)

const (
	ms  = int64(time.Millisecond / time.Microsecond)
	sec = int64(time.Second / time.Microsecond)
)

// release returns the version svc runs at t.
func (s *Shop) release(svc string, t int64) string {
	if br := s.badrelease; br != nil && br.Service == svc && t >= br.At.UnixMicro() {
		return br.Release
	}
	switch svc {
	case svcWeb:
		return "web@2026.11.3"
	case svcGateway:
		return "v1.12.0"
	case svcAuth:
		return "v3.1.4"
	case svcCatalog:
		return "v2.3.1"
	case svcCart:
		return "v1.7.2"
	case svcInv:
		return "v0.9.8"
	case svcPayment:
		return "v4.2.0"
	case svcEmail:
		return "v1.0.3"
	}
	return "v1.0.0"
}

// host returns the instance of svc serving trace: stable within a trace,
// spread over six instances per service.
func host(svc string, trace event.TraceID) string {
	i := int((trace.Lo() + uint64(len(svc))) % 6)
	return svc + hostSuffixes[i]
}

var hostSuffixes = [...]string{"-7f9c6d8b5-a0", "-7f9c6d8b5-a1", "-7f9c6d8b5-b0", "-7f9c6d8b5-b1", "-7f9c6d8b5-c0", "-7f9c6d8b5-c1"}

func (s *Shop) spanID() event.SpanID {
	return event.SpanIDFromUint64(s.rng.Uint64() | 1)
}

func (s *Shop) traceID() event.TraceID {
	return event.TraceIDFromHalves(s.rng.Uint64(), s.rng.Uint64()|1)
}

func (s *Shop) push(r *rec) {
	s.seq++
	r.seq = s.seq
	s.pending.push(r)
}

// between returns a uniform duration in [lo, hi) micros.
func (s *Shop) between(lo, hi int64) int64 { return lo + s.rng.Int64N(hi-lo) }

// tctx is one trace: a browser action and the backend calls it causes.
type tctx struct {
	s       *Shop
	trace   event.TraceID
	reqID   string
	user    string
	session string
}

func (s *Shop) newTrace(user, session string) *tctx {
	return &tctx{s: s, trace: s.traceID(), reqID: "req_" + strconv.FormatUint(s.rng.Uint64()>>16, 36), user: user, session: session}
}

// result is the outcome of a request as its caller sees it.
type result struct {
	end     int64 // micros
	status  int
	errType string
	errMsg  string
}

// handler does a service's work for a request from t, inside span; it
// returns when it finished and with which status.
type handler func(span event.SpanID, t int64) result

// base returns an event of svc in this trace at t.
func (c *tctx) base(kind, svc string, t int64, span event.SpanID) *rec {
	return &rec{ev: event.Event{
		TS: t, Kind: kind, Service: svc, Env: envProd, Release: c.s.release(svc, t), Host: host(svc, c.trace),
		TraceID: c.trace, SpanID: span, UserID: c.user, RequestID: c.reqID,
	}}
}

// log emits a domain log line of svc.
func (c *tctx) log(svc string, span event.SpanID, t int64, level, name, msg string, attrs ...event.Attr) *rec {
	r := c.base(event.KindLog, svc, t, span)
	r.ev.Level, r.ev.Name, r.ev.Message, r.ev.Attributes = level, name, msg, attrs
	c.s.push(r)
	return r
}

// serve emits svc's server span and request log for a request starting at
// start, child of parent, whose work is h.
func (c *tctx) serve(svc, method, route, path string, parent event.SpanID, start int64, kind tracepb.Span_SpanKind, h handler) result {
	span := c.s.spanID()
	if c.s.badReleaseHits(svc, route, start) {
		h = c.unhandledException(svc, method, route, path)
	}
	res := h(span, start+c.s.between(30, 300))
	res.end += c.s.between(20, 200)
	dur := float64(res.end-start) / 1000

	sp := c.base(event.KindSpan, svc, start, span)
	sp.span, sp.spanKind = true, kind
	sp.ev.ParentSpanID = parent
	sp.ev.Name = method + " " + route
	if kind == tracepb.Span_SPAN_KIND_CONSUMER {
		sp.ev.Name = route + " process"
	}
	sp.ev.HTTPMethod, sp.ev.Endpoint, sp.ev.HTTPStatus, sp.ev.DurationMS = method, route, int32(res.status), dur
	sp.ev.Attributes = []event.Attr{{Key: "url.path", Value: path}}
	sp.ev.SessionID = c.session
	if res.status >= 500 {
		sp.ev.Level, sp.ev.ErrorType, sp.ev.Message = event.LevelError, res.errType, res.errMsg
	}
	c.s.push(sp)

	lg := c.base(event.KindLog, svc, res.end, span)
	lg.ev.Level = event.LevelInfo
	switch {
	case res.status >= 500:
		lg.ev.Level = event.LevelError
	case res.status >= 400:
		lg.ev.Level = event.LevelWarn
	}
	lg.ev.HTTPMethod, lg.ev.Endpoint, lg.ev.HTTPStatus, lg.ev.DurationMS = method, route, int32(res.status), dur
	lg.ev.ErrorType = res.errType
	lg.ev.Message = requestMessage(svc, method, path, res.status, dur, res.errMsg)
	lg.ev.Attributes = []event.Attr{{Key: "url.path", Value: path}}
	c.s.push(lg)
	return res
}

func requestMessage(svc, method, path string, status int, dur float64, errMsg string) string {
	switch dialectOf(svc) {
	case dialectPino:
		if status >= 500 {
			return "request errored"
		}
		return "request completed"
	case dialectWinston:
		return method + " " + path + " " + strconv.Itoa(status) + " " + strconv.FormatFloat(dur, 'f', 1, 64) + "ms"
	case dialectZerolog:
		if errMsg != "" {
			return "request failed: " + errMsg
		}
		return "request processed"
	case dialectStructlog:
		return "task finished"
	default:
		if errMsg != "" {
			return "request failed: " + errMsg
		}
		return "handled request"
	}
}

// call emits from's client span for a request to peer, which serves it
// with h. timeout (micros, 0 for none) bounds what the caller waits.
func (c *tctx) call(from, peer, method, route, path string, parent event.SpanID, start, timeout int64, h handler) result {
	cspan := c.s.spanID()
	net := c.s.between(150, 900)
	r := c.serve(peer, method, route, path, cspan, start+net, tracepb.Span_SPAN_KIND_SERVER, h)
	r.end += c.s.between(150, 900)
	if timeout > 0 && r.end-start > timeout {
		r = result{end: start + timeout, status: 504, errType: "TimeoutError",
			errMsg: peer + " did not answer within " + strconv.FormatInt(timeout/ms, 10) + "ms"}
	}
	c.clientSpan(from, peer, method, route, path, cspan, parent, start, r)
	return r
}

func (c *tctx) clientSpan(from, peer, method, route, path string, span, parent event.SpanID, start int64, r result) {
	sp := c.base(event.KindSpan, from, start, span)
	sp.span, sp.spanKind = true, tracepb.Span_SPAN_KIND_CLIENT
	sp.ev.ParentSpanID = parent
	sp.ev.Name = method + " " + route
	sp.ev.HTTPMethod, sp.ev.Endpoint, sp.ev.HTTPStatus = method, route, int32(r.status)
	sp.ev.DurationMS = float64(r.end-start) / 1000
	sp.ev.Attributes = []event.Attr{{Key: "peer.service", Value: peer}, {Key: "url.path", Value: path}}
	if peer == peerPayment {
		sp.ev.Attributes = append(sp.ev.Attributes, event.Attr{Key: "server.address", Value: "api.paygateway.example"})
	}
	if r.status >= 500 || r.status == 429 {
		sp.ev.Level, sp.ev.ErrorType, sp.ev.Message = event.LevelError, r.errType, r.errMsg
	}
	c.s.push(sp)
}

func ok(t int64) result { return result{end: t, status: 200} }

// --- inventory and the database ---

// inventory answers a stock lookup or reservation, querying the database.
func (c *tctx) inventory(stmt string) handler {
	return func(span event.SpanID, t int64) result {
		s := c.s
		q := s.between(2*ms, 9*ms)
		timedOut := false
		if db := s.slowdb; db != nil {
			at, end := db.At.UnixMicro(), db.At.Add(db.For).UnixMicro()
			f := int64(db.For / time.Microsecond)
			if t >= at && t < end {
				e := t - at
				ramp := min(float64(e)/float64(f/6), 1)
				q = int64(float64(q) * (1 + 300*ramp*(0.5+s.rng.Float64())))
				if e >= f/3 { // connection pool exhausted: requests queue
					t += s.between(2*sec, 9*sec)
				}
				if e >= f/6 && e < f*5/6 && s.rng.Float64() < 0.5 {
					timedOut = true
				}
			}
		}
		if timedOut {
			t += 5000 * ms
			r := c.log(svcInv, span, t, event.LevelError, "db_query", "query timed out after 5000ms",
				event.Attr{Key: "db.statement", Value: stmt}, event.Attr{Key: "db.system", Value: "postgresql"})
			r.ev.ErrorType, r.ev.DurationMS, r.note = "TimeoutError", 5000, noteQueryTimeout
			return result{end: t, status: 503, errType: "TimeoutError", errMsg: "query timed out after 5000ms"}
		}
		t += q
		level, msg, nt := event.LevelDebug, "query executed", noteNone
		if q >= 500*ms {
			level, msg, nt = event.LevelWarn, "slow query", noteSlowQuery
		}
		r := c.log(svcInv, span, t, level, "db_query", msg,
			event.Attr{Key: "db.statement", Value: stmt}, event.Attr{Key: "db.system", Value: "postgresql"})
		r.ev.DurationMS, r.note = float64(q)/1000, nt
		return ok(t + s.between(100, 600))
	}
}

// breakerOpen reports whether api-gateway's circuit breaker for inventory
// is open at t.
func (s *Shop) breakerOpen(t int64) bool {
	db := s.slowdb
	if db == nil {
		return false
	}
	f := int64(db.For / time.Microsecond)
	at := db.At.UnixMicro()
	return t >= at+f/3+f/12 && t < at+2*f/3
}

// gatewayBreaker answers a request short-circuited by the open breaker.
func (c *tctx) gatewayBreaker(span event.SpanID, t int64) result {
	r := c.log(svcGateway, span, t+c.s.between(100, 400), event.LevelError, "circuit_breaker_open", "circuit breaker open for inventory",
		event.Attr{Key: "breaker.name", Value: "inventory"})
	r.ev.ErrorType, r.note = "CircuitBreakerOpen", noteBreaker
	return result{end: r.ev.TS, status: 503, errType: "CircuitBreakerOpen", errMsg: "circuit breaker open for inventory"}
}

// gatewayUpstream logs a gateway timeout of an upstream call.
func (c *tctx) gatewayUpstream(span event.SpanID, r result, peer string) result {
	if r.status == 504 && r.errType == "TimeoutError" {
		lg := c.log(svcGateway, span, r.end, event.LevelError, "upstream_timeout", "upstream "+peer+" timed out: "+r.errMsg,
			event.Attr{Key: "peer.service", Value: peer})
		lg.ev.ErrorType, lg.note = "TimeoutError", noteUpstreamTimeout
	}
	return r
}

// cartInventory is cart calling inventory; a failure becomes a 502.
func (c *tctx) cartInventory(span event.SpanID, t int64, method, route, path, stmt string) result {
	r := c.call(svcCart, svcInv, method, route, path, span, t, 8*sec, c.inventory(stmt))
	if r.status >= 500 {
		lg := c.log(svcCart, span, r.end, event.LevelError, "inventory_call_failed", "inventory call failed: "+r.errMsg,
			event.Attr{Key: "peer.service", Value: svcInv})
		lg.ev.ErrorType, lg.ev.HTTPStatus, lg.note = "UpstreamError", int32(r.status), noteUpstreamError
		return result{end: r.end + c.s.between(100, 500), status: 502, errType: "UpstreamError", errMsg: "inventory unavailable"}
	}
	return r
}

// --- catalog and the bad release ---

func (c *tctx) catalogProduct(pid int) handler {
	return func(span event.SpanID, t int64) result {
		s := c.s
		t += s.between(3*ms, 25*ms)
		if s.rng.Float64() < 0.002 {
			c.log(svcCatalog, span, t, event.LevelError, "", "read ECONNRESET").ev.ErrorType = "ECONNRESET"
			return result{end: t, status: 500, errType: "ECONNRESET", errMsg: "read ECONNRESET"}
		}
		path := "/inventory/" + strconv.Itoa(pid)
		r := c.call(svcCatalog, svcInv, "GET", "/inventory/{sku}", path, span, t, 3*sec, c.inventory("SELECT qty FROM stock WHERE sku = $1"))
		if r.status >= 400 {
			c.log(svcCatalog, span, r.end, event.LevelWarn, "", "stock unavailable, serving product without stock level")
		}
		return ok(r.end + s.between(ms, 4*ms))
	}
}

// badReleaseHits reports whether the bad release breaks this request.
func (s *Shop) badReleaseHits(svc, route string, t int64) bool {
	br := s.badrelease
	return br != nil && br.Service == svc && br.Endpoint == route && t >= br.At.UnixMicro() && s.rng.Float64() < br.Rate
}

// unhandledException is the bad release's handler: it fails with the new
// exception and its stack trace.
func (c *tctx) unhandledException(svc, method, route, path string) handler {
	return func(span event.SpanID, t int64) result {
		br := c.s.badrelease
		t += c.s.between(2*ms, 15*ms)
		r := c.log(svc, span, t, event.LevelError, "unhandled_exception", br.Message,
			event.Attr{Key: "error.stack", Value: br.Message + "\n    at priceWithDiscount (/app/src/pricing.js:42:31)\n    at renderProduct (/app/src/routes/products.js:88:17)\n    at Layer.handle [as handle_request] (/app/node_modules/express/lib/router/layer.js:95:5)"},
			event.Attr{Key: "url.path", Value: path})
		r.ev.ErrorType, r.ev.HTTPMethod, r.ev.Endpoint, r.ev.HTTPStatus, r.note = br.ErrorType, method, route, 500, noteBadRelease
		return result{end: t + c.s.between(ms, 3*ms), status: 500, errType: br.ErrorType, errMsg: br.Message}
	}
}

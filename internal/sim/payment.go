package sim

import (
	"math"
	"strconv"
	"time"

	"github.com/lore-dev/lore/internal/event"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// retryDelays is payment-service's backoff between gateway attempts.
var retryDelays = [...]time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute}

// payOutcome is how a payment ended, known when the retries are simulated.
type payOutcome struct {
	pending   bool  // the first attempt failed and retries were scheduled
	succeeded bool  // eventually
	doneAt    int64 // micros when it succeeded or failed for good
}

// pay submits the payment and, if the user is still there when it
// succeeds, completes the order in the browser.
func (vs *visit) pay() {
	s := vs.s
	vs.t += s.between(15*sec, 60*sec)
	vs.touch()
	c := s.newTrace(vs.user, vs.v.sessionID)
	s.nextOrd++
	order := "ord_" + strconv.Itoa(100000+s.nextOrd)
	amount := vs.total()
	vs.click(c, "/checkout/payment", "Pay now", "#pay")
	vs.browser(c, event.KindEvent, "Payment Submitted", "/checkout/payment", []event.Attr{
		{Key: "order_id", Value: order}, {Key: "revenue", Value: cents(amount)}, {Key: "currency", Value: "EUR"}})
	var out payOutcome
	r := vs.gateway(c, "POST", "/api/checkout/pay", "/api/checkout/pay", func(span event.SpanID, t int64) result {
		r := c.call(svcGateway, svcPayment, "POST", "/payments", "/payments", span, t, 30*sec, c.payment(order, amount, &out))
		if r.status != 200 {
			return r
		}
		return c.call(svcGateway, svcCart, "POST", "/orders", "/orders", span, r.end+s.between(ms, 3*ms), 6*sec, c.createOrder(order, amount))
	})
	complete := func(at int64) {
		vs.t = at
		vs.touch()
		vs.pageview(c, "/order/confirmation", "", "", "Thank you")
		rec := vs.browser(c, event.KindEvent, "Order Completed", "/order/confirmation", []event.Attr{
			{Key: "order_id", Value: order}, {Key: "revenue", Value: cents(amount)}, {Key: "currency", Value: "EUR"}})
		rec.note = noteOrderCompleted
	}
	switch {
	case r.status == 200:
		complete(vs.t + s.between(100*ms, 400*ms))
	case r.status == 202:
		vs.pageview(c, "/checkout/pending", "", "", "Payment pending")
		// The user waits on the pending page for an exponential time
		// (mean 8 minutes) and leaves if the payment is not done by then.
		wait := int64(-math.Log(1-s.rng.Float64()) * float64(8*60*sec))
		if out.succeeded && out.doneAt-vs.t <= wait {
			complete(out.doneAt + s.between(sec, 4*sec))
		}
	default:
		vs.pageview(c, "/checkout/error", "", "", "Payment failed")
	}
}

// payment is payment-service handling POST /payments: it charges through
// the payment gateway, and on failure answers 202 and retries in the
// background with backoff.
func (c *tctx) payment(order string, amount int, out *payOutcome) handler {
	return func(span event.SpanID, t int64) result {
		s := c.s
		t += s.between(2*ms, 8*ms)
		status, errType, end := c.charge(span, t, order, amount, 0)
		if status == 200 {
			c.log(svcPayment, span, end, event.LevelInfo, "payment_succeeded", "payment succeeded for order "+order,
				event.Attr{Key: "order.id", Value: order}).note = noteSucceeded
			return ok(end + s.between(ms, 3*ms))
		}
		out.pending = true
		c.retries(span, end, order, amount, errType, out)
		return result{end: end + s.between(ms, 3*ms), status: 202}
	}
}

// retries schedules and simulates the background retries after a failed
// first attempt that ended at t.
func (c *tctx) retries(parent event.SpanID, t int64, order string, amount int, errType string, out *payOutcome) {
	s := c.s
	span := parent
	for n := 1; ; n++ {
		if n > len(retryDelays) {
			lg := c.log(svcPayment, span, t+s.between(ms, 2*ms), event.LevelError, "payment_failed",
				"payment failed for order "+order+" after "+strconv.Itoa(len(retryDelays))+" retries", event.Attr{Key: "order.id", Value: order})
			lg.ev.ErrorType, lg.ev.RetryAttempt, lg.note = errType, int32(len(retryDelays)), noteFailed
			out.doneAt = lg.ev.TS
			return
		}
		d := retryDelays[n-1]
		lg := c.log(svcPayment, span, t+s.between(200, 900), event.LevelWarn, "payment_gateway_retry",
			"scheduling retry #"+strconv.Itoa(n)+" in "+d.String(),
			event.Attr{Key: "retry.delay_ms", Value: strconv.FormatInt(d.Milliseconds(), 10)}, event.Attr{Key: "order.id", Value: order})
		lg.ev.RetryAttempt, lg.note = int32(n), noteRetry

		start := lg.ev.TS + int64(d/time.Microsecond)
		span = s.spanID()
		status, et, end := c.charge(span, start+s.between(100, 500), order, amount, n)
		end += s.between(ms, 3*ms)
		sp := c.base(event.KindSpan, svcPayment, start, span)
		sp.span, sp.spanKind = true, tracepb.Span_SPAN_KIND_INTERNAL
		sp.ev.ParentSpanID, sp.ev.Name, sp.ev.RetryAttempt = parent, "payment retry", int32(n)
		sp.ev.DurationMS = float64(end-start) / 1000
		c.s.push(sp)
		if status == 200 {
			lg := c.log(svcPayment, span, end, event.LevelInfo, "payment_succeeded",
				"payment succeeded for order "+order+" on retry #"+strconv.Itoa(n), event.Attr{Key: "order.id", Value: order})
			lg.ev.RetryAttempt, lg.note = int32(n), noteSucceeded
			r := c.call(svcPayment, svcCart, "POST", "/orders", "/orders", span, end+s.between(ms, 3*ms), 6*sec, c.createOrder(order, amount))
			out.succeeded, out.doneAt = r.status == 200, end
			return
		}
		t, errType = end, et
	}
}

// charge is one call to the external payment gateway; attempt is 0 for the
// first call and N for retry N. It returns the gateway's status.
func (c *tctx) charge(span event.SpanID, t int64, order string, amount, attempt int) (status int, errType string, end int64) {
	s := c.s
	attrs := []event.Attr{{Key: "payment.amount", Value: cents(amount)}, {Key: "payment.currency", Value: "EUR"}, {Key: "order.id", Value: order}}
	call := c.log(svcPayment, span, t, event.LevelInfo, "payment_gateway_call", "calling payment gateway", attrs...)
	call.ev.RetryAttempt = int32(attempt)

	status, msg := 200, "payment gateway returned 200 OK"
	dur := s.between(150*ms, 700*ms)
	x := s.rng.Float64()
	if th := s.throttle; th != nil && t >= th.At.UnixMicro() && t < th.At.Add(th.For).UnixMicro() && s.rng.Float64() < th.Rate {
		status, errType, msg, dur = 429, "RateLimited", "payment gateway returned 429 Too Many Requests", s.between(20*ms, 80*ms)
	} else if x < 0.002 {
		status, errType, msg, dur = 500, "GatewayError", "payment gateway returned 500 Internal Server Error", s.between(50*ms, 200*ms)
	} else if x < 0.005 {
		status, errType, msg, dur = 502, "BadGateway", "payment gateway returned 502 Bad Gateway", s.between(100*ms, 300*ms)
	} else if x < 0.008 {
		status, errType, msg, dur = 504, "GatewayTimeout", "payment gateway returned 504 Gateway Timeout", 10000*ms
	}
	start := t + s.between(200, 800)
	end = start + dur
	cspan := s.spanID()
	c.clientSpan(svcPayment, peerPayment, "POST", "/v1/charges", "/v1/charges", cspan, span, start,
		result{end: end, status: status, errType: errType, errMsg: msg})
	level := event.LevelInfo
	if status != 200 {
		level = event.LevelWarn
	}
	resp := c.log(svcPayment, span, end+s.between(100, 400), level, "payment_gateway_response", msg)
	resp.ev.HTTPStatus, resp.ev.DurationMS, resp.ev.ErrorType = int32(status), float64(dur)/1000, errType
	resp.ev.RetryAttempt, resp.note = int32(attempt), noteGatewayResponse
	return status, errType, resp.ev.TS
}

// createOrder is cart's POST /orders; it queues the confirmation email.
func (c *tctx) createOrder(order string, amount int) handler {
	return func(span event.SpanID, t int64) result {
		s := c.s
		t += s.between(3*ms, 12*ms)
		c.log(svcCart, span, t, event.LevelInfo, "order_created", "order "+order+" created",
			event.Attr{Key: "order.id", Value: order}, event.Attr{Key: "order.total", Value: cents(amount)})
		c.email(span, t+s.between(sec, 8*sec), order)
		return ok(t + s.between(ms, 3*ms))
	}
}

// email is email-worker consuming the order-confirmation job.
func (c *tctx) email(parent event.SpanID, t int64, order string) {
	s := c.s
	span := s.spanID()
	end := t + s.between(200*ms, 900*ms)
	sp := c.base(event.KindSpan, svcEmail, t, span)
	sp.span, sp.spanKind = true, tracepb.Span_SPAN_KIND_CONSUMER
	sp.ev.ParentSpanID, sp.ev.Name = parent, "send_order_confirmation process"
	sp.ev.DurationMS = float64(end-t) / 1000
	sp.ev.Attributes = []event.Attr{{Key: "messaging.system", Value: "rabbitmq"}, {Key: "messaging.destination.name", Value: "emails"}}
	s.push(sp)
	c.log(svcEmail, span, end, event.LevelInfo, "email_sent", "order confirmation email sent to "+c.user,
		event.Attr{Key: "order.id", Value: order}, event.Attr{Key: "email.template", Value: "order_confirmation"})
}

package journey

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/lore-dev/lore/internal/event"
)

// This file phrases one event (or one merged span+log step) as the text of a
// story line, from the event's generic fields only.

// slowMS is the duration from which a step's duration is worth telling
// ("took 4.2 s"): a second is long for one request in an interactive flow.
const slowMS = 1000

// Attribute keys read by the story, besides the core columns. They follow
// the OpenTelemetry semantic conventions where one exists.
var (
	dependencyKeys = []string{"peer.service", "server.address", "net.peer.name", "peer", "dependency", "upstream"}
	delayKeys      = []string{"retry.delay_ms", "retry_in", "retry.in", "backoff", "backoff_ms", "retry.backoff", "retry.delay_s", "retry_after"}
	clickTextKeys  = []string{"element.text", "$el_text", "element.label", "element.aria_label", "element.selector", "$el_selector", "element.id", "element.tag", "$el_tag"}
)

// httpMethods are the words that open a request-named span or log ("GET /x").
var httpMethods = map[string]bool{
	"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true,
	"HEAD": true, "OPTIONS": true, "CONNECT": true, "TRACE": true,
}

// dependencySuffixes end names of events about a call to a dependency:
// "payment_gateway_response" is about the "payment gateway".
var dependencySuffixes = []string{"response", "call", "request", "reply", "result", "timeout", "error"}

// secondsKeys hold bare numbers in seconds, as HTTP's Retry-After does;
// bare numbers under the other delay keys are milliseconds.
var secondsKeys = map[string]bool{"retry.delay_s": true, "retry_after": true}

// callingRe finds the dependency of "calling payment gateway for order 7"
// style messages; the name ends at the first little word.
var callingRe = regexp.MustCompile(`(?i)^(?:calling|call to|request to|requesting|connecting to|contacting)\s+(?:the\s+)?([a-z][\w.-]*(?:\s[a-z][\w.-]*){0,2})`)

var stopWords = map[string]bool{"for": true, "with": true, "at": true, "on": true, "to": true, "after": true, "in": true, "about": true, "because": true}

// returnedRe finds the subject of "X returned 429"-style messages.
var returnedRe = regexp.MustCompile(`(?i)^(?:the\s+)?([a-z][\w.-]*(?:\s[a-z][\w.-]*){0,2})\s+(?:returned|responded|replied|answered)\b`)

// genericWords make up messages that only say a request was served ("request
// completed", "handled request", "task finished"); the story then tells the
// request from its fields alone.
var genericWords = map[string]bool{
	"http": true, "request": true, "requests": true, "req": true, "access": true, "handled": true,
	"served": true, "completed": true, "complete": true, "finished": true, "done": true, "processed": true,
	"errored": true, "error": true, "failed": true, "ok": true, "success": true, "successful": true,
	"task": true, "job": true, "response": true, "sent": true, "received": true, "handling": true,
}

// informative returns what msg says beyond the fields of e: "" for a generic
// message ("request completed") or one restating the request ("GET /a 200
// 3ms"), and the rest of "request failed: inventory did not answer".
func informative(msg string, e *event.Event) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return ""
	}
	if head, rest, ok := strings.Cut(msg, ": "); ok && allGeneric(head) {
		return informative(rest, e)
	}
	if allGeneric(msg) {
		return ""
	}
	if p := requestPath(e); p != "" && strings.Contains(msg, p) {
		return ""
	}
	if e.HTTPMethod != "" && e.HTTPStatus != 0 && strings.Contains(msg, e.HTTPMethod) && strings.Contains(msg, fmt.Sprint(e.HTTPStatus)) {
		return ""
	}
	return msg
}

func allGeneric(s string) bool {
	ws := splitWords(strings.Map(func(r rune) rune {
		if unicode.IsPunct(r) {
			return ' '
		}
		return r
	}, s))
	for _, w := range ws {
		if !genericWords[w] {
			return false
		}
	}
	return len(ws) > 0
}

// requestPath is the path a request was for: the concrete url.path when
// known ("/api/products/42"), else the endpoint ("/api/products/{id}").
func requestPath(e *event.Event) string {
	if v, ok := e.Attr("url.path"); ok && v != "" {
		return v
	}
	return e.Endpoint
}

func attrFirst(e *event.Event, keys []string) string {
	for _, k := range keys {
		if v, ok := e.Attr(k); ok && v != "" {
			return v
		}
	}
	return ""
}

func isProduct(e *event.Event) bool {
	return e.Kind == event.KindEvent || e.Kind == event.KindPageview
}

func isClientSpan(e *event.Event) bool {
	k, _ := e.Attr("span.kind")
	return e.Kind == event.KindSpan && (k == "client" || k == "producer")
}

// person names who did a product event: the user id, else the anonymous
// visitor by the start of their anonymous id.
func person(e *event.Event) string {
	switch {
	case e.UserID != "":
		return e.UserID
	case e.AnonymousID != "":
		id := []rune(e.AnonymousID)
		if len(id) > 8 {
			id = id[:8]
		}
		return "anonymous visitor " + string(id)
	}
	return "a visitor"
}

// dependency names the other system an event is about: from peer.service,
// server.address and similar attributes, else from a name like
// "payment_gateway_response", else from a message like "payment gateway
// returned 429" when the event carries an HTTP status. "" when none.
func dependency(e *event.Event) string {
	// A server span's server.address is the server itself, not a peer.
	if e.Kind != event.KindSpan || isClientSpan(e) {
		if v := attrFirst(e, dependencyKeys); v != "" {
			return v
		}
	}
	if e.Name != "" && !strings.ContainsRune(e.Name, ' ') && !isRequestNamed(e) {
		ws := splitWords(e.Name)
		if len(ws) >= 2 {
			for _, s := range dependencySuffixes {
				if ws[len(ws)-1] == s {
					return strings.Join(ws[:len(ws)-1], " ")
				}
			}
		}
	}
	if e.HTTPStatus != 0 {
		if m := returnedRe.FindStringSubmatch(e.Message); m != nil {
			return m[1]
		}
	}
	if m := callingRe.FindStringSubmatch(e.Message); m != nil {
		ws := strings.Fields(m[1])
		for i, w := range ws {
			if stopWords[strings.ToLower(w)] {
				ws = ws[:i]
				break
			}
		}
		return strings.Join(ws, " ")
	}
	return ""
}

// isFailure reports whether e is a failure signal: an error (isError), a
// 5xx or 429 status, or a name ending in "failed" (or failure, aborted,
// rejected, crashed).
func isFailure(e *event.Event) bool {
	return isError(e) || e.HTTPStatus >= 500 || e.HTTPStatus == 429 || isFailureName(e)
}

// isError reports whether e is an error: error or fatal level, or kind
// error at no lower level. A captured message at warning level (an error
// tracker's event of kind error) is not one.
func isError(e *event.Event) bool {
	switch e.Level {
	case event.LevelError, event.LevelFatal:
		return true
	case event.LevelWarn, event.LevelInfo, event.LevelDebug:
		return false
	}
	return e.Kind == event.KindError
}

// isFailureName reports whether e's name announces a failure.
func isFailureName(e *event.Event) bool {
	return nameEndsWith(e.Name, "failed", "failure", "aborted", "rejected", "crashed", "declined")
}

// isSuccessName reports whether e's name announces a success: it ends in
// succeeded, success(ful), completed, created, confirmed or placed
// ("payment_succeeded", "Order Completed", "order_created").
func isSuccessName(e *event.Event) bool {
	return !isFailure(e) && nameEndsWith(e.Name, "succeeded", "success", "successful", "completed", "complete", "created", "confirmed", "placed")
}

// isStartName reports whether e starts a flow ("Checkout Started").
func isStartName(e *event.Event) bool {
	return nameEndsWith(e.Name, "started", "begun", "initiated")
}

// isOK reports whether e tells something went well: a success name or a
// 2xx status other than 202 Accepted (which promises, not delivers).
func isOK(e *event.Event) bool {
	return isSuccessName(e) || (e.HTTPStatus >= 200 && e.HTTPStatus < 300 && e.HTTPStatus != 202 && !isFailure(e))
}

// isRetryScheduling reports whether e announces a retry to come, rather than
// reporting on an attempt.
func isRetryScheduling(e *event.Event) bool {
	if e.RetryAttempt <= 0 || e.Kind == event.KindSpan || isSuccessName(e) || nameEndsWith(e.Name, "failed", "failure") || e.HTTPStatus != 0 {
		return false
	}
	text := strings.ToLower(e.Name + " " + e.Message)
	return strings.Contains(text, "retry") || strings.Contains(text, "retrying") || attrFirst(e, delayKeys) != ""
}

// isRequestNamed reports whether e's name only restates the request
// ("GET /api/cart", the endpoint itself, or nothing), so its story is told
// from the HTTP fields.
func isRequestNamed(e *event.Event) bool {
	if e.Name == "" || e.Name == e.Endpoint {
		return true
	}
	first, _, _ := strings.Cut(e.Name, " ")
	if httpMethods[strings.ToUpper(first)] {
		return true
	}
	if e.HTTPMethod == "" && e.Endpoint == "" {
		return false
	}
	for _, w := range splitWords(e.Name) {
		if !requestWords[w] {
			return false
		}
	}
	return true
}

// requestWords make up names that only say "a request was served"
// ("http_request", "access_log", "http.server.request").
var requestWords = map[string]bool{
	"http": true, "https": true, "request": true, "requests": true, "req": true, "access": true,
	"log": true, "server": true, "response": true, "handled": true, "completed": true, "served": true,
}

func lineKindOf(e *event.Event) string {
	switch {
	case isFailure(e) && e.HTTPStatus != 429:
		return "error"
	case isFailure(e) || e.Level == event.LevelWarn || e.HTTPStatus >= 400:
		return "warning"
	case isSuccessName(e):
		return "outcome"
	}
	return "event"
}

// describe phrases e as the text of a story line.
func describe(e *event.Event) string {
	var text string
	if isProduct(e) {
		text = describeProduct(e)
	} else {
		text = describeBackend(e)
	}
	if text = strings.TrimSpace(text); text == "" {
		text = strings.TrimSpace(e.Kind + " " + e.Name)
	}
	if text == "" {
		text = "something happened"
	}
	return text
}

func describeProduct(e *event.Event) string {
	who := person(e)
	switch {
	case e.Kind == event.KindPageview:
		return who + " viewed " + pagePath(e)
	case e.Name == "$click" || e.Name == "click" || e.Name == "$autocapture":
		// PostHog's autocapture (posthog-js, Lore's SDK) names the DOM
		// event in $event_type and the element's text in $el_text.
		verb := "clicked"
		switch t, _ := e.Attr("$event_type"); t {
		case "submit":
			verb = "submitted"
		case "change":
			verb = "changed"
		}
		what := attrFirst(e, clickTextKeys)
		if what == "" {
			what = elementsChainText(e)
		}
		if what == "" {
			if _, typed := e.Attr("$event_type"); e.Name == "$autocapture" && !typed {
				// Nothing says what the user did: name the event.
				return fmt.Sprintf("%s triggered %q", who, e.Name)
			}
			what = "something"
		}
		return fmt.Sprintf("%s %s %q", who, verb, what)
	case e.Name == "$identify" || e.Name == "identify":
		return who + " was identified"
	case e.Name == "$rageclick" || e.Name == "$dead_click" || e.Name == "$error_after_click":
		return describeFrustration(e, who)
	case strings.HasPrefix(e.Name, "$"):
		return fmt.Sprintf("%s triggered %q", who, e.Name)
	}
	phrase := verbPhrase(e.Name)
	if d := objectDetail(e); d != "" {
		// Name the object where it stands: "completed order o-1001",
		// "added product Blue Mug to cart".
		obj := splitWords(e.Name)[0]
		if i := strings.Index(phrase+" ", " "+obj+" "); i >= 0 {
			at := i + 1 + len(obj)
			phrase = phrase[:at] + " " + d + phrase[at:]
		} else {
			phrase += " " + d
		}
	}
	return who + " " + phrase
}

// pagePath names the page of a page view: the endpoint, else the path of
// the url attribute, else the name, else the title.
func pagePath(e *event.Event) string {
	if e.Endpoint != "" {
		return e.Endpoint
	}
	if v, ok := e.Attr("url"); ok {
		if u, err := url.Parse(v); err == nil && u.Path != "" {
			return u.Path
		}
		return v
	}
	if e.Name != "" && !strings.HasPrefix(e.Name, "$") {
		return e.Name
	}
	if v, ok := e.Attr("title"); ok {
		return fmt.Sprintf("%q", v)
	}
	return "a page"
}

// objectDetail names the object of an Object-Action event when an attribute
// identifies it: "Order Completed" with order.id=o-1 → "o-1".
func objectDetail(e *event.Event) string {
	ws := splitWords(e.Name)
	if len(ws) < 2 {
		return ""
	}
	obj := ws[0]
	return attrFirst(e, []string{obj + ".name", obj + ".id", obj + "_id", obj + "_name", obj + "Id"})
}

func describeBackend(e *event.Event) string {
	dep := dependency(e)
	failed := isFailure(e)
	var text string
	statusTold := false
	switch {
	case e.RetryAttempt > 0 && e.Kind == event.KindSpan && strings.Contains(strings.ToLower(e.Name), "retry") && !failed:
		text = fmt.Sprintf("running retry #%d", e.RetryAttempt)
		if e.DurationMS >= slowMS {
			text += "; took " + humanDuration(e.DurationMS)
		}
		return text
	case isRetryScheduling(e):
		text = fmt.Sprintf("retry #%d scheduled", e.RetryAttempt)
		if ms, ok := retryDelayMS(e); ok {
			text += " in " + humanDuration(ms)
		}
		return text
	case dep != "" && e.HTTPStatus != 0:
		text = dep + " returned " + statusText(e.HTTPStatus)
		statusTold = true
		if msg := informative(e.Message, e); msg != "" && !strings.Contains(msg, fmt.Sprint(e.HTTPStatus)) {
			text += ": " + msg
		}
	case dep != "" && failed && !isSuccessName(e) && !isRequestNamed(e) && e.Message != "":
		text = e.Message
	case dep != "" && failed:
		text = "call to " + dep + " failed"
		if e.Message != "" {
			text += ": " + e.Message
		}
	case dep != "" && e.Kind == event.KindSpan:
		text = "called " + dep
	case !isRequestNamed(e):
		text = e.Message
		switch {
		case text != "":
		case e.Kind == event.KindSpan:
			text = "ran " + e.Name
		default:
			text = humanise(e.Name)
		}
	case e.HTTPMethod != "" || e.Endpoint != "":
		text = describeRequest(e, failed)
		statusTold = true
	case e.Message != "":
		text = e.Message
	default:
		text = e.Kind
	}
	if failed && e.ErrorType != "" && !statusTold && !strings.Contains(text, e.ErrorType) {
		text = e.ErrorType + ": " + text
	}
	if e.HTTPStatus >= 400 && !statusTold && !strings.Contains(text, fmt.Sprint(e.HTTPStatus)) {
		text += " → " + statusText(e.HTTPStatus)
	}
	if n := e.RetryAttempt; n > 0 && !mentionsAttempt(text, n) {
		text += fmt.Sprintf(" on retry #%d", n)
	}
	if e.DurationMS >= slowMS && !strings.Contains(text, " after ") && !strings.Contains(text, "took ") {
		text += "; took " + humanDuration(e.DurationMS)
	}
	return text
}

// mentionsAttempt reports whether text already tells attempt n ("on retry
// #2", "retry 2", "attempt 2").
func mentionsAttempt(text string, n int32) bool {
	t := strings.ToLower(text)
	for _, f := range []string{"retry #%d", "retry %d", "attempt #%d", "attempt %d", "%d retries", "%d attempts"} {
		if strings.Contains(t, fmt.Sprintf(f, n)) {
			return true
		}
	}
	return false
}

// retryDelayMS reads the delay before a retry from the first delay
// attribute present.
func retryDelayMS(e *event.Event) (float64, bool) {
	for _, k := range delayKeys {
		v, ok := e.Attr(k)
		if !ok || v == "" {
			continue
		}
		ms, ok := parseDelayMS(v)
		if ok && secondsKeys[k] && !strings.ContainsFunc(v, unicode.IsLetter) {
			ms *= 1000
		}
		return ms, ok
	}
	return 0, false
}

// describeRequest tells a request handled by the event's service from its
// HTTP fields, adding the message when it says more than "request handled".
func describeRequest(e *event.Event, failed bool) string {
	req := strings.TrimSpace(e.HTTPMethod + " " + requestPath(e))
	var text string
	switch {
	case e.HTTPStatus >= 400:
		text = req + " failed with " + statusText(e.HTTPStatus)
	case failed:
		text = req + " failed"
	case e.HTTPStatus != 0:
		text = fmt.Sprintf("handled %s (%d)", req, e.HTTPStatus)
	default:
		text = "handled " + req
	}
	if msg := informative(e.Message, e); msg != "" {
		if failed && e.ErrorType != "" && !strings.Contains(msg, e.ErrorType) {
			msg = e.ErrorType + ": " + msg
		}
		text += ": " + msg
	} else if failed && e.ErrorType != "" {
		text += ": " + e.ErrorType
	}
	return text
}

// elementsChainText is the text of the clicked element in posthog-js's
// $elements_chain ("button.btn:text=\"Pay now\"nth-child=…;form…"): the
// first element's text="…".
func elementsChainText(e *event.Event) string {
	chain, _ := e.Attr("$elements_chain")
	first, _, _ := strings.Cut(chain, ";")
	_, rest, ok := strings.Cut(first, `text="`)
	if !ok {
		return ""
	}
	var b strings.Builder
	for i := 0; i < len(rest); i++ {
		switch c := rest[i]; {
		case c == '\\' && i+1 < len(rest):
			i++
			b.WriteByte(rest[i])
		case c == '"':
			return b.String()
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// describeFrustration tells a moment of frustration found in a session's
// recording (or sent by posthog-js): a rage click, a dead click, an error
// right after a click.
func describeFrustration(e *event.Event, who string) string {
	what := attrFirst(e, clickTextKeys)
	if what == "" {
		what, _ = e.Attr("$el_selector")
	}
	if what == "" {
		what = "the page"
	} else {
		what = strconv.Quote(what)
	}
	switch e.Name {
	case "$rageclick":
		if n, _ := e.Attr("clicks"); n != "" {
			return fmt.Sprintf("%s rage-clicked %s %s times", who, what, n)
		}
		return fmt.Sprintf("%s rage-clicked %s", who, what)
	case "$dead_click":
		return fmt.Sprintf("%s clicked %s and nothing happened", who, what)
	}
	if msg, _ := e.Attr("error"); msg != "" {
		return fmt.Sprintf("%s clicked %s, then an error: %s", who, what, msg)
	}
	return fmt.Sprintf("%s clicked %s, then an error", who, what)
}

package journey

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// This file turns field values into words: event names into verb phrases,
// HTTP statuses into their meaning and milliseconds into human durations.

// splitWords splits an event or log name into lower-case words at spaces,
// underscores, hyphens, dots and camelCase boundaries ("checkoutStarted",
// "Checkout Started" and "checkout_started" all give [checkout started]).
func splitWords(name string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(name)
	for i, r := range rs {
		switch {
		case isWordSeparator(r):
			flush()
		case unicode.IsUpper(r) && i > 0 && unicode.IsLower(rs[i-1]):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return words
}

// humanise renders a machine name ("payment_gateway_call", "dbQuery") as
// lower-case words. Names that already contain spaces ("SELECT products",
// "GET /api/cart") are returned unchanged: they are someone's own words.
func humanise(name string) string {
	if strings.ContainsRune(name, ' ') {
		return name
	}
	return strings.Join(splitWords(name), " ")
}

// irregularPast lists past participles that do not end in -ed, as they occur
// in Object-Action event names ("Email Sent", "Invoice Paid").
var irregularPast = map[string]bool{
	"sent": true, "made": true, "built": true, "paid": true, "shown": true,
	"seen": true, "done": true, "given": true, "taken": true, "left": true,
	"won": true, "lost": true, "bought": true, "sold": true, "found": true,
	"got": true, "begun": true, "run": true, "kept": true, "held": true,
	"chosen": true, "written": true, "spent": true, "read": true, "set": true,
	"put": true, "drawn": true, "hidden": true, "undone": true, "forgotten": true,
}

// notPast lists words ending in -ed that are not verbs in the past tense.
var notPast = map[string]bool{
	"need": true, "feed": true, "speed": true, "seed": true, "bed": true,
	"red": true, "shed": true, "embed": true, "breed": true, "bleed": true,
	"weed": true, "greed": true, "deed": true,
}

func isPastTense(w string) bool {
	if irregularPast[w] {
		return true
	}
	return len(w) > 3 && strings.HasSuffix(w, "ed") && !notPast[w]
}

// baseVerbs maps the present tense of common product actions to their past,
// for Action-Object names written in the imperative ("add_to_cart").
var baseVerbs = map[string]string{
	"add": "added", "remove": "removed", "view": "viewed", "click": "clicked",
	"start": "started", "complete": "completed", "submit": "submitted",
	"search": "searched", "open": "opened", "close": "closed", "buy": "bought",
	"purchase": "purchased", "pay": "paid", "share": "shared", "subscribe": "subscribed",
	"unsubscribe": "unsubscribed", "sign": "signed", "log": "logged", "login": "logged in",
	"logout": "logged out", "signup": "signed up", "signin": "signed in", "select": "selected",
	"apply": "applied", "update": "updated", "delete": "deleted", "create": "created",
	"download": "downloaded", "upload": "uploaded", "play": "played", "checkout": "checked out",
}

// specialPhrases are Object-Action names whose plain verb phrase would lose
// their meaning in shop vocabulary; the general rule covers everything else.
var specialPhrases = map[string]string{
	"product added":   "added product to cart",
	"product removed": "removed product from cart",
}

// verbPhrase turns a product event name into a verb phrase about the person
// who did it:
//
//   - Object-Action names (the Segment convention) move the action first:
//     "Checkout Started" → "started checkout", "Order Completed" → "completed
//     order", "Payment Info Entered" → "entered payment info";
//   - names already led by a past-tense verb stay as they are: "Signed In" →
//     "signed in";
//   - imperative names get their verb in the past: "add_to_cart" → "added to
//     cart";
//   - anything else is quoted: `triggered "promo banner"`.
func verbPhrase(name string) string {
	words := splitWords(name)
	if len(words) == 0 {
		return "did something"
	}
	joined := strings.Join(words, " ")
	if p, ok := specialPhrases[joined]; ok {
		return p
	}
	last := words[len(words)-1]
	switch {
	case len(words) >= 2 && isPastTense(last) && !isPastTense(words[0]):
		return last + " " + strings.Join(words[:len(words)-1], " ")
	case isPastTense(words[0]):
		return joined
	}
	if past, ok := baseVerbs[words[0]]; ok {
		return strings.TrimSpace(past + " " + strings.Join(words[1:], " "))
	}
	return fmt.Sprintf("triggered %q", joined)
}

func isWordSeparator(r rune) bool {
	return r == ' ' || r == '_' || r == '-' || r == '.' || r == '/' || r == ':' || r == '$'
}

// lastWord is the last word of name as splitWords finds it, without
// splitting the rest.
func lastWord(name string) string {
	end := len(name)
	for end > 0 && isWordSeparator(rune(name[end-1])) {
		end--
	}
	start := end
	for start > 0 {
		r, size := utf8.DecodeLastRuneInString(name[:start])
		if isWordSeparator(r) {
			break
		}
		start -= size
		if unicode.IsUpper(r) && start > 0 {
			if p, _ := utf8.DecodeLastRuneInString(name[:start]); unicode.IsLower(p) {
				break
			}
		}
	}
	return strings.ToLower(name[start:end])
}

// nameEndsWith reports whether the last word of name is one of words.
func nameEndsWith(name string, words ...string) bool {
	last := lastWord(name)
	if last == "" {
		return false
	}
	for _, w := range words {
		if last == w {
			return true
		}
	}
	return false
}

// statusMeanings names the HTTP statuses a story meets most; other codes are
// described by their class.
var statusMeanings = map[int32]string{
	200: "OK", 201: "created", 202: "accepted", 204: "no content",
	301: "moved permanently", 302: "redirect", 303: "see other", 304: "not modified",
	307: "temporary redirect", 308: "permanent redirect",
	400: "bad request", 401: "unauthorized", 402: "payment required", 403: "forbidden",
	404: "not found", 405: "method not allowed", 408: "request timeout", 409: "conflict",
	410: "gone", 413: "payload too large", 415: "unsupported media type",
	422: "unprocessable", 429: "rate limited", 499: "client closed request",
	500: "internal error", 501: "not implemented", 502: "bad gateway",
	503: "unavailable", 504: "gateway timeout",
}

// statusMeaning explains an HTTP status in a few words.
func statusMeaning(code int32) string {
	if m, ok := statusMeanings[code]; ok {
		return m
	}
	switch {
	case code >= 100 && code < 200:
		return "informational"
	case code >= 200 && code < 300:
		return "success"
	case code >= 300 && code < 400:
		return "redirect"
	case code >= 400 && code < 500:
		return "client error"
	case code >= 500 && code < 600:
		return "server error"
	}
	return "unknown status"
}

// statusText renders a status with its meaning: "429 (rate limited)".
func statusText(code int32) string {
	return fmt.Sprintf("%d (%s)", code, statusMeaning(code))
}

// humanDuration renders milliseconds as a person says them: "320 ms",
// "4.2 s", "45 s", "2 min 30 s", "15 min", "3 h 20 min", "2 days". Precision
// falls as the duration grows: seconds are dropped from 10 min on, minutes
// from a day on.
func humanDuration(ms float64) string {
	if ms < 0 || math.IsNaN(ms) {
		ms = 0
	}
	switch {
	case ms < 1 && ms > 0:
		return trimFloat(ms, 1) + " ms"
	case ms < 1000:
		return strconv.Itoa(int(math.Round(ms))) + " ms"
	case ms < 9950:
		return trimFloat(ms/1000, 1) + " s"
	case ms < 59500:
		return strconv.Itoa(int(math.Round(ms/1000))) + " s"
	}
	secs := int64(math.Round(ms / 1000))
	switch {
	case secs < 600:
		return joinUnits(secs/60, "min", secs%60, "s")
	case secs < 3600-30:
		return strconv.FormatInt((secs+30)/60, 10) + " min"
	case secs < 86400-30:
		mins := (secs + 30) / 60
		return joinUnits(mins/60, "h", mins%60, "min")
	}
	hours := (secs + 1800) / 3600
	days, h := hours/24, hours%24
	unit := "days"
	if days == 1 {
		unit = "day"
	}
	return joinUnits(days, unit, h, "h")
}

func joinUnits(a int64, ua string, b int64, ub string) string {
	if b == 0 {
		return fmt.Sprintf("%d %s", a, ua)
	}
	return fmt.Sprintf("%d %s %d %s", a, ua, b, ub)
}

func trimFloat(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// parseDelayMS reads a retry delay attribute: a number of milliseconds
// ("900000"), or a Go duration ("15m0s", "2.5s").
func parseDelayMS(v string) (float64, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 {
		return f, true
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return float64(d) / float64(time.Millisecond), true
	}
	return 0, false
}

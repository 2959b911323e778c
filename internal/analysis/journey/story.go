package journey

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/lore-dev/lore/internal/event"
)

// Kinds of story line, for UIs to style them.
const (
	LineEvent   = "event"   // something happened
	LineWarning = "warning" // a 4xx, a warn-level event, a rate limit
	LineError   = "error"   // an error-level event or a 5xx
	LineOutcome = "outcome" // a success signal ("payment succeeded")
	LineGap     = "gap"     // "(15 min later)"
	LineFold    = "fold"    // routine steps folded into one line
)

// maxStoryLines is the length from which routine lines are folded: a story
// is read, not scrolled.
const maxStoryLines = 40

// StoryLine is one line of a journey's story.
type StoryLine struct {
	TS      int64  // when it happened (a log's time, a span's end), µs since the epoch, UTC
	Service string // "" for gap and fold lines
	Text    string
	Kind    string // one of the Line* constants
	Ref     int    // index in the (sorted) events of the event told, -1 for gap lines
}

// MarshalJSON renders l as {"ts","service","text","kind","ref"}, ts in
// event.TimeFormat.
func (l StoryLine) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		TS      string `json:"ts"`
		Service string `json:"service"`
		Text    string `json:"text"`
		Kind    string `json:"kind"`
		Ref     int    `json:"ref"`
	}{event.FormatMicros(l.TS), l.Service, l.Text, l.Kind, l.Ref})
}

// step is one thing that happened: an event, or a span and the log of the
// same request merged into one (the log's words and time, the span's
// duration). A step is told at its log's time, so requests read in the order
// they completed (the innermost failure first); a span without a log is told
// at its end too.
type step struct {
	ev   event.Event // the merged event told
	ref  int         // index of the event told in the sorted events
	ts   int64       // when it is told: the log's time, else the span's end
	end  int64       // latest end of the members
	span bool        // a span with no log to speak for it
}

// line is a story line under construction.
type line struct {
	StoryLine
	end     int64
	trace   event.TraceID
	dep     string // the dependency the line is about, normalised, or ""
	status  bool   // the line tells an HTTP status
	retry   bool   // announces a retry
	page    string // the path of a page view line
	viewed  bool   // a product event saying someone viewed something
	failure bool
	routine int // 0 never folded; 1 folded first (plain spans, debug); 2 folded when still too long
	count   int
}

// BuildStory tells sorted events (oldest first; it sorts a copy defensively
// when they are not) as story lines and sums them up. It is pure.
//
// How the story is told, from generic fields only:
//   - Product events name the person (user id, else "anonymous visitor
//     <anonymous id>") and turn Object-Action names into verb phrases
//     ("Checkout Started" → "started checkout"); page views read "viewed
//     /path", clicks `clicked "Buy now"`.
//   - Backend events say what a log's message says, or its humanised name;
//     requests are told from method, endpoint and status, whose meaning is
//     spelled out ("503 (unavailable)"); calls to a dependency (peer.Service,
//     server.address, or a name like "payment_gateway_response") read
//     "payment-gateway returned 429 (rate limited)"; errors carry their type;
//     retries read "retry #N scheduled in 15 min" (delay from retry.delay_ms,
//     retry_in or backoff) and "… on retry #N"; durations from a second on
//     are told ("took 4.2 s").
//   - A page view and the "… Viewed" event of the same action are told
//     once: "user_1 viewed product 163 (/products/163)".
//   - A span and the log of the same request (same service and trace,
//     matching span id, endpoint or dependency; for a span without HTTP
//     fields, its last log without them) are told once; a successful
//     client span to a service that speaks for itself in the journey is not
//     told; an announced call ("calling payment gateway") is not told when
//     the dependency's answer follows; a retry announcement joins the failure
//     just before it; identical
//     consecutive lines become one "… (×N)".
//   - When the story is longer than 40 lines, runs of routine lines (plain
//     spans, debug logs, then any successful backend line) fold into "…
//     N routine steps in a, b".
//   - A gap line "(15 min later)" is inserted where consecutive steps are at
//     least 30 s apart and either 10× the median gap or at least 10 min.
//
// The summary rules are documented on Summary.
func BuildStory(events []event.Event) ([]StoryLine, Summary) {
	return buildStory(events, "")
}

// buildStory is BuildStory for a journey of a known kind; by == "" infers it
// (more than one trace means a user or session journey).
func buildStory(events []event.Event, by string) ([]StoryLine, Summary) {
	if !sort.SliceIsSorted(events, func(i, j int) bool { return events[i].TS < events[j].TS }) {
		events = append([]event.Event(nil), events...)
		sortEvents(events)
	}
	sum := summarize(events, by)
	if len(events) == 0 {
		return nil, sum
	}
	steps := mergeSteps(events)
	lines := phraseSteps(steps, events)
	lines = joinPageViews(lines)
	lines = dropAnnouncements(lines)
	lines = joinRetries(lines)
	lines = collapseRepeats(lines)
	lines = fold(lines, maxStoryLines)
	lines = insertGaps(lines)
	out := make([]StoryLine, len(lines))
	for i, l := range lines {
		out[i] = l.StoryLine
	}
	return out, sum
}

// sortEvents sorts events oldest first, keeping the store's order for
// events of the same microsecond.
func sortEvents(events []event.Event) {
	sort.SliceStable(events, func(i, j int) bool { return events[i].TS < events[j].TS })
}

// eventEnd is when e ended: a span's start plus its duration; a log is
// written when what it tells ends, so its end is its time.
func eventEnd(e *event.Event) int64 {
	if e.Kind == event.KindSpan {
		return e.TS + int64(e.DurationMS*1000)
	}
	return e.TS
}

// mergeSteps pairs each span with the log of the same request, if any, and
// drops successful client spans to services that tell their own side.
func mergeSteps(events []event.Event) []step {
	services := map[string]bool{}
	for i := range events {
		services[events[i].Service] = true
	}
	used := make([]bool, len(events))
	deps := make([]string, len(events)) // dependency of each log and span, computed once
	for i := range events {
		if !isProduct(&events[i]) {
			deps[i] = dependency(&events[i])
		}
	}
	var steps []step
	for i := range events {
		if used[i] {
			continue
		}
		e := &events[i]
		if e.Kind != event.KindSpan {
			steps = append(steps, step{ev: *e, ref: i, ts: e.TS, end: eventEnd(e)})
			continue
		}
		if isClientSpan(e) && !isFailure(e) && services[deps[i]] {
			continue
		}
		// A span is told when it ends, as a log would be: its story is how
		// it went.
		st := step{ev: *e, ref: i, ts: eventEnd(e), end: eventEnd(e), span: true}
		if j := partnerLog(events, deps, used, i); j >= 0 {
			used[j] = true
			st.ev = mergeInto(events[j], *e)
			st.ref = j
			st.span = false
			st.ts = events[j].TS
			st.end = max(st.end, eventEnd(&events[j]))
		}
		steps = append(steps, st)
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].ts < steps[j].ts })
	return steps
}

// partnerLog finds the log that tells the same request as span i, or -1.
func partnerLog(events []event.Event, deps []string, used []bool, i int) int {
	sp := &events[i]
	from, to := sp.TS-1_000_000, eventEnd(sp)+1_000_000
	spDep := ""
	if isClientSpan(sp) {
		spDep = deps[i]
	}
	best, bestScore := -1, 0
	// Events are sorted: look only at those inside the span's time window.
	for j := sort.Search(len(events), func(k int) bool { return events[k].TS >= from }); j < len(events) && events[j].TS <= to; j++ {
		l := &events[j]
		if used[j] || j == i || l.Kind == event.KindSpan || isProduct(l) ||
			l.Service != sp.Service || l.TraceID != sp.TraceID {
			continue
		}
		lDep := deps[j]
		depMatch := spDep != "" && lDep != "" && sameDependency(spDep, lDep, sp)
		if spDep != "" && !depMatch || spDep == "" && lDep != "" {
			continue
		}
		if !l.SpanID.IsZero() && l.SpanID != sp.SpanID && !depMatch {
			continue
		}
		score := 0
		if l.Endpoint != "" && l.Endpoint == sp.Endpoint && l.HTTPMethod == sp.HTTPMethod {
			score += 4
		}
		if depMatch {
			score += 4
		}
		if l.HTTPStatus != 0 && l.HTTPStatus == sp.HTTPStatus {
			score += 2
		}
		if l.SpanID == sp.SpanID {
			score++
			// A span without HTTP fields (a task, a consumer, an internal
			// step) is told by a log of its own that has none either.
			if !sp.SpanID.IsZero() && !hasHTTP(sp) && !hasHTTP(l) && spDep == "" {
				score += 3
			}
		}
		// Ties go to the later log: the last word of a task is its outcome.
		if score >= 4 && score >= bestScore {
			best, bestScore = j, score
		}
	}
	return best
}

func hasHTTP(e *event.Event) bool {
	return e.HTTPMethod != "" || e.Endpoint != "" || e.HTTPStatus != 0
}

// sameDependency reports whether a log's dependency name ("payment gateway")
// names the span's peer ("payment-gateway", or its server.address).
func sameDependency(spDep, lDep string, sp *event.Event) bool {
	norm := func(s string) string { return strings.Join(splitWords(s), " ") }
	if norm(spDep) == norm(lDep) {
		return true
	}
	addr, _ := sp.Attr("server.address")
	return addr != "" && norm(addr) == norm(lDep)
}

// mergeInto tells log l with what span sp adds: its duration, its status
// when the log has none, its error type and its attributes.
func mergeInto(l, sp event.Event) event.Event {
	if sp.DurationMS > 0 {
		l.DurationMS = sp.DurationMS
	}
	if l.HTTPStatus == 0 {
		l.HTTPStatus = sp.HTTPStatus
	}
	if l.ErrorType == "" {
		l.ErrorType = sp.ErrorType
	}
	if levelRank(sp.Level) > levelRank(l.Level) {
		l.Level = sp.Level
	}
	attrs := append([]event.Attr(nil), l.Attributes...)
	for _, a := range sp.Attributes {
		if _, ok := l.Attr(a.Key); !ok {
			attrs = append(attrs, a)
		}
	}
	l.Attributes = attrs
	return l
}

func levelRank(l string) int {
	switch l {
	case event.LevelDebug:
		return 1
	case event.LevelInfo:
		return 2
	case event.LevelWarn:
		return 3
	case event.LevelError:
		return 4
	case event.LevelFatal:
		return 5
	}
	return 0
}

func phraseSteps(steps []step, events []event.Event) []line {
	lines := make([]line, 0, len(steps))
	for _, st := range steps {
		e := &st.ev
		l := line{
			StoryLine: StoryLine{TS: st.ts, Service: e.Service, Text: describe(e), Kind: lineKindOf(e), Ref: st.ref},
			end:       st.end, trace: e.TraceID,
			retry: isRetryScheduling(e), failure: isFailure(e), count: 1,
			status: e.HTTPStatus != 0, dep: strings.Join(splitWords(dependency(e)), " "),
		}
		switch {
		case e.Kind == event.KindPageview:
			l.page = pagePath(e)
		case e.Kind == event.KindEvent:
			l.viewed = strings.HasPrefix(verbPhrase(e.Name), "viewed ")
		}
		quiet := !isFailure(e) && e.HTTPStatus < 400 && e.DurationMS < slowMS && l.Kind == LineEvent
		switch {
		case quiet && (st.span || e.Level == event.LevelDebug):
			l.routine = 1
		case quiet && !isProduct(e) && !isStartName(e):
			l.routine = 2
		}
		lines = append(lines, l)
	}
	return lines
}

// joinPageViews tells a page view and the "… Viewed" product event the
// same action sent (same service and trace, within 5 s) as one line:
// "user_1 viewed product 163 (/products/163)".
func joinPageViews(lines []line) []line {
	out := lines[:0:0]
	for _, l := range lines {
		if l.viewed {
			if k := lastOf(out, l.Service); k >= 0 && out[k].page != "" && out[k].trace == l.trace && l.TS-out[k].end <= 5_000_000 {
				page := out[k].page
				out[k].StoryLine = l.StoryLine
				out[k].Text += " (" + page + ")"
				out[k].page = ""
				continue
			}
		}
		out = append(out, l)
	}
	return out
}

// dropAnnouncements drops a line announcing a call to a dependency
// ("calling payment gateway") when the answer of that dependency follows
// within a minute in the same service and trace: the answer tells both.
func dropAnnouncements(lines []line) []line {
	out := lines[:0:0]
	for i, l := range lines {
		if l.dep != "" && !l.status && !l.failure && !l.retry {
			answered := false
			for _, n := range lines[i+1:] {
				if n.TS-l.end > 60_000_000 {
					break
				}
				if n.Service == l.Service && n.trace == l.trace && n.dep == l.dep && n.status {
					answered = true
					break
				}
			}
			if answered {
				continue
			}
		}
		out = append(out, l)
	}
	return out
}

// joinRetries appends a retry announcement to the failure line of the same
// service told last, if close in time: "… returned 429 (rate limited); retry #1
// scheduled in 15 min".
func joinRetries(lines []line) []line {
	out := lines[:0:0]
	for _, l := range lines {
		if l.retry {
			if k := lastOf(out, l.Service); k >= 0 && out[k].failure && out[k].trace == l.trace && l.TS-out[k].end <= 60_000_000 {
				out[k].Text += "; " + l.Text
				out[k].end = max(out[k].end, l.end)
				continue
			}
		}
		out = append(out, l)
	}
	return out
}

// lastOf is the index of the last line of service in lines, or -1.
func lastOf(lines []line, service string) int {
	for k := len(lines) - 1; k >= 0; k-- {
		if lines[k].Service == service {
			return k
		}
	}
	return -1
}

// collapseRepeats tells identical consecutive lines once, "… (×N)".
func collapseRepeats(lines []line) []line {
	out := lines[:0:0]
	for _, l := range lines {
		if n := len(out); n > 0 && out[n-1].Service == l.Service && out[n-1].Text == l.Text && out[n-1].Kind == l.Kind {
			out[n-1].count++
			out[n-1].end = max(out[n-1].end, l.end)
			continue
		}
		out = append(out, l)
	}
	for i := range out {
		if out[i].count > 1 {
			out[i].Text += " (×" + strconv.Itoa(out[i].count) + ")"
		}
	}
	return out
}

// fold folds runs of at least two routine lines, the most routine first,
// until the story has at most max lines.
func fold(lines []line, maxLines int) []line {
	for level := 1; level <= 2 && len(lines) > maxLines; level++ {
		var out []line
		for i := 0; i < len(lines); {
			j := i
			for j < len(lines) && lines[j].routine > 0 && lines[j].routine <= level {
				j++
			}
			if j-i < 2 {
				out = append(out, lines[i])
				i++
				continue
			}
			out = append(out, foldLine(lines[i:j]))
			i = j
		}
		lines = out
	}
	return lines
}

func foldLine(run []line) line {
	var services []string
	seen := map[string]bool{}
	n := 0
	for _, l := range run {
		n += l.count
		if !seen[l.Service] {
			seen[l.Service] = true
			services = append(services, l.Service)
		}
	}
	f := run[0]
	f.Text = "… " + strconv.Itoa(n) + " routine steps in " + strings.Join(services, ", ")
	f.Kind = LineFold
	f.Service = ""
	f.count = 1
	f.routine = 0
	for _, l := range run {
		f.end = max(f.end, l.end)
	}
	return f
}

// insertGaps adds "(15 min later)" lines; see BuildStory for the rule.
func insertGaps(lines []line) []line {
	if len(lines) < 2 {
		return lines
	}
	gaps := make([]int64, 0, len(lines)-1)
	for i := 1; i < len(lines); i++ {
		gaps = append(gaps, max(0, lines[i].TS-lines[i-1].end))
	}
	sorted := append([]int64(nil), gaps...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	median := sorted[len(sorted)/2]
	out := make([]line, 0, len(lines)+4)
	out = append(out, lines[0])
	for i := 1; i < len(lines); i++ {
		if g := gaps[i-1]; isGap(g, median) {
			out = append(out, line{StoryLine: StoryLine{
				TS: lines[i-1].end, Text: "(" + humanDuration(float64(g)/1000) + " later)", Kind: LineGap, Ref: -1,
			}})
		}
		out = append(out, lines[i])
	}
	return out
}

// isGap decides whether a pause of g µs, in a journey whose median pause is
// median µs, deserves a gap line: at least 30 s, and 10× the median or at
// least 10 min.
func isGap(g, median int64) bool {
	const sec = 1_000_000
	return g >= 30*sec && (g >= 10*median || g >= 600*sec)
}

package journey

import (
	"encoding/json"
	"strconv"

	"github.com/lore-dev/lore/internal/event"
)

// Outcomes of a journey.
const (
	OutcomeSucceeded = "succeeded"
	OutcomeFailed    = "failed"
	OutcomeAbandoned = "abandoned"
)

// Summary sums a journey up.
//
//   - Services: the services crossed, in order of first appearance.
//   - DurationMS: from the first event's start to the latest end (a span ends
//     at TS + DurationMS), in milliseconds.
//   - Retries: for each service, the highest RetryAttempt any of its events
//     carries, summed over services. Attempts are numbered from 1, so this
//     counts retries, not calls; the announcement of retry #2 and the call it
//     makes count once. A service retrying two separate operations in one
//     journey counts the higher of the two.
//   - Errors: error-level events (level error or fatal, or kind error not
//     at a lower level: a warning-level captured message is no error),
//     counted once per request: events of the same service and trace (or,
//     without a trace, the same request id) are one request. A 429 or 5xx at
//     a lower level is not an error here, though it may decide the outcome.
//   - Outcome:
//     failure signals are error-level events, 5xx and 429 statuses and names
//     ending in "failed" (failure, aborted, rejected, declined), except
//     failures inside a request whose root (the earliest-starting request
//     served in the trace) answered 2xx other than 202: those were absorbed
//     on the way (names ending in "failed" always count); success
//     signals are names ending in "succeeded" (success, completed, created,
//     confirmed, placed) and 2xx statuses other than 202.
//     "failed" when a failure signal comes after the last success signal;
//     in a user or session journey (more than one trace) where the user only
//     navigated after that failure and then stopped, "abandoned" instead.
//     Otherwise, in a user or session journey, "abandoned" when a flow was
//     started (a name ending in "started", "begun" or "initiated") after the
//     last success name ("… Completed", "…_succeeded"); a 2xx does not
//     complete a flow, it only recovers from a failure. Otherwise
//     "succeeded". An empty journey has no outcome.
//   - Users: the user ids seen, in order of first appearance.
//   - Traces: the number of distinct trace ids.
//   - Start, End: first start and latest end, microseconds since the epoch.
type Summary struct {
	Services   []string
	DurationMS float64
	Retries    int
	Errors     int
	Outcome    string
	Users      []string
	Traces     int
	Start, End int64
}

// MarshalJSON renders s with the keys services, duration_ms, retries,
// errors, outcome, users, traces, start and end (times in event.TimeFormat).
func (s Summary) MarshalJSON() ([]byte, error) {
	services, users := s.Services, s.Users
	if services == nil {
		services = []string{}
	}
	if users == nil {
		users = []string{}
	}
	var start, end string
	if s.Start != 0 || s.End != 0 {
		start, end = event.FormatMicros(s.Start), event.FormatMicros(s.End)
	}
	return json.Marshal(struct {
		Services   []string `json:"services"`
		DurationMS float64  `json:"duration_ms"`
		Retries    int      `json:"retries"`
		Errors     int      `json:"errors"`
		Outcome    string   `json:"outcome"`
		Users      []string `json:"users"`
		Traces     int      `json:"traces"`
		Start      string   `json:"start,omitempty"`
		End        string   `json:"end,omitempty"`
	}{services, s.DurationMS, s.Retries, s.Errors, s.Outcome, users, s.Traces, start, end})
}

// summarize computes the Summary of sorted events; by is the journey's key
// ("trace", "user", "session"), or "" to infer it from the trace count.
func summarize(events []event.Event, by string) Summary {
	var s Summary
	if len(events) == 0 {
		return s
	}
	s.Start, s.End = events[0].TS, events[0].TS
	seenSvc, seenUser := map[string]bool{}, map[string]bool{}
	traces := map[event.TraceID]bool{}
	maxRetry := map[string]int{}
	errorReqs := map[string]bool{}
	for i := range events {
		e := &events[i]
		s.End = max(s.End, eventEnd(e))
		if e.Service != "" && !seenSvc[e.Service] {
			seenSvc[e.Service] = true
			s.Services = append(s.Services, e.Service)
		}
		if e.UserID != "" && !seenUser[e.UserID] {
			seenUser[e.UserID] = true
			s.Users = append(s.Users, e.UserID)
		}
		if !e.TraceID.IsZero() {
			traces[e.TraceID] = true
		}
		if n := int(e.RetryAttempt); n > maxRetry[e.Service] {
			maxRetry[e.Service] = n
		}
		if isError(e) {
			errorReqs[requestKey(e, i)] = true
		}
	}
	for _, n := range maxRetry {
		s.Retries += n
	}
	s.Errors = len(errorReqs)
	s.Traces = len(traces)
	s.DurationMS = float64(s.End-s.Start) / 1000
	flows := by == "user" || by == "session" || (by == "" && s.Traces > 1)
	s.Outcome = outcome(events, flows)
	return s
}

// requestKey identifies the request an event belongs to, for counting
// errors once per request.
func requestKey(e *event.Event, i int) string {
	switch {
	case !e.TraceID.IsZero():
		return e.Service + "\x00t" + e.TraceID.String()
	case e.RequestID != "":
		return e.Service + "\x00r" + e.RequestID
	}
	return "\x00i" + strconv.Itoa(i)
}

// outcome applies the outcome rules documented on Summary; flows is true
// for user and session journeys.
func outcome(events []event.Event, flows bool) string {
	lastFail, lastOK, lastSuccessName, lastStart := -1, -1, -1, -1
	absorbed := absorbedFailures(events)
	for i := range events {
		e := &events[i]
		if isFailure(e) && !absorbed[i] {
			lastFail = i
		}
		if isOK(e) {
			lastOK = i
		}
		if isSuccessName(e) {
			lastSuccessName = i
		}
		if isStartName(e) {
			lastStart = i
		}
	}
	if lastFail > lastOK {
		if flows && lastFail < len(events)-1 && onlyNavigation(events[lastFail+1:]) {
			return OutcomeAbandoned
		}
		return OutcomeFailed
	}
	if flows && lastStart > lastSuccessName {
		return OutcomeAbandoned
	}
	return OutcomeSucceeded
}

// absorbedFailures finds the failures absorbed on the way: those inside a
// request tree whose root (the earliest-starting request served in a trace,
// told by a span or a request log) answered 2xx other than 202, as when a
// service serves a product page without its stock level because inventory
// timed out. An event is inside the tree when its span descends from the
// root's span, or, without a span id, when it happened while the root ran.
func absorbedFailures(events []event.Event) []bool {
	type spanKey struct {
		t event.TraceID
		s event.SpanID
	}
	type root struct {
		i          int
		start, end int64
	}
	parents := map[spanKey]event.SpanID{}
	roots := map[event.TraceID]root{}
	for i := range events {
		e := &events[i]
		if e.Kind == event.KindSpan && !e.SpanID.IsZero() {
			parents[spanKey{e.TraceID, e.SpanID}] = e.ParentSpanID
		}
		if e.TraceID.IsZero() || e.HTTPStatus == 0 || isProduct(e) || isClientSpan(e) || e.HTTPMethod == "" {
			continue
		}
		start, end := e.TS, eventEnd(e)
		if e.Kind != event.KindSpan {
			start -= int64(e.DurationMS * 1000)
		}
		r, ok := roots[e.TraceID]
		if !ok || start < r.start || start == r.start && end > r.end {
			roots[e.TraceID] = root{i, start, end}
		}
	}
	absorbed := make([]bool, len(events))
	for i := range events {
		e := &events[i]
		r, ok := roots[e.TraceID]
		if !ok || !isFailure(e) || isFailureName(e) {
			continue
		}
		rs := events[r.i].HTTPStatus
		if rs < 200 || rs >= 300 || rs == 202 || r.i == i {
			continue
		}
		rootSpan := events[r.i].SpanID
		switch {
		case e.SpanID.IsZero() || rootSpan.IsZero():
			absorbed[i] = e.TS >= r.start && e.TS <= r.end
		default:
			s := e.SpanID
			for depth := 0; depth < 64 && !s.IsZero(); depth++ {
				if s == rootSpan {
					absorbed[i] = true
					break
				}
				s = parents[spanKey{e.TraceID, s}]
			}
		}
	}
	return absorbed
}

// onlyNavigation reports whether events are all the user's own page views,
// clicks and product events.
func onlyNavigation(events []event.Event) bool {
	for i := range events {
		if !isProduct(&events[i]) {
			return false
		}
	}
	return true
}

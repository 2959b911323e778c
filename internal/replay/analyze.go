package replay

import (
	"math"
	"sort"

	"github.com/valyala/fastjson"
)

// Thresholds of the detections, as PostHog's autocapture and Sentry's
// replay define them (so a session's frustration reads the same in all
// three): three clicks each within a second and 30 px of the previous are
// a rage click; a click on a control after which nothing on the page
// changes for 2.5 s is a dead click; an error within 5 s of a click
// followed it.
const (
	rageClicks     = 3
	rageGapMS      = 1000
	rageDistancePx = 30
	deadAfterMS    = 2500
	errorAfterMS   = 5000
)

// Detection kinds, the names of the events they become.
const (
	DetectRageClick       = "$rageclick"
	DetectDeadClick       = "$dead_click"
	DetectErrorAfterClick = "$error_after_click"
)

// Summary is what a session's recording shows: its span, the pages it
// visited, the clicks, inputs and errors in it, and what frustrated the
// person (rage clicks, dead clicks, errors right after a click).
type Summary struct {
	Start, End int64 // ms since the epoch, first and last recorded moment
	Events     int   // rrweb events
	Pages      []RecordedPage
	Clicks     int
	Inputs     int
	Errors     int // errors in the stream (the SDK's, console errors) and the extra ones given
	Detections []Detection
}

// RecordedPage is a page the recording shows, from the moment it was loaded or
// navigated to.
type RecordedPage struct {
	TS  int64  `json:"ts"`
	URL string `json:"url"`
}

// Detection is a moment of frustration found in a recording.
type Detection struct {
	Kind     string  // DetectRageClick, DetectDeadClick or DetectErrorAfterClick
	TS       int64   // ms: the (first) click
	End      int64   // ms: the last click of a rage click, the error after a click, deadAfterMS after a dead click
	Clicks   int     // clicks in a rage click
	Selector string  // the clicked element, as tag#id.class > …
	Text     string  // its text or label as recorded
	URL      string  // the page
	X, Y     float64 // where the click landed
	Error    string  // error after click: the error's message or type
	ErrorTS  int64   // error after click: when it happened (ms)
	TraceID  string  // the trace of the request the click made, or of the error
}

// ErrorAt is an error known from elsewhere than the stream (the session's
// journey: a browser error or a backend error in a trace the page
// started), which an error-after-click detection may point to.
type ErrorAt struct {
	TS      int64 // ms
	Text    string
	TraceID string
	// Browser: the page's own error (the SDK sent it as an event too).
	// The recording's copy of it, when it has one within 2 s, is the one
	// kept: its time is the page's own, to the millisecond.
	Browser bool
}

// Stream is one page's recording: its rrweb events in the order recorded.
type Stream struct {
	Page   string
	Events []*fastjson.Value
}

type click struct {
	ts      int64
	node    int
	x, y    float64
	url     string
	control int // the control it landed on (0: none)
	sel     string
	text    string
}

// Analyze reads a session's recording, page by page, into its Summary.
// extra are the session's errors known from its journey.
func Analyze(streams []Stream, extra []ErrorAt) Summary {
	var s Summary
	var clicks []click
	var errs []ErrorAt
	var requests []ErrorAt // the requests the page made (custom events), for the clicks' traces
	for _, st := range streams {
		m := mirror{}
		url := ""
		var activity []int64
		var pageClicks []click
		for _, v := range st.Events {
			h, err := readHead(v)
			if err != nil {
				continue
			}
			s.Events++
			if s.Start == 0 || h.ts < s.Start {
				s.Start = h.ts
			}
			s.End = max(s.End, h.ts)
			src := source(v, h.typ)
			switch {
			case h.typ == rrMeta:
				if href := string(v.GetStringBytes("data", "href")); href != "" && href != url {
					url = href
					s.Pages = append(s.Pages, RecordedPage{TS: h.ts, URL: href})
				}
				activity = append(activity, h.ts)
			case h.typ == rrFullSnapshot:
				m = mirror{}
				m.addTree(v.Get("data", "node"), 0, 0)
				activity = append(activity, h.ts)
			case src == srcMutation:
				d := v.Get("data")
				if len(d.GetArray("adds"))+len(d.GetArray("removes"))+len(d.GetArray("texts"))+len(d.GetArray("attributes")) > 0 {
					activity = append(activity, h.ts)
				}
				m.mutate(d)
			case src == srcScroll, src == srcSelection, src == srcViewportResize:
				activity = append(activity, h.ts)
			case src == srcInput:
				s.Inputs++
				activity = append(activity, h.ts)
			case isClick(v, src):
				s.Clicks++
				id := v.GetInt("data", "id")
				c := click{ts: h.ts, node: id, x: v.GetFloat64("data", "x"), y: v.GetFloat64("data", "y"), url: url}
				if !m.editable(id) {
					c.control = m.interactive(id)
				}
				named := id
				if c.control != 0 {
					named = c.control
				}
				c.sel, c.text = m.describe(named)
				pageClicks = append(pageClicks, c)
			case customTag(v, h.typ) == tagError:
				d := v.Get("data", "payload")
				errs = append(errs, ErrorAt{TS: h.ts, Text: firstNonEmpty(string(d.GetStringBytes("message")), string(d.GetStringBytes("type")), "error")})
			case customTag(v, h.typ) == tagNavigate:
				if href := string(v.GetStringBytes("data", "payload", "href")); href != "" && href != url {
					url = href
					s.Pages = append(s.Pages, RecordedPage{TS: h.ts, URL: href})
				}
				activity = append(activity, h.ts)
			case customTag(v, h.typ) == tagRequest:
				d := v.Get("data", "payload")
				requests = append(requests, ErrorAt{TS: h.ts, TraceID: string(d.GetStringBytes("trace_id"))})
			case isConsoleError(v, h.typ):
				p := v.GetArray("data", "payload", "payload")
				text := "console error"
				if len(p) > 0 {
					text = cutRunes(string(p[0].GetStringBytes()), 200)
					if text == "" {
						text = cutRunes(p[0].String(), 200)
					}
				}
				errs = append(errs, ErrorAt{TS: h.ts, Text: text})
			}
		}
		sort.Slice(activity, func(i, j int) bool { return activity[i] < activity[j] })
		s.Detections = append(s.Detections, deadClicks(pageClicks, activity, s.End)...)
		clicks = append(clicks, pageClicks...)
	}
	sort.SliceStable(clicks, func(i, j int) bool { return clicks[i].ts < clicks[j].ts })
	for _, x := range extra {
		if !x.Browser || !nearError(errs[:len(errs):len(errs)], x.TS) {
			errs = append(errs, x)
		}
	}
	s.Errors = len(errs)
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].TS < errs[j].TS })
	s.Detections = append(s.Detections, rageClickBursts(clicks)...)
	s.Detections = append(s.Detections, errorsAfterClicks(clicks, errs)...)
	for i := range s.Detections {
		d := &s.Detections[i]
		if d.TraceID == "" {
			d.TraceID = requestTrace(requests, d.TS)
		}
	}
	sort.SliceStable(s.Detections, func(i, j int) bool { return s.Detections[i].TS < s.Detections[j].TS })
	return s
}

// rageClickBursts finds runs of rageClicks or more clicks, each within a
// second and 30 px of the one before.
func rageClickBursts(clicks []click) []Detection {
	var out []Detection
	for i := 0; i < len(clicks); {
		j := i + 1
		for j < len(clicks) && clicks[j].ts-clicks[j-1].ts <= rageGapMS && clicks[j].url == clicks[i].url &&
			math.Hypot(clicks[j].x-clicks[j-1].x, clicks[j].y-clicks[j-1].y) <= rageDistancePx {
			j++
		}
		if n := j - i; n >= rageClicks {
			c := clicks[i]
			out = append(out, Detection{Kind: DetectRageClick, TS: c.ts, End: clicks[j-1].ts, Clicks: n, Selector: c.sel, Text: c.text, URL: c.url, X: c.x, Y: c.y})
		}
		i = j
	}
	return out
}

// deadClicks finds clicks on controls after which the page shows no
// change (no mutation, navigation, scroll, selection or input) for
// deadAfterMS, when the recording goes on long enough to tell. Of clicks
// in quick succession on the same control, only the first is reported.
func deadClicks(clicks []click, activity []int64, end int64) []Detection {
	var out []Detection
	last := click{ts: -deadAfterMS}
	for _, c := range clicks {
		repeat := c.control == last.control && c.ts-last.ts < deadAfterMS
		last = c
		if c.control == 0 || repeat || c.ts+deadAfterMS > end {
			continue
		}
		k := sort.Search(len(activity), func(i int) bool { return activity[i] > c.ts })
		if k < len(activity) && activity[k] <= c.ts+deadAfterMS {
			continue
		}
		out = append(out, Detection{Kind: DetectDeadClick, TS: c.ts, End: c.ts + deadAfterMS, Clicks: 1, Selector: c.sel, Text: c.text, URL: c.url, X: c.x, Y: c.y})
	}
	return out
}

// errorsAfterClicks pairs each error with the last click before it, when
// that click was at most errorAfterMS earlier; a click is reported once,
// with its first error.
func errorsAfterClicks(clicks []click, errs []ErrorAt) []Detection {
	var out []Detection
	reported := map[int]bool{}
	for _, e := range errs {
		k := sort.Search(len(clicks), func(i int) bool { return clicks[i].ts > e.TS }) - 1
		if k < 0 || e.TS-clicks[k].ts > errorAfterMS || reported[k] {
			continue
		}
		reported[k] = true
		c := clicks[k]
		out = append(out, Detection{Kind: DetectErrorAfterClick, TS: c.ts, End: e.TS, Clicks: 1, Selector: c.sel, Text: c.text, URL: c.url, X: c.x, Y: c.y,
			Error: e.Text, ErrorTS: e.TS, TraceID: e.TraceID})
	}
	return out
}

// nearError reports whether errs holds one within 2 s of ts.
func nearError(errs []ErrorAt, ts int64) bool {
	for _, e := range errs {
		if e.TS >= ts-2000 && e.TS <= ts+2000 {
			return true
		}
	}
	return false
}

// requestTrace is the trace of the first request the page made within a
// second after ts ("" when none).
func requestTrace(reqs []ErrorAt, ts int64) string {
	for _, r := range reqs {
		if r.TS >= ts && r.TS-ts <= 1000 && r.TraceID != "" {
			return r.TraceID
		}
	}
	return ""
}

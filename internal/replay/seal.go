package replay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/store"
)

// KindReplay is the kind of the event that lists a session's recording.
const KindReplay = "replay"

// IngestPath names the replay's events in the ingest metrics.
const IngestPath = "/api/v1/replay"

// Attributes of a kind:replay event.
const (
	AttrPages       = "replay.pages"
	AttrClicks      = "replay.clicks"
	AttrInputs      = "replay.inputs"
	AttrErrors      = "replay.errors"
	AttrRageClicks  = "replay.rage_clicks"
	AttrDeadClicks  = "replay.dead_clicks"
	AttrErrorClicks = "replay.error_clicks"
	AttrBytes       = "replay.bytes"
	AttrEvents      = "replay.events"
	AttrURL         = "replay.url"
	AttrSeal        = "replay.seal"
)

// AttrDetectionMS is a detection event's length in ms, from its first
// click to its end (the last click of a rage click, the error after a
// click, the quiet after a dead click). The store's funnel drop-offs take
// a detection as lasting until then (the DuckDB store reads this key).
const AttrDetectionMS = "replay.detection_ms"

// Run seals quiet sessions and deletes expired ones every Tick until ctx
// ends. It first finishes the seals a crash interrupted.
func (s *Service) Run(ctx context.Context) {
	if err := s.recoverSeals(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("cannot finish interrupted replay seals", "err", err)
	}
	t := time.NewTicker(s.opts.Tick)
	defer t.Stop()
	lastExpire := time.Time{}
	for {
		if n, err := s.SealReady(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("sealing replays", "sealed", n, "err", err)
		}
		if now := s.opts.Now(); now.Sub(lastExpire) >= time.Hour {
			lastExpire = now
			n, b, err := s.blobs.Expire(ctx, now.Add(-s.opts.Retention).UnixMilli())
			switch {
			case err != nil && ctx.Err() == nil:
				s.log.Warn("expiring replays", "err", err)
			case n > 0:
				s.stats.expired.Add(n)
				s.log.Info("expired replays", "sessions", n, "bytes", b, "retention", s.opts.Retention)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SealReady seals every session ready: quiet for Idle, its last chunk at
// least Grace old. It returns how many it sealed.
func (s *Service) SealReady(ctx context.Context) (int, error) {
	s.mu.Lock()
	sink := s.sink
	s.mu.Unlock()
	if sink == nil {
		return 0, nil
	}
	now := s.opts.Now()
	n := 0
	for ctx.Err() == nil {
		ready, err := s.blobs.Unsealed(ctx, now.Add(-s.opts.Grace).UnixMilli(), now.Add(-s.opts.Idle).UnixMilli(), 100)
		if err != nil || len(ready) == 0 {
			return n, err
		}
		sealed := 0
		for _, si := range ready {
			wait, err := s.waitForJourney(ctx, si, now)
			if err != nil {
				return n, err
			}
			if wait {
				continue
			}
			if err := s.seal(ctx, sink, si); err != nil {
				return n, err
			}
			sealed++
		}
		n += sealed
		// The sessions waiting come first again: a batch of them only is
		// left to the next tick.
		if len(ready) < 100 || sealed == 0 {
			break
		}
	}
	return n, ctx.Err()
}

// waitForJourney: the session's events are not in the store yet, and its
// last chunk came less than JourneyWait ago. A seal without them would
// name the page "browser", and leave the detections without the clicks'
// text and traces and the backend's errors, for good.
func (s *Service) waitForJourney(ctx context.Context, si SessionInfo, now time.Time) (bool, error) {
	if s.reader == nil || now.Sub(time.UnixMilli(si.ReceivedAt)) >= s.opts.JourneyWait {
		return false, nil
	}
	evs, err := s.reader.Journey(ctx, store.JourneyRequest{ProjectID: si.ProjectID, By: store.BySession, ID: si.SessionID, Range: sessionRange(si), Limit: 1})
	if err != nil {
		return false, fmt.Errorf("look for the events of session %q: %w", si.SessionID, err)
	}
	if len(evs) == 0 {
		return true, nil
	}
	return false, nil
}

// sessionRange is the time range of a session's events: its recording's
// span on Lore's clock, and a minute either side.
func sessionRange(si SessionInfo) store.Range {
	const margin = 60_000
	return store.Range{From: (si.First + si.SkewMS - margin) * 1000, To: (si.Last + si.SkewMS + margin) * 1000}
}

// recoverSeals ends the seals begun before a crash: a seal whose events
// reached the events store is ended; the others are done again (their
// sessions are still unsealed).
func (s *Service) recoverSeals(ctx context.Context) error {
	open, err := s.blobs.Sealing(ctx)
	if err != nil || s.reader == nil {
		return err
	}
	for _, si := range open {
		found, err := s.sealStored(ctx, si)
		if err != nil {
			return err
		}
		if !found {
			continue // sealed again by the next round
		}
		sum, _, err := s.analyse(ctx, si)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		doc, _ := json.Marshal(recordingSummary(sum, si.SkewMS))
		if err := s.blobs.EndSeal(ctx, si.ProjectID, si.SessionID, si.SealGen, doc); err != nil {
			return err
		}
	}
	return nil
}

// sealStored looks for the kind:replay event of the session's last seal.
func (s *Service) sealStored(ctx context.Context, si SessionInfo) (bool, error) {
	q, err := query.Parse(fmt.Sprintf("kind:%s session_id:%q %s:%d", KindReplay, si.SessionID, AttrSeal, si.SealGen))
	if err != nil {
		return false, err
	}
	from := (si.First + si.SkewMS - 60_000) * 1000
	res, err := s.reader.Search(ctx, store.SearchRequest{ProjectID: si.ProjectID, Range: store.Range{From: from, To: (si.Last+si.SkewMS+60_000)*1000 + 1}, Query: q, Limit: 1})
	if err != nil {
		return false, fmt.Errorf("look for the seal of session %q: %w", si.SessionID, err)
	}
	return len(res.Events) > 0, nil
}

// seal analyses one session's recording and writes its events.
func (s *Service) seal(ctx context.Context, sink Sink, si SessionInfo) error {
	gen, err := s.blobs.BeginSeal(ctx, si.ProjectID, si.SessionID)
	if err != nil {
		return err
	}
	sum, journey, err := s.analyse(ctx, si)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	evs := sessionEvents(si, sum, journey, gen)
	if err := sink.Submit(ctx, IngestPath, evs); err != nil {
		return fmt.Errorf("write the replay events of session %q: %w", si.SessionID, err)
	}
	doc, _ := json.Marshal(recordingSummary(sum, si.SkewMS))
	if err := s.blobs.EndSeal(ctx, si.ProjectID, si.SessionID, gen, doc); err != nil {
		return err
	}
	s.stats.sealed.Add(1)
	s.stats.detections.Add(int64(len(sum.Detections)))
	return nil
}

// analyse reads a session's recording and its journey into a summary.
func (s *Service) analyse(ctx context.Context, si SessionInfo) (Summary, []event.Event, error) {
	var streams []Stream
	var parsers []*fastjson.Parser // the values point into them
	err := s.blobs.Chunks(ctx, si.ProjectID, si.SessionID, func(c Chunk) error {
		p := new(fastjson.Parser)
		evs, err := chunkEvents(p, c.Data, s.opts.Limits.MaxRawChunkBytes)
		if err != nil {
			s.log.Warn("skipping an unreadable replay chunk", "session", si.SessionID, "page", c.PageID, "seq", c.Seq, "err", err)
			return nil
		}
		parsers = append(parsers, p)
		if n := len(streams); n == 0 || streams[n-1].Page != c.PageID {
			streams = append(streams, Stream{Page: c.PageID})
		}
		st := &streams[len(streams)-1]
		st.Events = append(st.Events, evs...)
		return nil
	})
	if err != nil {
		return Summary{}, nil, err
	}
	var journey []event.Event
	var extra []ErrorAt
	if s.reader != nil {
		journey, err = s.reader.Journey(ctx, store.JourneyRequest{ProjectID: si.ProjectID, By: store.BySession, ID: si.SessionID, Range: sessionRange(si)})
		if err != nil {
			return Summary{}, nil, fmt.Errorf("read the journey of session %q: %w", si.SessionID, err)
		}
		for i := range journey {
			e := &journey[i]
			if isErrorEvent(e) {
				text := firstNonEmpty(e.ErrorType, cutRunes(e.Message, 200), e.Name)
				if e.Service != "" && !isBrowser(e) {
					text = e.Service + ": " + text
				}
				trace := ""
				if !e.TraceID.IsZero() {
					trace = e.TraceID.String()
				}
				extra = append(extra, ErrorAt{TS: e.TS/1000 - si.SkewMS, Text: text, TraceID: trace, Browser: isBrowser(e)})
			}
		}
	}
	sum := Analyze(streams, extra)
	if sum.Events == 0 {
		return Summary{}, nil, notFoundf("session %q holds no readable events", si.SessionID)
	}
	enrich(sum.Detections, journey, si.SkewMS)
	return sum, journey, nil
}

// isErrorEvent: an error, or an error-level record of another kind.
func isErrorEvent(e *event.Event) bool {
	return e.Kind == event.KindError || e.Level == event.LevelError || e.Level == event.LevelFatal
}

// isBrowser: an event the page sent (a browser SDK's: product events and
// page views, and errors that name their library or browser).
func isBrowser(e *event.Event) bool {
	if e.Kind == event.KindEvent || e.Kind == event.KindPageview || e.Service == "browser" || e.Service == "web" {
		return true
	}
	for _, k := range []string{"lib", "browser", "sentry.sdk.name"} {
		if v, ok := e.Attr(k); ok && v != "" {
			return true
		}
	}
	return false
}

// enrich names detected clicks as the SDK named them: the click event it
// sent at the same moment has the element's text (the recording masks
// text) and the trace the click started.
func enrich(ds []Detection, journey []event.Event, skew int64) {
	for i := range ds {
		d := &ds[i]
		best, bestGap := -1, int64(500)
		for k := range journey {
			e := &journey[k]
			if e.Kind != event.KindEvent || (e.Name != "$autocapture" && e.Name != "$click") {
				if _, ok := e.Attr("$el_selector"); !ok {
					continue
				}
			}
			gap := e.TS/1000 - skew - d.TS
			if gap < 0 {
				gap = -gap
			}
			if gap <= bestGap {
				best, bestGap = k, gap
			}
		}
		if best < 0 {
			continue
		}
		e := &journey[best]
		if t, ok := e.Attr("$el_text"); ok && t != "" {
			d.Text = t
		}
		if sel, ok := e.Attr("$el_selector"); ok && sel != "" && d.Selector == "" {
			d.Selector = sel
		}
		if d.TraceID == "" && !e.TraceID.IsZero() {
			d.TraceID = e.TraceID.String()
		}
	}
}

// sessionEvents are what a sealed session adds to the events table: its
// kind:replay event and one event per detection (unless the journey has
// the same one already, as posthog-js sends $rageclick and $dead_click
// itself).
func sessionEvents(si SessionInfo, sum Summary, journey []event.Event, gen int64) []event.Event {
	service := "browser"
	release, env := "", ""
	for i := range journey {
		if e := &journey[i]; isBrowser(e) && e.Service != "" {
			service, release, env = e.Service, e.Release, e.Env
			break
		}
	}
	var rage, dead, errClicks int
	for _, d := range sum.Detections {
		switch d.Kind {
		case DetectRageClick:
			rage++
		case DetectDeadClick:
			dead++
		case DetectErrorAfterClick:
			errClicks++
		}
	}
	start, end := (sum.Start+si.SkewMS)*1000, (sum.End+si.SkewMS)*1000
	entry := ""
	if len(sum.Pages) > 0 {
		entry = sum.Pages[0].URL
	}
	level := event.LevelInfo
	if rage+dead+errClicks > 0 {
		level = event.LevelWarn
	}
	base := event.Event{ProjectID: si.ProjectID, SessionID: si.SessionID, UserID: si.UserID, AnonymousID: si.AnonymousID,
		Service: service, Release: release, Env: env}
	r := base
	r.TS, r.Kind, r.Level, r.Name = start, KindReplay, level, "session replay"
	r.DurationMS = float64(end-start) / 1000
	r.Message = replayMessage(sum, rage, dead, errClicks)
	r.Attributes = []event.Attr{
		{Key: AttrPages, Value: strconv.Itoa(len(sum.Pages))}, {Key: AttrClicks, Value: strconv.Itoa(sum.Clicks)},
		{Key: AttrInputs, Value: strconv.Itoa(sum.Inputs)}, {Key: AttrErrors, Value: strconv.Itoa(sum.Errors)},
		{Key: AttrRageClicks, Value: strconv.Itoa(rage)}, {Key: AttrDeadClicks, Value: strconv.Itoa(dead)},
		{Key: AttrErrorClicks, Value: strconv.Itoa(errClicks)}, {Key: AttrBytes, Value: itoa(si.Bytes)},
		{Key: AttrEvents, Value: strconv.Itoa(sum.Events)}, {Key: AttrSeal, Value: itoa(gen)},
	}
	if entry != "" {
		r.Attributes = append(r.Attributes, event.Attr{Key: AttrURL, Value: entry})
	}
	out := []event.Event{r}
	for _, d := range sum.Detections {
		ts := (d.TS + si.SkewMS) * 1000
		if hasNear(journey, d.Kind, ts) {
			continue
		}
		e := base
		e.TS, e.Kind, e.Level, e.Name = ts, event.KindEvent, event.LevelWarn, d.Kind
		e.Message = detectionMessage(d)
		if d.TraceID != "" {
			e.TraceID, _ = event.ParseTraceID(d.TraceID)
		}
		e.Attributes = []event.Attr{{Key: "replay.offset_ms", Value: itoa(d.TS - sum.Start)}, {Key: "clicks", Value: strconv.Itoa(d.Clicks)}}
		if d.End > d.TS {
			// How long it lasted: a rage click that began with the click
			// that made a funnel step goes on after it (AttrDetectionMS).
			e.Attributes = append(e.Attributes, event.Attr{Key: AttrDetectionMS, Value: itoa(d.End - d.TS)})
		}
		for _, a := range [][2]string{{"$el_selector", d.Selector}, {"$el_text", d.Text}, {"$current_url", d.URL}, {"error", d.Error}} {
			if a[1] != "" {
				e.Attributes = append(e.Attributes, event.Attr{Key: a[0], Value: a[1]})
			}
		}
		if d.URL != "" {
			if p := pathOf(d.URL); p != "" {
				e.Endpoint = p
			}
		}
		out = append(out, e)
	}
	return out
}

// hasNear: the journey holds an event named name within 1.5 s of ts (µs).
func hasNear(journey []event.Event, name string, ts int64) bool {
	for i := range journey {
		if e := &journey[i]; e.Name == name && e.TS >= ts-1_500_000 && e.TS <= ts+1_500_000 {
			return true
		}
	}
	return false
}

func replayMessage(sum Summary, rage, dead, errClicks int) string {
	d := time.Duration(sum.End-sum.Start) * time.Millisecond
	parts := []string{fmt.Sprintf("Session replay of %s", d.Round(time.Second)), plural(len(sum.Pages), "page", "pages"), plural(sum.Clicks, "click", "clicks")}
	if sum.Errors > 0 {
		parts = append(parts, plural(sum.Errors, "error", "errors"))
	}
	if rage > 0 {
		parts = append(parts, plural(rage, "rage click", "rage clicks"))
	}
	if dead > 0 {
		parts = append(parts, plural(dead, "dead click", "dead clicks"))
	}
	if errClicks > 0 {
		parts = append(parts, plural(errClicks, "error after a click", "errors after a click"))
	}
	return parts[0] + ": " + strings.Join(parts[1:], ", ")
}

func detectionMessage(d Detection) string {
	what := d.Selector
	if d.Text != "" {
		what = fmt.Sprintf("%q", d.Text)
		if d.Selector != "" {
			what += " (" + d.Selector + ")"
		}
	}
	if what == "" {
		what = "the page"
	}
	where := ""
	if p := pathOf(d.URL); p != "" {
		where = " on " + p
	}
	switch d.Kind {
	case DetectRageClick:
		return fmt.Sprintf("Rage click: %d clicks on %s%s", d.Clicks, what, where)
	case DetectDeadClick:
		return fmt.Sprintf("Dead click: nothing changed after a click on %s%s", what, where)
	default:
		return fmt.Sprintf("Error after a click on %s%s: %s", what, where, d.Error)
	}
}

// pathOf is a URL's path ("" when it has none).
func pathOf(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		if j := strings.IndexByte(u, '/'); j >= 0 {
			u = u[j:]
		} else {
			return "/"
		}
	}
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	return u
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// RecordingSummary is a sealed session's summary as the API shows it (times in
// ms on Lore's clock).
type RecordingSummary struct {
	Start      int64          `json:"start"`
	End        int64          `json:"end"`
	Pages      []RecordedPage `json:"pages"`
	Clicks     int            `json:"clicks"`
	Inputs     int            `json:"inputs"`
	Errors     int            `json:"errors"`
	Detections []Frustration  `json:"detections"`
}

// Frustration is a detection as the API shows it.
type Frustration struct {
	Kind     string `json:"kind"`
	TS       int64  `json:"ts"`
	Clicks   int    `json:"clicks"`
	Selector string `json:"selector,omitempty"`
	Text     string `json:"text,omitempty"`
	URL      string `json:"url,omitempty"`
	Error    string `json:"error,omitempty"`
	TraceID  string `json:"trace_id,omitempty"`
}

func recordingSummary(sum Summary, skew int64) RecordingSummary {
	d := RecordingSummary{Start: sum.Start + skew, End: sum.End + skew, Clicks: sum.Clicks, Inputs: sum.Inputs, Errors: sum.Errors,
		Pages: []RecordedPage{}, Detections: []Frustration{}}
	for _, p := range sum.Pages {
		d.Pages = append(d.Pages, RecordedPage{TS: p.TS + skew, URL: p.URL})
	}
	for _, x := range sum.Detections {
		d.Detections = append(d.Detections, Frustration{Kind: x.Kind, TS: x.TS + skew, Clicks: x.Clicks, Selector: x.Selector, Text: x.Text,
			URL: x.URL, Error: x.Error, TraceID: x.TraceID})
	}
	return d
}

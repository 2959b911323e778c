package issue

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/analysis/issuestats"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/exception"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/store"
)

// StackFrames wraps frames as Sentry's stacktrace object does.
type StackFrames struct {
	Frames []exception.Frame `json:"frames"`
}

// ExceptionView is one exception of an event, in Sentry's shape.
type ExceptionView struct {
	Type       string       `json:"type"`
	Value      string       `json:"value"`
	Module     string       `json:"module,omitempty"`
	Stacktrace *StackFrames `json:"stacktrace,omitempty"`
}

// EventView is one error event as the issues API shows it.
type EventView struct {
	EventID     string            `json:"event_id,omitempty"`
	TS          string            `json:"ts"`
	Level       string            `json:"level"`
	Service     string            `json:"service"`
	Env         string            `json:"env"`
	Release     string            `json:"release"`
	Host        string            `json:"host,omitempty"`
	TraceID     string            `json:"trace_id,omitempty"`
	SpanID      string            `json:"span_id,omitempty"`
	UserID      string            `json:"user_id,omitempty"`
	SessionID   string            `json:"session_id,omitempty"`
	Message     string            `json:"message"`
	ErrorType   string            `json:"error_type,omitempty"`
	Endpoint    string            `json:"endpoint,omitempty"`
	HTTPMethod  string            `json:"http_method,omitempty"`
	HTTPStatus  int32             `json:"http_status,omitempty"`
	Fingerprint string            `json:"fingerprint"`
	Exception   []ExceptionView   `json:"exception"`
	Stacktrace  *StackFrames      `json:"stacktrace"` // of the last exception
	Breadcrumbs []json.RawMessage `json:"breadcrumbs"`
	Attributes  map[string]string `json:"attributes"`
}

// hiddenAttrs are shown as structured fields, not attributes.
var hiddenAttrs = map[string]bool{exception.AttrExceptions: true, exception.AttrBreadcrumbs: true}

// View renders an error event for the API.
func View(e *event.Event) EventView {
	v := EventView{TS: event.FormatMicros(e.TS), Level: e.Level, Service: e.Service, Env: e.Env, Release: e.Release,
		Host: e.Host, TraceID: e.TraceID.String(), SpanID: e.SpanID.String(), UserID: e.UserID, SessionID: e.SessionID,
		Message: e.Message, ErrorType: e.ErrorType, Endpoint: e.Endpoint, HTTPMethod: e.HTTPMethod, HTTPStatus: e.HTTPStatus,
		Fingerprint: e.Fingerprint, Exception: []ExceptionView{}, Breadcrumbs: []json.RawMessage{}, Attributes: map[string]string{}}
	v.EventID, _ = e.Attr(exception.AttrEventID)
	for _, ex := range exception.FromEvent(e) {
		xv := ExceptionView{Type: ex.Type, Value: ex.Value, Module: ex.Module}
		if len(ex.Frames) > 0 {
			xv.Stacktrace = &StackFrames{Frames: ex.Frames}
		}
		v.Exception = append(v.Exception, xv)
	}
	if n := len(v.Exception); n > 0 {
		v.Stacktrace = v.Exception[n-1].Stacktrace
	}
	if b, ok := e.Attr(exception.AttrBreadcrumbs); ok {
		var crumbs []json.RawMessage
		if json.Unmarshal([]byte(b), &crumbs) == nil {
			v.Breadcrumbs = crumbs
		}
	}
	for _, a := range e.Attributes {
		if !hiddenAttrs[a.Key] {
			v.Attributes[a.Key] = a.Value
		}
	}
	return v
}

// TagValue is one value of a tag and its event count.
type TagValue struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}

// Related is the rest of the latest event's trace and where to read the
// affected user's journey.
type Related struct {
	TraceID     string            `json:"trace_id,omitempty"`
	Services    []string          `json:"services"`
	Events      []json.RawMessage `json:"events"`
	TraceURL    string            `json:"trace_url,omitempty"`
	JourneyURL  string            `json:"journey_url,omitempty"`
	SessionURL  string            `json:"session_url,omitempty"`
	TotalEvents int               `json:"total_events"`
}

// Detail is the answer of GET /api/v1/issues/{id}.
type Detail struct {
	Summary
	LatestEvent *EventView            `json:"latest_event"`
	Tags        map[string][]TagValue `json:"tags"`
	Releases    []TagValue            `json:"releases"`
	UsersList   []TagValue            `json:"affected_users"`
	Related     Related               `json:"related"`
}

// TagFields are the tags whose distributions an issue's detail shows, with
// the custom tags the latest event was sent with (exception.AttrTags, at most
// maxCustomTags).
var TagFields = []string{"release", "env", "service", "browser", "os", "endpoint", "http_status", "host", "handled", "mechanism"}

const maxCustomTags = 10

// tagFields are TagFields and the custom tags of e (nil: none).
func tagFields(e *event.Event) []string {
	fields := append([]string(nil), TagFields...)
	if e == nil {
		return fields
	}
	keys, _ := e.Attr(exception.AttrTags)
	n := 0
	for _, k := range strings.Split(keys, ",") {
		if k = strings.TrimSpace(k); k == "" || slices.Contains(fields, k) || n == maxCustomTags {
			continue
		}
		fields = append(fields, k)
		n++
	}
	return fields
}

// DetailRequest asks for one issue; EventID picks an event other than the
// latest (its SDK event id).
type DetailRequest struct {
	ProjectID int64
	ID        int64
	Range     store.Range
	EventID   string
}

// Get returns an issue with its latest (or chosen) event, tag
// distributions, releases, affected users and related trace.
func (s *Service) Get(ctx context.Context, r DetailRequest) (Detail, error) {
	is, err := s.meta.IssueByID(ctx, r.ProjectID, r.ID)
	if err != nil {
		return Detail{}, err
	}
	if is.MergedInto != 0 {
		return s.Get(ctx, DetailRequest{ProjectID: r.ProjectID, ID: is.MergedInto, Range: r.Range, EventID: r.EventID})
	}
	gr := store.IssueGroupsRequest{ProjectID: r.ProjectID, Range: r.Range, Fingerprints: is.Fingerprints, Users: true}
	tot, err := aggregate(ctx, s, issuestats.Total(gr))
	if err != nil {
		return Detail{}, err
	}
	sm := summary(is)
	if tot.Count > 0 {
		addGroup(sm, tot)
	}
	finish(sm, is)
	format(sm, is)
	d := Detail{Summary: *sm, Tags: map[string][]TagValue{}, Related: Related{Services: []string{}, Events: []json.RawMessage{}}}
	list := []Summary{d.Summary}
	if err := s.sparklines(ctx, r.ProjectID, list); err != nil {
		return Detail{}, err
	}
	d.Count24h, d.Count14d = list[0].Count24h, list[0].Count14d

	q := issueQuery(is.Fingerprints, nil)
	if r.EventID != "" {
		q = issueQuery(is.Fingerprints, &query.Query{Root: &query.Field{Name: exception.AttrEventID, Attr: true, Op: query.OpEq, Value: r.EventID}})
	}
	latest, err := s.events.Search(ctx, store.SearchRequest{ProjectID: r.ProjectID, Range: r.Range, Query: q, Limit: 1})
	if err != nil {
		return Detail{}, err
	}
	if r.EventID != "" && len(latest.Events) == 0 {
		return Detail{}, fmt.Errorf("event %q of issue %d: %w", r.EventID, r.ID, ErrNotFound)
	}
	var latestEvent *event.Event
	if len(latest.Events) > 0 {
		latestEvent = &latest.Events[0]
	}
	for _, f := range tagFields(latestEvent) {
		fr, err := s.events.Facets(ctx, store.FacetsRequest{ProjectID: r.ProjectID, Range: r.Range, Query: issueQuery(is.Fingerprints, nil), Field: f, Limit: 10})
		if err != nil {
			return Detail{}, err
		}
		var vals []TagValue
		for _, v := range fr.Values {
			if v.Value != "" {
				vals = append(vals, TagValue{v.Value, v.Count})
			}
		}
		if len(vals) > 0 {
			d.Tags[f] = vals
		}
	}
	d.Releases = orEmpty(d.Tags["release"])
	users, err := s.events.Facets(ctx, store.FacetsRequest{ProjectID: r.ProjectID, Range: r.Range, Query: issueQuery(is.Fingerprints, nil), Field: "user_id", Limit: 20})
	if err != nil {
		return Detail{}, err
	}
	for _, v := range users.Values {
		if v.Value != "" {
			d.UsersList = append(d.UsersList, TagValue{v.Value, v.Count})
		}
	}
	d.UsersList = orEmpty(d.UsersList)
	if len(latest.Events) == 0 {
		return d, nil
	}
	e := &latest.Events[0]
	v := View(e)
	d.LatestEvent = &v
	if err := s.related(ctx, r, e, &d.Related); err != nil {
		return Detail{}, err
	}
	return d, nil
}

func orEmpty(v []TagValue) []TagValue {
	if v == nil {
		return []TagValue{}
	}
	return v
}

// related fills the trace of e (its other events, every service) and the
// links to the journeys of its trace, user and session.
func (s *Service) related(ctx context.Context, r DetailRequest, e *event.Event, rel *Related) error {
	// The user's and the session's journeys up to the error: the day
	// before it, and the second after (what the error itself caused).
	window := "?" + url.Values{"from": {event.FormatMicros(e.TS - int64(24*time.Hour/time.Microsecond))},
		"to": {event.FormatMicros(e.TS + int64(time.Second/time.Microsecond))}}.Encode()
	if e.UserID != "" {
		rel.JourneyURL = "/api/v1/journeys/user/" + url.PathEscape(e.UserID) + window
	}
	if e.SessionID != "" {
		rel.SessionURL = "/api/v1/journeys/session/" + url.PathEscape(e.SessionID) + window
	}
	if e.TraceID.IsZero() {
		return nil
	}
	rel.TraceID = e.TraceID.String()
	rel.TraceURL = "/api/v1/journeys/trace/" + rel.TraceID
	day := int64(24 * time.Hour / time.Microsecond)
	evs, err := s.events.Journey(ctx, store.JourneyRequest{ProjectID: r.ProjectID, By: store.ByTrace, ID: rel.TraceID,
		Range: store.Range{From: e.TS - day, To: e.TS + day}, Limit: 500})
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := range evs {
		o := &evs[i]
		if o.Kind == event.KindError && o.Fingerprint == e.Fingerprint && o.TS == e.TS {
			continue // the error itself
		}
		rel.Events = append(rel.Events, o.AppendJSON(nil))
		if o.Service != "" && !seen[o.Service] {
			seen[o.Service] = true
			rel.Services = append(rel.Services, o.Service)
		}
	}
	rel.TotalEvents = len(rel.Events)
	return nil
}

// Update is a change to an issue (PATCH /api/v1/issues/{id}).
type Update struct {
	Status        *string  `json:"status,omitempty"`
	IgnoreMinutes int64    `json:"ignore_minutes,omitempty"` // with status ignored: for this long
	IgnoreCount   int64    `json:"ignore_count,omitempty"`   // with status ignored: until this many more events
	Assignee      *string  `json:"assignee,omitempty"`
	Merge         []int64  `json:"merge,omitempty"`   // issues to merge into this one
	Unmerge       []string `json:"unmerge,omitempty"` // fingerprints to split out again
}

// Apply changes an issue and returns it as Get would.
func (s *Service) Apply(ctx context.Context, project, id int64, u Update, rng store.Range) (Detail, error) {
	is, err := s.meta.IssueByID(ctx, project, id)
	if err != nil {
		return Detail{}, err
	}
	now := s.now().UnixMicro()
	mu := meta.IssueUpdate{Status: u.Status, Assignee: u.Assignee, Now: now}
	if u.Status != nil {
		switch st := *u.Status; {
		case !meta.ValidIssueStatus(st):
			return Detail{}, fmt.Errorf("%w: status %q: want unresolved, resolved, resolved_in_next_release or ignored", ErrBadRequest, st)
		case st == meta.IssueIgnored:
			if u.IgnoreMinutes < 0 || u.IgnoreCount < 0 {
				return Detail{}, fmt.Errorf("%w: ignore_minutes and ignore_count must not be negative", ErrBadRequest)
			}
			if u.IgnoreMinutes > 0 {
				mu.IgnoreUntil = now + u.IgnoreMinutes*int64(time.Minute/time.Microsecond)
			}
			mu.IgnoreCount = u.IgnoreCount
		case st == meta.IssueResolvedNextRelease:
			tot, err := aggregate(ctx, s, issuestats.Total(store.IssueGroupsRequest{ProjectID: project, Range: rng, Fingerprints: is.Fingerprints}))
			if err != nil {
				return Detail{}, err
			}
			mu.Release = tot.LastRelease
		}
	}
	if err := s.meta.UpdateIssue(ctx, project, id, mu); err != nil {
		return Detail{}, err
	}
	if len(u.Merge) > 0 {
		if err := s.meta.MergeIssues(ctx, project, id, u.Merge); err != nil {
			return Detail{}, err
		}
	}
	for _, fp := range u.Unmerge {
		if err := s.meta.UnmergeIssue(ctx, project, id, fp); err != nil {
			return Detail{}, err
		}
	}
	if s.tracker != nil {
		s.tracker.Invalidate(project)
	}
	return s.Get(ctx, DetailRequest{ProjectID: project, ID: id, Range: rng})
}

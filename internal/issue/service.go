package issue

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lore-dev/lore/internal/analysis/issuestats"
	"github.com/lore-dev/lore/internal/analysis/resolve"
	"github.com/lore-dev/lore/internal/cache"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// Meta is the issue state the Service reads and changes (*meta.Store).
type Meta interface {
	Issues(ctx context.Context, project int64) ([]meta.Issue, error)
	IssueByID(ctx context.Context, project, id int64) (meta.Issue, error)
	UpdateIssue(ctx context.Context, project, id int64, u meta.IssueUpdate) error
	MergeIssues(ctx context.Context, project, target int64, others []int64) error
	UnmergeIssue(ctx context.Context, project, id int64, fp string) error
	IssueSignals(ctx context.Context, project, since int64) ([]meta.IssueSignal, error)
	IssueSettings(ctx context.Context, project int64) (json.RawMessage, error)
	SetIssueSettings(ctx context.Context, project int64, doc json.RawMessage) error
}

var _ Meta = (*meta.Store)(nil)

// Events is what the Service reads from the events store.
type Events interface {
	// Executor runs the issue list's aggregates (internal/analysis/issuestats).
	sqlq.Executor
	Search(ctx context.Context, r store.SearchRequest) (store.SearchResult, error)
	Facets(ctx context.Context, r store.FacetsRequest) (store.FacetsResult, error)
	Journey(ctx context.Context, r store.JourneyRequest) ([]event.Event, error)
}

// ErrNotFound is wrapped by errors about an issue that does not exist.
var ErrNotFound = meta.ErrNoIssue

// ErrBadRequest is wrapped by errors about a request the caller must fix.
var ErrBadRequest = errs.New(errs.Invalid, "bad request")

// Service answers the issues API: lists, details, events and changes.
type Service struct {
	meta    Meta
	events  Events
	tracker *Tracker // nil in tests that do not ingest
	now     func() time.Time
	// res remembers the aggregates of settled ranges (UseResolver).
	res *resolve.Resolver

	mu     sync.Mutex
	cached map[int64]issueTable // by project, valid while the tracker's generation is the same
}

type issueTable struct {
	gen    int64
	read   time.Time
	issues []meta.Issue
}

// issues returns a project's issues, cached while this node's Tracker
// reports no change, for cache.Staleness at most (another node's tracker
// may have changed them). The slice is shared: read only.
func (s *Service) issues(ctx context.Context, project int64) ([]meta.Issue, error) {
	if s.tracker == nil {
		return s.meta.Issues(ctx, project)
	}
	gen := s.tracker.Generation()
	s.mu.Lock()
	c, ok := s.cached[project]
	s.mu.Unlock()
	if ok && c.gen == gen && s.now().Sub(c.read) < cache.Staleness {
		return c.issues, nil
	}
	issues, err := s.meta.Issues(ctx, project)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.cached == nil {
		s.cached = map[int64]issueTable{}
	}
	s.cached[project] = issueTable{gen, s.now(), issues}
	s.mu.Unlock()
	return issues, nil
}

// NewService builds the read side of the issues feature. tracker may be nil.
func NewService(m Meta, ev Events, tracker *Tracker, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{meta: m, events: ev, tracker: tracker, now: now}
}

// UseResolver has the issue list's aggregates over settled ranges (ended
// more than a minute ago) answered through res, remembered by Key() with
// the other analyses' answers and forgotten with them after a deletion;
// those over ranges that reach now are read live, as the list shows the
// errors of the last seconds.
func (s *Service) UseResolver(res *resolve.Resolver) { s.res = res }

// aggregate answers q (an issuestats query object) through the
// resolver when its range is settled, else on the events store.
func aggregate[T any](ctx context.Context, s *Service, q interface {
	resolve.Query
	Run(context.Context, sqlq.Executor) (T, error)
}) (T, error) {
	if !s.res.Settled(q.Scope()) {
		return q.Run(ctx, s.events)
	}
	return resolve.Do(ctx, s.res, q, func(ctx context.Context) (T, error) { return q.Run(ctx, s.events) })
}

// Summary is one issue in a list.
type Summary struct {
	ID           int64    `json:"id"`
	Title        string   `json:"title"`
	Culprit      string   `json:"culprit"`
	Level        string   `json:"level"`
	Status       string   `json:"status"`
	Count        int64    `json:"count"`
	Users        int64    `json:"users"`
	FirstSeen    string   `json:"first_seen"`
	LastSeen     string   `json:"last_seen"`
	FirstRelease string   `json:"first_release"`
	LastRelease  string   `json:"last_release"`
	Fingerprint  string   `json:"fingerprint"`
	Fingerprints []string `json:"fingerprints,omitempty"`
	ErrorType    string   `json:"error_type,omitempty"`
	Assignee     string   `json:"assignee,omitempty"`
	RegressedIn  string   `json:"regressed_in,omitempty"`
	RegressedAt  string   `json:"regressed_at,omitempty"`
	Dropped      int64    `json:"dropped,omitempty"`
	Count24h     []int64  `json:"count_24h"` // hourly, oldest first, ending now
	Count14d     []int64  `json:"count_14d"` // daily, oldest first, ending now

	firstSeen, lastSeen int64
	idx                 int // in the issues the list was built from
}

// ListRequest asks for a project's issues with events in Range.
type ListRequest struct {
	ProjectID int64
	Range     store.Range
	Status    string       // "", "unresolved" (with regressed), "resolved", "ignored", …, or "all"
	Query     *query.Query // restricts the events counted (release:…, env:…, words)
	Sort      string       // last_seen (default), count, users, first_seen
	Limit     int          // default 100, max 1000
}

// List is the answer of GET /api/v1/issues.
type List struct {
	Issues []Summary `json:"issues"`
	// Total counts the matching issues before the limit, Events their
	// events in the range (the sum of every matching issue's count).
	Total  int   `json:"total"`
	Events int64 `json:"events"`
}

// SortOrders are the accepted values of ListRequest.Sort.
var SortOrders = []string{"last_seen", "count", "users", "first_seen"}

// List returns the issues that had matching events in the range.
func (s *Service) List(ctx context.Context, r ListRequest) (List, error) {
	if r.Sort == "" {
		r.Sort = "last_seen"
	}
	if !slices.Contains(SortOrders, r.Sort) {
		return List{}, fmt.Errorf("%w: sort %q: want one of %s", ErrBadRequest, r.Sort, strings.Join(SortOrders, ", "))
	}
	if r.Status != "" && r.Status != "all" && r.Status != meta.IssueRegressed && !meta.ValidIssueStatus(r.Status) {
		return List{}, fmt.Errorf("%w: status %q: want unresolved, resolved, resolved_in_next_release, ignored, regressed or all", ErrBadRequest, r.Status)
	}
	if r.Limit <= 0 {
		r.Limit = 100
	}
	r.Limit = min(r.Limit, 1000)
	issues, err := s.issues(ctx, r.ProjectID)
	if err != nil {
		return List{}, err
	}
	byFP := make(map[string]int, len(issues))
	for i, is := range issues {
		for _, fp := range is.Fingerprints {
			byFP[fp] = i
		}
	}
	// Distinct users cost the most: count them for every group only when
	// sorting by them, else for the page alone.
	byUsers := r.Sort == "users"
	groups, err := aggregate(ctx, s, issuestats.Groups(store.IssueGroupsRequest{ProjectID: r.ProjectID, Range: r.Range, Query: r.Query, Users: byUsers}))
	if err != nil {
		return List{}, err
	}
	acc := make(map[int]*Summary)
	parts := map[int]int{}
	for _, g := range groups {
		i, ok := byFP[g.Fingerprint]
		if !ok || !statusMatches(r.Status, issues[i].Status) {
			continue
		}
		parts[i]++
		sm := acc[i]
		if sm == nil {
			sm = summary(issues[i])
			sm.idx = i
			acc[i] = sm
		}
		addGroup(sm, g)
	}
	out := make([]Summary, 0, len(acc))
	for i, sm := range acc {
		if byUsers && parts[i] > 1 {
			if err := s.mergedUsers(ctx, r, issues[i], sm); err != nil {
				return List{}, err
			}
		}
		finish(sm, issues[i])
		out = append(out, *sm)
	}
	sortSummaries(out, r.Sort)
	total, events := len(out), int64(0)
	for _, sm := range out {
		events += sm.Count
	}
	if len(out) > r.Limit {
		out = out[:r.Limit]
	}
	if !byUsers {
		if err := s.pageUsers(ctx, r, issues, parts, out); err != nil {
			return List{}, err
		}
	}
	for i := range out {
		format(&out[i], issues[out[i].idx])
	}
	if err := s.sparklines(ctx, r.ProjectID, out); err != nil {
		return List{}, err
	}
	return List{Issues: out, Total: total, Events: events}, nil
}

// mergedUsers counts the distinct users of an issue of several
// fingerprints once, rather than summing its groups'.
func (s *Service) mergedUsers(ctx context.Context, r ListRequest, is meta.Issue, sm *Summary) error {
	tot, err := aggregate(ctx, s, issuestats.Total(store.IssueGroupsRequest{ProjectID: r.ProjectID, Range: r.Range, Query: r.Query,
		Fingerprints: is.Fingerprints, Users: true}))
	if err != nil {
		return err
	}
	sm.Users = tot.Users
	return nil
}

// pageUsers fills the distinct users of a page of issues.
func (s *Service) pageUsers(ctx context.Context, r ListRequest, issues []meta.Issue, parts map[int]int, out []Summary) error {
	var fps []string
	for _, sm := range out {
		if parts[sm.idx] == 1 {
			fps = append(fps, issues[sm.idx].Fingerprints...)
		}
	}
	users := map[string]int64{}
	if len(fps) > 0 {
		gs, err := aggregate(ctx, s, issuestats.Groups(store.IssueGroupsRequest{ProjectID: r.ProjectID, Range: r.Range, Query: r.Query,
			Fingerprints: fps, Users: true}))
		if err != nil {
			return err
		}
		for _, g := range gs {
			users[g.Fingerprint] = g.Users
		}
	}
	for i := range out {
		is := issues[out[i].idx]
		if parts[out[i].idx] > 1 {
			if err := s.mergedUsers(ctx, r, is, &out[i]); err != nil {
				return err
			}
			continue
		}
		out[i].Users = 0
		for _, fp := range is.Fingerprints {
			out[i].Users += users[fp]
		}
	}
	return nil
}

func statusMatches(want, have string) bool {
	switch want {
	case "all":
		return true
	case "", meta.IssueUnresolved:
		return have == meta.IssueUnresolved || have == meta.IssueRegressed
	}
	return want == have
}

func summary(is meta.Issue) *Summary {
	return &Summary{ID: is.ID, Title: is.Title, Culprit: is.Culprit, Level: is.Level, Status: is.Status,
		Fingerprint: is.Fingerprint, ErrorType: is.ErrorType, Assignee: is.Assignee, RegressedIn: is.RegressedIn,
		Dropped: is.Dropped}
}

func addGroup(sm *Summary, g store.IssueGroup) {
	sm.Count += g.Count
	sm.Users += g.Users
	if sm.firstSeen == 0 || g.FirstSeen < sm.firstSeen {
		sm.firstSeen = g.FirstSeen
		if g.FirstRelease != "" {
			sm.FirstRelease = g.FirstRelease
		}
	}
	if g.LastSeen >= sm.lastSeen {
		sm.lastSeen = g.LastSeen
		if g.LastRelease != "" {
			sm.LastRelease = g.LastRelease
		}
	}
}

// finish fills what the stored issue knows better than the range: the
// first time and release ever seen.
func finish(sm *Summary, is meta.Issue) {
	if is.FirstSeen > 0 && (sm.firstSeen == 0 || is.FirstSeen < sm.firstSeen) {
		sm.firstSeen = is.FirstSeen
		if is.FirstRelease != "" {
			sm.FirstRelease = is.FirstRelease
		}
	}
}

// format renders the times and the fingerprints of an issue of the page.
func format(sm *Summary, is meta.Issue) {
	sm.FirstSeen = event.FormatMicros(sm.firstSeen)
	sm.LastSeen = event.FormatMicros(sm.lastSeen)
	if is.RegressedAt > 0 {
		sm.RegressedAt = event.FormatMicros(is.RegressedAt)
	}
	if len(is.Fingerprints) > 1 {
		sm.Fingerprints = is.Fingerprints
	}
}

func sortSummaries(out []Summary, by string) {
	slices.SortFunc(out, func(a, b Summary) int {
		var c int
		switch by {
		case "count":
			c = cmp.Compare(b.Count, a.Count)
		case "users":
			c = cmp.Compare(b.Users, a.Users)
		case "first_seen":
			c = cmp.Compare(b.firstSeen, a.firstSeen)
		}
		if c == 0 {
			c = cmp.Compare(b.lastSeen, a.lastSeen)
		}
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		return c
	})
}

// sparklines fills the 24-hour and 14-day counts of a page of issues.
func (s *Service) sparklines(ctx context.Context, project int64, out []Summary) error {
	if len(out) == 0 {
		return nil
	}
	var fps []string
	for _, sm := range out {
		if len(sm.Fingerprints) > 0 {
			fps = append(fps, sm.Fingerprints...)
		} else {
			fps = append(fps, sm.Fingerprint)
		}
	}
	// One hourly series over 14 days gives both: its last 24 hours, and
	// its days summed (each day ending at the same hour as now).
	hour := int64(time.Hour / time.Microsecond)
	end := (s.now().UnixMicro()/hour + 1) * hour
	series, err := aggregate(ctx, s, issuestats.Series(store.IssueSeriesRequest{ProjectID: project,
		Range: store.Range{From: end - 14*24*hour, To: end}, Fingerprints: fps, Step: hour}))
	if err != nil {
		return err
	}
	for i := range out {
		hourly := make([]int64, 14*24)
		own := out[i].Fingerprints
		if len(own) == 0 {
			own = []string{out[i].Fingerprint}
		}
		for _, fp := range own {
			for j, v := range series[fp] {
				hourly[j] += v
			}
		}
		out[i].Count24h = hourly[len(hourly)-24:]
		out[i].Count14d = make([]int64, 14)
		for j, v := range hourly {
			out[i].Count14d[j/24] += v
		}
	}
	return nil
}

// issueQuery matches the error events of an issue's fingerprints, and
// extra when it is set.
func issueQuery(fps []string, extra *query.Query) *query.Query {
	or := &query.Or{}
	for _, fp := range fps {
		or.Children = append(or.Children, &query.Field{Name: "fingerprint", Op: query.OpEq, Value: fp})
	}
	and := &query.And{Children: []query.Node{&query.Field{Name: "kind", Op: query.OpEq, Value: event.KindError}, or}}
	if extra != nil && extra.Root != nil {
		and.Children = append(and.Children, extra.Root)
	}
	q := &query.Query{Root: and}
	q.Text = q.String()
	return q
}

// EventsRequest asks for the events of an issue, newest first.
type EventsRequest struct {
	ProjectID int64
	ID        int64
	Range     store.Range
	Query     *query.Query
	Limit     int
	Cursor    string
}

// EventList is the answer of GET /api/v1/issues/{id}/events.
type EventList struct {
	Events     []EventView `json:"events"`
	NextCursor string      `json:"next_cursor"`
}

// Events returns a page of an issue's events.
func (s *Service) Events(ctx context.Context, r EventsRequest) (EventList, error) {
	is, err := s.meta.IssueByID(ctx, r.ProjectID, r.ID)
	if err != nil {
		return EventList{}, err
	}
	res, err := s.events.Search(ctx, store.SearchRequest{ProjectID: r.ProjectID, Range: r.Range,
		Query: issueQuery(is.Fingerprints, r.Query), Limit: r.Limit, Cursor: r.Cursor})
	if err != nil {
		return EventList{}, err
	}
	out := EventList{Events: make([]EventView, 0, len(res.Events)), NextCursor: res.NextCursor}
	for i := range res.Events {
		out.Events = append(out.Events, View(&res.Events[i]))
	}
	return out, nil
}

// Signals returns a project's new and regressed issue signals since a time
// (µs), oldest first.
func (s *Service) Signals(ctx context.Context, project, since int64) ([]meta.IssueSignal, error) {
	return s.meta.IssueSignals(ctx, project, since)
}

// Settings returns a project's issue settings.
func (s *Service) Settings(ctx context.Context, project int64) (Settings, error) {
	doc, err := s.meta.IssueSettings(ctx, project)
	if err != nil {
		return Settings{}, err
	}
	c, err := compile(doc)
	if err != nil {
		return Settings{}, err
	}
	return c.Settings, nil
}

// SetSettings validates and stores a project's issue settings; they apply
// to events ingested from then on.
func (s *Service) SetSettings(ctx context.Context, project int64, st Settings) (Settings, error) {
	doc, err := json.Marshal(st)
	if err != nil {
		return Settings{}, err
	}
	if _, err := compile(doc); err != nil {
		return Settings{}, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	if err := s.meta.SetIssueSettings(ctx, project, doc); err != nil {
		return Settings{}, err
	}
	if s.tracker != nil {
		s.tracker.Invalidate(project)
	}
	return st, nil
}

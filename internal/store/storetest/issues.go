package storetest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/analysis/issuestats"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/store"
)

// IssuesStore is a backend the issues feature's aggregates
// (internal/analysis/issuestats) run on, with or without an error index
// (store.ErrorIndex).
type IssuesStore interface {
	store.Store
}

// RunIssues runs the issue-aggregate suite: groups by fingerprint with
// counts, distinct users, first and last seen and release; totals over
// several fingerprints; per-step series; project, kind and range scoping.
// Every case runs through the store (its error index, when it has one)
// and through SQL alone, and the two must agree.
func RunIssues(t *testing.T, open func(t *testing.T) IssuesStore) {
	// Every case reads the same hand-made error events.
	withEvents := func(t *testing.T) IssuesStore {
		s := open(t)
		appendIssueEvents(t, s)
		return s
	}
	runSuite(t, withEvents, []suiteCase[IssuesStore]{
		{"Groups", testIssueGroups},
		{"Total", testIssueTotal},
		{"Series", testIssueSeries},
	})
}

func errEvent(project int64, ts int64, fp, user, release string) event.Event {
	return event.Event{ProjectID: project, TS: ts, ReceivedAt: ts, Kind: event.KindError, Level: event.LevelError,
		Service: "api", Fingerprint: fp, UserID: user, Release: release, Message: "boom " + fp}
}

// appendIssueEvents writes: fingerprint a — 4 events, users u1 u1 u2 and
// none, releases 1.0 then 2.0 then none; fingerprint b — 2 events, user
// u2, release 2.0; a log carrying fingerprint a (not an error); an error
// of fingerprint a in project 2.
func appendIssueEvents(t *testing.T, s store.Store) {
	t.Helper()
	evs := []event.Event{
		errEvent(1, t0, "a", "u1", "1.0"),
		errEvent(1, t0+10*min_, "a", "u1", "1.0"),
		errEvent(1, t0+70*min_, "a", "u2", "2.0"),
		errEvent(1, t0+80*min_, "a", "", ""),
		errEvent(1, t0+5*min_, "b", "u2", "2.0"),
		errEvent(1, t0+130*min_, "b", "u2", "2.0"),
		errEvent(2, t0, "a", "u9", "9.0"),
	}
	log := errEvent(1, t0+20*min_, "a", "u7", "7.0")
	log.Kind = event.KindLog
	evs = append(evs, log)
	if err := s.Append(context.Background(), store.Batch{Seq: 1, Events: evs}); err != nil {
		t.Fatal(err)
	}
}

func testIssueGroups(t *testing.T, s IssuesStore) {
	ctx := context.Background()
	gs, err := issueGroups(ctx, t, s, store.IssueGroupsRequest{ProjectID: 1, Range: all, Users: true})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(gs, func(x, y store.IssueGroup) int {
		if x.Fingerprint < y.Fingerprint {
			return -1
		}
		return 1
	})
	want := []store.IssueGroup{
		{Fingerprint: "a", Count: 4, Users: 2, FirstSeen: t0, LastSeen: t0 + 80*min_, FirstRelease: "1.0", LastRelease: "2.0"},
		{Fingerprint: "b", Count: 2, Users: 1, FirstSeen: t0 + 5*min_, LastSeen: t0 + 130*min_, FirstRelease: "2.0", LastRelease: "2.0"},
	}
	if !slices.Equal(gs, want) {
		t.Errorf("IssueGroups =\n%+v\nwant\n%+v", gs, want)
	}
	// The range prunes; a query restricts.
	gs, err = issueGroups(ctx, t, s, store.IssueGroupsRequest{ProjectID: 1, Range: store.Range{From: t0 + 60*min_, To: t0 + 120*min_}})
	if err != nil || len(gs) != 1 || gs[0].Fingerprint != "a" || gs[0].Count != 2 || gs[0].FirstRelease != "2.0" {
		t.Errorf("IssueGroups in [60m,120m) = %+v, %v", gs, err)
	}
	q, _ := query.Parse("release:1.0")
	gs, err = issueGroups(ctx, t, s, store.IssueGroupsRequest{ProjectID: 1, Range: all, Query: q})
	if err != nil || len(gs) != 1 || gs[0].Count != 2 {
		t.Errorf("IssueGroups release:1.0 = %+v, %v", gs, err)
	}
	gs, err = issueGroups(ctx, t, s, store.IssueGroupsRequest{ProjectID: 1, Range: all, Fingerprints: []string{"b", "zz"}})
	if err != nil || len(gs) != 1 || gs[0].Fingerprint != "b" || gs[0].Count != 2 || gs[0].Users != 0 {
		t.Errorf("IssueGroups [b zz] = %+v, %v", gs, err)
	}
	gs, err = issueGroups(ctx, t, s, store.IssueGroupsRequest{ProjectID: 3, Range: all})
	if err != nil || len(gs) != 0 {
		t.Errorf("IssueGroups of an empty project = %+v, %v", gs, err)
	}
}

func testIssueTotal(t *testing.T, s IssuesStore) {
	ctx := context.Background()
	g, err := issueTotal(ctx, t, s, store.IssueGroupsRequest{ProjectID: 1, Range: all, Fingerprints: []string{"a", "b"}, Users: true})
	want := store.IssueGroup{Count: 6, Users: 2, FirstSeen: t0, LastSeen: t0 + 130*min_, FirstRelease: "1.0", LastRelease: "2.0"}
	if err != nil || g != want {
		t.Errorf("IssueTotal(a, b) = %+v, %v; want %+v", g, err, want)
	}
	g, err = issueTotal(ctx, t, s, store.IssueGroupsRequest{ProjectID: 1, Range: all, Fingerprints: []string{"none"}})
	if err != nil || g != (store.IssueGroup{}) {
		t.Errorf("IssueTotal(none) = %+v, %v", g, err)
	}
}

func testIssueSeries(t *testing.T, s IssuesStore) {
	ctx := context.Background()
	got, err := issueSeries(ctx, t, s, store.IssueSeriesRequest{ProjectID: 1, Range: store.Range{From: t0, To: t0 + 3*hour},
		Fingerprints: []string{"a", "b", "c"}, Step: hour})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got["a"], []int64{2, 2, 0}) || !slices.Equal(got["b"], []int64{1, 0, 1}) || got["c"] != nil {
		t.Errorf("IssueSeries = %v", got)
	}
	if _, err := issueSeries(ctx, t, s, store.IssueSeriesRequest{ProjectID: 1, Range: all, Fingerprints: []string{"a"}}); err == nil {
		t.Error("IssueSeries with a zero step: no error")
	}
}

// issueGroups runs issuestats.Groups through the store and by SQL alone,
// which must agree.
func issueGroups(ctx context.Context, t *testing.T, s IssuesStore, r store.IssueGroupsRequest) ([]store.IssueGroup, error) {
	t.Helper()
	got, err := issuestats.Groups(r).Run(ctx, s)
	if err != nil {
		return nil, err
	}
	bySQL, err := issuestats.Groups(r).Run(ctx, plainExec{s})
	if err != nil {
		return nil, fmt.Errorf("by SQL: %w", err)
	}
	byFP := func(a, b store.IssueGroup) int { return strings.Compare(a.Fingerprint, b.Fingerprint) }
	slices.SortFunc(got, byFP)
	slices.SortFunc(bySQL, byFP)
	if !slices.Equal(got, bySQL) {
		t.Errorf("issue groups %+v: through the store %+v, by SQL %+v", r, got, bySQL)
	}
	return got, nil
}

// issueTotal runs issuestats.Total both ways.
func issueTotal(ctx context.Context, t *testing.T, s IssuesStore, r store.IssueGroupsRequest) (store.IssueGroup, error) {
	t.Helper()
	got, err := issuestats.Total(r).Run(ctx, s)
	if err != nil {
		return got, err
	}
	bySQL, err := issuestats.Total(r).Run(ctx, plainExec{s})
	if err != nil {
		return got, fmt.Errorf("by SQL: %w", err)
	}
	if got != bySQL {
		t.Errorf("issue total %+v: through the store %+v, by SQL %+v", r, got, bySQL)
	}
	return got, nil
}

// issueSeries runs issuestats.Series both ways.
func issueSeries(ctx context.Context, t *testing.T, s IssuesStore, r store.IssueSeriesRequest) (map[string][]int64, error) {
	t.Helper()
	got, err := issuestats.Series(r).Run(ctx, s)
	if err != nil {
		return got, err
	}
	bySQL, err := issuestats.Series(r).Run(ctx, plainExec{s})
	if err != nil {
		return got, fmt.Errorf("by SQL: %w", err)
	}
	if !reflect.DeepEqual(got, bySQL) {
		t.Errorf("issue series %+v: through the store %v, by SQL %v", r, got, bySQL)
	}
	return got, nil
}

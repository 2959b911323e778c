package meta

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func openDashboards(t *testing.T, where string) *Store {
	t.Helper()
	s, err := Open(context.Background(), where)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.MigrateDashboards(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

const checkoutYAML = `name: Checkout health
description: payments and the funnel
from: now-24h
panels:
  - title: Payment errors
    kind: histogram
    query: level:error service:payment-service
    params:
      by: level
  - title: Checkout funnel
    kind: funnel
    params:
      window: 1h
      steps:
        - event: Product Viewed
        - event: Checkout Started
        - event: Order Completed
---
name: Services
panels:
  - kind: facet
    params: {field: service}
`

func TestDashboardLifecycle(t *testing.T) { engines(t, testDashboardLifecycle) }

func testDashboardLifecycle(t *testing.T, where string) {
	ctx := context.Background()
	s := openDashboards(t, where)
	ds, err := UnmarshalYAML[Dashboard]([]byte(checkoutYAML))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || len(ds[0].Panels) != 2 {
		t.Fatalf("decoded %+v", ds)
	}
	a, err := s.SaveDashboard(ctx, 1, ds[0], true)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == 0 || a.Panels[1].Kind != PanelFunnel || a.CreatedAt == "" {
		t.Fatalf("saved %+v", a)
	}
	if _, err := s.SaveDashboard(ctx, 1, ds[1], false); err != nil {
		t.Fatal(err)
	}
	// A second import of the same name replaces it rather than failing.
	ds[0].Description = "changed"
	b, err := s.SaveDashboard(ctx, 1, ds[0], true)
	if err != nil || b.ID != a.ID || b.Description != "changed" {
		t.Fatalf("re-import = %+v, %v; want dashboard %d updated", b, err, a.ID)
	}
	// A plain create of an existing name is refused.
	if _, err := s.SaveDashboard(ctx, 1, ds[0], false); !errors.Is(err, ErrNameTaken) {
		t.Errorf("create of a taken name: %v, want ErrNameTaken", err)
	}
	list, err := s.Dashboards(ctx, 1)
	if err != nil || len(list) != 2 || list[0].Name != "Checkout health" {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if other, _ := s.Dashboards(ctx, 2); len(other) != 0 {
		t.Errorf("project 2 sees %d dashboards", len(other))
	}
	if _, err := s.Dashboard(ctx, 2, a.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("project 2 reads project 1's dashboard: %v", err)
	}
	// The export round-trips and carries no ids.
	y, err := MarshalYAML(list)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(y), "id:") || strings.Contains(string(y), "created_at") {
		t.Errorf("export has ids or times:\n%s", y)
	}
	back, err := UnmarshalYAML[Dashboard](y)
	if err != nil || len(back) != 2 || back[0].Panels[1].Params["window"] != "1h" {
		t.Fatalf("round trip = %+v, %v\n%s", back, err, y)
	}
	if err := s.DeleteDashboard(ctx, 1, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDashboard(ctx, 1, a.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
}

func TestDashboardValidation(t *testing.T) { engines(t, testDashboardValidation) }

func testDashboardValidation(t *testing.T, where string) {
	s := openDashboards(t, where)
	f := func(y, want string) {
		t.Helper()
		ds, err := UnmarshalYAML[Dashboard]([]byte(y))
		if err == nil {
			_, err = s.SaveDashboard(context.Background(), 1, ds[0], true)
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want it to say %q", y, err, want)
		}
	}
	f("panels: []", "needs a name")
	f("name: x\npanels: [{kind: pie}]", `unknown panel kind "pie"`)
	f("name: x\npanels: [{kind: funnel, params: {steps: [{event: a}]}}]", "two steps")
	f("name: x\npanels: [{kind: facet}]", "params.field")
	f("name: x\npanels: [{kind: query, query: 'level:error'}]", "needs a pipeline that aggregates")
	f("name: x\npanels: [{kind: query, query: 'level:error | stats p95(duration_ms by endpoint'}]", "pipe 1 (stats), column")
	f("name: x\npanles: []", "field panles not found")
	f("", "no YAML document")
}

// TestQueryPanel: a query panel keeps its pipeline, as typed in Explore.
func TestQueryPanel(t *testing.T) { engines(t, testQueryPanel) }

func testQueryPanel(t *testing.T, where string) {
	s := openDashboards(t, where)
	q := "service:payment-service | stats count() as n, p95(duration_ms) by endpoint | sort n desc | limit 10"
	d, err := s.SaveDashboard(context.Background(), 1, Dashboard{Name: "pipes", Panels: []Panel{{Kind: PanelQuery, Query: " " + q + " "}}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if p := d.Panels[0]; p.Query != q || p.Title != PanelQuery {
		t.Errorf("saved %+v", p)
	}
}

func TestSavedSearches(t *testing.T) { engines(t, testSavedSearches) }

func testSavedSearches(t *testing.T, where string) {
	ctx := context.Background()
	s := openDashboards(t, where)
	ss, err := UnmarshalYAML[SavedSearch]([]byte("name: slow checkouts\nquery: endpoint:/api/checkout duration_ms:>1000\nfrom: now-7d\n"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.SaveSearch(ctx, 1, ss[0], true)
	if err != nil || got.Query != "endpoint:/api/checkout duration_ms:>1000" {
		t.Fatalf("saved %+v, %v", got, err)
	}
	got.Query = "endpoint:/api/checkout duration_ms:>2000"
	if _, err := s.SaveSearch(ctx, 1, got, false); err != nil {
		t.Fatal(err)
	}
	list, _ := s.SavedSearches(ctx, 1)
	if len(list) != 1 || list[0].Query != got.Query {
		t.Errorf("list = %+v", list)
	}
	if err := s.DeleteSearch(ctx, 1, got.ID); err != nil {
		t.Fatal(err)
	}
}

// TestMarshalYAMLEmpty: a project without saved searches or dashboards
// exports nothing (not an error); importing nothing is the clear
// "no YAML document" refusal, as for any empty body.
func TestMarshalYAMLEmpty(t *testing.T) {
	for _, b := range [][]byte{mustYAML(t, []SavedSearch{}), mustYAML(t, []Dashboard(nil))} {
		if len(b) != 0 {
			t.Errorf("empty export: %q", b)
		}
		if _, err := UnmarshalYAML[SavedSearch](b); err == nil || !strings.Contains(err.Error(), "no YAML document") {
			t.Errorf("importing an empty export: %v", err)
		}
	}
}

func mustYAML[T Dashboard | SavedSearch](t *testing.T, items []T) []byte {
	t.Helper()
	b, err := MarshalYAML(items)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

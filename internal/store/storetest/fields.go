package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/analysis/fieldstats"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// FieldsStore is a backend with the field catalogue's write path; the
// suite reads it back with the query objects of
// internal/analysis/fieldstats, on the store's Executor.
type FieldsStore interface {
	store.Store
	store.FieldRecorder
}

// RunFields runs the field-catalogue suite: rows merge across flushes,
// ranges select hours and days, projects stay apart.
func RunFields(t *testing.T, open func(t *testing.T) FieldsStore) {
	runSuite(t, open, []suiteCase[FieldsStore]{
		{"MergeAcrossFlushes", testFieldsMerge},
		{"Ranges", testFieldsRanges},
		{"InvalidText", testFieldsInvalidText},
	})
}

const (
	fHour = int64(3_600_000_000)
	fDay  = 24 * fHour
)

func testFieldsMerge(t *testing.T, s FieldsStore) {
	ctx := context.Background()
	h := 100 * fDay
	sk := func(b ...byte) []byte { out := make([]byte, 8); copy(out, b); return out }
	first := []store.FieldSeen{{ProjectID: 1, Hour: h, Field: "plan", Type: "string", Service: "web", Count: 3, FirstTS: h + 10, LastTS: h + 20}}
	second := []store.FieldSeen{{ProjectID: 1, Hour: h, Field: "plan", Type: "string", Service: "web", Count: 2, FirstTS: h + 5, LastTS: h + 15}}
	if err := s.RecordFields(ctx, first, []store.FieldValues{{ProjectID: 1, Day: h, Field: "plan", Sketch: sk(1, 5, 0), Examples: []string{"pro", "free"}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFields(ctx, second, []store.FieldValues{{ProjectID: 1, Day: h, Field: "plan", Sketch: sk(3, 2, 1), Examples: []string{"free", "team", "a", "b", "c"}}}); err != nil {
		t.Fatal(err)
	}
	got, err := fieldstats.Usage{ProjectID: 1, From: h, To: h + fHour}.Run(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.FieldSeen{{ProjectID: 1, Hour: h, Field: "plan", Type: "string", Service: "web", Count: 5, FirstTS: h + 5, LastTS: h + 20}}
	if !slices.Equal(got, want) {
		t.Errorf("FieldUsage after two flushes = %+v, want %+v", got, want)
	}
	vals, err := fieldstats.ValueDays{ProjectID: 1, From: h, To: h + fHour}.Run(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != 1 || !slices.Equal(vals[0].Sketch, sk(3, 5, 1)) || !slices.Equal(vals[0].Examples, []string{"pro", "free", "team", "a", "b"}) {
		t.Errorf("FieldValueDays = %+v, want sketch merged by max and 5 distinct examples in order", vals)
	}
}

func testFieldsRanges(t *testing.T, s FieldsStore) {
	ctx := context.Background()
	d := 200 * fDay
	rows := []store.FieldSeen{
		{ProjectID: 1, Hour: d, Field: "a", Type: "number", Service: "api", Count: 1, FirstTS: d, LastTS: d},
		{ProjectID: 1, Hour: d + fHour, Field: "a", Type: "string", Service: "api", Count: 2, FirstTS: d + fHour, LastTS: d + fHour + 9},
		{ProjectID: 1, Hour: d + fDay, Field: "b", Type: "string", Service: "web", Count: 4, FirstTS: d + fDay, LastTS: d + fDay},
		{ProjectID: 2, Hour: d, Field: "secret", Type: "string", Service: "x", Count: 1, FirstTS: d, LastTS: d},
	}
	if err := s.RecordFields(ctx, rows, []store.FieldValues{
		{ProjectID: 1, Day: d, Field: "a", Sketch: []byte{1}, Examples: []string{"1"}},
		{ProjectID: 1, Day: d + fDay, Field: "b", Sketch: []byte{1}, Examples: []string{"x"}},
	}); err != nil {
		t.Fatal(err)
	}
	// The second hour only, from the middle of the first hour on.
	got, err := fieldstats.Usage{ProjectID: 1, From: d + fHour, To: d + 2*fHour}.Run(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Field != "a" || got[0].Type != "string" || got[0].Count != 2 {
		t.Errorf("FieldUsage(second hour) = %+v, want a/string ×2", got)
	}
	// A range cutting into the first hour includes it.
	got, _ = fieldstats.Usage{ProjectID: 1, From: d + fHour/2, To: d + fDay + 1}.Run(ctx, s)
	if len(got) != 3 {
		t.Errorf("FieldUsage(first day and a bit) = %+v, want 3 rows", got)
	}
	ever, err := fieldstats.FirstSeen{ProjectID: 1}.Run(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(ever) != 3 || ever[0].Field != "a" || ever[0].Type != "number" || ever[0].FirstTS != d {
		t.Errorf("FieldFirstSeen = %+v, want a/number, a/string, b/string", ever)
	}
	for _, e := range ever {
		if e.Field == "secret" {
			t.Errorf("project 1 sees project 2's field: %+v", e)
		}
	}
	vals, err := fieldstats.ValueDays{ProjectID: 1, From: d + fDay, To: d + fDay + fHour}.Run(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != 1 || vals[0].Field != "b" {
		t.Errorf("FieldValueDays(second day) = %+v, want b only", vals)
	}
}

// testFieldsInvalidText records a field whose name, service and examples
// are invalid UTF-8 or hold NUL (an example cut at a byte offset, as the
// catalogue once did): the catalogue keeps them valid and stays writable.
func testFieldsInvalidText(t *testing.T, s FieldsStore) {
	ctx := context.Background()
	h := 100 * fDay
	name, svc, ex := "bad\xff", "svc\x00", strings.Repeat("a", 119)+"\xc3"
	seen := []store.FieldSeen{{ProjectID: 1, Hour: h, Field: name, Type: "string", Service: svc, Count: 1, FirstTS: h, LastTS: h}}
	vals := []store.FieldValues{{ProjectID: 1, Day: h, Field: name, Sketch: make([]byte, 8), Examples: []string{ex, "\xfe"}}}
	for range 2 {
		if err := s.RecordFields(ctx, seen, vals); err != nil {
			t.Fatal(err)
		}
	}
	got, err := fieldstats.Usage{ProjectID: 1, From: h, To: h + fHour}.Run(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Field != event.ValidText(name) || got[0].Service != event.ValidText(svc) || got[0].Count != 2 {
		t.Errorf("FieldUsage = %+v, want one valid row counted twice", got)
	}
	days, err := fieldstats.ValueDays{ProjectID: 1, From: h, To: h + fHour}.Run(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 1 || !slices.Equal(days[0].Examples, []string{event.ValidText(ex), "\uFFFD"}) {
		t.Errorf("FieldValueDays = %+v, want the examples made valid", days)
	}
}

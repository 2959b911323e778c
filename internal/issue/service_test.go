package issue

import (
	"context"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/resolve"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// oneIssue is issue state with one issue of one fingerprint.
type oneIssue struct{ Meta }

func (oneIssue) Issues(context.Context, int64) ([]meta.Issue, error) {
	return []meta.Issue{{ID: 1, ProjectID: 1, Fingerprint: "fp", Fingerprints: []string{"fp"}, Status: "unresolved"}}, nil
}

// countedEvents counts the queries run by name, and answers no rows.
type countedEvents struct {
	Events // unimplemented methods panic
	names  map[string]int
}

func (c *countedEvents) Dialect() sqlq.Dialect { return sqlq.DuckDB{} }

func (c *countedEvents) Run(_ context.Context, q sqlq.Query, _ func(sqlq.Scanner) error) error {
	c.names[q.Name]++
	return nil
}

// TestListRemembersSettledRanges: the issue list's aggregates over a
// range that ended over a minute ago are answered through the resolver
// (read once for two lists, again after a Forget); over a range that
// reaches now they are read live at every list.
func TestListRemembersSettledRanges(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	ev := &countedEvents{names: map[string]int{}}
	s := NewService(oneIssue{}, ev, nil, clock)
	res := resolve.New(resolve.Roles{}, resolve.Options{Now: clock})
	s.UseResolver(res)
	list := func(r store.Range) {
		t.Helper()
		if _, err := s.List(context.Background(), ListRequest{ProjectID: 1, Range: r}); err != nil {
			t.Fatal(err)
		}
	}
	hour := time.Hour.Microseconds()
	past := store.Range{From: now.UnixMicro() - 3*hour, To: now.UnixMicro() - hour}
	list(past)
	list(past)
	if n := ev.names["issuestats.groups"]; n != 1 {
		t.Errorf("two lists of a past range ran the groups %d times, want once (then remembered)", n)
	}
	res.Forget()
	list(past)
	if n := ev.names["issuestats.groups"]; n != 2 {
		t.Errorf("after Forget the groups ran %d times in all, want 2", n)
	}
	live := store.Range{From: now.UnixMicro() - hour, To: now.UnixMicro()}
	list(live)
	list(live)
	if n := ev.names["issuestats.groups"]; n != 4 {
		t.Errorf("two lists reaching now ran the groups %d times in all, want 4 (read live)", n)
	}
}

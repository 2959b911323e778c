package duckdb

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// TestEraseWhileTheCatalogueFlushes erases persons while the field
// catalogue rewrites the rows holding their examples (its flush writes
// without the append lock): every erasure succeeds.
func TestEraseWhileTheCatalogueFlushes(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	defer s.Close()
	if err := s.MigrateFields(ctx); err != nil {
		t.Fatal(err)
	}
	ts := int64(1_700_000_000_000_000)
	day := ts - ts%86_400_000_000
	var evs []event.Event
	for i := range 20 {
		evs = append(evs, event.Event{ProjectID: 1, TS: ts + int64(i), Kind: event.KindLog, UserID: fmt.Sprint("user-", i)})
	}
	if err := s.Append(ctx, store.Batch{Seq: 1, Events: evs}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond): // the catalogue flushes every few seconds
			}
			s.RecordFields(ctx, nil, []store.FieldValues{{ProjectID: 1, Day: day, Field: "user_id", Sketch: make([]byte, 16),
				Examples: []string{fmt.Sprint("user-", i%20)}}})
		}
	})
	for i := range 20 {
		if _, err := s.ErasePerson(ctx, 1, fmt.Sprint("user-", i)); err != nil {
			t.Errorf("erase user-%d: %v", i, err)
		}
	}
	close(stop)
	wg.Wait()
}

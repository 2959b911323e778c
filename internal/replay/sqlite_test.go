package replay

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// TestSQLiteConcurrentWriters: the loader's chunks, seals and retention
// write from several connections at once; each write transaction reads
// before it writes, and none may fail with "database is locked" (a
// deferred transaction cannot take the write lock once another wrote
// after its read; an immediate one waits for it).
func TestSQLiteConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "replay.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 60 {
				c := Chunk{ProjectID: 1, SessionID: fmt.Sprintf("s-%d-%d", w, i%10), PageID: "p", Seq: int64(i),
					First: 1000, Last: 2000, Events: 1, RawBytes: 10, ReceivedAt: 3000, Data: []byte("x")}
				if err := s.PutChunks(ctx, []Chunk{c}); err != nil {
					errs <- err
					return
				}
				if i%20 == 0 {
					if _, _, err := s.Expire(ctx, 0); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

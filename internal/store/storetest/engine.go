package storetest

import (
	"testing"

	"github.com/lore-dev/lore/internal/store"
)

// RunEngine runs the cases of Run that use only a store.Engine (append,
// sqlq.Executor, stats), for a backend whose Reader is not there yet (the
// ClickHouse store, whose Reader methods answer store.ErrUnsupported).
func RunEngine(t *testing.T, open func(t *testing.T) store.Store) {
	runSuite(t, open, []suiteCase[store.Store]{
		{"Stats", testStats},
		{"Run", testRun},
	})
}

package duckdb

import (
	"context"
	"testing"

	"github.com/lore-dev/lore/internal/store/storetest"
)

func TestFieldsConformance(t *testing.T) {
	storetest.RunFields(t, func(t *testing.T) storetest.FieldsStore {
		s := openTest(t, t.TempDir())
		if err := s.MigrateFields(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s
	})
}

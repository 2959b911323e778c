package duckdb

import (
	"context"
	"fmt"
	"testing"

	"github.com/lore-dev/lore/internal/store"
)

// BenchmarkRecordFields is one flush of the field catalogue after a load
// of three days of history (the freeform workload's shape: 40 services,
// 45 fields, 72 hours: 129,600 rows), each flush rewriting every hour:
//
//	go test ./internal/store/duckdb/ -run '^$' -bench RecordFields -benchtime 5x
func BenchmarkRecordFields(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, b.TempDir(), Options{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.MigrateFields(ctx); err != nil {
		b.Fatal(err)
	}
	const hour = int64(3_600_000_000)
	var rows []store.FieldSeen
	for h := range int64(72) {
		for svc := range 40 {
			for f := range 45 {
				rows = append(rows, store.FieldSeen{ProjectID: 1, Hour: h * hour, Field: fmt.Sprintf("field_%d", f), Type: "string",
					Service: fmt.Sprintf("service-%d", svc), Count: 10, FirstTS: h * hour, LastTS: h*hour + 1})
			}
		}
	}
	for b.Loop() {
		if err := s.RecordFields(ctx, rows, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(rows)), "rows")
}

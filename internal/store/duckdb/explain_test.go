package duckdb

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/store"
)

func TestExplain(t *testing.T) {
	if os.Getenv("LORE_EXPLAIN") == "" {
		t.Skip()
	}
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := int64(1767225600000000)
	n := 1000000
	g := newGen(2, start, 86_400_000_000/int64(n))
	var sample = g.batch(1)[0]
	for seq := 1; seq <= n/50000; seq++ {
		evs := g.batch(50000)
		if seq == 2 {
			sample = evs[100]
		}
		if err := s.Append(ctx, store.Batch{Seq: uint64(seq), Events: evs}); err != nil {
			t.Fatal(err)
		}
	}
	s.Checkpoint(ctx)
	rs := s.blocks.candidates(1, start, start+86_400_000_000, func(b *block) bool { return b.keys.has(keyHash(keyUser, sample.UserID)) })
	t.Logf("%d ranges", len(rs))
	time1 := func(name, q string, args ...any) {
		for i := 0; i < 3; i++ {
			t0 := time.Now()
			rows, err := s.db.QueryContext(ctx, q, args...)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for rows.Next() {
				n++
			}
			rows.Close()
			t.Logf("%s: %d rows %v", name, n, time.Since(t0))
		}
	}
	var ors []string
	var args []any
	var unions []string
	var uargs []any
	for _, r := range rs {
		ors = append(ors, "(ts >= ? AND ts <= ?)")
		args = append(args, r.lo, r.hi)
		unions = append(unions, "SELECT "+eventCols+" FROM events WHERE project_id = 1 AND ts >= ? AND ts <= ? AND user_id = ?")
		uargs = append(uargs, r.lo, r.hi, sample.UserID)
	}
	args = append(args, sample.UserID)
	time1("or", "SELECT "+eventCols+" FROM events WHERE project_id = 1 AND ("+strings.Join(ors, " OR ")+") AND user_id = ? ORDER BY ts, rowid", args...)
	time1("union", "SELECT * FROM ("+strings.Join(unions, " UNION ALL ")+") ORDER BY ts, rowid", uargs...)
	time1("full", "SELECT "+eventCols+" FROM events WHERE project_id = 1 AND user_id = ? ORDER BY ts, rowid", sample.UserID)
	time1("count-union", "SELECT count(*) FROM ("+strings.Join(unions, " UNION ALL ")+")", uargs...)
	time1("rowid-one", "SELECT count(*) FROM events WHERE rowid BETWEEN 500000 AND 508000 AND user_id = ?", sample.UserID)
	time1("rowid-or", "SELECT count(*) FROM events WHERE (rowid BETWEEN 500000 AND 508000 OR rowid BETWEEN 100000 AND 108000 OR rowid BETWEEN 900000 AND 908000) AND user_id = ?", sample.UserID)
	time1("ts-or3", "SELECT count(*) FROM events WHERE ((ts >= ? AND ts <= ?) OR (ts >= ? AND ts <= ?) OR (ts >= ? AND ts <= ?)) AND user_id = ?", rs[0].lo, rs[0].hi, rs[1].lo, rs[1].hi, rs[2].lo, rs[2].hi, sample.UserID)
	time1("ts-in-list", "SELECT count(*) FROM events WHERE ts // 300000000 IN (SELECT unnest(?::BIGINT[])) AND user_id = ?", []int64{rs[0].lo / 300000000, rs[1].lo / 300000000}, sample.UserID)
	time1("ts-only", "SELECT count(*) FROM events WHERE ts >= ? AND ts <= ?", rs[0].lo, rs[0].hi)
}

package clickhouse

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// A database's writers. Each Lore node writing to one database has its
// own pipeline, whose seqs start at 1 in its own write-ahead log, so a
// batch is named by its writer and its seq. A writer is named by the
// store URL's writer parameter (the app passes the node's --node-id); the
// default writer, of a store opened without one (one node, and every
// database written before writers had names), is number 0. Rows carry
// the writer's number (the events' and batches' writer column, one byte)
// rather than its name, so that the arrival order of a row, read as one
// integer by a search's cursor (sqlq.ClickHouse.RowID), holds its seq,
// its writer and its place in the batch: total across writers.
//
// A name is numbered once per database by creating a view writer_N (N
// from 1 to maxWriters) whose one row is the name: ClickHouse creates a
// table name once, so of two writers claiming N together one fails and
// takes the next free number; no transaction is needed. The number stays
// the writer's for the life of the database (a restarted node finds it
// again), so a database has room for maxWriters named writers over its
// life. On a replicated cluster the view is created on every server
// through ZooKeeper (claim).

const (
	// maxWriters is the highest writer number (8 bits of RowID).
	maxWriters = 255
	// maxWriterName bounds a writer's name in bytes.
	maxWriterName = 200
	// claimAttempts bounds the rounds of reading the writers and claiming
	// a free number, each lost only to another writer claiming the same.
	claimAttempts = 20
)

// claimWriter returns the number of s.writer in the database, numbering
// it first when the database does not know it: 0 for the default writer.
func (s *Store) claimWriter(ctx context.Context) (uint8, error) {
	if s.writer == "" {
		return 0, nil
	}
	for range claimAttempts {
		taken, err := s.writers(ctx)
		if err != nil {
			return 0, err
		}
		free := 0
		for n := 1; n <= maxWriters; n++ {
			if name, ok := taken[n]; ok {
				if name == s.writer {
					return uint8(n), nil
				}
			} else if free == 0 {
				free = n
			}
		}
		if free == 0 {
			return 0, fmt.Errorf("clickhouse: writer %q: database %s already numbers %d writers, the most it can (docs/scaling.md)", s.writer, s.db, maxWriters)
		}
		err = s.claim(ctx, free)
		if err == nil {
			s.log.Info("clickhouse: numbered a new writer", "writer", s.writer, "writer_number", free)
			return uint8(free), nil
		}
		// Another writer claimed the number first (or is claiming it):
		// read again.
		s.log.Debug("clickhouse: claim of a writer number lost", "writer", s.writer, "writer_number", free, "err", err)
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("clickhouse: number writer %q: %w", s.writer, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return 0, fmt.Errorf("clickhouse: writer %q: no free writer number claimed in %d attempts", s.writer, claimAttempts)
}

// claimTimeout bounds the wait of a claim on a replicated cluster for
// every server to create its view (distributed_ddl_task_timeout): a
// server that is down creates it when it is back.
const claimTimeout = 20 * time.Second

// claim creates the view numbering s.writer n, failing when it exists.
// On a replicated cluster the view is created on every server by one ON
// CLUSTER statement: ZooKeeper's queue orders the claims of n, so every
// server keeps the same first one; a claim whose wait for a server ran
// out is read back by the next round.
func (s *Store) claim(ctx context.Context, n int) error {
	if !s.replicated {
		return s.exec(ctx, s.db, "CREATE VIEW "+writerView(n)+" AS SELECT "+quote(s.writer)+" AS name")
	}
	return s.do(ctx, request{
		sql:    "CREATE VIEW " + s.db + "." + writerView(n) + " ON CLUSTER " + s.cluster + " AS SELECT " + quote(s.writer) + " AS name",
		params: url.Values{"distributed_ddl_task_timeout": {strconv.Itoa(int(claimTimeout.Seconds()))}},
	})
}

// writers reads the database's numbered writers: number → name.
func (s *Store) writers(ctx context.Context) (map[int]string, error) {
	var nums []int
	err := s.each(ctx, s.db, "SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE 'writer\\\\_%'", func(r *rows) error {
		var name string
		if err := r.Scan(&name); err != nil {
			return err
		}
		if n, err := strconv.Atoi(strings.TrimPrefix(name, "writer_")); err == nil && n >= 1 && n <= maxWriters && writerView(n) == name {
			nums = append(nums, n)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read the writers: %w", err)
	}
	out := map[int]string{}
	if len(nums) == 0 {
		return out, nil
	}
	parts := make([]string, len(nums))
	for i, n := range nums {
		parts[i] = "SELECT " + strconv.Itoa(n) + " AS n, name FROM " + writerView(n)
	}
	err = s.each(ctx, s.db, strings.Join(parts, " UNION ALL "), func(r *rows) error {
		var n int64
		var name string
		if err := r.Scan(&n, &name); err != nil {
			return err
		}
		out[int(n)] = name
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read the writers: %w", err)
	}
	return out, nil
}

// writerView names the view holding writer n's name.
func writerView(n int) string { return "writer_" + strconv.Itoa(n) }

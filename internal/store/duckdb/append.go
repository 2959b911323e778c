package duckdb

import (
	"context"
	"database/sql/driver"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/blockfilter"
	"github.com/lore-dev/lore/internal/store/rollup"
)

// Append commits the batch, its side-index blocks and its Seq in one
// transaction.
func (s *Store) Append(ctx context.Context, b store.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("append batch %d: store is closed", b.Seq)
	}
	order := make([]int32, len(b.Events))
	for i := range order {
		order[i] = int32(i)
	}
	evs := b.Events
	slices.SortStableFunc(order, func(x, y int32) int {
		ex, ey := &evs[x], &evs[y]
		if ex.ProjectID != ey.ProjectID {
			return cmpInt(ex.ProjectID, ey.ProjectID)
		}
		return cmpInt(ex.TS, ey.TS)
	})
	for _, i := range order {
		if e := &evs[i]; e.ProjectID < 0 || e.ProjectID > 1<<31-1 {
			return fmt.Errorf("append batch %d: project id %d out of range", b.Seq, e.ProjectID)
		}
	}

	// The side indexes are built while DuckDB loads the rows. fresh only
	// reads the ident cache, which changes after the commit below.
	side := make(chan sideIndex, 1)
	go func() { side <- sideIndex{blockfilter.Cut(evs, order, cleaned), s.idents.fresh(evs, order)} }()

	start := time.Now()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("append batch %d: %w", b.Seq, err)
	}
	defer conn.Close()
	// BEGIN by hand rather than conn.BeginTx: the Appender works on the
	// driver connection, inside whatever transaction it has open.
	if _, err := conn.ExecContext(ctx, `BEGIN TRANSACTION`); err != nil {
		return fmt.Errorf("append batch %d: begin: %w", b.Seq, err)
	}
	sampledDays := s.sampled.fresh(evs)
	si, err := s.appendTx(ctx, conn, b.Seq, evs, order, side)
	if err == nil {
		err = recordSampled(ctx, conn, sampledDays)
	}
	if err != nil {
		if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`); rerr != nil {
			s.log.Error("cannot roll back a failed append", "seq", b.Seq, "err", rerr)
			// Do not hand a connection with an open transaction back to
			// the pool: ErrBadConn makes database/sql close it.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		return fmt.Errorf("append batch %d: %w", b.Seq, err)
	}
	loaded := time.Now()
	if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
		// Whatever state the failed commit left, drop the connection.
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		return fmt.Errorf("append batch %d: commit: %w", b.Seq, err)
	}
	s.log.Debug("appended batch", "seq", b.Seq, "events", len(order),
		"load", loaded.Sub(start), "commit", time.Since(loaded))
	for _, pb := range si.blocks {
		s.blocks.Add(pb.Project, pb.Block)
	}
	s.idents.remember(si.pairs)
	s.sampled.add(sampledDays)
	s.errs.Add(evs, order)
	s.product.Add(evs)
	return nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// sideIndex is what a batch adds to the side indexes.
type sideIndex struct {
	blocks []blockfilter.Placed
	pairs  []identPair
}

func (s *Store) appendTx(ctx context.Context, tx sqlConn, seq uint64, evs []event.Event, order []int32, side <-chan sideIndex) (sideIndex, error) {
	n := int64(len(order))
	if n > 0 {
		if err := loadEvents(ctx, tx, evs, order); err != nil {
			<-side
			return sideIndex{}, fmt.Errorf("load %d events: %w", n, err)
		}
	}
	si := <-side
	blocks, pairs := si.blocks, si.pairs
	for _, pb := range blocks {
		if _, err := tx.ExecContext(ctx, `INSERT INTO blocks VALUES (?, ?, ?, ?, ?, ?)`,
			pb.Project, pb.Block.MinTS, pb.Block.MaxTS, pb.Block.Rows, pb.Block.Keys.Marshal(), pb.Block.Grams.Marshal()); err != nil {
			return sideIndex{}, fmt.Errorf("insert block filter: %w", err)
		}
	}
	for len(pairs) > 0 {
		project := pairs[0].project
		var anons, users []string
		for len(pairs) > 0 && pairs[0].project == project {
			anons, users = append(anons, pairs[0].anon), append(users, pairs[0].user)
			pairs = pairs[1:]
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO idents SELECT ?, unnest(?::VARCHAR[]), unnest(?::VARCHAR[])`,
			project, anons, users); err != nil {
			return sideIndex{}, fmt.Errorf("insert %d identities: %w", len(anons), err)
		}
	}
	// Checked last, so a refused replay also exercises the rollback.
	var last uint64
	if err := tx.QueryRowContext(ctx, `SELECT seq FROM ingest_state WHERE id = 1`).Scan(&last); err != nil {
		return sideIndex{}, fmt.Errorf("read last seq: %w", err)
	}
	if seq <= last {
		return sideIndex{}, fmt.Errorf("seq %d is not after the last committed seq %d", seq, last)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE ingest_state SET seq = ?, events = events + ? WHERE id = 1`, seq, n); err != nil {
		return sideIndex{}, fmt.Errorf("record seq: %w", err)
	}
	if err := rollup.Append(ctx, tx, seq, evs, order); err != nil {
		return sideIndex{}, err
	}
	return si, nil
}

// identPair is an anonymous id seen together with a user id.
type identPair struct {
	project    int64
	anon, user string
}

// identCache remembers recently stored pairs so each is inserted about once;
// duplicates that slip through after a reset are harmless.
type identCache struct {
	seen map[identPair]struct{}
}

const identCacheMax = 1 << 20

// fresh returns the batch's pairs not stored yet, grouped by project.
func (c *identCache) fresh(evs []event.Event, order []int32) []identPair {
	var out []identPair
	var batch map[identPair]struct{}
	for _, i := range order {
		e := &evs[i]
		if e.AnonymousID == "" || e.UserID == "" {
			continue
		}
		p := identPair{e.ProjectID, cleaned(e.AnonymousID), cleaned(e.UserID)}
		if _, ok := c.seen[p]; ok {
			continue
		}
		if _, ok := batch[p]; ok {
			continue
		}
		if batch == nil {
			batch = map[identPair]struct{}{}
		}
		batch[p] = struct{}{}
		out = append(out, p)
	}
	return out
}

func (c *identCache) remember(ps []identPair) {
	if c.seen == nil || len(c.seen)+len(ps) > identCacheMax {
		c.seen = make(map[identPair]struct{}, len(ps))
	}
	for _, p := range ps {
		// Cloned: the ids are substrings of the batch's decode buffers,
		// and a kept substring would pin its whole buffer (this cache once
		// held ~850 MB of WAL records alive at 10M events).
		p.anon, p.user = strings.Clone(p.anon), strings.Clone(p.user)
		c.seen[p] = struct{}{}
	}
}

// The Appender costs about three cgo calls per string value, and an event
// has 17 string columns and two string lists. So the strings of a row
// travel packed in one value, separated by packSep (list items by
// itemSep), into a temporary staging table, and one INSERT … SELECT splits
// them inside DuckDB. The separators are control characters no log
// needs; they are replaced by spaces in the strings.
const (
	packSep = 0x1f // ASCII unit separator
	itemSep = 0x1e // ASCII record separator
)

const stageSchema = `CREATE TEMP TABLE IF NOT EXISTS stage (
	project_id INTEGER, ts BIGINT, received_at BIGINT,
	trace_hi UBIGINT, trace_lo UBIGINT, span_id UBIGINT, parent_span_id UBIGINT,
	http_status SMALLINT, duration_ms DOUBLE, retry_attempt SMALLINT,
	n_attrs INTEGER, packed VARCHAR)`

// unstageSQL moves the staged rows, in order, into events.
const unstageSQL = `INSERT INTO events SELECT project_id, ts, received_at,
	s[1], s[2], s[3], s[4], s[5], s[6],
	trace_hi, trace_lo, span_id, parent_span_id,
	s[7], s[8], s[9], s[10], s[11], s[12], s[13], s[14],
	http_status, duration_ms, s[15], s[16], s[17], retry_attempt,
	CASE WHEN n_attrs = 0 THEN []::VARCHAR[] ELSE string_split(s[18], chr(30)) END,
	CASE WHEN n_attrs = 0 THEN []::VARCHAR[] ELSE string_split(s[19], chr(30)) END
FROM (SELECT *, string_split(packed, chr(31)) AS s FROM stage)`

// loadEvents stages the events in order and moves them into the events
// table, all inside the connection's open transaction.
func loadEvents(ctx context.Context, conn sqlConn, evs []event.Event, order []int32) error {
	if _, err := conn.ExecContext(ctx, stageSchema); err != nil {
		return fmt.Errorf("create staging table: %w", err)
	}
	err := conn.Raw(func(c any) error {
		dc, ok := c.(driver.Conn)
		if !ok {
			return fmt.Errorf("driver connection is a %T", c)
		}
		return stageEvents(dc, evs, order)
	})
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, unstageSQL); err != nil {
		return fmt.Errorf("move staged events: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `DELETE FROM stage`); err != nil {
		return fmt.Errorf("empty staging table: %w", err)
	}
	return nil
}

func stageEvents(c driver.Conn, evs []event.Event, order []int32) error {
	a, err := duckdb.NewAppender(c, "temp", "main", "stage")
	if err != nil {
		return fmt.Errorf("create appender: %w", err)
	}
	var buf []byte
	for _, i := range order {
		e := &evs[i]
		buf = packRow(buf[:0], e)
		var dur any
		if e.DurationMS != 0 && !math.IsNaN(e.DurationMS) && !math.IsInf(e.DurationMS, 0) {
			dur = e.DurationMS
		}
		err := a.AppendRow(int32(e.ProjectID), e.TS, e.ReceivedAt,
			e.TraceID.Hi(), e.TraceID.Lo(), e.SpanID.Uint64(), e.ParentSpanID.Uint64(),
			optInt16(e.HTTPStatus), dur, optInt16(e.RetryAttempt), int32(len(e.Attributes)), buf)
		if err != nil {
			a.Close()
			return fmt.Errorf("stage event at %d: %w", e.TS, err)
		}
	}
	if err := a.Close(); err != nil {
		return fmt.Errorf("flush appender: %w", err)
	}
	return nil
}

// packRow appends the event's strings in unstageSQL's order.
func packRow(b []byte, e *event.Event) []byte {
	for i, v := range [...]string{e.Kind, e.Level, e.Service, e.Env, e.Release, e.Host,
		e.UserID, e.AnonymousID, e.SessionID, e.RequestID, e.Name, e.Message, e.HTTPMethod, e.Endpoint,
		e.ErrorType, e.ErrorCode, e.Fingerprint} {
		if i > 0 {
			b = append(b, packSep)
		}
		b = appendClean(b, v)
	}
	b = append(b, packSep)
	for i, a := range e.Attributes {
		if i > 0 {
			b = append(b, itemSep)
		}
		b = appendClean(b, a.Key)
	}
	b = append(b, packSep)
	for i, a := range e.Attributes {
		if i > 0 {
			b = append(b, itemSep)
		}
		b = appendClean(b, a.Value)
	}
	return b
}

// appendClean appends s made valid for a packed VARCHAR: separators become
// spaces, NUL bytes and invalid UTF-8 become U+FFFD.
func appendClean(b []byte, s string) []byte {
	return append(b, cleaned(s)...)
}

// cleaned is s as stored: see appendClean.
func cleaned(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= packSep || c >= utf8.RuneSelf {
			return clean(s)
		}
	}
	return s
}

func clean(s string) string {
	s = event.ValidText(s)
	return strings.Map(func(r rune) rune {
		if r == packSep || r == itemSep {
			return ' '
		}
		return r
	}, s)
}

// optInt16 is v as a SMALLINT, NULL when zero, clamped to the type's range.
func optInt16(v int32) any {
	if v == 0 {
		return nil
	}
	return int16(max(math.MinInt16, min(math.MaxInt16, v)))
}

package clickhouse

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// recoverTimeout bounds the clean-up after a failed Append, which runs
// even when the Append's own context has ended.
const recoverTimeout = time.Minute

// Limits of a batch, which its rows' arrival order (sqlq.ClickHouse.RowID:
// seq, writer number, place in the batch, in one signed 64-bit integer)
// needs.
const (
	maxSeq       = 1<<31 - 1
	maxBatchRows = 1 << 24
)

// Append inserts the batch's rows in one INSERT (JSONEachRow), then its
// identity pairs, then records the batch, each row and the record
// carrying the store's writer number. A batch whose Seq is not after the
// writer's last recorded one is refused. When any step fails, the rows
// written for the batch are deleted before Append returns (or, if the
// server cannot be reached, by the next Append or Open), so that nothing
// of a failed batch stays and its replay is not doubled.
func (s *Store) Append(ctx context.Context, b store.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("clickhouse append batch %d: the store is closed", b.Seq)
	}
	if s.dirty {
		if err := s.recover(ctx); err != nil {
			return fmt.Errorf("clickhouse append batch %d: %w", b.Seq, err)
		}
	}
	if b.Seq <= s.last {
		return fmt.Errorf("clickhouse append: batch %d is not after the last committed batch %d", b.Seq, s.last)
	}
	if b.Seq > maxSeq || len(b.Events) >= maxBatchRows {
		return fmt.Errorf("clickhouse append batch %d of %d events: the store takes seqs up to %d and fewer than %d events a batch", b.Seq, len(b.Events), maxSeq, maxBatchRows)
	}
	if err := s.write(ctx, b); err != nil {
		s.dirty = true
		if s.replicated {
			s.failedMinutes = appendMinutes(s.failedMinutes, b.Events)
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recoverTimeout)
		defer cancel()
		if rerr := s.recover(rctx); rerr != nil {
			s.log.Warn("clickhouse: clean up after a failed append", "seq", b.Seq, "err", rerr)
		} else if s.last == b.Seq {
			// The record reached the server though its answer did not
			// reach us: the batch is committed.
			return nil
		}
		return fmt.Errorf("clickhouse append batch %d: %w", b.Seq, err)
	}
	s.last = b.Seq
	return nil
}

// write sends the batch's rows, pairs and record.
func (s *Store) write(ctx context.Context, b store.Batch) error {
	if len(b.Events) > 0 {
		rows := encodeEvents(b, s.writerNo)
		if err := s.do(ctx, request{db: s.db, sql: "INSERT INTO events FORMAT JSONEachRow", data: bytes.NewReader(rows)}); err != nil {
			return fmt.Errorf("insert %d events: %w", len(b.Events), err)
		}
		if pairs := encodeIdents(b.Events); len(pairs) > 0 {
			if err := s.do(ctx, request{db: s.db, sql: "INSERT INTO idents FORMAT JSONEachRow", data: bytes.NewReader(pairs)}); err != nil {
				return fmt.Errorf("insert identity pairs: %w", err)
			}
		}
	}
	rec := "INSERT INTO batches (seq, events, committed_at, writer) VALUES (" + strconv.FormatUint(b.Seq, 10) + ", " + strconv.Itoa(len(b.Events)) + ", now(), " + strconv.Itoa(int(s.writerNo)) + ")"
	if err := s.exec(ctx, s.db, rec); err != nil {
		return fmt.Errorf("record the batch: %w", err)
	}
	return nil
}

// LastSeq is the seq of the store's writer's last recorded batch, 0 when
// none. On a replicated cluster it is the store's own count once open:
// a replica may bring back, late, a record its recovery deleted
// (cluster.go).
func (s *Store) LastSeq(ctx context.Context) (uint64, error) {
	if s.replicated {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.last, nil
	}
	return s.recorded(ctx)
}

// recorded reads the seq of the writer's last recorded batch.
func (s *Store) recorded(ctx context.Context) (uint64, error) {
	var last uint64
	if err := s.queryOne(ctx, s.db, "SELECT max(seq) FROM batches WHERE writer = "+strconv.Itoa(int(s.writerNo)), &last); err != nil {
		return 0, fmt.Errorf("clickhouse last seq: %w", err)
	}
	return last, nil
}

// recover reads the writer's last recorded batch and deletes the rows of
// any later one of the writer (written by an Append that failed or
// crashed before its record), waiting for the deletion (a mutation) to
// finish. Other writers' rows, recorded or still being appended, are not
// touched. s.mu is held.
func (s *Store) recover(ctx context.Context) error {
	last, err := s.recorded(ctx)
	if err != nil {
		return err
	}
	unrecorded := "writer = " + strconv.Itoa(int(s.writerNo)) + " AND seq > " + strconv.FormatUint(last, 10)
	if s.replicated && s.dirty && last < s.last {
		// The replica the store reads lacks records of batches it
		// appended (another replica took them, and has not sent them
		// yet): they stay committed.
		last = s.last
		unrecorded = "writer = " + strconv.Itoa(int(s.writerNo)) + " AND seq > " + strconv.FormatUint(last, 10)
	}
	if s.replicated && s.dirty {
		if err := s.recoverReplicated(ctx, unrecorded); err != nil {
			return fmt.Errorf("clickhouse recover: delete writer %q's rows after batch %d: %w", s.writer, last, err)
		}
		s.last, s.dirty, s.failedMinutes = last, false, nil
		return nil
	}
	var orphans int64
	if err := s.queryOne(ctx, s.db, "SELECT count() FROM events WHERE "+unrecorded, &orphans); err != nil {
		return fmt.Errorf("clickhouse recover: %w", err)
	}
	if orphans > 0 {
		s.log.Warn("clickhouse: deleting the rows of unrecorded batches", "writer", s.writer, "after_seq", last, "rows", orphans)
		// The views rolled the rows up: their minutes are recomputed
		// after (stale until then).
		minutes, err := s.touchedMinutes(ctx, unrecorded)
		if err != nil {
			return fmt.Errorf("clickhouse recover: %w", err)
		}
		spans := spansOf(minutes)
		token, err := s.markStale(ctx, -1, spans)
		if err != nil {
			return fmt.Errorf("clickhouse recover: %w", err)
		}
		if err := s.alterRows(ctx, "events", "DELETE", unrecorded); err != nil {
			return fmt.Errorf("clickhouse recover: delete writer %q's %d rows after batch %d: %w", s.writer, orphans, last, err)
		}
		if err := s.finishReroll(ctx, -1, spans, token); err != nil {
			return fmt.Errorf("clickhouse recover: recompute the rollups of writer %q's rows after batch %d: %w", s.writer, last, err)
		}
	}
	s.last, s.dirty = last, false
	return nil
}

// recoverReplicated is the recovery after a failed Append on a
// replicated cluster: the days of the rows it deletes (those it sees,
// and the failed batches', which a replica may hold unseen) are marked
// stale in the rollups, and the rows and records deleted whether seen
// or not (dropUnrecorded). The rollups are not recomputed here: a
// replica recomputing a minute from the events it holds misses the
// parts another replica took and it has not fetched yet (the dead one's
// above all), whose rollup rows the recomputation's deletion removes
// all the same (TestReplicaLoss counted 62,000 of 80,000 events so).
// The days stay stale, read from the events, until a repair recomputes
// them (repairStale, of marks older than staleAfter: at Open, or when a
// read meets them), by then from replicas that have caught up.
func (s *Store) recoverReplicated(ctx context.Context, unrecorded string) error {
	seen, err := s.touchedMinutes(ctx, unrecorded)
	if err != nil {
		return err
	}
	minutes := slices.Concat(seen, s.failedMinutes)
	slices.Sort(minutes)
	spans := spansOf(slices.Compact(minutes))
	if _, err := s.markStale(ctx, -1, spans); err != nil {
		return err
	}
	s.log.Warn("clickhouse: the rollups of an unrecorded batch's days stay stale (read from the events) until a repair", "writer", s.writer, "days", len(daysOf(spans)))
	return s.dropUnrecorded(ctx, unrecorded)
}

// appendMinutes adds the minutes (µs) of evs' times to ms.
func appendMinutes(ms []int64, evs []event.Event) []int64 {
	for i := range evs {
		if ts := evs[i].TS; ts >= 0 {
			ms = append(ms, ts/minuteMicros*minuteMicros)
		}
	}
	slices.Sort(ms)
	return slices.Compact(ms)
}

// replicaWait bounds the wait of a failed Append's recovery on a
// replicated cluster for its deletion: a part it must delete from may be
// on a replica that is down, and the wait is the pause of the writer's
// ingest at a replica's death (TestReplicaLoss: 3.4 s with 3 s, 5.5–10.5
// s with 10 s). The deletion needs no wait to be right (the rows
// appended again come after it), only for readers not to see a batch
// twice meanwhile.
const replicaWait = 3 * time.Second

// dropUnrecorded deletes, on a replicated cluster, the writer's batch
// records and rows that match unrecorded, whether the replica sees them
// or not (a part another replica took before it died is deleted when it
// arrives), and waits up to replicaWait for the rows' deletion.
func (s *Store) dropUnrecorded(ctx context.Context, unrecorded string) error {
	if err := s.exec(ctx, s.db, "ALTER TABLE batches DELETE WHERE "+unrecorded); err != nil {
		return err
	}
	tables := s.rowTables("events")
	before := make([]string, len(tables))
	for i, t := range tables {
		var err error
		if before[i], err = t.s.lastMutation(ctx, t.table); err != nil {
			return err
		}
		if err := t.s.exec(ctx, t.s.db, "ALTER TABLE "+t.table+" DELETE WHERE "+unrecorded); err != nil {
			return err
		}
	}
	wctx, cancel := context.WithTimeout(ctx, replicaWait)
	defer cancel()
	for i, t := range tables {
		if err := t.s.awaitMutations(wctx, t.table, before[i]); err != nil {
			s.log.Warn("clickhouse: the deletion of an unrecorded batch's rows goes on in the background", "writer", s.writer, "where", unrecorded, "err", err)
			break
		}
	}
	return nil
}

// lastMutation is the id of the table's latest mutation ("" for none),
// for awaitMutations on a replicated table.
func (s *Store) lastMutation(ctx context.Context, table string) (string, error) {
	if !s.replicated {
		return "", nil
	}
	var id string
	err := s.queryOne(ctx, "", "SELECT max(mutation_id) FROM system.mutations WHERE database = "+quote(s.db)+" AND table = "+quote(table), &id)
	return id, err
}

// awaitMutations waits until the table has no unfinished mutation
// (mutations_sync came after 18.16). A replicated table's mutation
// shows once the replica has read it from ZooKeeper, a moment after the
// ALTER returns: there, it waits for a mutation after the one that was
// the latest before the ALTER (lastMutation), and for those only (18.16
// leaves a replica restarted after a kill with mutations it has applied
// but shows unfinished).
func (s *Store) awaitMutations(ctx context.Context, table string, before string) error {
	d := sqlq.ClickHouse{}
	after := "mutation_id > " + d.Str(before)
	q := "SELECT countIf(is_done = 0), countIf(" + after + ") FROM system.mutations WHERE database = " + d.Str(s.db) + " AND table = " + d.Str(table)
	if s.replicated {
		q = "SELECT countIf(is_done = 0 AND " + after + "), countIf(" + after + ") FROM system.mutations WHERE database = " + d.Str(s.db) + " AND table = " + d.Str(table)
	}
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		var n, after int64
		if err := s.queryOne(ctx, "", q, &n, &after); err != nil {
			return err
		}
		if n == 0 && (after > 0 || !s.replicated) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for the %s table's mutations: %w", table, ctx.Err())
		case <-time.After(wait):
		}
	}
}

// encodeEvents renders the batch of writer number w as JSONEachRow: one
// object a line, strings made valid (event.ValidText), the zero numbers
// of the optional columns as null, as the DuckDB store keeps them.
func encodeEvents(b store.Batch, w uint8) []byte {
	out := make([]byte, 0, 512*len(b.Events))
	seq := strconv.FormatUint(b.Seq, 10)
	writer := strconv.Itoa(int(w))
	for i := range b.Events {
		e := &b.Events[i]
		out = append(out, `{"project_id":`...)
		out = strconv.AppendInt(out, e.ProjectID, 10)
		out = append(out, `,"ts":`...)
		out = strconv.AppendInt(out, e.TS, 10)
		out = append(out, `,"received_at":`...)
		out = strconv.AppendInt(out, e.ReceivedAt, 10)
		for _, f := range [...]struct {
			name string
			v    string
		}{
			{"kind", e.Kind}, {"level", e.Level}, {"service", e.Service}, {"env", e.Env}, {"release", e.Release}, {"host", e.Host},
			{"user_id", e.UserID}, {"anonymous_id", e.AnonymousID}, {"session_id", e.SessionID}, {"request_id", e.RequestID},
			{"name", e.Name}, {"message", e.Message}, {"http_method", e.HTTPMethod}, {"endpoint", e.Endpoint},
			{"error_type", e.ErrorType}, {"error_code", e.ErrorCode}, {"fingerprint", e.Fingerprint},
		} {
			out = append(out, `,"`...)
			out = append(out, f.name...)
			out = append(out, `":`...)
			out = appendJSONString(out, f.v)
		}
		for _, f := range [...]struct {
			name string
			v    uint64
		}{{"trace_hi", e.TraceID.Hi()}, {"trace_lo", e.TraceID.Lo()}, {"span_id", e.SpanID.Uint64()}, {"parent_span_id", e.ParentSpanID.Uint64()}} {
			out = append(out, `,"`...)
			out = append(out, f.name...)
			out = append(out, `":`...)
			out = strconv.AppendUint(out, f.v, 10)
		}
		out = append(out, `,"http_status":`...)
		out = appendOptInt(out, int64(e.HTTPStatus))
		out = append(out, `,"retry_attempt":`...)
		out = appendOptInt(out, int64(e.RetryAttempt))
		out = append(out, `,"duration_ms":`...)
		if e.DurationMS == 0 || e.DurationMS != e.DurationMS {
			out = append(out, "null"...)
		} else {
			out = strconv.AppendFloat(out, e.DurationMS, 'g', -1, 64)
		}
		out = append(out, `,"attr_keys":[`...)
		for j, a := range e.Attributes {
			if j > 0 {
				out = append(out, ',')
			}
			out = appendJSONString(out, a.Key)
		}
		out = append(out, `],"attr_values":[`...)
		for j, a := range e.Attributes {
			if j > 0 {
				out = append(out, ',')
			}
			out = appendJSONString(out, a.Value)
		}
		out = append(out, `],"seq":`...)
		out = append(out, seq...)
		out = append(out, `,"seq_row":`...)
		out = strconv.AppendInt(out, int64(i), 10)
		out = append(out, `,"writer":`...)
		out = append(out, writer...)
		out = append(out, "}\n"...)
	}
	return out
}

func appendOptInt(out []byte, v int64) []byte {
	if v == 0 {
		return append(out, "null"...)
	}
	return strconv.AppendInt(out, v, 10)
}

// encodeIdents renders the batch's distinct (anonymous id, user id)
// pairs as JSONEachRow.
func encodeIdents(evs []event.Event) []byte {
	type pair struct {
		project         int64
		anonymous, user string
	}
	seen := map[pair]bool{}
	var out []byte
	for i := range evs {
		e := &evs[i]
		if e.AnonymousID == "" || e.UserID == "" {
			continue
		}
		p := pair{e.ProjectID, event.ValidText(e.AnonymousID), event.ValidText(e.UserID)}
		if seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, `{"project_id":`...)
		out = strconv.AppendInt(out, p.project, 10)
		out = append(out, `,"anonymous_id":`...)
		out = appendJSONString(out, p.anonymous)
		out = append(out, `,"user_id":`...)
		out = appendJSONString(out, p.user)
		out = append(out, "}\n"...)
	}
	return out
}

// appendJSONString appends s, made valid text, as a JSON string:
// quotes, backslashes and control characters escaped, the rest as UTF-8.
func appendJSONString(out []byte, s string) []byte {
	s = event.ValidText(s)
	const hex = "0123456789abcdef"
	out = append(out, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf || (c >= 0x20 && c != '"' && c != '\\') {
			out = append(out, c)
			i++
			continue
		}
		switch c {
		case '"', '\\':
			out = append(out, '\\', c)
		case '\n':
			out = append(out, '\\', 'n')
		case '\t':
			out = append(out, '\\', 't')
		case '\r':
			out = append(out, '\\', 'r')
		default:
			out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
	}
	return append(out, '"')
}

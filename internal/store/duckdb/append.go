package duckdb

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

const (
	// blockRows and blockSpan bound a side-index block: a block's time range
	// is what a pruned query scans, so it must stay narrow.
	blockRows = 65536
	blockSpan = int64(3600 * 1e6) // µs
	// keyBits and gramBits are the filter sizes per distinct key and per
	// gram window; see the package comment.
	keyBits  = 10
	keyK     = 7
	gramK    = 2
	maxGrams = 1 << 20 // bits per block's grams filter at most
)

// loadSQL reads a spool file with explicit types, in file order.
const loadSQL = `INSERT INTO events SELECT * FROM read_ndjson(?, columns = {
	project_id: 'INTEGER', ts: 'BIGINT', received_at: 'BIGINT',
	kind: 'VARCHAR', level: 'VARCHAR', service: 'VARCHAR', env: 'VARCHAR', release: 'VARCHAR', host: 'VARCHAR',
	trace_hi: 'UBIGINT', trace_lo: 'UBIGINT', span_id: 'UBIGINT', parent_span_id: 'UBIGINT',
	user_id: 'VARCHAR', anonymous_id: 'VARCHAR', session_id: 'VARCHAR', request_id: 'VARCHAR',
	name: 'VARCHAR', message: 'VARCHAR', http_method: 'VARCHAR', endpoint: 'VARCHAR',
	http_status: 'SMALLINT', duration_ms: 'DOUBLE', error_type: 'VARCHAR', error_code: 'VARCHAR',
	fingerprint: 'VARCHAR', retry_attempt: 'SMALLINT', attr_keys: 'VARCHAR[]', attr_values: 'VARCHAR[]'
}, format = 'newline_delimited', maximum_object_size = 16777216)`

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

	var spool string
	if len(order) > 0 {
		s.spool++
		spool = filepath.Join(s.dir, "spool", fmt.Sprintf("batch-%d-%d.ndjson", b.Seq, s.spool))
		if err := writeSpool(spool, evs, order); err != nil {
			return fmt.Errorf("append batch %d: %w", b.Seq, err)
		}
		defer os.Remove(spool)
	}
	blocks := buildBlocks(evs, order)
	pairs := s.idents.fresh(evs)

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("append batch %d: begin: %w", b.Seq, err)
	}
	defer tx.Rollback()
	if err := s.appendTx(ctx, tx, b.Seq, spool, int64(len(order)), blocks, pairs); err != nil {
		return fmt.Errorf("append batch %d: %w", b.Seq, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("append batch %d: commit: %w", b.Seq, err)
	}
	for _, pb := range blocks {
		s.blocks.add(pb.project, pb.b)
	}
	s.idents.remember(pairs)
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

func (s *Store) appendTx(ctx context.Context, tx *sql.Tx, seq uint64, spool string, n int64, blocks []projBlock, pairs []identPair) error {
	var last uint64
	if err := tx.QueryRowContext(ctx, `SELECT seq FROM ingest_state WHERE id = 1`).Scan(&last); err != nil {
		return fmt.Errorf("read last seq: %w", err)
	}
	if seq <= last {
		return fmt.Errorf("seq %d is not after the last committed seq %d", seq, last)
	}
	if spool != "" {
		if _, err := tx.ExecContext(ctx, loadSQL, spool); err != nil {
			return fmt.Errorf("load %d events: %w", n, err)
		}
	}
	for _, pb := range blocks {
		if _, err := tx.ExecContext(ctx, `INSERT INTO blocks VALUES (?, ?, ?, ?, ?, ?)`,
			pb.project, pb.b.minTS, pb.b.maxTS, pb.b.rows, pb.b.keys.marshal(), pb.b.grams.marshal()); err != nil {
			return fmt.Errorf("insert block filter: %w", err)
		}
	}
	for _, p := range pairs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO idents VALUES (?, ?, ?)`, p.project, p.anon, p.user); err != nil {
			return fmt.Errorf("insert identity %q→%q: %w", p.anon, p.user, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE ingest_state SET seq = ?, events = events + ? WHERE id = 1`, seq, n); err != nil {
		return fmt.Errorf("record seq: %w", err)
	}
	return nil
}

type projBlock struct {
	project int64
	b       *block
}

// buildBlocks cuts the sorted events into blocks and fills their filters.
func buildBlocks(evs []event.Event, order []int32) []projBlock {
	var out []projBlock
	for start := 0; start < len(order); {
		first := &evs[order[start]]
		end := start + 1
		for end < len(order) && end-start < blockRows {
			e := &evs[order[end]]
			if e.ProjectID != first.ProjectID || e.TS-first.TS > blockSpan {
				break
			}
			end++
		}
		out = append(out, projBlock{first.ProjectID, fillBlock(evs, order[start:end])})
		start = end
	}
	return out
}

func fillBlock(evs []event.Event, idx []int32) *block {
	keys := make(map[uint64]struct{}, len(idx))
	gramBytes := 0
	for _, i := range idx {
		e := &evs[i]
		if !e.TraceID.IsZero() {
			keys[traceKeyHash(e.TraceID.Hi(), e.TraceID.Lo())] = struct{}{}
		}
		if e.UserID != "" {
			keys[keyHash(keyUser, e.UserID)] = struct{}{}
		}
		if e.SessionID != "" {
			keys[keyHash(keySess, e.SessionID)] = struct{}{}
		}
		if e.AnonymousID != "" {
			keys[keyHash(keyAnon, e.AnonymousID)] = struct{}{}
		}
		gramBytes += len(e.Message)
	}
	kb := newBloom(uint64(len(keys))*keyBits, keyK)
	for h := range keys {
		kb.add(h)
	}
	// Messages repeat templates, so distinct grams are far fewer than
	// windows; a quarter of the windows, times 8 bits, bounded.
	gb := newBloom(min(uint64(gramBytes)*2, maxGrams), gramK)
	for _, i := range idx {
		addGrams(gb, evs[i].Message)
	}
	return &block{
		minTS: evs[idx[0]].TS,
		maxTS: evs[idx[len(idx)-1]].TS,
		rows:  int64(len(idx)),
		keys:  kb,
		grams: gb,
	}
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

func (c *identCache) fresh(evs []event.Event) []identPair {
	var out []identPair
	var batch map[identPair]struct{}
	for i := range evs {
		e := &evs[i]
		if e.AnonymousID == "" || e.UserID == "" {
			continue
		}
		p := identPair{e.ProjectID, e.AnonymousID, e.UserID}
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
		c.seen[p] = struct{}{}
	}
}

// writeSpool writes the events in order as NDJSON, one object a row with
// the events table's columns.
func writeSpool(path string, evs []event.Event, order []int32) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create spool file %q: %w", path, err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var buf []byte
	for _, i := range order {
		buf = appendRow(buf[:0], &evs[i])
		if _, err := w.Write(buf); err != nil {
			f.Close()
			return fmt.Errorf("write spool file %q: %w", path, err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write spool file %q: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close spool file %q: %w", path, err)
	}
	return nil
}

func appendRow(b []byte, e *event.Event) []byte {
	b = append(b, `{"project_id":`...)
	b = strconv.AppendInt(b, e.ProjectID, 10)
	b = append(b, `,"ts":`...)
	b = strconv.AppendInt(b, e.TS, 10)
	b = append(b, `,"received_at":`...)
	b = strconv.AppendInt(b, e.ReceivedAt, 10)
	b = appendStrField(b, "kind", e.Kind)
	b = appendStrField(b, "level", e.Level)
	b = appendStrField(b, "service", e.Service)
	b = appendStrField(b, "env", e.Env)
	b = appendStrField(b, "release", e.Release)
	b = appendStrField(b, "host", e.Host)
	b = append(b, `,"trace_hi":`...)
	b = strconv.AppendUint(b, e.TraceID.Hi(), 10)
	b = append(b, `,"trace_lo":`...)
	b = strconv.AppendUint(b, e.TraceID.Lo(), 10)
	b = append(b, `,"span_id":`...)
	b = strconv.AppendUint(b, e.SpanID.Uint64(), 10)
	b = append(b, `,"parent_span_id":`...)
	b = strconv.AppendUint(b, e.ParentSpanID.Uint64(), 10)
	b = appendStrField(b, "user_id", e.UserID)
	b = appendStrField(b, "anonymous_id", e.AnonymousID)
	b = appendStrField(b, "session_id", e.SessionID)
	b = appendStrField(b, "request_id", e.RequestID)
	b = appendStrField(b, "name", e.Name)
	b = appendStrField(b, "message", e.Message)
	b = appendStrField(b, "http_method", e.HTTPMethod)
	b = appendStrField(b, "endpoint", e.Endpoint)
	b = append(b, `,"http_status":`...)
	b = appendOptInt(b, int64(clampInt16(e.HTTPStatus)))
	b = append(b, `,"duration_ms":`...)
	if e.DurationMS == 0 || e.DurationMS != e.DurationMS || e.DurationMS > 1e300 || e.DurationMS < -1e300 {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendFloat(b, e.DurationMS, 'g', -1, 64)
	}
	b = appendStrField(b, "error_type", e.ErrorType)
	b = appendStrField(b, "error_code", e.ErrorCode)
	b = appendStrField(b, "fingerprint", e.Fingerprint)
	b = append(b, `,"retry_attempt":`...)
	b = appendOptInt(b, int64(clampInt16(e.RetryAttempt)))
	b = append(b, `,"attr_keys":[`...)
	for i, a := range e.Attributes {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, a.Key)
	}
	b = append(b, `],"attr_values":[`...)
	for i, a := range e.Attributes {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, a.Value)
	}
	return append(b, "]}\n"...)
}

func clampInt16(v int32) int32 { return max(-32768, min(32767, v)) }

func appendOptInt(b []byte, v int64) []byte {
	if v == 0 {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, v, 10)
}

func appendStrField(b []byte, name, v string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendJSONString(b, v)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends v as a JSON string; invalid UTF-8 becomes U+FFFD
// and NUL bytes are dropped (DuckDB strings cannot hold them reliably).
func appendJSONString(b []byte, v string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(v); {
		c := v[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(v[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, v[start:i]...)
				b = append(b, "\ufffd"...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		b = append(b, v[start:i]...)
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case 0:
			// dropped
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, v[start:]...)
	return append(b, '"')
}

package clickhouse

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Error is an exception the server answered with.
type Error struct {
	Code    int    // ClickHouse's error code, 0 when the answer had none
	Name    string // its name (MEMORY_LIMIT_EXCEEDED), when known
	Message string // the server's text
}

func (e *Error) Error() string {
	if e.Name != "" {
		return fmt.Sprintf("clickhouse: %s (code %d): %s", e.Name, e.Code, e.Message)
	}
	return fmt.Sprintf("clickhouse: code %d: %s", e.Code, e.Message)
}

// Unwrap makes the server's own timeouts (TIMEOUT_EXCEEDED, and TOO_SLOW:
// the estimated time is past max_execution_time) a context deadline, as
// Lore's own deadline is: a query that ran out of time answers 503 with
// Retry-After whichever side noticed first.
func (e *Error) Unwrap() error {
	if e.Code == 159 || e.Code == 160 {
		return context.DeadlineExceeded
	}
	return nil
}

// faultCodes are the codes of a query that cannot run as written (an
// unknown column or function, a type a function does not take, a value
// that does not parse): the query's fault, not the server's.
var faultCodes = map[int]bool{6: true, 27: true, 36: true, 38: true, 41: true, 42: true, 43: true, 44: true, 46: true,
	47: true, 48: true, 53: true, 62: true, 69: true, 70: true, 72: true, 169: true, 174: true, 179: true, 184: true, 215: true, 386: true}

// QueryFault says whether the query, not the server, is at fault.
func (e *Error) QueryFault() bool { return faultCodes[e.Code] }

// codeNames names the codes Lore acts on or a reader meets most; the
// newest releases name every code in their text, 18.16 none.
var codeNames = map[int]string{
	47: "UNKNOWN_IDENTIFIER", 60: "UNKNOWN_TABLE", 62: "SYNTAX_ERROR", 81: "UNKNOWN_DATABASE",
	159: "TIMEOUT_EXCEEDED", 160: "TOO_SLOW", 241: "MEMORY_LIMIT_EXCEEDED", 394: "QUERY_WAS_CANCELLED",
}

var codeRE = regexp.MustCompile(`^Code: (\d+)`)

// serverError reads the body of a failed answer.
func serverError(status int, body []byte) *Error {
	msg := strings.TrimSpace(string(body))
	e := &Error{Message: msg}
	if m := codeRE.FindStringSubmatch(msg); m != nil {
		e.Code, _ = strconv.Atoi(m[1])
	}
	e.Name = codeNames[e.Code]
	if e.Code == 0 {
		e.Message = fmt.Sprintf("HTTP %d: %s", status, msg)
	}
	return e
}

// request is one statement sent to the server.
type request struct {
	db     string     // the database parameter, "" for none
	sql    string     // sent in the body, or in the URL when data is set
	data   io.Reader  // an INSERT's rows
	params url.Values // settings
	// timeout, when set, bounds a statement whose context has no
	// deadline instead of the store's query timeout (a migration's
	// backfill, which may read a large table).
	timeout time.Duration
	// read: the statement only reads, so net/http may send it again on a
	// new connection when a kept-alive one turns out dead (a server
	// killed since), and the failover then finds the next server.
	read bool
}

// writeTimeout bounds an INSERT whose context has no deadline: the
// pipeline's batches (65,536 events) take seconds, and a read's query
// timeout must not fail a large one.
const writeTimeout = 5 * time.Minute

// send posts r under ctx and returns the answer's body to read and
// close. A statement still running when ctx ends is killed by its id
// (18.16 does not stop a query whose client went away). The deadline of
// ctx, or the store's query timeout (writeTimeout for an INSERT's rows),
// becomes max_execution_time.
func (s *Store) send(ctx context.Context, r request) (io.ReadCloser, func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	limit := s.timeout
	if r.data != nil {
		limit = writeTimeout
	}
	if r.timeout > 0 {
		limit = r.timeout
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, limit)
	deadline, _ := ctx.Deadline()
	left := time.Until(deadline)
	if left <= 0 {
		cancelTimeout()
		return nil, nil, context.DeadlineExceeded
	}
	p := url.Values{}
	for k, v := range s.settings {
		p[k] = v
	}
	for k, v := range r.params {
		p[k] = v
	}
	id := newQueryID()
	p.Set("query_id", id)
	if r.db != "" {
		p.Set("database", r.db)
	}
	p.Set("max_execution_time", strconv.Itoa(int(math.Ceil(left.Seconds()))))
	if s.cancelOnClose {
		p.Set("cancel_http_readonly_queries_on_client_close", "1")
	}
	if r.data != nil {
		p.Set("query", r.sql)
	}
	// A server that cannot be reached (the connection refused: the
	// statement never reached it) is left for the next one, when the
	// store has others (failover); a statement whose connection broke
	// after it was sent is not sent again (an INSERT may have landed),
	// but the next statement goes to the next server.
	var resp *http.Response
	var done func()
	for tries := 0; ; tries++ {
		at := s.cur.Load()
		endpoint := s.at(at)
		killed := make(chan struct{})
		stopKill := context.AfterFunc(ctx, func() {
			defer close(killed)
			s.kill(endpoint, id)
		})
		done = func() {
			if !stopKill() {
				<-killed
			}
			cancelTimeout()
		}
		var err error
		resp, err = s.post(ctx, endpoint, p, r)
		if err == nil {
			break
		}
		if cause := context.Cause(ctx); cause != nil {
			done()
			return nil, nil, cause
		}
		if len(s.failover) > 0 {
			next := (at + 1) % int32(len(s.failover)+1)
			if s.cur.CompareAndSwap(at, next) {
				s.log.Warn("clickhouse: server unreachable, going on with the next", "server", endpoint, "next", s.at(next), "err", err)
			}
			if refused(err) && tries < len(s.failover) && rewind(r.data) {
				stopKill()
				continue
			}
		}
		done()
		return nil, nil, fmt.Errorf("clickhouse: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		cause := context.Cause(ctx)
		done()
		if cause != nil {
			return nil, nil, cause
		}
		return nil, nil, serverError(resp.StatusCode, b)
	}
	return resp.Body, done, nil
}

// post sends r's statement (with the URL parameters p) to endpoint.
func (s *Store) post(ctx context.Context, endpoint string, p url.Values, r request) (*http.Response, error) {
	body := r.data
	if body == nil {
		body = strings.NewReader(r.sql)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"?"+p.Encode(), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	if r.read {
		req.Header.Set("X-Idempotency-Key", p.Get("query_id"))
	}
	if s.user != nil {
		pw, _ := s.user.Password()
		req.SetBasicAuth(s.user.Username(), pw)
	}
	return s.hc.Do(req)
}

// at is the server of index i: endpoint, then failover's.
func (s *Store) at(i int32) string {
	if i == 0 {
		return s.endpoint
	}
	return s.failover[i-1]
}

// refused says whether err is a connection that could not be made: the
// statement never reached the server.
func refused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// rewind makes an INSERT's rows readable again from their start, for
// sending them to another server; false when they cannot be.
func rewind(data io.Reader) bool {
	if data == nil {
		return true
	}
	sk, ok := data.(io.Seeker)
	if !ok {
		return false
	}
	_, err := sk.Seek(0, io.SeekStart)
	return err == nil
}

// kill stops the query id on the server at endpoint, for a client that
// left.
func (s *Store) kill(endpoint, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint,
		strings.NewReader("KILL QUERY WHERE query_id = '"+id+"' ASYNC FORMAT TabSeparated"))
	if err != nil {
		return
	}
	if s.user != nil {
		pw, _ := s.user.Password()
		req.SetBasicAuth(s.user.Username(), pw)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		s.log.Warn("clickhouse: kill a cancelled query", "query_id", id, "err", err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func newQueryID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "lore-" + hex.EncodeToString(b[:])
}

// exec runs a statement that returns nothing to read.
func (s *Store) exec(ctx context.Context, db, sql string) error {
	return s.do(ctx, request{db: db, sql: sql})
}

// do runs r and discards its answer.
func (s *Store) do(ctx context.Context, r request) error {
	body, done, err := s.send(ctx, r)
	if err != nil {
		return fmt.Errorf("%w\n%.300s", err, r.sql)
	}
	defer done()
	defer body.Close()
	if _, err := io.Copy(io.Discard, body); err != nil {
		return fmt.Errorf("clickhouse: %w", err)
	}
	return nil
}

// queryOne runs sql, which returns one row, into dest.
func (s *Store) queryOne(ctx context.Context, db, sql string, dest ...any) error {
	n := 0
	err := s.each(ctx, db, sql, func(r *rows) error {
		n++
		return r.Scan(dest...)
	})
	if err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("clickhouse: %d rows, want 1: %.300s", n, sql)
	}
	return nil
}

// each runs sql and calls fn for each row of its answer.
func (s *Store) each(ctx context.Context, db, sql string, fn func(*rows) error) error {
	body, done, err := s.send(ctx, request{db: db, sql: sql, read: true, params: url.Values{
		"default_format":    {"TabSeparatedWithNamesAndTypes"},
		"wait_end_of_query": {"1"},
		"join_use_nulls":    {"1"},
	}})
	if err != nil {
		return err
	}
	defer done()
	defer body.Close()
	r, err := newRows(body)
	if err != nil {
		return readErr(ctx, err)
	}
	for r.next() {
		if err := fn(r); err != nil {
			return err
		}
	}
	return readErr(ctx, r.err)
}

// readErr is the error of reading an answer: the context's when it ended.
func readErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w (%v)", context.Cause(ctx), err)
	}
	return err
}

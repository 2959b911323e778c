// Command chdbhttp is a test-only HTTP front for chDB (ClickHouse as an
// embedded library, libchdb.so): it answers the part of ClickHouse's HTTP
// interface Lore's ClickHouse store speaks, so that the store's SQL runs
// on a current ClickHouse release where Debian packages only 18.16. It is
// built and started by chtest.StartCurrent; it is no server to run Lore
// on (a few connections, every answer held in memory).
//
// Usage: chdbhttp -lib libchdb.so -path DATADIR [-- chDB arguments]
//
// It listens on a free loopback port and prints "listening on
// HOST:PORT" once it answers. It stops when its standard input closes
// (its parent went away), or on SIGINT or SIGTERM.
//
// What it speaks: POST (or GET) with the statement in the query URL
// parameter, the body, or both (the parameter, a newline, then the body,
// as an INSERT's data); the database, default_format and query_id
// parameters; any other parameter is a setting for that statement alone
// (SET before it, the previous value put back after). An error is HTTP
// 500 with the engine's "Code: N. DB::Exception: …" text and the
// X-ClickHouse-Exception-Code header. Statements run at the same time on
// up to maxConns connections (chDB sessions on one data directory), the
// whole answer held before it is sent (wait_end_of_query). KILL QUERY
// WHERE query_id = '…' stops that statement, as does its client going
// away: the front marks each statement with a comment and kills it by
// that mark from a connection of its own (chDB's query ids are its own).
// GET /ping answers "Ok.". With CHDBHTTP_TRACE=FILE in its environment it
// appends each statement, its parameters, time and answer to FILE.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	lib := flag.String("lib", "", "libchdb.so to load")
	path := flag.String("path", "", "the engine's data directory")
	flag.Parse()
	if *lib == "" || *path == "" {
		log.Fatal("chdbhttp: -lib and -path are required")
	}
	if err := loadLibrary(*lib); err != nil {
		log.Fatalf("chdbhttp: %v", err)
	}
	args := append([]string{"--path=" + *path}, flag.Args()...)
	control, err := connect(args)
	if err != nil {
		log.Fatalf("chdbhttp: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatalf("chdbhttp: %v", err)
	}
	f := &front{args: args, control: control, idle: make(chan *engine, maxConns), slots: make(chan struct{}, maxConns),
		defaults: map[string]string{}, running: map[string]string{}}
	srv := &http.Server{Handler: f}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop <- syscall.SIGTERM
	}()
	go func() {
		<-stop
		_ = srv.Close()
		os.Exit(0)
	}()
	fmt.Printf("listening on %s\n", l.Addr())
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("chdbhttp: %v", err)
	}
	select {}
}

// maxConns bounds the statements that run at once.
const maxConns = 4

// front serves the HTTP interface over a few engine connections.
type front struct {
	args []string // of each connection

	controlMu sync.Mutex // control
	control   *engine    // kills the others' statements

	idle  chan *engine  // connections not in use
	slots chan struct{} // one a connection opened

	mu sync.Mutex
	// defaults are the settings' values before a request first set them,
	// put back after each request that sets them.
	defaults map[string]string
	running  map[string]string // a running statement's query_id → its mark
	marks    int64
}

// notSettings are URL parameters of the HTTP interface that are not
// settings.
var notSettings = map[string]bool{
	"query": true, "database": true, "default_format": true, "query_id": true, "user": true, "password": true,
	"wait_end_of_query": true, "buffer_size": true, "compress": true, "decompress": true, "quota_key": true,
	"session_id": true, "session_timeout": true, "session_check": true,
}

var (
	killRE = regexp.MustCompile(`(?is)^\s*KILL\s+QUERY\s+WHERE\s+query_id\s*=\s*'([^']*)'`)
	codeRE = regexp.MustCompile(`Code: (\d+)\.`)
	nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/ping" {
		_, _ = io.WriteString(w, "Ok.\n")
		return
	}
	params := r.URL.Query()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	sql := params.Get("query")
	if len(body) > 0 {
		if sql != "" {
			sql += "\n"
		}
		sql += string(body)
	}
	if strings.TrimSpace(sql) == "" {
		fail(w, "Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)")
		return
	}
	if m := killRE.FindStringSubmatch(sql); m != nil {
		f.mu.Lock()
		mark, ok := f.running[m[1]]
		f.mu.Unlock()
		if ok {
			f.kill(mark)
		}
		return
	}
	var settings []string
	for k := range params {
		if !notSettings[k] {
			if !nameRE.MatchString(k) {
				fail(w, fmt.Sprintf("Code: 115. DB::Exception: Unknown setting %q. (UNKNOWN_SETTING)", k))
				return
			}
			settings = append(settings, k)
		}
	}
	sort.Strings(settings)
	f.mu.Lock()
	f.marks++
	mark := fmt.Sprintf("chdbhttp-%d", f.marks)
	id := params.Get("query_id")
	if id != "" {
		f.running[id] = mark
	}
	f.mu.Unlock()
	done := make(chan struct{})
	defer func() {
		close(done)
		f.mu.Lock()
		if f.running[id] == mark {
			delete(f.running, id)
		}
		f.mu.Unlock()
	}()
	go func() {
		// A client that went away: its statement is killed, again
		// until it ends (it may not have started yet).
		select {
		case <-done:
			return
		case <-r.Context().Done():
		}
		for {
			f.kill(mark)
			select {
			case <-done:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	format := params.Get("default_format")
	if format == "" {
		format = "TabSeparated"
	}
	trace("start", sql, params, 0, nil, nil)
	t0 := time.Now()
	out, err := f.run("/* "+mark+" */ "+sql, format, params.Get("database"), settings, params)
	trace("end", sql, params, time.Since(t0), out, err)
	if err != nil {
		fail(w, err.Error())
		return
	}
	_, _ = w.Write(out)
}

// take returns a connection not in use, opening one while fewer than
// maxConns are, else waiting for one.
func (f *front) take() (*engine, error) {
	select {
	case e := <-f.idle:
		return e, nil
	default:
	}
	select {
	case e := <-f.idle:
		return e, nil
	case f.slots <- struct{}{}:
		e, err := connect(f.args)
		if err != nil {
			<-f.slots
			return nil, fmt.Errorf("Code: 1001. DB::Exception: %v", err)
		}
		return e, nil
	}
}

// kill stops the statement marked mark, if it runs.
func (f *front) kill(mark string) {
	f.controlMu.Lock()
	defer f.controlMu.Unlock()
	if _, err := f.control.exec("KILL QUERY WHERE query LIKE "+quote("%/* "+mark+" */%")+" AND query NOT LIKE 'KILL QUERY%' ASYNC", "TSV"); err != nil {
		log.Printf("chdbhttp: kill %s: %v", mark, err)
	}
}

// setting is the value of setting k before any request set it.
func (f *front) setting(e *engine, k string) (string, error) {
	f.mu.Lock()
	def, ok := f.defaults[k]
	f.mu.Unlock()
	if ok {
		return def, nil
	}
	v, err := e.exec("SELECT value FROM system.settings WHERE name = "+quote(k), "TSVRaw")
	if err != nil {
		return "", err
	}
	if len(v) == 0 {
		return "", fmt.Errorf("Code: 115. DB::Exception: Unknown setting '%s'. (UNKNOWN_SETTING)", k)
	}
	def = strings.TrimSuffix(string(v), "\n")
	f.mu.Lock()
	f.defaults[k] = def
	f.mu.Unlock()
	return def, nil
}

// run runs sql on a connection of its own, on database db ("" for the
// default one) with the settings named given their values in params,
// then puts the connection's previous settings and database back.
func (f *front) run(sql, format, db string, settings []string, params map[string][]string) ([]byte, error) {
	e, err := f.take()
	if err != nil {
		return nil, err
	}
	defer func() { f.idle <- e }()
	var set, reset []string
	for _, k := range settings {
		def, err := f.setting(e, k)
		if err != nil {
			return nil, err
		}
		set = append(set, k+" = "+quote(params[k][0]))
		reset = append(reset, k+" = "+quote(def))
	}
	if len(set) > 0 {
		if _, err := e.exec("SET "+strings.Join(set, ", "), "TSV"); err != nil {
			return nil, err
		}
		defer func() {
			if _, err := e.exec("SET "+strings.Join(reset, ", "), "TSV"); err != nil {
				log.Printf("chdbhttp: reset settings: %v", err)
			}
		}()
	}
	if db != "" {
		if !nameRE.MatchString(db) {
			return nil, fmt.Errorf("Code: 81. DB::Exception: Database %s does not exist. (UNKNOWN_DATABASE)", quote(db))
		}
		if _, err := e.exec("USE "+db, "TSV"); err != nil {
			return nil, err
		}
		defer func() {
			if _, err := e.exec("USE default", "TSV"); err != nil {
				log.Printf("chdbhttp: back to the default database: %v", err)
			}
		}()
	}
	return e.exec(sql, format)
}

// trace appends a statement's start or end to the file
// $CHDBHTTP_TRACE names, if any: for finding which statement of a test
// failed or took long.
func trace(what, sql string, params url.Values, took time.Duration, out []byte, err error) {
	name := os.Getenv("CHDBHTTP_TRACE")
	if name == "" {
		return
	}
	f, ferr := os.OpenFile(name, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if ferr != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "=== %s %v %v %v\n%s\n", what, took, params, err, sql)
	if what == "end" {
		fmt.Fprintf(f, "--- answer\n%.3000s\n", out)
	}
}

// fail answers as ClickHouse does to a statement that failed.
func fail(w http.ResponseWriter, msg string) {
	if m := codeRE.FindStringSubmatch(msg); m != nil {
		w.Header().Set("X-ClickHouse-Exception-Code", m[1])
	}
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = io.WriteString(w, strings.TrimRight(msg, "\n")+"\n")
}

// quote spells s as a ClickHouse string literal.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, c := range []byte(s) {
		switch c {
		case '\'', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte('\'')
	return b.String()
}

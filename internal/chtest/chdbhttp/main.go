// Command chdbhttp is a test-only HTTP front for chDB (ClickHouse as an
// embedded library, libchdb.so): it answers the part of ClickHouse's HTTP
// interface Lore's ClickHouse store speaks, so that the store's SQL runs
// on a current ClickHouse release where Debian packages only 18.16. It is
// built and started by chtest.StartCurrent; it is no server to run Lore
// on (one connection, one query at a time, every answer held in memory).
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
// X-ClickHouse-Exception-Code header. KILL QUERY WHERE query_id = '…'
// cancels that statement (between two blocks of its answer), as does the
// client going away. GET /ping answers "Ok.". With CHDBHTTP_TRACE=FILE in
// its environment it appends each statement, its parameters, time and
// answer to FILE.
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
	eng, err := openEngine(*lib, append([]string{"--path=" + *path}, flag.Args()...))
	if err != nil {
		log.Fatalf("chdbhttp: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatalf("chdbhttp: %v", err)
	}
	f := &front{eng: eng, defaults: map[string]string{}, running: map[string]chan struct{}{}}
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

// front serves the HTTP interface over one engine connection.
type front struct {
	mu  sync.Mutex // the engine, and defaults
	eng *engine
	// defaults are the settings' values before a request first set them,
	// put back after each request that sets them.
	defaults map[string]string

	runMu   sync.Mutex
	running map[string]chan struct{} // a running statement's query_id → its stop
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
		f.runMu.Lock()
		if stop, ok := f.running[m[1]]; ok {
			close(stop)
			delete(f.running, m[1])
		}
		f.runMu.Unlock()
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
	stop := make(chan struct{})
	id := params.Get("query_id")
	if id != "" {
		f.runMu.Lock()
		f.running[id] = stop
		f.runMu.Unlock()
		defer func() {
			f.runMu.Lock()
			if f.running[id] == stop {
				delete(f.running, id)
			}
			f.runMu.Unlock()
		}()
	}
	var once sync.Once
	quit := func() { once.Do(func() { close(stop) }) }
	if id != "" {
		// KILL closes stop itself; quit must not close it twice.
		quit = func() {
			f.runMu.Lock()
			defer f.runMu.Unlock()
			if f.running[id] == stop {
				close(stop)
				delete(f.running, id)
			}
		}
	}
	go func() {
		select {
		case <-r.Context().Done():
			quit()
		case <-stop:
		}
	}()
	defer quit()
	format := params.Get("default_format")
	if format == "" {
		format = "TabSeparated"
	}
	trace("start", sql, params, 0, nil, nil)
	t0 := time.Now()
	out, err := f.run(sql, format, params.Get("database"), settings, params, stop)
	trace("end", sql, params, time.Since(t0), out, err)
	if err != nil {
		fail(w, err.Error())
		return
	}
	_, _ = w.Write(out)
}

// run runs sql on database db ("" for the current one) with the
// settings named given their values in params, then puts the previous
// values back.
func (f *front) run(sql, format, db string, settings []string, params map[string][]string, stop <-chan struct{}) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var set, reset []string
	for _, k := range settings {
		def, ok := f.defaults[k]
		if !ok {
			v, err := f.eng.exec("SELECT value FROM system.settings WHERE name = "+quote(k), "TSVRaw")
			if err != nil {
				return nil, err
			}
			if len(v) == 0 {
				return nil, fmt.Errorf("Code: 115. DB::Exception: Unknown setting '%s'. (UNKNOWN_SETTING)", k)
			}
			def = strings.TrimSuffix(string(v), "\n")
			f.defaults[k] = def
		}
		set = append(set, k+" = "+quote(params[k][0]))
		reset = append(reset, k+" = "+quote(def))
	}
	if len(set) > 0 {
		if _, err := f.eng.exec("SET "+strings.Join(set, ", "), "TSV"); err != nil {
			return nil, err
		}
		defer func() {
			if _, err := f.eng.exec("SET "+strings.Join(reset, ", "), "TSV"); err != nil {
				log.Printf("chdbhttp: reset settings: %v", err)
			}
		}()
	}
	if db != "" {
		if !nameRE.MatchString(db) {
			return nil, fmt.Errorf("Code: 81. DB::Exception: Database %s does not exist. (UNKNOWN_DATABASE)", quote(db))
		}
		if _, err := f.eng.exec("USE "+db, "TSV"); err != nil {
			return nil, err
		}
		defer func() {
			if _, err := f.eng.exec("USE default", "TSV"); err != nil {
				log.Printf("chdbhttp: back to the default database: %v", err)
			}
		}()
	}
	return f.eng.query(sql, format, stop)
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

package main

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

// The chDB C API (chdb.h of chdb-io/chdb), called through pointers
// looked up in the library dlopen'ed at run time: the front builds
// without the library, which the test harness fetches.
typedef struct { void *internal_data; } chdb_result;
typedef struct { void *internal_data; } *chdb_connection;

static chdb_connection *(*p_connect)(int, char **);
static void (*p_close_conn)(chdb_connection *);
static chdb_result *(*p_query_n)(chdb_connection, const char *, size_t, const char *, size_t);
static chdb_result *(*p_stream_query_n)(chdb_connection, const char *, size_t, const char *, size_t);
static chdb_result *(*p_stream_fetch)(chdb_connection, chdb_result *);
static void (*p_stream_cancel)(chdb_connection, chdb_result *);
static void (*p_destroy)(chdb_result *);
static char *(*p_buffer)(chdb_result *);
static size_t (*p_length)(chdb_result *);
static const char *(*p_error)(chdb_result *);
static void (*p_signals)(int);

// load opens the library and finds the functions; it returns NULL or
// the name of what failed.
static const char *ch_load(const char *path) {
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) return dlerror();
#define SYM(v, name) if (!(*(void **)(&v) = dlsym(h, name))) return name;
	SYM(p_connect, "chdb_connect");
	SYM(p_close_conn, "chdb_close_conn");
	SYM(p_query_n, "chdb_query_n");
	SYM(p_stream_query_n, "chdb_stream_query_n");
	SYM(p_stream_fetch, "chdb_stream_fetch_result");
	SYM(p_stream_cancel, "chdb_stream_cancel_query");
	SYM(p_destroy, "chdb_destroy_query_result");
	SYM(p_buffer, "chdb_result_buffer");
	SYM(p_length, "chdb_result_length");
	SYM(p_error, "chdb_result_error");
	SYM(p_signals, "chdb_set_signal_handlers_enabled");
#undef SYM
	return NULL;
}

// The signals the Go runtime handles and chDB resets when told to
// install no handlers of its own: their Go handlers are put back.
static const int kept[] = {SIGABRT, SIGSEGV, SIGILL, SIGBUS, SIGSYS, SIGFPE, SIGTSTP, SIGTRAP};
#define NKEPT (sizeof kept / sizeof kept[0])

// connect starts the engine on argv, chDB's crash handlers off (the Go
// runtime's stay), and returns the connection or NULL.
static chdb_connection *ch_connect(int argc, char **argv) {
	struct sigaction saved[NKEPT];
	for (size_t i = 0; i < NKEPT; i++) sigaction(kept[i], NULL, &saved[i]);
	p_signals(0);
	chdb_connection *c = p_connect(argc, argv);
	for (size_t i = 0; i < NKEPT; i++) sigaction(kept[i], &saved[i], NULL);
	return c;
}

static void ch_close_conn(chdb_connection *c) { p_close_conn(c); }
static chdb_result *ch_query(chdb_connection *c, const char *q, size_t n, const char *f, size_t fn) {
	return p_query_n(*c, q, n, f, fn);
}
static chdb_result *ch_stream_query(chdb_connection *c, const char *q, size_t n, const char *f, size_t fn) {
	return p_stream_query_n(*c, q, n, f, fn);
}
static chdb_result *ch_stream_fetch(chdb_connection *c, chdb_result *r) { return p_stream_fetch(*c, r); }
static void ch_stream_cancel(chdb_connection *c, chdb_result *r) { p_stream_cancel(*c, r); }
static void ch_destroy(chdb_result *r) { p_destroy(r); }
static char *ch_buffer(chdb_result *r) { return p_buffer(r); }
static size_t ch_length(chdb_result *r) { return p_length(r); }
static const char *ch_error(chdb_result *r) { return p_error(r); }
*/
import "C"

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unsafe"
)

// engine is one chDB connection. Its methods are not safe for
// concurrent use: the caller serialises them.
type engine struct {
	conn *C.chdb_connection
}

// openEngine loads the library at lib and connects with args
// (--path=DIR, settings as --name=value).
func openEngine(lib string, args []string) (*engine, error) {
	cl := C.CString(lib)
	defer C.free(unsafe.Pointer(cl))
	if e := C.ch_load(cl); e != nil {
		return nil, fmt.Errorf("load chDB from %s: %s", lib, C.GoString(e))
	}
	argv := make([]*C.char, 0, len(args)+1)
	for _, a := range append([]string{"clickhouse"}, args...) {
		argv = append(argv, C.CString(a))
	}
	defer func() {
		for _, a := range argv {
			C.free(unsafe.Pointer(a))
		}
	}()
	cargv := (**C.char)(C.malloc(C.size_t(len(argv)) * C.size_t(unsafe.Sizeof(argv[0]))))
	defer C.free(unsafe.Pointer(cargv))
	copy(unsafe.Slice(cargv, len(argv)), argv)
	c := C.ch_connect(C.int(len(argv)), cargv)
	if c == nil {
		return nil, fmt.Errorf("chDB connect %q failed", args)
	}
	return &engine{conn: c}, nil
}

// errCancelled is a query stopped by stop.
var errCancelled = errors.New("Code: 394. DB::Exception: Query was cancelled. (QUERY_WAS_CANCELLED)")

// exec runs sql, its answer in format when it names none, and returns
// the whole answer or the engine's error text.
func (e *engine) exec(sql, format string) ([]byte, error) {
	cs, cf := C.CString(sql), C.CString(format)
	defer C.free(unsafe.Pointer(cs))
	defer C.free(unsafe.Pointer(cf))
	r := C.ch_query(e.conn, cs, C.size_t(len(sql)), cf, C.size_t(len(format)))
	if r == nil {
		return nil, errors.New("Code: 1001. DB::Exception: chDB returned no result")
	}
	defer C.ch_destroy(r)
	if msg := C.ch_error(r); msg != nil {
		return nil, errors.New(C.GoString(msg))
	}
	return C.GoBytes(unsafe.Pointer(C.ch_buffer(r)), C.int(C.ch_length(r))), nil
}

// notStreamed is the engine's error for a statement it does not stream
// (anything but a query: SET, INSERT, CREATE, …).
var notStreamed = "Streaming query is not supported"

// noStream is the engine's error for a fetch from a stream that has
// already ended.
var noStream = "No active streaming query"

// headerLines are the lines of header of the formats the front streams
// (formats of one row a line): the engine formats each block of a
// streamed answer on its own, so that its header comes again before each
// block, which the front drops.
var headerLines = map[string]int{
	"tabseparated": 0, "tsv": 0, "tabseparatedraw": 0, "tsvraw": 0, "jsoneachrow": 0, "jsoncompacteachrow": 0,
	"tabseparatedwithnames": 1, "tsvwithnames": 1,
	"tabseparatedwithnamesandtypes": 2, "tsvwithnamesandtypes": 2,
}

var formatRE = regexp.MustCompile(`(?i)\bFORMAT\b`)

// query is exec for a query that may be cancelled: it streams the
// answer, cancelling between two of its blocks once stop is closed, and
// keeps the first header only. A statement the engine does
// not stream, or whose format is not a line format of headerLines (the
// statement's own FORMAT clause is one the front does not read), runs
// through exec.
func (e *engine) query(sql, format string, stop <-chan struct{}) ([]byte, error) {
	lines, ok := headerLines[strings.ToLower(format)]
	if !ok || formatRE.MatchString(sql) {
		return e.exec(sql, format)
	}
	conn := e.conn
	cs, cf := C.CString(sql), C.CString(format)
	defer C.free(unsafe.Pointer(cs))
	defer C.free(unsafe.Pointer(cf))
	st := C.ch_stream_query(conn, cs, C.size_t(len(sql)), cf, C.size_t(len(format)))
	if st == nil {
		return nil, errors.New("Code: 1001. DB::Exception: chDB returned no result")
	}
	defer C.ch_destroy(st)
	if msg := C.ch_error(st); msg != nil {
		if text := C.GoString(msg); !strings.Contains(text, notStreamed) {
			return nil, errors.New(text)
		}
		return e.exec(sql, format)
	}
	var out []byte
	for {
		select {
		case <-stop:
			C.ch_stream_cancel(conn, st)
			return nil, errCancelled
		default:
		}
		r := C.ch_stream_fetch(conn, st)
		if r == nil {
			return nil, errors.New("Code: 1001. DB::Exception: chDB returned no block")
		}
		if msg := C.ch_error(r); msg != nil {
			text := C.GoString(msg)
			C.ch_destroy(r)
			if strings.Contains(text, noStream) {
				if len(out) > 0 {
					return dropHeaders(out, lines), nil
				}
				// An empty answer in a format with a header
				// (TabSeparatedWithNamesAndTypes) loses its header
				// in the stream: the query runs again, whole.
				return e.exec(sql, format)
			}
			return nil, errors.New(text)
		}
		n := int(C.ch_length(r))
		if n > 0 {
			out = append(out, unsafe.Slice((*byte)(unsafe.Pointer(C.ch_buffer(r))), n)...)
		}
		C.ch_destroy(r)
		if n == 0 {
			return dropHeaders(out, lines), nil
		}
	}
}

// dropHeaders keeps the first header of a streamed answer whose header
// is lines long, and drops the same lines wherever they start a line
// again (a row equal to the header would go too: a test front's
// shortcut).
func dropHeaders(out []byte, lines int) []byte {
	h := 0
	for range lines {
		i := bytes.IndexByte(out[h:], '\n')
		if i < 0 {
			return out
		}
		h += i + 1
	}
	if h == 0 {
		return out
	}
	header := out[:h]
	res := append([]byte(nil), header...)
	for rest := out[h:]; len(rest) > 0; {
		if bytes.HasPrefix(rest, header) {
			rest = rest[h:]
			continue
		}
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			res = append(res, rest...)
			break
		}
		res, rest = append(res, rest[:i+1]...), rest[i+1:]
	}
	return res
}

// close shuts the engine down.
func (e *engine) close() {
	C.ch_close_conn(e.conn)
}

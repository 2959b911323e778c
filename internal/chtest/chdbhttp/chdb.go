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
static void ch_destroy(chdb_result *r) { p_destroy(r); }
static char *ch_buffer(chdb_result *r) { return p_buffer(r); }
static size_t ch_length(chdb_result *r) { return p_length(r); }
static const char *ch_error(chdb_result *r) { return p_error(r); }
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// loadLibrary loads libchdb.so from lib, once, before any connection.
func loadLibrary(lib string) error {
	cl := C.CString(lib)
	defer C.free(unsafe.Pointer(cl))
	if e := C.ch_load(cl); e != nil {
		return fmt.Errorf("load chDB from %s: %s", lib, C.GoString(e))
	}
	return nil
}

// engine is one chDB connection (a session: its settings and current
// database are its own). Its methods are not safe for concurrent use;
// several engines on one data directory run queries at the same time.
type engine struct {
	conn *C.chdb_connection
}

// connect opens a connection with args (--path=DIR, settings as
// --name=value). The first one starts the engine on its --path.
func connect(args []string) (*engine, error) {
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

package cli

import (
	"bytes"
	"context"
	"flag"
	"strings"
	"testing"
)

// --store-threads reaches the store's options, and a count below one is
// refused with the flag named before anything starts.
func TestStoreThreads(t *testing.T) {
	t.Setenv("LORE_STORE_THREADS", "")
	for _, c := range []struct {
		args []string
		want int
	}{{nil, 2}, {[]string{"--store-threads", "1"}, 1}, {[]string{"--store-threads", "4"}, 4}} {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		var f serveFlags
		f.register(fs, t.TempDir())
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		cfg, err := f.config(Stdio{Err: &bytes.Buffer{}})
		if err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		if cfg.Store.Threads != c.want {
			t.Errorf("%v: store threads %d, want %d", c.args, cfg.Store.Threads, c.want)
		}
	}
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"serve", "--data", t.TempDir(), "--store-threads", "0"}, Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})
	if code == 0 || !strings.Contains(errb.String(), "--store-threads 0: want 1 or more") {
		t.Errorf("serve --store-threads 0: exit %d, stderr %q", code, errb.String())
	}
}

package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// Every command prints its usage for -h and --help (also after other
// arguments, and as lore help COMMAND), on stdout with exit code 0, and
// does nothing else: lore ingest --help reads no file named --help, and no
// command asks for an API key.
func TestEveryCommandHasHelp(t *testing.T) {
	t.Setenv("LORE_KEY", "")
	t.Setenv("LORE_READ_KEY", "")
	t.Setenv("LORE_URL", "http://127.0.0.1:1") // nothing listens: a request would fail
	for _, c := range commands() {
		for _, args := range [][]string{{c.name, "-h"}, {c.name, "--help"}, {c.name, "-help"}, {c.name, "x", "--help"}, {"help", c.name}} {
			var out, errb bytes.Buffer
			code := Main(context.Background(), args, Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})
			if code != 0 || errb.Len() != 0 {
				t.Errorf("lore %s: exit %d, stderr %q", strings.Join(args, " "), code, errb.String())
				continue
			}
			if !strings.Contains(out.String(), "lore "+c.name) {
				t.Errorf("lore %s printed no usage of lore %s:\n%s", strings.Join(args, " "), c.name, out.String())
			}
		}
	}
}

// A flag after "--" is an argument, not a request for help.
func TestHelpAfterDoubleDashIsAnArgument(t *testing.T) {
	if helpRequested([]string{"--", "--help"}) {
		t.Error("--help after -- asked for help")
	}
	if got := reorderFlags(newFlags("x", Stdio{}), []string{"file", "--help"}); strings.Join(got, " ") != "--help -- file" {
		t.Errorf("reorderFlags kept %q", got)
	}
}

func TestTopLevelHelp(t *testing.T) {
	for _, a := range []string{"-h", "--help", "help"} {
		var out, errb bytes.Buffer
		if code := Main(context.Background(), []string{a}, Stdio{Out: &out, Err: &errb}); code != 0 || !strings.Contains(out.String(), "Commands:") {
			t.Errorf("lore %s: exit %d, %q", a, code, out.String())
		}
	}
	var out, errb bytes.Buffer
	if code := Main(context.Background(), nil, Stdio{Out: &out, Err: &errb}); code != 2 || !strings.Contains(errb.String(), "Commands:") {
		t.Errorf("lore: exit %d", code)
	}
}

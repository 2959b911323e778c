package errs_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/lore-dev/lore/internal/errs"
)

var errGone = errs.New(errs.NotFound, "not found")

func TestMessage(t *testing.T) {
	cause := errors.New("sql: no rows in result set /var/lib/lore/meta.db")
	for _, c := range []struct {
		name string
		err  error
		kind errs.Kind
		msg  string
	}{
		{"new", errs.Invalidf("bad cursor %q", "x"), errs.Invalid, `bad cursor "x"`},
		{"sentinel wrapped", fmt.Errorf("monitor %d: %w", 7, errGone), errs.NotFound, "monitor 7: not found"},
		{"sentinel twice wrapped", fmt.Errorf("delete: %w", fmt.Errorf("monitor %d: %w", 7, errGone)), errs.NotFound, "delete: monitor 7: not found"},
		{"sentinel as a label", fmt.Errorf("%w: no monitor named %q", errGone, "m"), errs.NotFound, `no monitor named "m"`},
		{"sentinel as a label under context", fmt.Errorf("update: %w", fmt.Errorf("%w: no monitor named %q", errGone, "m")), errs.NotFound, `update: not found: no monitor named "m"`},
		{"cause hidden", errs.Wrap(errs.NotFound, cause, "no monitor %d", 7), errs.NotFound, "no monitor 7"},
		{"cause hidden under context", fmt.Errorf("read: %w", errs.Wrap(errs.Conflict, cause, "busy")), errs.Conflict, "read: busy"},
		{"cause mid-sentence", &errs.Error{Kind: errs.Invalid, Msg: "bad", Err: fmt.Errorf("x: %w", cause)}, errs.Invalid, "bad"},
		{"no kind", fmt.Errorf("open: %w", cause), errs.Internal, ""},
		{"internal kind", errs.Wrap(errs.Internal, cause, "oops"), errs.Internal, ""},
	} {
		if k := errs.KindOf(c.err); k != c.kind {
			t.Errorf("%s: kind %v, want %v", c.name, k, c.kind)
		}
		if m := errs.Message(c.err); m != c.msg {
			t.Errorf("%s: message %q, want %q", c.name, m, c.msg)
		}
	}
	if !errors.Is(fmt.Errorf("x: %w", errGone), errGone) {
		t.Error("a wrapped sentinel is not matched by errors.Is")
	}
}

func TestKindNames(t *testing.T) {
	for k := errs.Internal; k <= errs.Canceled; k++ {
		if s := k.String(); s == "" || s[0] == 'k' {
			t.Errorf("kind %d has no name: %q", int(k), s)
		}
	}
}

package sourcemap

import (
	"context"
	"errors"
	"github.com/lore-dev/lore/internal/exception"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/event"
)

// testdata/app is a small shop built twice with esbuild --bundle --minify
// --sourcemap: dist-3f9a2b from src/app.js, dist-c0ffee1 (the next
// release) from src/app-v2.js, whose banner renames every minified
// function (computeTotal is r, then e). The stacks below are V8's (node
// running the bundles, as Chromium would), as Lore's browser SDK and
// posthog-js send them; regenerate both with esbuild if the sources change.
const (
	stackTypeV1 = `TypeError: Cannot read properties of null (reading 'amount')
    at https://shop.example/assets/index-3f9a2b.js:1:54
    at Array.reduce (<anonymous>)
    at r (https://shop.example/assets/index-3f9a2b.js:1:30)
    at Object.payNow (https://shop.example/assets/index-3f9a2b.js:1:237)
    at Object.<anonymous> (https://shop.example/assets/index-3f9a2b.js:1:294)
    at Object.onPay (https://shop.example/assets/index-3f9a2b.js:1:199)`
	stackTypeV2 = `TypeError: Cannot read properties of null (reading 'amount')
    at https://shop.example/assets/index-c0ffee1.js:1:164
    at Array.reduce (<anonymous>)
    at e (https://shop.example/assets/index-c0ffee1.js:1:140)
    at Object.payNow (https://shop.example/assets/index-c0ffee1.js:1:347)
    at Object.<anonymous> (https://shop.example/assets/index-c0ffee1.js:1:404)
    at Object.onPay (https://shop.example/assets/index-c0ffee1.js:1:309)`
	stackRangeV1 = `RangeError: unknown discount code X
    at e (https://shop.example/assets/index-3f9a2b.js:1:111)
    at Object.payNow (https://shop.example/assets/index-3f9a2b.js:1:255)
    at Object.<anonymous> (https://shop.example/assets/index-3f9a2b.js:1:294)
    at Object.onPay (https://shop.example/assets/index-3f9a2b.js:1:199)`
)

// dirStore serves the files of testdata/dist-* as uploaded with
// `lore sourcemaps upload testdata/dist-X --release R`.
type dirStore map[string]string // release → directory

func (d dirStore) SourceMapFiles(_ context.Context, _ int64, rel string) ([]File, error) {
	dir, ok := d[rel]
	if !ok {
		return nil, nil
	}
	var out []File
	err := filepath.WalkDir(dir, func(p string, de os.DirEntry, err error) error {
		if err == nil && !de.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, File{Name: filepath.ToSlash(rel), Version: 1})
		}
		return err
	})
	return out, err
}

func (d dirStore) SourceMapFile(_ context.Context, _ int64, rel, name string) ([]byte, error) {
	dir, ok := d[rel]
	if !ok {
		return nil, errors.New("no such release")
	}
	return os.ReadFile(filepath.Join(dir, name))
}

func errorEvent(release, stack string) event.Event {
	typ, msg, _ := strings.Cut(strings.SplitN(stack, "\n", 2)[0], ": ")
	e := event.Event{ProjectID: 1, Kind: event.KindError, Level: event.LevelError, Release: release, ErrorType: typ, Message: msg,
		Attributes: []event.Attr{{Key: "stack", Value: stack}}}
	excs := exception.FromEvent(&e)
	e.Fingerprint = exception.Fingerprint(exception.DefaultComponents(excs, msg))
	return e
}

func symbolicated(t *testing.T, evs ...event.Event) []event.Event {
	t.Helper()
	s := New(dirStore{"shop@1": "testdata/dist-3f9a2b", "shop@2": "testdata/dist-c0ffee1"}, nil)
	out, err := s.Process(context.Background(), evs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSymbolicateMinifiedStack(t *testing.T) {
	e := symbolicated(t, errorEvent("shop@1", stackTypeV1))[0]
	frames := exception.FromEvent(&e)[0].Frames // oldest first
	type want struct {
		fn, file string
		line     int
		inApp    bool
	}
	wants := []want{
		{"Object.wrapped", "app/node_modules/tiny-sdk/index.js", 3, false},
		{"Object.<anonymous>", "app/src/app.js", 12, true},
		{"Object.payNow", "app/src/app.js", 6, true},
		{"computeTotal", "app/src/orders.js", 3, true},
		{"<anonymous>", "app/src/orders.js", 3, true},
	}
	if len(frames) != len(wants) {
		t.Fatalf("frames %+v", frames)
	}
	for i, w := range wants {
		f := frames[i]
		if f.Function != w.fn || f.Filename != w.file || f.Lineno != w.line || f.InApp != w.inApp {
			t.Errorf("frame %d = %s %s:%d in_app=%v, want %s %s:%d in_app=%v", i, f.Function, f.Filename, f.Lineno, f.InApp, w.fn, w.file, w.line, w.inApp)
		}
	}
	if f := frames[3]; f.ContextLine != "  return items.reduce((sum, item) => sum + item.price.amount, 0);" || len(f.PreContext) != 2 ||
		f.AbsPath != "https://shop.example/assets/index-3f9a2b.js" {
		t.Errorf("computeTotal frame context %q pre %q abs %q", f.ContextLine, f.PreContext, f.AbsPath)
	}
	if c, _ := e.Attr(exception.AttrCulprit); c != "orders.js in computeTotal" {
		t.Errorf("culprit %q", c)
	}
}

// TestSourceMapsGroupAcrossReleases: the same bug in two builds, whose
// minified names differ, is one issue once symbolicated; another bug in
// the same bundle is another.
func TestSourceMapsGroupAcrossReleases(t *testing.T) {
	evs := symbolicated(t, errorEvent("shop@1", stackTypeV1), errorEvent("shop@2", stackTypeV2), errorEvent("shop@1", stackRangeV1))
	if evs[0].Fingerprint != evs[1].Fingerprint {
		t.Errorf("one bug, two fingerprints across releases: %s %s", evs[0].Fingerprint, evs[1].Fingerprint)
	}
	if evs[0].Fingerprint == evs[2].Fingerprint {
		t.Error("two bugs grouped together")
	}
	if c, _ := evs[2].Attr(exception.AttrCulprit); c != "orders.js in applyDiscount" {
		t.Errorf("culprit %q", c)
	}
}

func TestWithoutMapsFramesStay(t *testing.T) {
	in := errorEvent("shop@9", stackTypeV1)
	fp := in.Fingerprint
	e := symbolicated(t, in)[0]
	if e.Fingerprint != fp {
		t.Error("fingerprint changed without maps")
	}
	if _, ok := e.Attr(exception.AttrExceptions); ok {
		t.Error("exceptions rewritten without maps")
	}
}

// TestOnlyMapsUploaded: without the minified bundle, names come from the
// original source around the mapped line.
func TestOnlyMapsUploaded(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "assets"), 0o755)
	b, _ := os.ReadFile("testdata/dist-3f9a2b/assets/index-3f9a2b.js.map")
	os.WriteFile(filepath.Join(dir, "assets/index-3f9a2b.js.map"), b, 0o644)
	s := New(dirStore{"shop@1": dir}, nil)
	evs, _ := s.Process(context.Background(), []event.Event{errorEvent("shop@1", stackRangeV1)})
	if c, _ := evs[0].Attr(exception.AttrCulprit); c != "orders.js in applyDiscount" {
		t.Errorf("culprit %q", c)
	}
}

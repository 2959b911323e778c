package exception

import (
	"cmp"
	"regexp"
	"strings"
)

// NormalizeFrames corrects what SDKs send about frames before grouping
// and culprits read them:
//
//   - the runtime's own frames (Array.reduce at "<anonymous>", "native")
//     and the SDK's (node_modules, @sentry, sentryWrapped), which browser
//     SDKs mark in-app inside a bundle, are not in-app;
//   - sentry-go names a closure by its counter alone ("func1"): it is
//     named after the function it is declared in, as Go's runtime and
//     Sentry do ("chargeCard.func1"), when the calling frame is that
//     function (same module and file).
func NormalizeFrames(platform string, excs []Exception) {
	for x := range excs {
		frames := excs[x].Frames
		for i := range frames {
			f := &frames[i]
			if f.InApp && sdkOrRuntime(f) {
				f.InApp = false
			}
			if i > 0 && (platform == "go" || platform == "") && reGoClosure.MatchString(f.Function) {
				prev := &frames[i-1]
				if prev.Function != "" && prev.Module == f.Module && samePath(prev, f) {
					f.Function = goClosureName(prev.Function, f.Function)
				}
			}
		}
	}
}

// reGoClosure matches the name sentry-go gives a closure: func1, func2.1.
var reGoClosure = regexp.MustCompile(`^func\d+(\.\d+)*$`)

// goClosureName names closure fn declared in outer: "chargeCard" and
// "func1" give "chargeCard.func1"; "chargeCard.func1" and "func1.2" give
// "chargeCard.func1.2".
func goClosureName(outer, fn string) string {
	head, rest, _ := strings.Cut(fn, ".")
	if strings.HasSuffix(outer, "."+head) {
		if rest == "" {
			return outer
		}
		return outer + "." + rest
	}
	return outer + "." + fn
}

func samePath(a, b *Frame) bool {
	pa, pb := cmp.Or(a.AbsPath, a.Filename), cmp.Or(b.AbsPath, b.Filename)
	return pa == "" || pb == "" || pa == pb
}

// sdkOrRuntime reports whether f belongs to the runtime or to a library
// (the SDK included) whatever the SDK said.
func sdkOrRuntime(f *Frame) bool {
	switch f.Filename {
	case "<anonymous>", "native", "[native code]":
		return true
	}
	for _, p := range []string{f.Filename, f.AbsPath, f.Module} {
		if strings.Contains(p, "node_modules") || strings.Contains(p, "@sentry/") || strings.HasPrefix(p, "@sentry.") {
			return true
		}
	}
	fn := f.Function
	if i := strings.LastIndexByte(fn, '.'); i >= 0 {
		fn = fn[i+1:]
	}
	return fn == "sentryWrapped"
}

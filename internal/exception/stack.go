package exception

import (
	"regexp"
	"strconv"
	"strings"
)

// Stack-trace line shapes of common runtimes, as they appear in logs.
var (
	// Java, Kotlin, Scala: "\tat com.shop.Pay.charge(Pay.java:42)"
	reJavaFrame = regexp.MustCompile(`^\s*at\s+([\w$.<>/]+)\.([\w$<>]+)\(([^():]*)(?::(\d+))?\)`)
	// Python: `  File "/app/pay.py", line 12, in charge`
	rePyFrame = regexp.MustCompile(`^\s*File "([^"]+)", line (\d+), in (\S+)`)
	// JavaScript (V8): "    at charge (/app/pay.js:12:5)" or "    at /app/pay.js:12:5"
	reJSFrame     = regexp.MustCompile(`^\s*at\s+(?:async\s+)?(.+?)\s+\((.+?):(\d+):(\d+)\)\s*$`)
	reJSAnonFrame = regexp.MustCompile(`^\s*at\s+(?:async\s+)?([^\s()]+):(\d+):(\d+)\s*$`)
	// Go: "main.(*Pay).charge(...)" followed by "\t/app/pay.go:42 +0x1d"
	reGoFunc = regexp.MustCompile(`^([\w./\-]+?)\.((?:\(\*?\w+\)\.)?[\w.]+)\(.*\)$`)
	reGoFile = regexp.MustCompile(`^\s+(\S+\.go):(\d+)`)
)

// ParseStack reads the frames of a stack trace logged as text (Java,
// Python, JavaScript or Go), oldest frame first as Sentry orders them.
// Frames of the language runtime and of third-party packages are marked
// not in-app. Lines it does not recognise are skipped.
func ParseStack(text string) []Frame {
	lines := strings.Split(text, "\n")
	var frames []Frame
	newestFirst := true // Java, JavaScript and Go print the newest frame first
	for i := 0; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], "\r")
		if m := reJavaFrame.FindStringSubmatch(l); m != nil && !strings.Contains(l, "(/") && !strings.Contains(l, ".js:") {
			n, _ := strconv.Atoi(m[4])
			frames = append(frames, Frame{Module: m[1], Function: m[2], Filename: m[3], Lineno: n})
			continue
		}
		if m := reJSFrame.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[3])
			c, _ := strconv.Atoi(m[4])
			frames = append(frames, Frame{Function: m[1], Filename: m[2], Lineno: n, Colno: c})
			continue
		}
		if m := reJSAnonFrame.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[2])
			c, _ := strconv.Atoi(m[3])
			frames = append(frames, Frame{Function: "<anonymous>", Filename: m[1], Lineno: n, Colno: c})
			continue
		}
		if m := rePyFrame.FindStringSubmatch(l); m != nil {
			newestFirst = false
			n, _ := strconv.Atoi(m[2])
			frames = append(frames, Frame{Function: m[3], Filename: m[1], Lineno: n})
			continue
		}
		if m := reGoFunc.FindStringSubmatch(l); m != nil && i+1 < len(lines) {
			if fm := reGoFile.FindStringSubmatch(lines[i+1]); fm != nil {
				n, _ := strconv.Atoi(fm[2])
				frames = append(frames, Frame{Module: m[1], Function: m[2], Filename: fm[1], Lineno: n})
				i++
			}
		}
	}
	if newestFirst {
		for i, j := 0, len(frames)-1; i < j; i, j = i+1, j-1 {
			frames[i], frames[j] = frames[j], frames[i]
		}
	}
	for i := range frames {
		frames[i].InApp = inApp(frames[i])
	}
	return frames
}

// notInApp are prefixes of modules and paths of runtimes and libraries.
var notInApp = []string{
	"java.", "javax.", "jdk.", "sun.", "kotlin.", "scala.", "org.springframework.", "org.apache.", "io.netty.",
	"runtime", "net/http", "internal/", "reflect", "testing", "github.com/", "golang.org/", "google.golang.org/",
	"node:", "internal/", "<anonymous>",
}

var notInAppPath = []string{"node_modules", "site-packages", "dist-packages", "/usr/lib/", "/usr/local/go/", "<frozen", "/go/pkg/mod/"}

func inApp(f Frame) bool {
	for _, p := range notInApp {
		if strings.HasPrefix(f.Module, p) || (f.Module == "" && strings.HasPrefix(f.Filename, p)) {
			return false
		}
	}
	for _, p := range notInAppPath {
		if strings.Contains(f.Filename, p) {
			return false
		}
	}
	return true
}

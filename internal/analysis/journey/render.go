package journey

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// ANSI styles used when RenderText is asked for colour.
const (
	ansiReset  = "\x1b[0m"
	ansiDim    = "\x1b[2m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

// RenderText writes a journey's story for a terminal (`lore story trace|user|
// session ID`): one "15:04:05 service: text" line per story line with the
// texts aligned, gap and fold lines indented under the texts' column, then
// the summary. Times are UTC; a journey crossing midnight shows dates too.
// With color, lines are styled with ANSI escapes by kind.
func RenderText(w io.Writer, res Result, color bool) error {
	ew := &errWriter{w: w}
	style := func(code, s string) string {
		if !color || code == "" {
			return s
		}
		return code + s + ansiReset
	}
	layout := "15:04:05"
	if len(res.Story) > 0 {
		first, last := res.Story[0].TS, res.Story[len(res.Story)-1].TS
		if dayOf(first) != dayOf(last) {
			layout = "2006-01-02 15:04:05"
		}
	}
	// An event that names no service (a plain log line) is shown as "-";
	// only gap and fold lines go without a time.
	service := func(l StoryLine) string {
		if l.Service == "" {
			return "-"
		}
		return l.Service
	}
	narrated := func(l StoryLine) bool { return l.Kind != LineGap && l.Kind != LineFold }
	width := 0
	for _, l := range res.Story {
		if narrated(l) {
			width = max(width, utf8.RuneCountInString(service(l))+1)
		}
	}
	indent := strings.Repeat(" ", len(layout)+1+width+1)
	for _, l := range res.Story {
		if !narrated(l) {
			ew.printf("%s%s\n", indent, style(ansiDim, l.Text))
			continue
		}
		ts := time.UnixMicro(l.TS).UTC().Format(layout)
		name := service(l)
		svc := name + ":" + strings.Repeat(" ", width-utf8.RuneCountInString(name)-1)
		ew.printf("%s %s %s\n", style(ansiDim, ts), style(ansiCyan, svc), style(lineStyle(l.Kind), l.Text))
	}
	renderSummary(ew, res.Summary, style)
	return ew.err
}

func dayOf(us int64) string { return time.UnixMicro(us).UTC().Format("2006-01-02") }

func lineStyle(kind string) string {
	switch kind {
	case LineError:
		return ansiRed
	case LineWarning:
		return ansiYellow
	case LineOutcome:
		return ansiGreen
	case LineGap, LineFold:
		return ansiDim
	}
	return ""
}

func renderSummary(ew *errWriter, s Summary, style func(code, s string) string) {
	if s.Outcome == "" {
		ew.printf("\nno events\n")
		return
	}
	oc := ansiGreen
	switch s.Outcome {
	case OutcomeFailed:
		oc = ansiRed
	case OutcomeAbandoned:
		oc = ansiYellow
	}
	ew.printf("\n")
	row := func(k, v string) { ew.printf("%s %s\n", style(ansiBold, fmt.Sprintf("%-9s", k)), v) }
	row("outcome", style(oc, s.Outcome))
	row("services", strings.Join(s.Services, " → "))
	clock := "15:04:05"
	if s.DurationMS < 60_000 {
		clock = "15:04:05.000" // short journeys need the milliseconds to show any span at all
	}
	row("duration", fmt.Sprintf("%s (%s → %s)", humanDuration(s.DurationMS),
		time.UnixMicro(s.Start).UTC().Format(clock), time.UnixMicro(s.End).UTC().Format(clock)))
	row("retries", fmt.Sprint(s.Retries))
	row("errors", fmt.Sprint(s.Errors))
	if len(s.Users) > 0 {
		row("users", strings.Join(s.Users, ", "))
	}
	row("traces", fmt.Sprint(s.Traces))
}

// errWriter keeps the first write error so rendering code stays linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (ew *errWriter) printf(format string, args ...any) {
	if ew.err != nil {
		return
	}
	_, ew.err = fmt.Fprintf(ew.w, format, args...)
}

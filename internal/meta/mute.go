package meta

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // mute windows name IANA zones; hosts without zoneinfo still know them
)

// MuteWindow is a time when a monitor is evaluated and recorded but
// notifies nobody: one-off (From and To, RFC 3339) or recurring (Start and
// End as HH:MM in TZ, on Days or every day; an End before Start crosses
// midnight, so a window that starts on Friday 22:00 ends Saturday 06:00).
type MuteWindow struct {
	From  string   `json:"from,omitempty"`
	To    string   `json:"to,omitempty"`
	Days  []string `json:"days,omitempty"` // mon, tue, wed, thu, fri, sat, sun
	Start string   `json:"start,omitempty"`
	End   string   `json:"end,omitempty"`
	TZ    string   `json:"tz,omitempty"` // default UTC
}

var weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// validate normalises w and checks it.
func (w *MuteWindow) validate() error {
	oneOff := w.From != "" || w.To != ""
	recurring := w.Start != "" || w.End != "" || len(w.Days) > 0 || w.TZ != ""
	switch {
	case oneOff && recurring:
		return errors.New("a mute window is either from/to or start/end (with days and tz), not both")
	case oneOff:
		f, err := time.Parse(time.RFC3339, w.From)
		if err != nil {
			return fmt.Errorf("bad mute from %q (want RFC 3339, e.g. 2026-12-24T18:00:00Z): %w", w.From, err)
		}
		t, err := time.Parse(time.RFC3339, w.To)
		if err != nil {
			return fmt.Errorf("bad mute to %q (want RFC 3339): %w", w.To, err)
		}
		if !t.After(f) {
			return fmt.Errorf("mute window ends (%s) before it starts (%s)", w.To, w.From)
		}
		return nil
	case recurring:
		if _, err := clockOf(w.Start); err != nil {
			return fmt.Errorf("bad mute start: %w", err)
		}
		if _, err := clockOf(w.End); err != nil {
			return fmt.Errorf("bad mute end: %w", err)
		}
		if w.Start == w.End {
			return fmt.Errorf("mute window starts and ends at %s", w.Start)
		}
		for i, d := range w.Days {
			d = strings.ToLower(strings.TrimSpace(d))
			if len(d) > 3 {
				d = d[:3]
			}
			if !slices.Contains(weekdays, d) {
				return fmt.Errorf("unknown mute day %q (want mon, tue, wed, thu, fri, sat or sun)", w.Days[i])
			}
			w.Days[i] = d
		}
		if _, err := time.LoadLocation(w.TZ); err != nil {
			return fmt.Errorf("unknown mute tz %q: %w", w.TZ, err)
		}
		return nil
	}
	return errors.New("an empty mute window: give from and to, or start and end")
}

// clockOf parses "HH:MM" into minutes since midnight.
func clockOf(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Active reports whether w covers now; call on a validated window.
func (w MuteWindow) Active(now time.Time) bool {
	if w.From != "" {
		f, _ := time.Parse(time.RFC3339, w.From)
		t, _ := time.Parse(time.RFC3339, w.To)
		return !now.Before(f) && now.Before(t)
	}
	loc, err := time.LoadLocation(w.TZ)
	if err != nil {
		return false
	}
	local := now.In(loc)
	start, _ := clockOf(w.Start)
	end, _ := clockOf(w.End)
	m := local.Hour()*60 + local.Minute()
	day := weekdays[local.Weekday()]
	if start < end {
		return m >= start && m < end && w.on(day)
	}
	// Crosses midnight: the evening part belongs to today, the morning
	// part to the day before.
	if m >= start {
		return w.on(day)
	}
	if m < end {
		return w.on(weekdays[(int(local.Weekday())+6)%7])
	}
	return false
}

func (w MuteWindow) on(day string) bool { return len(w.Days) == 0 || slices.Contains(w.Days, day) }

// MutedAt reports whether the monitor notifies nobody at now: muted for
// good, or inside one of its mute windows.
func (m *Monitor) MutedAt(now time.Time) bool {
	if m.Muted {
		return true
	}
	for _, w := range m.Mute {
		if w.Active(now) {
			return true
		}
	}
	return false
}

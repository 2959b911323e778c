package monitor

import (
	"errors"
	"math"
	"sort"
	"time"

	"github.com/lore-dev/lore/internal/meta"
)

// Reading is one measurement of a monitor's series over its window. Key
// is the group ("" for a monitor that is not grouped). NoData means there
// was nothing to measure (no matching spans for a latency, no events for
// an error rate); Value is then meaningless. Threshold, when set, is the
// series' own threshold (a baseline's warning level), Breach whether it
// is crossed: a reading that sets Breach decides for itself rather than
// by the monitor's comparison. Approximate marks a Value that is an
// estimate: counted before sampling from the events the project's
// sampling kept (Sampled of them), or computed approximately by the store.
type Reading struct {
	Key         string
	Value       float64
	NoData      bool
	Samples     int64 // the events the value was computed from
	Threshold   *float64
	Breach      *bool
	Approximate bool
	Sampled     int64 // the events among Samples kept by sampling
}

// Absent says what a grouped monitor's series that a measurement no
// longer mentions is worth.
type Absent int

// What an absent series means.
const (
	AbsentZero   Absent = iota // counts: nothing happened, the value is 0
	AbsentOK                   // departures, cards: nothing is wrong
	AbsentNoData               // rates and latencies: nothing to measure
)

// Rule is what the state machine needs of a monitor.
type Rule struct {
	Op        string
	Threshold float64
	Pending   time.Duration // the condition holds this long before alert
	Cooldown  time.Duration // least time between two alert notifications of a series
	Absent    Absent
	// Silent: the monitor has no destination (no channel, no webhook), so
	// what would be notified reaches no one, and its history says so.
	Silent bool
}

// RuleOf is m's state machine rule.
func RuleOf(m *meta.Monitor) Rule {
	return Rule{Op: m.Op, Threshold: m.Threshold, Pending: m.PendingDuration(), Cooldown: m.CooldownDuration(), Absent: absentOf(m),
		Silent: len(m.Channels) == 0 && m.Webhook == ""}
}

// Fire is a notification the state machine decided to send.
type Fire struct {
	Series      string
	Status      string // firing or resolved (notify.Firing, notify.Resolved)
	From, To    string
	Value       *float64
	Threshold   float64
	Approximate bool  // Value is an estimate (Reading.Approximate)
	Sampled     int64 // the events kept by sampling among those measured
	// change is the position in the evaluation's Changes of the change
	// this notifies, counted from 1 (0: none); set by Plan.
	change int
}

// Notes recorded with a change in the history. "notified" means the
// notification was queued for every destination; one that a destination
// never took (the dispatcher gave up) is noted failed later, by
// meta.Store.RecordAttempt.
const (
	NoteNotified          = "notified"
	NoteResolved          = "resolved: notified"
	NoteNoChannel         = "no channel: not notified" // an alert of a monitor with no channel and no webhook
	NoteResolvedNoChannel = "resolved: no channel"
	NoteMuted             = "muted: not notified"
	NoteCooldown          = "cooldown: not notified"
	NoteHeld              = "muted: resolution sent when the mute ends"
	NoteLate              = "notified late (mute or cooldown over)"
	NotePending           = "pending"
)

// ForgetAfter is how long a grouped monitor keeps a series that is ok or
// without data and no longer measured.
const ForgetAfter = 24 * time.Hour

// obs is what a reading says about a series.
type obs struct {
	breach, noData bool
	value          *float64
	threshold      *float64
	approximate    bool // value is an estimate
	sampled        int64
}

func observe(r Reading, rule Rule) obs {
	if r.NoData || math.IsNaN(r.Value) {
		return obs{noData: true, threshold: r.Threshold}
	}
	v := r.Value
	o := obs{value: &v, threshold: r.Threshold, approximate: r.Approximate, sampled: r.Sampled}
	if r.Breach != nil {
		o.breach = *r.Breach
	} else {
		t := rule.Threshold
		if r.Threshold != nil {
			t = *r.Threshold
		}
		o.breach = Compare(rule.Op, v, t)
	}
	return o
}

// Advance moves one series by one observation at now: ok → pending (the
// condition holds, for less than rule.Pending) → alert → ok. Entering
// alert sends "firing" unless muted or within rule.Cooldown of the last
// firing; leaving it sends "resolved" if the firing was sent. A firing
// held back by a mute or the cooldown goes out at the first evaluation
// after, if the series is still in alert; a resolution held back by a
// mute goes out when the mute ends. A silent rule (no destination) moves
// the same way, but its history says nothing was notified. change is nil
// when there is nothing to record.
func Advance(rule Rule, s meta.Series, o obs, muted bool, now time.Time) (next meta.Series, change *meta.MonitorEvent, fire *Fire) {
	next = s
	next.Value, next.Threshold, next.LastSeen = o.value, o.threshold, now
	next.Approximate, next.Sampled = o.approximate, o.sampled
	if next.State == "" {
		next.State = meta.StateNoData
	}
	target := meta.StateOK
	switch {
	case o.noData:
		target = meta.StateNoData
	case o.breach:
		switch {
		case s.State == meta.StateAlert:
			target = meta.StateAlert
		case s.State == meta.StatePending && now.Sub(s.Since) >= rule.Pending:
			target = meta.StateAlert
		case s.State != meta.StatePending && rule.Pending <= 0:
			target = meta.StateAlert
		default:
			target = meta.StatePending
		}
	}
	threshold := rule.Threshold
	if o.threshold != nil {
		threshold = *o.threshold
	}
	note := ""
	if target != next.State {
		next.State, next.Since = target, now
		if target == meta.StatePending {
			note = NotePending
		}
	}
	changed := next.State != s.State || s.State == ""
	switch {
	case next.State == meta.StateAlert && !next.Firing:
		inCooldown := !s.LastFired.IsZero() && now.Sub(s.LastFired) < rule.Cooldown
		switch {
		case muted:
			note = NoteMuted
		case inCooldown:
			note = NoteCooldown
		default:
			next.Firing, next.LastFired = true, now
			fire = &Fire{Series: s.Key, Status: "firing", From: orNoData(s.State), To: meta.StateAlert, Value: o.value, Threshold: threshold,
				Approximate: o.approximate, Sampled: o.sampled}
			switch {
			case rule.Silent:
				note = NoteNoChannel // a late firing of a silent monitor is nothing to record
			case changed:
				note = NoteNotified
			default:
				note, changed = NoteLate, true
			}
		}
	case next.State != meta.StateAlert && next.Firing:
		if muted {
			if changed {
				note = NoteHeld
			}
			break
		}
		next.Firing = false
		fire = &Fire{Series: s.Key, Status: "resolved", From: orNoData(s.State), To: next.State, Value: o.value, Threshold: threshold,
			Approximate: o.approximate, Sampled: o.sampled}
		switch {
		case rule.Silent:
			note = NoteResolvedNoChannel
		case changed:
			note = NoteResolved
		default:
			note, changed = NoteResolved+" (mute over)", true
		}
	}
	if !changed {
		return next, nil, fire
	}
	from := s.State
	if from == "" {
		from = meta.StateNoData
	}
	if from == next.State && fire == nil {
		return next, nil, nil
	}
	return next, &meta.MonitorEvent{Series: s.Key, From: from, To: next.State, Value: o.value, Threshold: threshold, Note: note, Approximate: o.approximate}, fire
}

// Plan is the outcome of one evaluation of monitor m at now: the readings
// (or the error measuring them) applied to each series, the monitor's
// summary, the history to record and the notifications to send. It is a
// pure function of its inputs.
func Plan(m *meta.Monitor, readings []Reading, merr error, now time.Time) (meta.Evaluation, []Fire) {
	rule := RuleOf(m)
	muted := m.MutedAt(now)
	prevSince, _ := time.Parse(time.RFC3339Nano, m.StateSince)
	ev := meta.Evaluation{At: now, State: m.State, Value: m.Value, Approximate: m.Approximate, Sampled: m.Sampled, StateSince: prevSince}
	if merr != nil {
		ev.State, ev.Error = meta.StateError, merr.Error()
		if m.State != meta.StateError {
			ev.StateSince = now
			ev.Changes = []meta.MonitorEvent{{From: orNoData(m.State), To: meta.StateError, Value: m.Value, Threshold: m.Threshold, Note: truncate(merr.Error(), 500),
				Approximate: m.Approximate}}
		}
		return ev, nil
	}
	prev := seedSeries(m)
	byKey := map[string]Reading{}
	for _, r := range readings {
		byKey[r.Key] = r
	}
	var fires []Fire
	var all []meta.Series
	add := func(next meta.Series, change *meta.MonitorEvent, fire *Fire) {
		ev.Series = append(ev.Series, next)
		all = append(all, next)
		if change != nil {
			ev.Changes = append(ev.Changes, *change)
		}
		if fire != nil {
			f := *fire
			if change != nil {
				f.change = len(ev.Changes)
			}
			fires = append(fires, f)
		}
	}
	step := func(s meta.Series, o obs) { add(Advance(rule, s, o, muted, now)) }
	seen := map[string]bool{}
	for _, s := range prev {
		seen[s.Key] = true
		if r, ok := byKey[s.Key]; ok {
			step(s, observe(r, rule))
			continue
		}
		// A series this measurement does not mention.
		quiet := (s.State == meta.StateOK || s.State == meta.StateNoData) && !s.Firing
		if quiet && now.Sub(s.Since) > ForgetAfter && s.Key != "" {
			ev.Drop = append(ev.Drop, s.Key)
			continue
		}
		switch rule.Absent {
		case AbsentZero:
			step(s, observe(Reading{Key: s.Key}, rule))
		case AbsentOK:
			if quiet && s.State == meta.StateOK {
				all = append(all, s) // nothing changes; LastSeen stays, so it is forgotten in time
				continue
			}
			next, change, fire := Advance(rule, s, obs{}, muted, now)
			next.LastSeen = s.LastSeen
			add(next, change, fire)
		default:
			step(s, obs{noData: true})
		}
	}
	for _, r := range readings {
		if !seen[r.Key] {
			seen[r.Key] = true
			step(meta.Series{Key: r.Key}, observe(r, rule))
		}
	}
	sortSeries(all)
	ev.State, ev.Value, ev.Approximate, ev.Sampled = meta.StateNoData, nil, false, 0
	if Grouped(m) && rule.Absent != AbsentNoData {
		ev.State = meta.StateOK // no group has anything to say
	}
	if len(all) > 0 {
		ev.State, ev.Value, ev.Approximate, ev.Sampled = all[0].State, all[0].Value, all[0].Approximate, all[0].Sampled
	}
	if ev.State != m.State || prevSince.IsZero() {
		ev.StateSince = now
	}
	if m.State == meta.StateError {
		ev.Changes = append(ev.Changes, meta.MonitorEvent{From: meta.StateError, To: ev.State, Value: ev.Value, Threshold: m.Threshold, Note: "evaluated again",
			Approximate: ev.Approximate})
	}
	return ev, fires
}

// seedSeries is m's series; a monitor from before series (or never
// evaluated) starts from its own state, as one series.
func seedSeries(m *meta.Monitor) []meta.Series {
	if len(m.Series) > 0 || m.State == "" || m.State == meta.StateNoData || Grouped(m) {
		return m.Series
	}
	since, _ := time.Parse(time.RFC3339Nano, m.StateSince)
	state := m.State
	if state == meta.StateError {
		state = meta.StateNoData
	}
	// An alert from before series was notified (monitors notified on
	// entering alert), so its recovery is owed.
	return []meta.Series{{Key: "", State: state, Value: m.Value, Approximate: m.Approximate, Sampled: m.Sampled, Since: since,
		Firing: state == meta.StateAlert, LastFired: since}}
}

// Grouped reports whether m has one series per group: a group_by, or a
// kind that is grouped by nature (story and baseline monitors by service,
// issue monitors of events or users by issue).
func Grouped(m *meta.Monitor) bool {
	switch {
	case m.GroupBy != "", m.Kind == meta.MonitorStory, m.Kind == meta.MonitorBaseline, m.Kind == meta.MonitorAggregate:
		return true
	case m.Kind == meta.MonitorIssue:
		return m.Measure == "events" || m.Measure == "users"
	}
	return false
}

// absentOf is what a series missing from a measurement of m is worth.
func absentOf(m *meta.Monitor) Absent {
	switch m.Kind {
	case meta.MonitorBaseline:
		return AbsentOK
	case meta.MonitorErrorRate, meta.MonitorLatency, meta.MonitorCheck, meta.MonitorAggregate:
		return AbsentNoData
	}
	return AbsentZero
}

func sortSeries(s []meta.Series) {
	sort.SliceStable(s, func(i, j int) bool {
		if s[i].State != s[j].State {
			return meta.Worse(s[i].State, s[j].State)
		}
		vi, vj := math.Inf(-1), math.Inf(-1)
		if s[i].Value != nil {
			vi = *s[i].Value
		}
		if s[j].Value != nil {
			vj = *s[j].Value
		}
		if vi != vj {
			return vi > vj
		}
		return s[i].Key < s[j].Key
	})
}

func orNoData(s string) string {
	if s == "" {
		return meta.StateNoData
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// errTimeout marks a measurement cut off by the monitor's timeout.
var errTimeout = errors.New("evaluation took longer than the monitor's timeout")

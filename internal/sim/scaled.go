package sim

import "time"

// narrativeEventsPerSession is a little under how many events a simulated
// session emits over a day with the three incidents (20,000 sessions make
// 678k events, 303,030 sessions 10.2M), so a day sized for n events has
// at least about n.
const narrativeEventsPerSession = 33

// NarrativeDay is the simulated shop's day starting at day (UTC midnight)
// with all three incidents — the payment gateway throttling 09:00–11:00,
// the database slow 14:00–15:00 and a bad release at 18:00 — sized to
// emit at least about events events. It is the day the narrative
// benchmarks measure.
func NarrativeDay(day time.Time, events int64) Config {
	sessions := max(int(events/narrativeEventsPerSession), 100)
	return Config{Seed: 1, Start: day, SessionsPerDay: sessions, Users: max(2000, sessions/10), Incidents: []Incident{
		Throttle{At: day.Add(9 * time.Hour), For: 2 * time.Hour},
		SlowDB{At: day.Add(14 * time.Hour), For: time.Hour},
		BadRelease{At: day.Add(18 * time.Hour)},
	}}
}

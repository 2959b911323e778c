package check

import (
	"context"
	"fmt"
	"time"

	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/store"
)

// HistogramReader counts events per step (store.Reader).
type HistogramReader interface {
	Histogram(ctx context.Context, r store.HistogramRequest) (store.HistogramResult, error)
}

// Uptime is a check's record over the last day, read from its events.
type Uptime struct {
	Ratio *float64   `json:"uptime"` // up results / all results; nil without results
	Hours []*float64 `json:"hours"`  // the same per hour, oldest first, ending now; nil for an hour without results
	Runs  int64      `json:"runs"`
	Down  int64      `json:"down"`
}

// UptimeOf reads the uptime of checks (by name, their events' service)
// over the 24 hours before now, in two scans of the kind:check events.
func UptimeOf(ctx context.Context, events HistogramReader, project int64, names []string, now time.Time) (map[string]Uptime, error) {
	out := make(map[string]Uptime, len(names))
	if len(names) == 0 {
		return out, nil
	}
	end := now.Truncate(time.Hour).Add(time.Hour)
	rng := store.Range{From: end.Add(-24 * time.Hour).UnixMicro(), To: end.UnixMicro()}
	count := func(q string) (store.HistogramResult, error) {
		parsed, err := query.Parse(q)
		if err != nil {
			return store.HistogramResult{}, err
		}
		res, err := events.Histogram(ctx, store.HistogramRequest{ProjectID: project, Range: rng, Query: parsed,
			Step: int64(time.Hour / time.Microsecond), SplitBy: "service", MaxSplits: len(names) + 1})
		if err != nil {
			return res, fmt.Errorf("count check results (%s): %w", q, err)
		}
		return res, nil
	}
	all, err := count("kind:check")
	if err != nil {
		return nil, err
	}
	down, err := count("kind:check level:error")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		u := Uptime{Hours: make([]*float64, 0, 24)}
		for i, b := range all.Buckets {
			runs := b.By[n]
			var d int64
			if i < len(down.Buckets) {
				d = down.Buckets[i].By[n]
			}
			u.Runs += runs
			u.Down += d
			if runs == 0 {
				u.Hours = append(u.Hours, nil)
				continue
			}
			r := 1 - float64(d)/float64(runs)
			u.Hours = append(u.Hours, &r)
		}
		if u.Runs > 0 {
			r := 1 - float64(u.Down)/float64(u.Runs)
			u.Ratio = &r
		}
		out[n] = u
	}
	return out, nil
}

// Overall statuses of a project.
const (
	StatusUp       = "up"       // every check up, no monitor alerting
	StatusDegraded = "degraded" // some check down or some monitor alerting
	StatusDown     = "down"     // every check down
	StatusUnknown  = "unknown"  // no check has a result yet
)

// CheckStatus is one check on the status page.
type CheckStatus struct {
	meta.Check
	Hours []*float64 `json:"hours"` // uptime per hour over the last day, oldest first
}

// AlertStatus is one alerting monitor on the status page.
type AlertStatus struct {
	ID    int64    `json:"id"`
	Name  string   `json:"name"`
	Kind  string   `json:"kind"`
	State string   `json:"state"`
	Since string   `json:"since,omitempty"`
	Value *float64 `json:"value"`
	// Approximate: Value is an estimate from sampled events (meta.Monitor.Approximate).
	Approximate bool     `json:"approximate,omitempty"`
	Series      []string `json:"series,omitempty"` // the groups in alert
}

// Summary is a project's status: its checks and what is alerting.
type Summary struct {
	Project     int64         `json:"project"`
	Status      string        `json:"status"`
	Up          int           `json:"up"`
	Down        int           `json:"down"`
	Expiring    int           `json:"tls_expiring"` // checks whose certificate expires within 14 days
	Checks      []CheckStatus `json:"checks"`
	Monitors    int           `json:"monitors"`
	Alerting    []AlertStatus `json:"alerting"`
	GeneratedAt string        `json:"generated_at"`
}

// Summarize builds a project's status from its checks (with their
// uptime) and monitors.
func Summarize(project int64, checks []meta.Check, uptime map[string]Uptime, monitors []meta.Monitor, now time.Time) Summary {
	s := Summary{Project: project, Checks: []CheckStatus{}, Alerting: []AlertStatus{}, Monitors: len(monitors),
		GeneratedAt: now.UTC().Format(time.RFC3339)}
	for _, c := range checks {
		u := uptime[c.Name]
		c.Uptime = u.Ratio
		s.Checks = append(s.Checks, CheckStatus{Check: c, Hours: u.Hours})
		switch c.Status {
		case meta.CheckUp:
			s.Up++
		case meta.CheckDown:
			s.Down++
		}
		if c.LastCheck != nil && c.LastCheck.TLSExpiring {
			s.Expiring++
		}
	}
	for _, m := range monitors {
		if m.State != meta.StateAlert {
			continue
		}
		a := AlertStatus{ID: m.ID, Name: m.Name, Kind: m.Kind, State: m.State, Since: m.StateSince, Value: m.Value, Approximate: m.Approximate}
		for _, sr := range m.Series {
			if sr.State == meta.StateAlert && sr.Key != "" {
				a.Series = append(a.Series, sr.Key)
			}
		}
		s.Alerting = append(s.Alerting, a)
	}
	switch {
	case s.Up+s.Down == 0 && len(s.Alerting) == 0:
		s.Status = StatusUnknown
		if len(checks) == 0 {
			s.Status = StatusUp
		}
	case s.Down > 0 && s.Up == 0:
		s.Status = StatusDown
	case s.Down > 0 || len(s.Alerting) > 0:
		s.Status = StatusDegraded
	default:
		s.Status = StatusUp
	}
	return s
}

package duckdb

import (
	"context"
	"fmt"
	"sync"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// sampleWeight is an event's weight in an estimated count: 1/rate when the
// project's sampling kept it (it carries store.AttrSampleRate), NULL when
// it was not sampled (it counts once). count(w) is then the sampled events
// and sum(coalesce(w, 1)) the count before sampling.
const sampleWeight = `CASE WHEN list_contains(attr_keys, '` + store.AttrSampleRate + `') THEN 1.0 / greatest(coalesce(try_cast(attr_values[list_position(attr_keys, '` + store.AttrSampleRate + `')] AS DOUBLE), 1), 0.0001) END`

// sampledSchema records the (project, UTC day) pairs holding an event
// kept by sampling, so that counts read the attributes to weight events
// only over the days that need it (reading attr_keys more than doubles a
// histogram's scan). Appends add their days in their transaction;
// sampled_state.built says the table was filled from the events once (a
// store from before it is filled at open). Deletions leave their days:
// a day too many costs only the weighting.
const sampledSchema = `
CREATE TABLE IF NOT EXISTS sampled_days (project_id INTEGER NOT NULL, day BIGINT NOT NULL, PRIMARY KEY (project_id, day));
CREATE TABLE IF NOT EXISTS sampled_state (id INTEGER PRIMARY KEY, built BOOLEAN NOT NULL);
INSERT OR IGNORE INTO sampled_state VALUES (1, false);
`

// sampledDays is the in-memory copy of sampled_days.
type sampledDays struct {
	mu   sync.RWMutex
	days map[int64]map[int64]bool // project → day → true
}

type projDay struct{ project, day int64 }

// overlaps reports whether some day of r may hold an event of project
// kept by sampling.
func (d *sampledDays) overlaps(project int64, r store.Range) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for day := range d.days[project] {
		if day*dayMicros < r.To && (day+1)*dayMicros > r.From {
			return true
		}
	}
	return false
}

func (d *sampledDays) add(pds []projDay) {
	if len(pds) == 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, pd := range pds {
		if d.days[pd.project] == nil {
			d.days[pd.project] = map[int64]bool{}
		}
		d.days[pd.project][pd.day] = true
	}
}

// fresh lists the days of evs' sampled events not yet known.
func (d *sampledDays) fresh(evs []event.Event) []projDay {
	var out []projDay
	seen := map[projDay]bool{}
	d.mu.RLock()
	defer d.mu.RUnlock()
	for i := range evs {
		e := &evs[i]
		if _, ok := e.Attr(store.AttrSampleRate); !ok {
			continue
		}
		pd := projDay{e.ProjectID, floorDay(e.TS)}
		if !seen[pd] && !d.days[pd.project][pd.day] {
			seen[pd] = true
			out = append(out, pd)
		}
	}
	return out
}

// floorDay is the UTC day of a time in µs, as SQL's floor(ts / dayMicros).
func floorDay(ts int64) int64 {
	d := ts / dayMicros
	if ts < 0 && ts%dayMicros != 0 {
		d--
	}
	return d
}

// openSampled creates sampled_days, fills it from the events when it was
// never built, and loads it.
func (s *Store) openSampled(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, sampledSchema); err != nil {
		return fmt.Errorf("create sampled days in %q: %w", s.path, err)
	}
	var built bool
	if err := s.db.QueryRowContext(ctx, `SELECT built FROM sampled_state WHERE id = 1`).Scan(&built); err != nil {
		return fmt.Errorf("read sampled state in %q: %w", s.path, err)
	}
	if !built {
		if _, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO sampled_days
			SELECT DISTINCT project_id, floor(ts / `+fmt.Sprint(dayMicros)+`)::BIGINT FROM events
			WHERE list_contains(attr_keys, '`+store.AttrSampleRate+`');
			UPDATE sampled_state SET built = true WHERE id = 1`); err != nil {
			return fmt.Errorf("fill sampled days in %q: %w", s.path, err)
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT project_id, day FROM sampled_days`)
	if err != nil {
		return fmt.Errorf("load sampled days: %w", err)
	}
	defer rows.Close()
	var pds []projDay
	for rows.Next() {
		var pd projDay
		if err := rows.Scan(&pd.project, &pd.day); err != nil {
			return fmt.Errorf("load sampled days: %w", err)
		}
		pds = append(pds, pd)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load sampled days: %w", err)
	}
	s.sampled.add(pds)
	return nil
}

// recordSampled adds a batch's new sampled days in its transaction.
func recordSampled(ctx context.Context, tx sqlConn, pds []projDay) error {
	for _, pd := range pds {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO sampled_days VALUES (?, ?)`, pd.project, pd.day); err != nil {
			return fmt.Errorf("record sampled day %d of project %d: %w", pd.day, pd.project, err)
		}
	}
	return nil
}

package clickhouse

import (
	"context"
	"fmt"
	"slices"

	"github.com/lore-dev/lore/internal/store"
)

// Erased is what ErasePerson deleted: the count of events, and the
// anonymous ids and sessions the person's events named, so that the
// stores kept beside this one (the recordings) can erase theirs.
type Erased struct {
	Events       int64
	AnonymousIDs []string
	Sessions     []string
}

// ErasePerson deletes a person's events — those with their user id, and
// those of the anonymous ids the person was identified from (the idents
// table) — then their identity pairs, and their ids from the field
// catalogue's examples, and their ids' ranges (reindexIDs), and
// recomputes the rollups' minutes of their events (reroll), as the
// DuckDB store's ErasePerson does; each by
// a mutation it waits for, so that when it returns no read finds them.
// An event of theirs appended while it runs may stay: the app stores
// what it acknowledged before calling it.
func (s *Store) ErasePerson(ctx context.Context, project int64, userID string) (Erased, error) {
	var out Erased
	if userID == "" {
		return out, fmt.Errorf("clickhouse: erase a person of project %d: empty user id", project)
	}
	fail := func(err error) (Erased, error) {
		return out, fmt.Errorf("clickhouse: erase person %q of project %d: %w", userID, project, err)
	}
	idents, err := interpolate("project_id = ? AND user_id = ?", []any{project, userID})
	if err != nil {
		return fail(err)
	}
	// Their anonymous ids: those identified as them, and those on their
	// events (appended with the user id, so in idents too, unless a
	// replayed batch's pairs were lost).
	out.AnonymousIDs, err = s.texts(ctx, "SELECT DISTINCT anonymous_id FROM (SELECT anonymous_id FROM idents WHERE "+idents+
		" UNION ALL SELECT anonymous_id FROM events WHERE "+idents+" AND anonymous_id != '') ORDER BY anonymous_id")
	if err != nil {
		return fail(err)
	}
	theirs, err := interpolate("project_id = ? AND (user_id = ? OR has(?, anonymous_id))", []any{project, userID, out.AnonymousIDs})
	if err != nil {
		return fail(err)
	}
	out.Sessions, err = s.texts(ctx, "SELECT DISTINCT session_id FROM events WHERE "+theirs+" AND session_id != '' ORDER BY session_id")
	if err != nil {
		return fail(err)
	}
	if err := s.queryOne(ctx, s.db, "SELECT count() FROM events WHERE "+theirs, &out.Events); err != nil {
		return fail(err)
	}
	// The rollups' minutes of their events, stale from before the
	// deletion until recomputed from the events left.
	minutes, err := s.touchedMinutes(ctx, theirs)
	if err != nil {
		return fail(err)
	}
	spans := spansOf(minutes)
	token, err := s.markStale(ctx, project, spans)
	if err != nil {
		return fail(err)
	}
	if err := s.mutate(ctx, "events", "DELETE", theirs); err != nil {
		return fail(fmt.Errorf("delete %d events: %w", out.Events, err))
	}
	if err := s.finishReroll(ctx, project, spans, token); err != nil {
		return fail(fmt.Errorf("recompute the rollups of their minutes: %w", err))
	}
	for _, ids := range []struct {
		kind store.IDKind
		ids  []string
	}{{store.IDUser, []string{userID}}, {store.IDAnonymous, out.AnonymousIDs}, {store.IDSession, out.Sessions}} {
		if err := s.reindexIDs(ctx, project, ids.kind, ids.ids); err != nil {
			return fail(err)
		}
	}
	if err := s.mutate(ctx, "idents", "DELETE", idents); err != nil {
		return fail(fmt.Errorf("delete the identity pairs: %w", err))
	}
	if err := s.EraseExamples(ctx, project, slices.Concat([]string{userID}, out.AnonymousIDs, out.Sessions)); err != nil {
		return fail(err)
	}
	return out, nil
}

// EraseExamples removes ids from the field catalogue's examples of
// project, by a mutation it waits for, sent only when an example is one of
// them: ErasePerson's last step, which another node runs again after its
// own catalogue's flush that may have written them back meanwhile.
func (s *Store) EraseExamples(ctx context.Context, project int64, ids []string) error {
	examples, err := interpolate("project_id = ? AND hasAny(examples, ?)", []any{project, ids})
	if err != nil {
		return err
	}
	filter, err := interpolate("arrayFilter(x -> NOT has(?, x), examples)", []any{ids})
	if err != nil {
		return err
	}
	if err := s.mutate(ctx, "field_values", "UPDATE examples = "+filter, examples); err != nil {
		return fmt.Errorf("erase from the field catalogue's examples: %w", err)
	}
	return nil
}

// texts runs a query of one text column.
func (s *Store) texts(ctx context.Context, sql string) ([]string, error) {
	var out []string
	err := s.each(ctx, s.db, sql, func(r *rows) error {
		var v string
		if err := r.Scan(&v); err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	return out, err
}

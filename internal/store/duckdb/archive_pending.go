package duckdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// A deletion writes its archive run (files, and objects with a bucket)
// before its transaction commits; a crash in between would leave the run
// archived beside the rows still hot, counted twice forever. So a run is
// first noted in the archive's pendingDir, its transaction records it in
// archive_runs, and the note goes once the transaction committed. Open
// resolves the notes a crash left: a run in archive_runs committed (its
// files stay); any other is undone (its files and objects removed).

const pendingDir = "pending-runs"

const archiveRunsSchema = `CREATE TABLE IF NOT EXISTS archive_runs (run VARCHAR PRIMARY KEY)`

type pendingRun struct {
	Project int64  `json:"project"`
	Kind    string `json:"kind"`
	Run     string `json:"run"`
}

func (s *Store) pendingPath(run string) string {
	return filepath.Join(s.archive, pendingDir, run+".json")
}

// notePending notes a run before it writes anything.
func (s *Store) notePending(project int64, kind, run string) error {
	data, err := json.Marshal(pendingRun{Project: project, Kind: kind, Run: run})
	if err != nil {
		return err
	}
	p := s.pendingPath(run)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("note archive run %s: %w", run, err)
	}
	f, err := os.Create(p)
	if err != nil {
		return fmt.Errorf("note archive run %s: %w", run, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("note archive run %s: %w", run, err)
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("note archive run %s: %w", run, err)
	}
	return nil
}

// donePending forgets a run's note, then its archive_runs row (in that
// order: a row left behind is harmless, a note without its row would
// undo a committed run).
func (s *Store) donePending(ctx context.Context, run string) {
	if err := os.Remove(s.pendingPath(run)); err != nil && !os.IsNotExist(err) {
		s.log.Warn("cannot remove an archive run's note", "run", run, "err", err)
		return
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM archive_runs WHERE run = ?`, run); err != nil {
		s.log.Warn("cannot forget an archive run", "run", run, "err", err)
	}
}

// resolvePending settles the runs a crash left noted (Open).
func (s *Store) resolvePending(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, archiveRunsSchema); err != nil {
		return fmt.Errorf("create archive_runs: %w", err)
	}
	notes, _ := filepath.Glob(filepath.Join(s.archive, pendingDir, "*.json"))
	for _, n := range notes {
		data, err := os.ReadFile(n)
		var pr pendingRun
		if err == nil {
			err = json.Unmarshal(data, &pr)
		}
		if err != nil || pr.Run == "" || strings.ContainsAny(pr.Run, `/\*?[`) || strings.ContainsAny(pr.Kind, `/\*?[`) {
			s.log.Error("unreadable archive run note; left for an operator", "file", n, "err", err)
			continue
		}
		var committed bool
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) > 0 FROM archive_runs WHERE run = ?`, pr.Run).Scan(&committed); err != nil {
			return fmt.Errorf("resolve archive run %s: %w", pr.Run, err)
		}
		if !committed {
			var put []string
			if s.remote != nil {
				put = s.remote.runKeys(ctx, pr.Project, pr.Kind, pr.Run)
			}
			if err := s.unarchive(ctx, pr.Project, pr.Kind, pr.Run, put); err != nil {
				s.log.Error("cannot undo an archive run a crash interrupted; its objects are not read and are removed at the next listing", "run", pr.Run, "err", err)
			}
			s.log.Warn("undid an archive run interrupted before its deletion committed", "project", pr.Project, "kind", pr.Kind, "run", pr.Run)
		}
		s.donePending(ctx, pr.Run)
	}
	return nil
}

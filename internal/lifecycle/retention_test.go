package lifecycle

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

type fakeSettings map[int64]string

func (f fakeSettings) ProjectSettings(_ context.Context, p int64, _ string) (json.RawMessage, error) {
	if d, ok := f[p]; ok {
		return json.RawMessage(d), nil
	}
	return json.RawMessage("{}"), nil
}

func (f fakeSettings) SetProjectSettings(_ context.Context, p int64, _ string, doc json.RawMessage) error {
	f[p] = string(doc)
	return nil
}

func (f fakeSettings) ProjectIDs(context.Context) ([]int64, error) { return []int64{1, 2}, nil }

type call struct {
	project int64
	kind    string
	before  time.Time
}

type fakeEvents struct {
	deletes     []call
	side        []call
	checkpoints int
}

func (f *fakeEvents) DeleteEvents(_ context.Context, p int64, kind string, before int64) (int64, error) {
	f.deletes = append(f.deletes, call{p, kind, time.UnixMicro(before).UTC()})
	return 1, nil
}

func (f *fakeEvents) DeleteSideBefore(_ context.Context, p int64, emptyBefore, before int64) (int64, error) {
	f.side = append(f.side, call{p, "empty", time.UnixMicro(emptyBefore).UTC()}, call{p, "all", time.UnixMicro(before).UTC()})
	return 0, nil
}

func (f *fakeEvents) Reindex(context.Context) error { f.checkpoints++; return nil }

type fakeRecordings map[int64]time.Time

func (f fakeRecordings) ExpireProject(_ context.Context, p, before int64) (int64, int64, error) {
	f[p] = time.UnixMilli(before).UTC()
	return 1, 10, nil
}

// TestRetainerDeletesWholeDays checks each project's kinds are cut at the
// start of a UTC day, by its own settings or the defaults.
func TestRetainerDeletesWholeDays(t *testing.T) {
	st := fakeSettings{2: `{"logs_days": 3, "events_days": 400, "replays_days": 7}`}
	ev := &fakeEvents{}
	rec := fakeRecordings{}
	now := time.Date(2026, 12, 5, 9, 30, 0, 0, time.UTC)
	r := NewRetainer(RetentionConfig{Settings: st, Projects: st, Events: ev, Recordings: rec, Now: func() time.Time { return now }})
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	day := func(d int) time.Time { return time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -d) }
	want := map[call]bool{
		{1, "log", day(30)}: true, {1, "span", day(14)}: true, {1, "error", day(90)}: true,
		{1, "event", day(730)}: true, {1, "pageview", day(730)}: true, {1, "check", day(90)}: true, {1, "replay", day(30)}: true,
		{2, "log", day(3)}: true, {2, "span", day(14)}: true, {2, "event", day(400)}: true,
	}
	got := map[call]bool{}
	for _, c := range ev.deletes {
		got[c] = true
	}
	for c := range want {
		if !got[c] {
			t.Errorf("no deletion %+v; got %+v", c, ev.deletes)
		}
	}
	if len(ev.deletes) != 14 || ev.checkpoints != 1 {
		t.Errorf("%d deletions (want 7 kinds × 2 projects), %d checkpoints", len(ev.deletes), ev.checkpoints)
	}
	if len(rec) != 1 || rec[2] != time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC) {
		t.Errorf("recordings expired %v, want project 2's before Nov 28", rec)
	}
	wantSide := []call{{1, "empty", day(14)}, {1, "all", day(730)}, {2, "empty", day(3)}, {2, "all", day(400)}}
	for i, c := range wantSide {
		if i >= len(ev.side) || ev.side[i] != c {
			t.Errorf("side deletions %+v, want %+v", ev.side, wantSide)
			break
		}
	}
}

// TestRetainerOfRecordingsAlone: a Retainer without events (a node whose
// events store is shared, and whose events' retention runs on another
// node) expires its own recordings by the projects' replays_days.
func TestRetainerOfRecordingsAlone(t *testing.T) {
	st := fakeSettings{2: `{"logs_days": 3, "replays_days": 7}`}
	rec := fakeRecordings{}
	now := time.Date(2026, 12, 5, 9, 30, 0, 0, time.UTC)
	r := NewRetainer(RetentionConfig{Settings: st, Projects: st, Recordings: rec, Now: func() time.Time { return now }})
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(rec) != 1 || rec[2] != time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC) {
		t.Errorf("recordings expired %v, want project 2's before Nov 28", rec)
	}
}

func TestRetentionSettings(t *testing.T) {
	svc := NewService(fakeSettings{}, NewSection[Retention](RetentionName, nil))
	out, err := svc.SetSettings(context.Background(), 1, RetentionName, []byte(`{"logs_days": 7}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(out)
	if string(b) != `{"logs_days":7,"spans_days":14,"errors_days":90,"events_days":730,"checks_days":90,"replays_days":0}` {
		t.Errorf("settings %s", b)
	}
	for _, bad := range []string{`{"replays_days": -3}`, `{"logs_days": -1}`, `{"logs_days": 100000}`, `{"log_days": 3}`, `[`} {
		if _, err := svc.SetSettings(context.Background(), 1, RetentionName, []byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if _, err := svc.Settings(context.Background(), 1, "nope"); err == nil {
		t.Error("unknown settings name accepted")
	}
}

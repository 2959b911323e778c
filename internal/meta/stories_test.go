package meta

import (
	"context"
	"testing"
	"time"
)

// TestStoryAnswers: an answer one node keeps is read by another while it
// is fresh, never once a deletion was counted after it was computed (nor
// one computed across a deletion); the latest answer of a window that
// ends now is the one that ends last in the range asked; the windows
// asked are listed with their age, and pruning drops the old ones.
func TestStoryAnswers(t *testing.T) {
	engines(t, func(t *testing.T, where string) {
		ctx := context.Background()
		a, err := Open(ctx, where)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		b, err := Open(ctx, where)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		const minute = int64(time.Minute / time.Microsecond)
		day := 24 * 60 * minute
		k := StoryKey{ProjectID: 1, Span: day, To: 1000 * minute}
		gen, err := a.DataGeneration(ctx, 1)
		if err != nil || gen != 0 {
			t.Fatalf("generation before any deletion: %d, %v; want 0", gen, err)
		}
		if err := a.SaveStoryAnswer(ctx, k, gen, []byte(`{"to":"1000"}`)); err != nil {
			t.Fatal(err)
		}
		if got, ok, err := b.StoryAnswer(ctx, k, time.Minute); err != nil || !ok || string(got.Answer) != `{"to":"1000"}` || got.StoryKey != k || got.Age > time.Minute {
			t.Fatalf("the other node reads %+v, %v, %v; want the answer kept, just now", got, ok, err)
		}
		warn := k
		warn.MinSeverity = "warning"
		if _, ok, err := b.StoryAnswer(ctx, warn, time.Minute); err != nil || ok {
			t.Errorf("another severity's answer: %v, %v; want none", ok, err)
		}
		time.Sleep(20 * time.Millisecond)
		if _, ok, err := b.StoryAnswer(ctx, k, 10*time.Millisecond); err != nil || ok {
			t.Errorf("an answer older than maxAge: %v, %v; want none", ok, err)
		}
		// Two windows ending later; the latest up to 1002 is 1002's.
		for _, to := range []int64{1002, 1005} {
			k2 := k
			k2.To = to * minute
			if err := b.SaveStoryAnswer(ctx, k2, gen, []byte(`{"to":"`+time.Duration(to).String()+`"}`)); err != nil {
				t.Fatal(err)
			}
		}
		latest := k
		latest.To = 1003 * minute
		if got, ok, err := a.LatestStoryAnswer(ctx, latest, latest.To-2*minute); err != nil || !ok || got.To != 1002*minute || got.Span != day {
			t.Errorf("latest to 1003: %+v, %v, %v; want the window ending at 1002", got, ok, err)
		}
		if _, ok, err := a.LatestStoryAnswer(ctx, latest, latest.To-minute/2); err != nil || ok {
			t.Errorf("latest within half a minute of 1003: %v, %v; want none", ok, err)
		}

		// A deletion in another project changes nothing here.
		if err := b.BumpStoreChanges(ctx, 2); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := a.StoryAnswer(ctx, k, time.Minute); err != nil || !ok {
			t.Errorf("after a deletion in project 2, project 1's answer: %v, %v; want it", ok, err)
		}
		if gen2, err := a.DataGeneration(ctx, 1); err != nil || gen2 != gen {
			t.Errorf("project 1's generation after a deletion in project 2: %d, %v; want %d", gen2, err, gen)
		}
		// A deletion counted on either node: nothing kept before is read,
		// nor what was computed from before it and saved after.
		if err := b.BumpStoreChanges(ctx, 1); err != nil {
			t.Fatal(err)
		}
		if err := a.SaveStoryAnswer(ctx, warn, gen, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := a.StoryAnswer(ctx, k, time.Minute); err != nil || ok {
			t.Errorf("after a deletion, the answer of before: %v, %v; want none", ok, err)
		}
		if _, ok, err := b.StoryAnswer(ctx, warn, time.Minute); err != nil || ok {
			t.Errorf("after a deletion, an answer computed before it: %v, %v; want none", ok, err)
		}
		if _, ok, err := a.LatestStoryAnswer(ctx, latest, 0); err != nil || ok {
			t.Errorf("after a deletion, the latest of before: %v, %v; want none", ok, err)
		}
		if gen2, err := a.DataGeneration(ctx, 1); err != nil || gen2 != gen+1 {
			t.Fatalf("generation after a deletion: %d, %v; want %d", gen2, err, gen+1)
		}
		if err := a.SaveStoryAnswer(ctx, k, gen+1, []byte(`{"again":1}`)); err != nil {
			t.Fatal(err)
		}
		if got, ok, err := b.StoryAnswer(ctx, k, time.Minute); err != nil || !ok || string(got.Answer) != `{"again":1}` {
			t.Errorf("an answer computed after the deletion: %q, %v, %v", got.Answer, ok, err)
		}
		// A deletion of no one project (0) is every project's.
		if err := b.BumpStoreChanges(ctx, 0); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := b.StoryAnswer(ctx, k, time.Minute); err != nil || ok {
			t.Errorf("after a deletion of no one project, the answer of before: %v, %v; want none", ok, err)
		}

		// Windows asked on either node.
		for _, w := range []struct {
			s *Store
			k StoryKey
		}{{a, StoryKey{ProjectID: 1, Span: day}}, {b, StoryKey{ProjectID: 1, Span: 60 * minute, MinSeverity: "critical"}}, {b, StoryKey{ProjectID: 1, Span: day}}} {
			if err := w.s.AskStoryWindow(ctx, w.k); err != nil {
				t.Fatal(err)
			}
		}
		ws, err := a.StoryWindows(ctx, time.Hour)
		if err != nil || len(ws) != 2 || ws[0].MinSeverity != "" || ws[0].Span != day || ws[1].MinSeverity != "critical" || ws[1].Age > time.Minute {
			t.Errorf("windows asked: %+v, %v; want the day's and the critical hour's, just asked", ws, err)
		}
		time.Sleep(20 * time.Millisecond)
		if ws, err := a.StoryWindows(ctx, 10*time.Millisecond); err != nil || len(ws) != 0 {
			t.Errorf("windows asked within 10ms: %+v, %v; want none", ws, err)
		}
		if err := b.PruneStories(ctx, 10*time.Millisecond, 10*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if ws, err := a.StoryWindows(ctx, time.Hour); err != nil || len(ws) != 0 {
			t.Errorf("windows after pruning: %+v, %v; want none", ws, err)
		}
		if _, ok, err := a.StoryAnswer(ctx, k, time.Hour); err != nil || ok {
			t.Errorf("an answer after pruning: %v, %v; want none", ok, err)
		}
	})
}

package bench

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/fields"
	"github.com/lore-dev/lore/internal/ingest"
	"github.com/lore-dev/lore/internal/ingest/native"
	"github.com/lore-dev/lore/internal/issue"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/patterns"
	"github.com/lore-dev/lore/internal/privacy"
	"github.com/lore-dev/lore/internal/sim"
)

// BenchmarkIngestStages measures the CPU each stage of the HTTP ingest
// path spends per event of the freeform workload, one stage at a time, in
// the order the server runs them: decode (native), then the processors
// privacy, patterns, issue and fields. Each iteration is one 2,000-event
// request body, decoded afresh (outside the timer for the processors, as
// they change events in place):
//
//	go test ./internal/bench/ -run '^$' -bench IngestStages -benchtime 40x
func BenchmarkIngestStages(b *testing.B) {
	reqs := FreeformWorkload(1, 40_000, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 72*time.Hour)
	now := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC).UnixMicro()
	decode := func(r sim.Request) []event.Event {
		return native.Decode(r.Body, native.Options{ProjectID: 1, Now: now}).Events
	}
	b.Run("decode", func(b *testing.B) {
		n := 0
		for i := 0; b.Loop(); i++ {
			n += len(decode(reqs[i%len(reqs)]))
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
	})
	miner, err := patterns.Open(b.TempDir(), patterns.Config{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer miner.Close(context.Background())
	tracker := issue.NewTracker(fakeIssues{}, nil, nil)
	tracker.UsePatterns(miner)
	stages := []struct {
		name string
		p    ingest.Processor
	}{
		{"privacy", privacy.NewScrubber(nil, nil, nil)},
		{"patterns", miner},
		{"issue", tracker},
		{"fields", fields.NewCatalogue(nil, nil)},
	}
	for si, st := range stages {
		b.Run(st.name, func(b *testing.B) {
			ctx := context.Background()
			n := 0
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				evs := decode(reqs[i%len(reqs)])
				for _, prev := range stages[:si] { // what the stage sees in the server
					if evs, err = prev.p.Process(ctx, evs); err != nil {
						b.Fatal(err)
					}
				}
				n += len(evs)
				b.StartTimer()
				if _, err := st.p.Process(ctx, evs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
		})
	}
}

// fakeIssues is the issue tracker's metadata store: every fingerprint is
// a new, unresolved issue.
type fakeIssues struct{}

func (fakeIssues) ObserveIssue(_ context.Context, o meta.Observation) (meta.Issue, error) {
	return meta.Issue{ID: 1, ProjectID: o.ProjectID, Fingerprint: o.Fingerprint, Status: "unresolved"}, nil
}

func (fakeIssues) IssueSettings(context.Context, int64) (json.RawMessage, error) { return nil, nil }

func (fakeIssues) AddIssueDropped(context.Context, int64, string, int64) error { return nil }

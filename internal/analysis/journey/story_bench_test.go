package journey

import (
	"testing"

	"github.com/lore-dev/lore/internal/event"
)

// BenchmarkBuildStory tells a 5000-event journey (the store's cap) made of
// repeated checkouts, spans and logs together.
func BenchmarkBuildStory(b *testing.B) {
	var evs []event.Event
	for len(evs) < 5000 {
		shift := int64(len(evs)) * 60_000_000
		for _, e := range append(throttledCheckoutSucceeds(), plainTrace()...) {
			e.TS += shift
			evs = append(evs, e)
		}
	}
	evs = evs[:5000]
	sortEvents(evs)
	b.ResetTimer()
	for b.Loop() {
		BuildStory(evs)
	}
	b.ReportMetric(float64(len(evs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

package journey

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// TestStoryGolden renders the story of each hand-built journey and compares
// it with testdata/stories/NAME.golden; LORE_UPDATE_GOLDEN=1 rewrites them.
func TestStoryGolden(t *testing.T) {
	cases := []struct {
		name    string
		by      store.JourneyBy
		events  []event.Event
		outcome string
	}{
		{"throttled_checkout_succeeds", store.ByUser, throttledCheckoutSucceeds(), OutcomeSucceeded},
		{"throttled_checkout_fails", store.ByUser, throttledCheckoutFails(), OutcomeFailed},
		{"abandoned_checkout", store.BySession, abandonedCheckout(), OutcomeAbandoned},
		{"plain_trace", store.ByTrace, plainTrace(), OutcomeSucceeded},
		{"cascade_timeout", store.ByTrace, cascadeTimeout(), OutcomeFailed},
		{"anonymous_then_signed_in", store.BySession, anonymousThenSignedIn(), OutcomeSucceeded},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Journey{ProjectID: 1, By: c.by, ID: "x"}.Resolve(t.Context(), &memReader{events: c.events})
			if err != nil {
				t.Fatal(err)
			}
			if res.Summary.Outcome != c.outcome {
				t.Errorf("outcome = %q, want %q", res.Summary.Outcome, c.outcome)
			}
			var buf bytes.Buffer
			if err := RenderText(&buf, res, false); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", "stories", c.name+".golden"), buf.Bytes())
		})
	}
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if os.Getenv("LORE_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("cannot read golden file (LORE_UPDATE_GOLDEN=1 writes it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (LORE_UPDATE_GOLDEN=1 rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

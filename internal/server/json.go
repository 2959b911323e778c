package server

import (
	"encoding/json"

	"github.com/lore-dev/lore/internal/event"
)

func marshal(v any) ([]byte, error) { return json.Marshal(v) }

// appendEvents renders events as a JSON array with the fast encoder.
func appendEvents(b []byte, events []event.Event) []byte {
	b = append(b, '[')
	for i := range events {
		if i > 0 {
			b = append(b, ',')
		}
		b = events[i].AppendJSON(b)
	}
	return append(b, ']')
}

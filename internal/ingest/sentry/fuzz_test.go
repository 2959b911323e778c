package sentry

import (
	"testing"
)

// FuzzDecodeEnvelope checks that no envelope makes the decoder panic or
// return an event without its project, and that every item is accounted
// for.
func FuzzDecodeEnvelope(f *testing.F) {
	f.Add(envelope(item("event", errorEvent, true), item("transaction", transaction, false)))
	f.Add(envelope(item("attachment", "x\x00y", true), item("session", `{}`, false)))
	f.Add([]byte("{}\n{\"type\":\"event\",\"length\":3}\n{}}\n"))
	f.Add([]byte("{}\n{\"type\":\"event\",\"length\":-1}\n"))
	f.Add([]byte(`{"event_id":"x"}` + "\n" + `{"type":"event"}` + "\n" + `{"exception":{"values":[{"type":"E","stacktrace":{"frames":[{"function":"f","in_app":true}]}}]},"breadcrumbs":{"values":[{"timestamp":"2026-01-01T00:00:00Z"}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := DecodeEnvelope(body, Options{ProjectID: 7, Now: 1})
		if err != nil {
			return
		}
		for _, e := range res.Events {
			if e.ProjectID != 7 || e.Kind == "" {
				t.Fatalf("event without project or kind: %+v", e)
			}
			if e.Kind == "error" && e.Fingerprint == "" {
				t.Fatalf("error without fingerprint: %+v", e)
			}
		}
	})
}

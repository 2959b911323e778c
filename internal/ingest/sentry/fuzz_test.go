package sentry

import (
	"errors"
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
	f.Add(envelope(`{"type":"span","item_count":1,"content_type":"application/vnd.sentry.items.span.v2+json"}` + "\n" +
		`{"version":2,"items":[{"name":"GET /x","span_id":"a0c8d9213dee48e9","trace_id":"f49b357fe7424687b9c22eefc47593a9","start_timestamp":1796402826.1,"end_timestamp":1796402826.2,"is_segment":true,"status":"ok","attributes":{"sentry.op":{"value":"http.server","type":"string"},"browser.web_vital.lcp.value":{"value":536,"type":"integer"}}}]}`))
	f.Add(envelope(item("span", `{"span_id":"a0c8d9213dee48e9","op":"ui.webvital.inp","start_timestamp":1,"measurements":{"inp":{"value":48}}}`, false),
		item("replay_event", `{}`, false)))
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

// FuzzDecodeStore checks the store endpoint's decoder (JSON, or base64 of
// zlib-compressed JSON as the oldest SDKs send): no body makes it panic,
// a refused body wraps ErrMalformed, and every event it returns has its
// project, a kind, and a fingerprint when it is an error.
func FuzzDecodeStore(f *testing.F) {
	f.Add([]byte(errorEvent))
	f.Add([]byte(transaction))
	f.Add([]byte(`{"message":"m","level":"error","exception":{"values":[{"type":"E","value":"\xc3"}]}}`))
	f.Add([]byte("eJyrVspLzE1VslIqzs9NVapVAgAnPQTd")) // base64(zlib(`{"message":"hi"}`))-like
	f.Add([]byte("!!not base64"))
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, _, err := DecodeStore(body, Options{ProjectID: 7, Now: 1})
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		for _, e := range evs {
			if e.ProjectID != 7 || e.Kind == "" {
				t.Fatalf("event without project or kind: %+v", e)
			}
			if e.Kind == "error" && e.Fingerprint == "" {
				t.Fatalf("error without fingerprint: %+v", e)
			}
		}
	})
}

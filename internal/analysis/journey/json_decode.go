package journey

import (
	"encoding/json"

	"github.com/lore-dev/lore/internal/event"
)

// UnmarshalJSON reads what MarshalJSON writes, so API clients (the CLI) can
// render a journey fetched over HTTP with RenderText.
func (l *StoryLine) UnmarshalJSON(b []byte) error {
	var w struct {
		TS      string `json:"ts"`
		Service string `json:"service"`
		Text    string `json:"text"`
		Kind    string `json:"kind"`
		Ref     *int   `json:"ref"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	ts, err := event.ParseMicros(w.TS)
	if err != nil {
		return err
	}
	*l = StoryLine{TS: ts, Service: w.Service, Text: w.Text, Kind: w.Kind, Ref: -1}
	if w.Ref != nil {
		l.Ref = *w.Ref
	}
	return nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *Summary) UnmarshalJSON(b []byte) error {
	var w struct {
		Services   []string `json:"services"`
		DurationMS float64  `json:"duration_ms"`
		Retries    int      `json:"retries"`
		Errors     int      `json:"errors"`
		Outcome    string   `json:"outcome"`
		Users      []string `json:"users"`
		Traces     int      `json:"traces"`
		Start      string   `json:"start"`
		End        string   `json:"end"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	start, err := event.ParseMicros(w.Start)
	if err != nil {
		return err
	}
	end, err := event.ParseMicros(w.End)
	if err != nil {
		return err
	}
	*s = Summary{Services: w.Services, DurationMS: w.DurationMS, Retries: w.Retries, Errors: w.Errors,
		Outcome: w.Outcome, Users: w.Users, Traces: w.Traces, Start: start, End: end}
	return nil
}

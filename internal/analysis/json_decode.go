package analysis

import (
	"encoding/json"
	"fmt"
	"time"
)

func parseAPITime(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, fmt.Errorf("cannot parse time %q: %w", s, err)
	}
	return t.UnixMicro(), nil
}

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
	ts, err := parseAPITime(w.TS)
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
	start, err := parseAPITime(w.Start)
	if err != nil {
		return err
	}
	end, err := parseAPITime(w.End)
	if err != nil {
		return err
	}
	*s = Summary{Services: w.Services, DurationMS: w.DurationMS, Retries: w.Retries, Errors: w.Errors,
		Outcome: w.Outcome, Users: w.Users, Traces: w.Traces, Start: start, End: end}
	return nil
}

package posthog

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Settings are a project's settings for browser capture, which the remote
// configuration tells posthog-js at start-up (GET /array/{key}/config,
// config.js, POST /flags and /decide). Without that answer posthog-js
// leaves autocapture, exception autocapture, web vitals and recording off.
type Settings struct {
	// Autocapture: clicks, form submissions and changes ($autocapture).
	Autocapture bool `json:"autocapture"`
	// CaptureExceptions: uncaught errors and unhandled rejections
	// ($exception with $exception_list).
	CaptureExceptions bool `json:"capture_exceptions"`
	// WebVitals: LCP, CLS, FCP, INP ($web_vitals) and network timing.
	WebVitals bool `json:"web_vitals"`
	// SessionRecording records sessions: Lore's browser SDK uploads
	// recordings to /api/v1/replay and posthog-js to /s/, both kept in
	// the replay store (internal/replay). Off by default: opt in per
	// project.
	SessionRecording bool `json:"session_recording"`
	// ReplaySampleRate is the share of sessions recorded from their
	// start, 0 to 1 (default 1).
	ReplaySampleRate float64 `json:"replay_sample_rate"`
	// ReplayOnError also keeps the sessions not sampled that hit an
	// error, from up to a minute before it (Lore's SDK; default true).
	ReplayOnError bool `json:"replay_on_error"`
	// ReplayOrigins are the origins of the pages allowed to send
	// recordings ("https://shop.example"); empty: any.
	ReplayOrigins []string `json:"replay_origins"`
	// DeadClicks: clicks that change nothing ($dead_click).
	DeadClicks bool `json:"dead_clicks"`
	// Heatmaps: click and scroll coordinates on every event.
	Heatmaps bool `json:"heatmaps"`
}

// DefaultSettings are a project's settings until changed: everything that
// becomes events on, recording off.
func DefaultSettings() Settings {
	return Settings{Autocapture: true, CaptureExceptions: true, WebVitals: true, ReplaySampleRate: 1, ReplayOnError: true, ReplayOrigins: []string{}}
}

// Validate checks the values a client may set wrong.
func (st Settings) Validate() error {
	if st.ReplaySampleRate < 0 || st.ReplaySampleRate > 1 {
		return fmt.Errorf("replay_sample_rate %v is not between 0 and 1", st.ReplaySampleRate)
	}
	for _, o := range st.ReplayOrigins {
		if !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") || strings.Count(o, "/") > 2 {
			return fmt.Errorf("replay origin %q is not an origin: write it as https://host[:port]", o)
		}
	}
	return nil
}

// ParseSettings reads a settings document, the defaults filling what it
// leaves out; unknown fields are refused.
func ParseSettings(doc []byte) (Settings, error) {
	st := DefaultSettings()
	if len(strings.TrimSpace(string(doc))) == 0 {
		return st, nil
	}
	dec := json.NewDecoder(strings.NewReader(string(doc)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return st, fmt.Errorf("cannot parse capture settings %.80q: %w", doc, err)
	}
	if st.ReplayOrigins == nil {
		st.ReplayOrigins = []string{}
	}
	return st, st.Validate()
}

// RecordingEndpoint is where posthog-js uploads recordings.
const RecordingEndpoint = "/s/"

// RemoteConfig is the project's configuration in the shape PostHog serves
// at /array/{key}/config and inside config.js.
func RemoteConfig(key string, st Settings) map[string]any {
	var recording any = false
	if st.SessionRecording {
		recording = map[string]any{
			"endpoint": RecordingEndpoint, "consoleLogRecordingEnabled": true, "recorderVersion": "v2",
			"sampleRate": sampleRate(st.ReplaySampleRate), "minimumDurationMilliseconds": nil, "linkedFlag": nil, "networkPayloadCapture": nil,
			"urlTriggers": []any{}, "urlBlocklist": []any{}, "eventTriggers": []any{}, "scriptConfig": nil,
		}
	}
	return map[string]any{
		"token":                key,
		"supportedCompression": []string{"gzip", "gzip-js"},
		"hasFeatureFlags":      false,
		"captureDeadClicks":    st.DeadClicks,
		"capturePerformance": map[string]any{
			"network_timing": st.WebVitals, "web_vitals": st.WebVitals, "web_vitals_allowed_metrics": nil,
		},
		"autocapture_opt_out":   !st.Autocapture,
		"autocaptureExceptions": st.CaptureExceptions,
		"errorTracking":         map[string]any{"autocaptureExceptions": st.CaptureExceptions, "suppressionRules": []any{}},
		"analytics":             map[string]any{"endpoint": "/i/v0/e/"},
		"elementsChainAsString": true,
		"sessionRecording":      recording,
		"heatmaps":              st.Heatmaps,
		"surveys":               false,
		"defaultIdentifiedOnly": true,
	}
}

// sampleRate is the recording's sample rate as PostHog writes it: a
// string with two decimals, or null for every session.
func sampleRate(r float64) any {
	if r >= 1 {
		return nil
	}
	return strconv.FormatFloat(r, 'f', 2, 64)
}

// ConfigScript is config.js: the remote configuration as posthog-js loads
// it with a script tag, into window._POSTHOG_REMOTE_CONFIG[key].
func ConfigScript(key string, st Settings) ([]byte, error) {
	cfg, err := json.Marshal(map[string]any{"config": RemoteConfig(key, st), "siteApps": []any{}})
	if err != nil {
		return nil, err
	}
	k, err := json.Marshal(key)
	if err != nil {
		return nil, err
	}
	return []byte("(function() {\n    window._POSTHOG_REMOTE_CONFIG = window._POSTHOG_REMOTE_CONFIG || {};\n" +
		"    window._POSTHOG_REMOTE_CONFIG[" + string(k) + "] = " + string(cfg) + ";\n})();\n"), nil
}

// Flags is the answer to POST /flags (v2): Lore has no feature flags, so
// none is on; with config (?config=true, or /decide) the remote
// configuration is merged in, as PostHog does.
func Flags(key string, st Settings, requestID string, config bool) map[string]any {
	out := map[string]any{
		"flags": map[string]any{}, "errorsWhileComputingFlags": false, "quotaLimited": []any{}, "requestId": requestID,
		// /decide's older names, read by older SDKs.
		"featureFlags": map[string]any{}, "featureFlagPayloads": map[string]any{},
	}
	if config {
		for k, v := range RemoteConfig(key, st) {
			out[k] = v
		}
		out["config"] = map[string]any{"enable_collect_everything": st.Autocapture}
		out["siteApps"] = []any{}
		out["toolbarParams"] = map[string]any{}
		out["isAuthenticated"] = false
	}
	return out
}

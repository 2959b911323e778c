package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestCaptureSettingsAPI: a project's capture settings change what
// posthog-js's remote configuration says; a PUT changes only the fields it
// names, and unknown ones are refused.
func TestCaptureSettingsAPI(t *testing.T) {
	a := startApp(t)
	base := a.URL()
	if code, b := send(t, "PUT", base, "/api/v1/capture/settings", "application/json", `{"session_recording":true,"autocapture":false}`); code != 200 {
		t.Fatalf("PUT: %d %s", code, b)
	}
	if code, b := send(t, "PUT", base, "/api/v1/capture/settings", "application/json", `{"recording":true}`); code != 400 {
		t.Errorf("unknown field: %d %s", code, b)
	}
	if code, b := send(t, "PUT", base, "/api/v1/capture/settings", "application/json", `{"replay_sample_rate":2}`); code != 400 || !strings.Contains(string(b), "not between 0 and 1") {
		t.Errorf("sample rate 2: %d %s", code, b)
	}
	var st map[string]any
	getJSON(t, base, "/api/v1/capture/settings", nil, &st)
	if st["session_recording"] != true || st["autocapture"] != false || st["capture_exceptions"] != true || st["web_vitals"] != true {
		t.Errorf("settings %v", st)
	}
	resp, err := http.Get(base + "/array/" + ingestKey + "/config")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var cfg struct {
		AutocaptureOptOut bool `json:"autocapture_opt_out"`
		SessionRecording  struct {
			Endpoint string `json:"endpoint"`
		} `json:"sessionRecording"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil || !cfg.AutocaptureOptOut || cfg.SessionRecording.Endpoint != "/s/" {
		t.Errorf("config %s (%v)", b, err)
	}
}

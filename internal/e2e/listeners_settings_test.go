package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/app"
)

// TestProjectListeners checks that GET /api/v1/project, which the Settings
// page reads, tells which protocol listeners are on and where they are
// bound, so the page's snippets carry their real ports, and that it never
// shows a listener's key.
func TestProjectListeners(t *testing.T) {
	type listeners struct {
		OTLPGRPC *string  `json:"otlp_grpc"`
		Syslog   []string `json:"syslog"`
		Forward  []string `json:"forward"`
	}
	get := func(t *testing.T, a *app.App) (listeners, string) {
		t.Helper()
		var raw json.RawMessage
		getJSON(t, a.URL(), "/api/v1/project", nil, &raw)
		var p struct {
			Listeners *listeners `json:"listeners"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		if p.Listeners == nil || p.Listeners.OTLPGRPC == nil || p.Listeners.Syslog == nil || p.Listeners.Forward == nil {
			t.Fatalf("listeners missing or null: %s", raw)
		}
		return *p.Listeners, string(raw)
	}

	t.Run("off", func(t *testing.T) {
		a := startApp(t) // no --otlp-grpc-addr, --syslog-addr nor --forward-addr
		l, raw := get(t, a)
		if *l.OTLPGRPC != "" || len(l.Syslog) != 0 || len(l.Forward) != 0 {
			t.Errorf("listeners = %s, want all off", raw)
		}
	})

	t.Run("on", func(t *testing.T) {
		const syslogKey, forwardKey = "e2e-syslog-listener-secret", "e2e-forward-listener-secret"
		a := startApp(t, func(c *app.Config) {
			c.Listeners = app.Listeners{OTLPGRPCAddr: "127.0.0.1:0",
				Syslog:  []app.SyslogListener{{Addr: "127.0.0.1:0", Key: syslogKey}, {Addr: "127.0.0.1:0", Key: syslogKey}},
				Forward: []app.ForwardListener{{Addr: "127.0.0.1:0", Key: forwardKey}}}
		})
		l, raw := get(t, a)
		if *l.OTLPGRPC != a.ListenerAddr("otlp-grpc") || strings.HasSuffix(*l.OTLPGRPC, ":0") {
			t.Errorf("otlp_grpc = %q, want the bound %q", *l.OTLPGRPC, a.ListenerAddr("otlp-grpc"))
		}
		if len(l.Syslog) != 2 || l.Syslog[0] != a.ListenerAddr("syslog") || l.Syslog[1] == l.Syslog[0] {
			t.Errorf("syslog = %q, want two bound addresses, the first %q", l.Syslog, a.ListenerAddr("syslog"))
		}
		if len(l.Forward) != 1 || l.Forward[0] != a.ListenerAddr("forward") {
			t.Errorf("forward = %q, want [%q]", l.Forward, a.ListenerAddr("forward"))
		}
		for _, k := range []string{syslogKey, forwardKey, ingestKey, adminKey, readKey} {
			if strings.Contains(raw, k) {
				t.Errorf("the answer shows the key %q: %s", k, raw)
			}
		}
	})
}

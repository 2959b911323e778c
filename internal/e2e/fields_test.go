package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/fields"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/duckdb"
)

// TestFieldsDictionary sends JSON lines through the real ingest path and
// reads the data dictionary: types, services, examples, cardinality, and
// a field that changed type.
func TestFieldsDictionary(t *testing.T) {
	a := startApp(t)
	base := a.URL()
	now := time.Now().UTC().Add(-10 * time.Minute)
	var lines []string
	for i := range 40 {
		svc := []string{"cart", "web"}[i%2]
		order := fmt.Sprint(1000 + i)
		if i >= 30 {
			order = fmt.Sprintf("ord_%d", i)
		}
		lines = append(lines, fmt.Sprintf(`{"ts":%q,"level":"info","service":%q,"msg":"checkout step","plan":%q,"order_id":%q,"items":%d,"gift":%v}`,
			now.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano), svc, []string{"free", "pro"}[i%2], order, i%7, i%3 == 0))
	}
	ingestLines(t, base, "/api/v1/ingest", "application/x-ndjson", strings.Join(lines, "\n"))
	flush(t, a)

	var d fields.Dictionary
	getJSON(t, base, "/api/v1/fields", url.Values{"from": {"now-1h"}}, &d)
	f := map[string]fields.Field{}
	for _, x := range d.Fields {
		f[x.Name] = x
	}
	if s := f["service"]; !s.Column || s.Count != 40 || s.Cardinality != 2 {
		t.Errorf("service = %+v, want a column in 40 events with 2 values", s)
	}
	if p := f["plan"]; p.Column || p.Type != fields.TypeString || len(p.Services) != 2 || len(p.Examples) != 2 {
		t.Errorf("plan = %+v, want a string attribute from 2 services with 2 examples", p)
	}
	if n := f["items"]; n.Type != fields.TypeNumber || n.Cardinality != 7 {
		t.Errorf("items = %+v, want a number with 7 values", n)
	}
	if g := f["gift"]; g.Type != fields.TypeBool {
		t.Errorf("gift type = %q, want bool", g.Type)
	}
	o := f["order_id"]
	if o.Type != fields.TypeNumber || len(o.Types) != 2 {
		t.Fatalf("order_id = %+v, want number then string", o)
	}
	var changed bool
	for _, dr := range o.Drift {
		changed = changed || dr.Kind == fields.DriftTypeChanged && strings.Contains(dr.Note, "as string (10)")
	}
	if !changed {
		t.Errorf("order_id drift = %+v, want a type change to string (10)", o.Drift)
	}
	if d.CardinalityMethod == "" || d.Drift == 0 {
		t.Errorf("dictionary lacks its cardinality method or drift count: %+v", d)
	}
}

func send(t *testing.T, method, base, path, contentType, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminKey)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestDashboardsAPIAndCLI: create a dashboard over JSON, export it as YAML
// with the CLI, import the file into a fresh server, and read it back.
func TestDashboardsAPIAndCLI(t *testing.T) {
	a := startApp(t)
	base := a.URL()
	code, b := send(t, http.MethodPost, base, "/api/v1/dashboards", "application/json",
		`{"name":"Checkout","from":"now-24h","panels":[{"title":"Errors","kind":"histogram","query":"level:error","params":{"by":"service"}},
		 {"title":"Funnel","kind":"funnel","params":{"window":"1h","steps":[{"event":"Checkout Started"},{"event":"Order Completed"}]}}]}`)
	if code != 200 {
		t.Fatalf("create: %d %s", code, b)
	}
	var d struct {
		ID     int64 `json:"id"`
		Panels []struct {
			Kind string `json:"kind"`
		} `json:"panels"`
	}
	json.Unmarshal(b, &d)
	if code, b := send(t, http.MethodPost, base, "/api/v1/dashboards", "application/json", `{"name":"Bad","panels":[{"kind":"pie"}]}`); code != 400 || !bytes.Contains(b, []byte(`unknown panel kind \"pie\"`)) {
		t.Errorf("bad panel: %d %s, want 400 naming the kind", code, b)
	}
	if code, b := send(t, http.MethodPost, base, "/api/v1/dashboards", "application/json", `{"name":"Checkout","panels":[]}`); code != 409 {
		t.Errorf("duplicate name: %d %s, want 409", code, b)
	}
	code, y := send(t, http.MethodGet, base, fmt.Sprintf("/api/v1/dashboards/%d.yaml", d.ID), "", "")
	if code != 200 || !bytes.Contains(y, []byte("kind: funnel")) || bytes.Contains(y, []byte("id:")) {
		t.Fatalf("GET %d.yaml: %d\n%s", d.ID, code, y)
	}
	if code, _ := send(t, http.MethodGet, base, "/api/v1/dashboards/999", "", ""); code != 404 {
		t.Errorf("missing dashboard: %d, want 404", code)
	}
	if code, b := send(t, http.MethodPost, base, "/api/v1/searches", "application/json", `{"name":"slow","query":"duration_ms:>1000"}`); code != 200 {
		t.Fatalf("save search: %d %s", code, b)
	}
	// An ingest key may not read or write dashboards.
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/dashboards", nil)
	req.Header.Set("Authorization", "Bearer "+ingestKey)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 403 {
		t.Errorf("ingest key on dashboards: %v %v, want 403", resp.StatusCode, err)
	}

	dir := t.TempDir()
	file := filepath.Join(dir, "dashboards.yaml")
	if out, errOut, code := runCLI(t, "dashboards", "export", "--out", file, "--url", base, "--key", adminKey); code != 0 {
		t.Fatalf("lore dashboards export: %d %s %s", code, out, errOut)
	}
	sfile := filepath.Join(dir, "searches.yaml")
	if out, errOut, code := runCLI(t, "dashboards", "export", "--searches", "--out", sfile, "--url", base, "--key", adminKey); code != 0 {
		t.Fatalf("lore dashboards export --searches: %d %s %s", code, out, errOut)
	}
	raw, _ := os.ReadFile(file)
	if !strings.Contains(string(raw), "name: Checkout") || !strings.Contains(string(raw), "event: Order Completed") {
		t.Fatalf("exported file:\n%s", raw)
	}

	other := startApp(t)
	for i := range 2 { // importing twice updates rather than duplicates
		out, errOut, code := runCLI(t, "dashboards", "import", file, "--url", other.URL(), "--key", adminKey)
		if code != 0 || !strings.Contains(out, "imported 1 dashboards") {
			t.Fatalf("import #%d: %d %s %s", i+1, code, out, errOut)
		}
	}
	if out, errOut, code := runCLI(t, "dashboards", "import", "--searches", sfile, "--url", other.URL(), "--key", adminKey); code != 0 {
		t.Fatalf("import searches: %d %s %s", code, out, errOut)
	}
	out, _, code := runCLI(t, "dashboards", "list", "--url", other.URL(), "--key", adminKey)
	if code != 0 || !strings.Contains(out, "Checkout  (2 panels)") || strings.Count(out, "Checkout") != 1 {
		t.Errorf("list after two imports:\n%s", out)
	}
	out, _, _ = runCLI(t, "dashboards", "list", "--searches", "--url", other.URL(), "--key", adminKey)
	if !strings.Contains(out, "slow  duration_ms:>1000") {
		t.Errorf("searches after import:\n%s", out)
	}
	// A bad import names the document and stores nothing.
	code, b = send(t, http.MethodPost, other.URL(), "/api/v1/dashboards/import", "application/yaml", "name: A\npanels: []\n---\nname: B\npanels: [{kind: facet}]\n")
	if code != 400 || !bytes.Contains(b, []byte("YAML document 2")) {
		t.Errorf("bad import: %d %s", code, b)
	}
	if _, b := send(t, http.MethodGet, other.URL(), "/api/v1/dashboards", "", ""); bytes.Contains(b, []byte(`"name":"A"`)) {
		t.Errorf("a refused import stored its first document: %s", b)
	}
	// The project's settings list its keys without their secrets.
	code, b = send(t, http.MethodGet, base, "/api/v1/project", "", "")
	if code != 200 || !bytes.Contains(b, []byte(`"role":"ingest"`)) || !bytes.Contains(b, []byte(`"role":"read"`)) || bytes.Contains(b, []byte(readKey)) {
		t.Errorf("GET /api/v1/project: %d %s, want both keys' roles and no secret", code, b)
	}
	// PUT replaces, DELETE removes.
	var list struct {
		Dashboards []struct {
			ID int64 `json:"id"`
		} `json:"dashboards"`
	}
	_, b = send(t, http.MethodGet, other.URL(), "/api/v1/dashboards", "", "")
	json.Unmarshal(b, &list)
	id := list.Dashboards[0].ID
	if code, b := send(t, http.MethodPut, other.URL(), fmt.Sprintf("/api/v1/dashboards/%d", id), "application/json", `{"name":"Checkout v2","panels":[]}`); code != 200 || !bytes.Contains(b, []byte("Checkout v2")) {
		t.Errorf("PUT: %d %s", code, b)
	}
	if code, _ := send(t, http.MethodDelete, other.URL(), fmt.Sprintf("/api/v1/dashboards/%d", id), "", ""); code != 200 {
		t.Errorf("DELETE: %d", code)
	}
}

// TestKeysCLI creates, lists and revokes a key in a data directory; the
// list never shows a key. In a fresh data directory the default project is
// made first, with its keys shown once (as lore serve does); a key for a
// project that does not exist is refused.
func TestKeysCLI(t *testing.T) {
	dir := t.TempDir()
	out, errOut, code := runCLI(t, "keys", "create", "--data", dir, "--role", "read")
	if code != 0 || !strings.Contains(out, "lore_rd_") || !strings.Contains(out, "Project 1 keys") {
		t.Fatalf("keys create: %d %s %s", code, out, errOut)
	}
	key := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
	out, _, code = runCLI(t, "keys", "list", "--data", dir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.Contains(out, "read") || strings.Contains(out, key) || !strings.Contains(out, "lore_rd_…") {
		t.Fatalf("keys list shows %q (want the two keys of the new project and ours: role and hint, never the key)", out)
	}
	if out, _, code := runCLI(t, "keys", "revoke", "--data", dir, "99"); code == 0 {
		t.Errorf("revoking an unknown key succeeded: %s", out)
	}
	id := strings.Fields(lines[2])[0]
	if out, errOut, code := runCLI(t, "keys", "revoke", "--data", dir, id); code != 0 {
		t.Fatalf("keys revoke %s: %d %s %s", id, code, out, errOut)
	}
	if out, _, _ := runCLI(t, "keys", "list", "--data", dir); len(strings.Split(strings.TrimSpace(out), "\n")) != 2 || strings.Contains(out, "\n   "+id+" ") {
		t.Errorf("after revoking key %s, keys list = %q", id, out)
	}
	if out, errOut, code := runCLI(t, "keys", "create", "--data", dir, "--role", "read", "--project", "2"); code == 0 || !strings.Contains(errOut, "project 2") {
		t.Errorf("a key for project 2, which does not exist: %d %s %s", code, out, errOut)
	}
}

// TestFieldsBackfill: a data directory whose events predate the field
// catalogue (an upgrade) gets its dictionary from the stored events.
func TestFieldsBackfill(t *testing.T) {
	dir := t.TempDir()
	st, err := duckdb.Open(context.Background(), filepath.Join(dir, "events"), duckdb.Options{MemoryLimit: "256MB"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Add(-time.Hour).UnixMicro()
	var evs []event.Event
	for i := range 300 {
		evs = append(evs, event.Event{ProjectID: 1, TS: now + int64(i), ReceivedAt: now, Kind: event.KindLog, Service: "legacy",
			Message: "old line", Attributes: []event.Attr{{Key: "tenant", Value: fmt.Sprint("t", i%4)}}})
	}
	if err := st.Append(context.Background(), store.Batch{Seq: 1, Events: evs}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, app.Config{DataDir: dir, Addr: "127.0.0.1:0", IngestKey: ingestKey, ReadKey: readKey, AdminKey: adminKey, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var d fields.Dictionary
		getJSON(t, a.URL(), "/api/v1/fields", url.Values{"from": {"now-2h"}}, &d)
		for _, f := range d.Fields {
			if f.Name == "tenant" && f.Count == 300 && f.Cardinality == 4 && len(f.Services) == 1 && f.Services[0].Service == "legacy" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no backfilled field tenant after 30 s: %+v", d.Fields)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

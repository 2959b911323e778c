package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esutil"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/web"
)

// TestElasticsearchBulkIndexer ships documents with the official Go
// Elasticsearch client's bulk indexer: the client's start-up checks pass,
// bad documents are refused by name while the good ones are stored, and
// retrying the same ids stores nothing twice.
func TestElasticsearchBulkIndexer(t *testing.T) {
	a := startApp(t)
	ctx := context.Background()
	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{a.URL()}, Username: "lore", Password: ingestKey, CompressRequestBody: true})
	if err != nil {
		t.Fatal(err)
	}
	info, err := es.Info()
	if err != nil {
		t.Fatalf("info (the client's product check): %v", err)
	}
	if info.StatusCode != 200 || info.Header.Get("X-Elastic-Product") != "Elasticsearch" {
		t.Fatalf("GET / = %s", info)
	}
	info.Body.Close()
	exists, err := es.Indices.Exists([]string{"shop-2026.12.04"})
	if err != nil || exists.StatusCode != 200 {
		t.Fatalf("HEAD /{index} = %v, %v", exists, err)
	}
	tmpl, err := es.Indices.PutIndexTemplate("shop", strings.NewReader(`{"index_patterns":["shop-*"]}`))
	if err != nil || tmpl.StatusCode != 200 {
		t.Fatalf("PUT /_index_template = %v, %v", tmpl, err)
	}
	lic, err := es.License.Get()
	if err != nil || lic.StatusCode != 200 {
		t.Fatalf("GET /_license = %v, %v", lic, err)
	}

	const n = 200
	var mu sync.Mutex
	failures := map[string]string{}
	var created, updated, conflicts int
	index := func(action string) {
		t.Helper()
		bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{Client: es, Index: "shop-2026.12.04", NumWorkers: 2, FlushBytes: 8 << 10})
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			doc := fmt.Sprintf(`{"@timestamp":"%s","message":"order %d paid","log":{"level":"info"},"user":{"id":"u%d"}}`, time.Now().UTC().Format(time.RFC3339Nano), i, i%7)
			if i%50 == 49 {
				doc = fmt.Sprintf(`{"@timestamp":"yesterday-ish","message":"order %d paid"}`, i)
			}
			err := bi.Add(ctx, esutil.BulkIndexerItem{
				Action: action, DocumentID: fmt.Sprintf("order-%d", i), Body: strings.NewReader(doc),
				OnSuccess: func(_ context.Context, _ esutil.BulkIndexerItem, r esutil.BulkIndexerResponseItem) {
					mu.Lock()
					defer mu.Unlock()
					switch r.Result {
					case "created":
						created++
					case "updated":
						updated++
					}
				},
				OnFailure: func(_ context.Context, item esutil.BulkIndexerItem, r esutil.BulkIndexerResponseItem, err error) {
					mu.Lock()
					defer mu.Unlock()
					if r.Status == http.StatusConflict {
						conflicts++
						return
					}
					failures[item.DocumentID] = fmt.Sprintf("%d %s: %s %v", r.Status, r.Error.Type, r.Error.Reason, err)
				},
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := bi.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	index("index")
	if created != n-4 || len(failures) != 4 {
		t.Fatalf("first pass: %d created, failures %v; want %d created and 4 refused", created, failures, n-4)
	}
	for id, f := range failures {
		if !strings.Contains(f, "400 document_parsing_exception") || !strings.Contains(f, "yesterday-ish") {
			t.Errorf("failure of %s = %q: want a parse error quoting the bad timestamp", id, f)
		}
	}
	// The shipper retries everything (as after a lost answer): with index
	// the stored ids answer "updated", with create 409; none is stored twice.
	created, failures = 0, map[string]string{}
	index("index")
	if updated != n-4 || created != 0 {
		t.Errorf("retry with index: %d updated, %d created; want %d updated, 0 created", updated, created, n-4)
	}
	index("create")
	if conflicts != n-4 {
		t.Errorf("retry with create: %d conflicts, want %d", conflicts, n-4)
	}

	flush(t, a)
	r := search(t, a.URL(), `es.index:shop-2026.12.04`, "now-1h", "now+1h", 1000)
	if len(r.Events) != n-4 {
		t.Fatalf("stored %d events, want %d (no duplicates)", len(r.Events), n-4)
	}
	seen := map[string]bool{}
	for _, e := range r.Events {
		if e.Service != "shop" || e.Level != "info" || !strings.HasPrefix(e.UserID, "u") || !strings.HasSuffix(e.Message, " paid") {
			t.Fatalf("event %+v: want service shop (from the index), level info, a user and the message", e)
		}
		if seen[e.Message] {
			t.Fatalf("duplicate %q", e.Message)
		}
		seen[e.Message] = true
	}
}

// TestElasticsearchStartupAndUI checks that the start-up calls answer in
// Elasticsearch's shape with a key, refuse without one, and that the UI
// still answers a browser on the same paths.
func TestElasticsearchStartupAndUI(t *testing.T) {
	a := startApp(t, func(c *app.Config) { c.UI = web.Dist() })
	do := func(method, path, auth, body string) (int, http.Header, string) {
		t.Helper()
		req, _ := http.NewRequest(method, a.URL()+path, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	key := "ApiKey " + ingestKey
	for _, c := range []struct {
		method, path, auth string
		status             int
		has                string
	}{
		{"GET", "/", key, 200, `"number":"8.`},
		{"GET", "/_nodes/http", key, 200, `"publish_address"`},
		{"GET", "/_cluster/health", key, 200, `"green"`},
		{"PUT", "/_ilm/policy/filebeat", key, 200, `"acknowledged":true`},
		{"HEAD", "/_index_template/filebeat-8.17.0", key, 200, ``},
		{"GET", "/_index_template/filebeat-8.17.0", key, 404, `resource_not_found_exception`},
		{"PUT", "/logs-2026.12.04", key, 200, `"acknowledged":true`},
		{"GET", "/_license", "", 401, `"security_exception"`},
		{"GET", "/", "Bearer " + readKey, 403, `"security_exception"`},
		{"POST", "/_bulk", "", 401, `"security_exception"`},
		{"POST", "/_bulk", key, 400, `Malformed action/metadata line [1]`},
		{"GET", "/_search", key, 404, `"error":{"root_cause"`},
	} {
		body := ""
		if c.method == "POST" {
			body = "not json\n{}\n"
		}
		status, h, b := do(c.method, c.path, c.auth, body)
		if status != c.status || !strings.Contains(b, c.has) || h.Get("X-Elastic-Product") != "Elasticsearch" {
			t.Errorf("%s %s: %d %q (product %q), want %d containing %q", c.method, c.path, status, b, h.Get("X-Elastic-Product"), c.status, c.has)
		}
	}
	// A browser (no credentials) still gets the UI at /.
	status, h, b := do("GET", "/", "", "")
	if status != 200 || h.Get("X-Elastic-Product") != "" || !strings.Contains(strings.ToLower(b), "<html") {
		t.Errorf("GET / from a browser: %d %q", status, b[:min(len(b), 200)])
	}
	// One document API call is a bulk of one; a retry of its id is not stored twice.
	for range 2 {
		status, _, b = do("PUT", "/audit/_doc/evt-1", key, `{"message":"key rotated","service":"vault"}`)
		if status != 201 && status != 200 {
			t.Fatalf("PUT /audit/_doc/evt-1 = %d %s", status, b)
		}
	}
	if !strings.Contains(b, `"result":"updated"`) {
		t.Errorf("second PUT = %s, want updated", b)
	}
	flush(t, a)
	if r := search(t, a.URL(), `es.index:audit`, "now-1h", "now+1h", 10); len(r.Events) != 1 || r.Events[0].Service != "vault" {
		t.Fatalf("audit events = %+v", r.Events)
	}
}

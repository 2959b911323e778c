package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
)

// table is the answer of GET /api/v1/query for a query with pipes.
type table struct {
	Columns []struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"columns"`
	Rows      [][]any `json:"rows"`
	TookMS    *int64  `json:"took_ms"`
	Aggregate bool    `json:"aggregate"`
	Chart     string  `json:"chart"`
}

// askStart is the first minute of the hour before now: the events of
// startAsk fill the hour from it.
func askStart() time.Time { return time.Now().UTC().Truncate(time.Hour).Add(-time.Hour) }

// startAsk runs a Lore with 60 known events, one a minute over the hour
// from askStart: endpoint /pay on even minutes and /cart on odd ones,
// status 429 every third minute (200 otherwise), duration_ms 10×minute+5,
// user u(minute mod 4), and the message "user=uN took Dms".
func startAsk(t *testing.T, opts ...func(*app.Config)) (*app.App, time.Time) {
	t.Helper()
	a := startApp(t, opts...)
	base := askStart()
	var b strings.Builder
	for i := range 60 {
		status := 200
		if i%3 == 0 {
			status = 429
		}
		fmt.Fprintf(&b, `{"ts":%q,"service":"payment-service","endpoint":%q,"http_status":%d,"duration_ms":%d,"user_id":"u%d","msg":"user=u%d took %dms"}`+"\n",
			base.Add(time.Duration(i)*time.Minute).Format(time.RFC3339Nano), []string{"/pay", "/cart"}[i%2], status, i*10+5, i%4, i%4, i*10+5)
	}
	code, _, body, err := post(t.Context(), http.DefaultClient, a.URL(), "/api/v1/ingest", ingestKey, "application/x-ndjson", []byte(b.String()))
	if err != nil || code != 200 {
		t.Fatalf("ingest: %d %s %v", code, body, err)
	}
	flush(t, a)
	return a, base
}

// ask sends GET /api/v1/query with key and returns the status and body.
func ask(t *testing.T, a *app.App, key, q string, from, to time.Time) (int, []byte) {
	t.Helper()
	v := url.Values{"q": {q}, "from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, a.URL()+"/api/v1/query?"+v.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func askTable(t *testing.T, a *app.App, q string, from, to time.Time) table {
	t.Helper()
	code, b := ask(t, a, readKey, q, from, to)
	if code != 200 {
		t.Fatalf("%q: %d %s", q, code, b)
	}
	var tb table
	if err := json.Unmarshal(b, &tb); err != nil || tb.TookMS == nil {
		t.Fatalf("%q: not a table (%v): %s", q, err, b)
	}
	return tb
}

// TestQueryAPI asks GET /api/v1/query the seed's kind of questions with a
// read key and checks the numbers against the events sent.
func TestQueryAPI(t *testing.T) {
	a, base := startAsk(t)
	end := base.Add(time.Hour)

	// p95 of duration_ms by endpoint for 429s: /pay has the 429s at
	// minutes 0, 6, …, 54 (durations 5…545), /cart at 3, 9, …, 57 (35…575);
	// p95 interpolates between the 9th and 10th of ten: 485+0.55×60 = 518.
	tb := askTable(t, a, `status:429 | stats count() as n, p95(duration_ms) as p95, uniq(user_id) as users by endpoint | sort endpoint`, base, end)
	for _, row := range tb.Rows {
		row[2] = fmt.Sprintf("%.2f", row[2])
	}
	got := fmt.Sprint(tb.Rows)
	if want := "[[/cart 10 548.00 2] [/pay 10 518.00 2]]"; got != want {
		t.Errorf("stats by endpoint: rows %s, want %s", got, want)
	}
	if !tb.Aggregate || tb.Chart != "bar" || len(tb.Columns) != 4 || tb.Columns[0].Name != "endpoint" || tb.Columns[1].Type != "number" {
		t.Errorf("stats by endpoint: %+v", tb)
	}

	// By hour of 10 minutes: six bins of ten events, the time in RFC 3339.
	tb = askTable(t, a, `| timechart span=10m count() as n`, base, end)
	if len(tb.Rows) != 6 || tb.Chart != "line" || tb.Columns[0].Type != "time" {
		t.Fatalf("timechart: %+v", tb)
	}
	for i, row := range tb.Rows {
		ts, err := time.Parse(time.RFC3339, fmt.Sprint(row[0]))
		if err != nil || !ts.Equal(base.Add(time.Duration(i)*10*time.Minute)) || fmt.Sprint(row[1]) != "10" {
			t.Errorf("timechart bin %d: %v (%v)", i, row, err)
		}
	}

	// Pipes that keep events answer a table too.
	tb = askTable(t, a, `| extract "took <ms>ms" | where ms >= 500 | fields endpoint, ms | sort ms desc | limit 3`, base, end)
	if got := fmt.Sprint(tb.Rows); got != "[[/cart 595] [/pay 585] [/cart 575]]" || tb.Aggregate || tb.Chart != "" {
		t.Errorf("extract, where, fields, sort, limit: %s (%+v)", got, tb)
	}

	// Without a pipe the answer is the search's.
	code, b := ask(t, a, readKey, `status:429`, base, end)
	var sr searchResult
	if err := json.Unmarshal(b, &sr); code != 200 || err != nil || len(sr.Events) != 20 || !strings.Contains(string(b), `"next_cursor"`) {
		t.Errorf("a plain search: %d, %d events (%v) %.300s", code, len(sr.Events), err, b)
	}

	// A mistake names the pipe and the column.
	code, b = ask(t, a, readKey, `status:429 | stats count() by endpoint | sort p96(x)`, base, end)
	var e struct {
		Error  string `json:"error"`
		Detail struct {
			Q      string `json:"q"`
			Pipe   int    `json:"pipe"`
			Name   string `json:"name"`
			Column int    `json:"column"`
		} `json:"detail"`
	}
	if err := json.Unmarshal(b, &e); code != 400 || err != nil || e.Detail.Pipe != 2 || e.Detail.Name != "sort" || e.Detail.Column != 51 ||
		!strings.Contains(e.Error, `pipe 2 (sort), column 51: no column "x"`) {
		t.Errorf("a bad pipe: %d %s", code, b)
	}
	if code, b := ask(t, a, readKey, `| stats count() by bin(100ms)`, base, end); code != 400 || !strings.Contains(string(b), "buckets") {
		t.Errorf("too many bins: %d %s", code, b)
	}
	if code, b := ask(t, a, readKey, `| stats count()`, end, base); code != 400 {
		t.Errorf("an empty range: %d %s", code, b)
	}
	// An ingest key cannot read.
	if code, b := ask(t, a, ingestKey, `| stats count()`, base, end); code != 403 {
		t.Errorf("an ingest key asks: %d %s", code, b)
	}
}

// TestQueryCLI runs `lore query` with pipes against a whole Lore: an
// aligned table, the API's JSON, --since, and a mistake that names the
// pipe.
func TestQueryCLI(t *testing.T) {
	a, base := startAsk(t)
	rng := []string{"--from", base.Format(time.RFC3339), "--to", base.Add(time.Hour).Format(time.RFC3339), "--url", a.URL(), "--key", readKey}
	out, errOut, code := runCLI(t, append([]string{"query", "status:429 | stats count() as n, p95(duration_ms) as p95 by endpoint | sort endpoint"}, rng...)...)
	want := "endpoint  n   p95\n/cart     10  548\n/pay      10  518\n"
	if code != 0 || out != want {
		t.Errorf("lore query (%d): %q, want %q (stderr %s)", code, out, want, errOut)
	}
	out, _, code = runCLI(t, append([]string{"query", "--json", "| top 2 user"}, rng...)...)
	var tb table
	if err := json.Unmarshal([]byte(out), &tb); code != 0 || err != nil || len(tb.Rows) != 2 || tb.Columns[0].Name != "user" {
		t.Errorf("lore query --json (%d, %v): %s", code, err, out)
	}
	out, errOut, code = runCLI(t, "query", "| stats count() as n", "--since", "3h", "--url", a.URL(), "--key", readKey)
	if code != 0 || out != "n\n60\n" {
		t.Errorf("lore query --since 3h (%d): %q %s", code, out, errOut)
	}
	_, errOut, code = runCLI(t, append([]string{"query", "| stats p96(duration_ms)"}, rng...)...)
	if code == 0 || !strings.Contains(errOut, "pipe 1 (stats), column 9") {
		t.Errorf("a bad pipe (%d): %s", code, errOut)
	}
}

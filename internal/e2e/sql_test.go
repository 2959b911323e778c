package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/server"
)

// askSQL sends POST /api/v1/sql with key and returns the status and body.
func askSQL(t *testing.T, a *app.App, key, sql string, from, to time.Time) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"sql": sql, "from": from.Format(time.RFC3339), "to": to.Format(time.RFC3339)})
	code, _, b, err := post(t.Context(), http.DefaultClient, a.URL(), "/api/v1/sql", key, "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	return code, string(b)
}

// TestSQLAPI asks POST /api/v1/sql the seed's questions with project 1's
// read key, checks the numbers against the events sent, and checks that
// no text reads project 2's rows, another table, a file or the engine,
// that the row limit and the query deadline hold.
func TestSQLAPI(t *testing.T) {
	a, base := startAsk(t, func(c *app.Config) {
		c.Limits = server.DefaultLimits()
		c.Limits.QueryTimeout = 3 * time.Second
	})
	end := base.Add(time.Hour)
	ctx := context.Background()
	p2, k2, _ := secondProject(t, a, "sql@example.com", "sql-password-1", meta.RoleViewer)
	in2, err := a.Meta().CreateKey(ctx, p2.ID, meta.RoleIngest)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "Zq9xSECRET"
	line := fmt.Sprintf(`{"ts":%q,"service":%q,"msg":%q,"user_id":%q}`+"\n", base.Add(time.Minute).Format(time.RFC3339), secret, secret, secret)
	if code, _, b, err := post(ctx, http.DefaultClient, a.URL(), "/api/v1/ingest", in2, "application/x-ndjson", []byte(line)); err != nil || code != 200 {
		t.Fatalf("ingest into project 2: %d %s %v", code, b, err)
	}
	flush(t, a)

	ok := func(sql string) table {
		t.Helper()
		code, b := askSQL(t, a, readKey, sql, base, end)
		if code != 200 {
			t.Fatalf("%q: %d %s", sql, code, b)
		}
		if strings.Contains(b, secret) {
			t.Fatalf("%q read project 2's rows: %s", sql, b)
		}
		var tb table
		if err := json.Unmarshal([]byte(b), &tb); err != nil || tb.TookMS == nil {
			t.Fatalf("%q: not a table (%v): %s", sql, err, b)
		}
		return tb
	}
	// p95 of duration_ms by endpoint for 429s (as TestQueryAPI's pipes).
	tb := ok(`SELECT endpoint, count(*) AS n, round(quantile_cont(duration_ms, 0.95), 2) AS p95, count(DISTINCT user_id) AS users
		FROM events WHERE http_status = 429 GROUP BY endpoint ORDER BY endpoint`)
	if got := fmt.Sprint(tb.Rows); got != "[[/cart 10 548 2] [/pay 10 518 2]]" || tb.Columns[2].Name != "p95" || tb.Columns[2].Type != "number" {
		t.Errorf("p95 by endpoint: %s %+v", got, tb.Columns)
	}
	// By 10 minutes, the time in RFC 3339.
	tb = ok(`SELECT time_bucket(INTERVAL 10 MINUTE, ts) AS t, count(*) AS n FROM events GROUP BY t ORDER BY t`)
	if len(tb.Rows) != 6 || tb.Columns[0].Type != "time" || tb.Rows[0][0] != base.Format("2006-01-02T15:04:05.000000Z") {
		t.Errorf("by 10 minutes: %+v", tb)
	}
	// Only project 1's rows in the range, whatever the text says.
	if got := fmt.Sprint(ok(`SELECT count(*) FROM events WHERE service = '` + secret + `' OR true`).Rows); got != "[[60]]" {
		t.Errorf("count: %s", got)
	}
	if got := fmt.Sprint(ok(`SELECT min(ts) >= TIMESTAMP '` + base.Format("2006-01-02 15:04:05") + `' FROM events`).Rows); got != "[[true]]" {
		t.Errorf("the range: %s", got)
	}
	// 60^3 rows stop at 10,000.
	var big struct {
		Rows      [][]any `json:"rows"`
		Truncated bool    `json:"truncated"`
	}
	code, b := askSQL(t, a, readKey, `SELECT a.user_id FROM events a, events b, events c`, base, end)
	if err := json.Unmarshal([]byte(b), &big); code != 200 || err != nil || len(big.Rows) != 10000 || !big.Truncated {
		t.Errorf("a huge result: %d, %d rows, truncated %v", code, len(big.Rows), big.Truncated)
	}
	// Refused, with why.
	for sql, want := range map[string]string{
		`SELECT * FROM main.events`:                "qualified name",
		`SELECT * FROM idents`:                     `table \"idents\" is not allowed`,
		`SELECT * FROM read_csv('/etc/passwd')`:    "table functions",
		`SELECT * FROM '/etc/passwd'`:              "is not allowed",
		"SELECT 1 /* ; */; ATTACH 'x.db' AS x":     "only a SELECT",
		"SELECT 1 FROM events --\n; SELECT 2":      "2 statements",
		`PRAGMA database_list`:                     "only a SELECT",
		`SELECT nope FROM events`:                  "nope",
		`WITH events AS (FROM events) FROM events`: "Lore's view",
		`SELECT current_setting('memory_limit')`:   "not allowed",
	} {
		code, b := askSQL(t, a, readKey, sql, base, end)
		if code != 400 || !strings.Contains(b, want) || strings.Contains(b, secret) {
			t.Errorf("%q: %d %s, want a 400 with %q", sql, code, b, want)
		}
	}
	// A slow query ends at the deadline.
	start := time.Now()
	code, b = askSQL(t, a, readKey, `SELECT count(*) FROM events a, events b, events c, events d, events e, events f`, base, end)
	if code != 503 || !strings.Contains(b, "query-timeout") || time.Since(start) > 15*time.Second {
		t.Errorf("a slow query: %d %s after %v", code, b, time.Since(start))
	}
	// Project 2's own rows are its own; an ingest key cannot read.
	if code, b := askSQL(t, a, k2, `SELECT service, count(*) FROM events GROUP BY 1`, base, end); code != 200 || !strings.Contains(b, `[["`+secret+`",1]]`) {
		t.Errorf("project 2 reads its own: %d %s", code, b)
	}
	if code, b := askSQL(t, a, ingestKey, `SELECT 1`, base, end); code != 403 {
		t.Errorf("an ingest key asks: %d %s", code, b)
	}

	// lore query --sql prints the table; a refusal says why.
	rng := []string{"--from", base.Format(time.RFC3339), "--to", end.Format(time.RFC3339), "--url", a.URL(), "--key", readKey}
	out, errOut, code := runCLI(t, append([]string{"query", "--sql", "SELECT endpoint, count(*) AS n, list(DISTINCT user_id ORDER BY user_id) AS users FROM events WHERE http_status = 429 GROUP BY 1 ORDER BY 1"}, rng...)...)
	if want := "endpoint  n   users\n/cart     10  [\"u1\",\"u3\"]\n/pay      10  [\"u0\",\"u2\"]\n"; code != 0 || out != want {
		t.Errorf("lore query --sql (%d): %q, want %q (stderr %s)", code, out, want, errOut)
	}
	_, errOut, code = runCLI(t, append([]string{"query", "--sql", "SELECT * FROM blocks"}, rng...)...)
	if code == 0 || !strings.Contains(errOut, `table "blocks" is not allowed`) {
		t.Errorf("lore query --sql refused (%d): %s", code, errOut)
	}
}

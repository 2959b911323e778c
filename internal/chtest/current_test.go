package chtest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestStartCurrent checks the front of a current release as the store
// uses it: the database parameter, an INSERT's data in the body after
// the query parameter, a setting for one statement only, ClickHouse's
// error answer, statements at the same time, and KILL QUERY by id.
func TestStartCurrent(t *testing.T) {
	s := StartCurrent(t)
	s.Post(t, "CREATE DATABASE d")
	if _, err := s.Do("CREATE TABLE t (x UInt64, s String) ENGINE = MergeTree ORDER BY x", map[string]string{"database": "d"}); err != nil {
		t.Fatal(err)
	}
	resp, err := s.HTTP.Post(s.URL+"?database=d&query="+url.QueryEscape("INSERT INTO t FORMAT JSONEachRow"), "text/plain",
		strings.NewReader("{\"x\":1,\"s\":\"a\"}\n{\"x\":2,\"s\":\"b\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("INSERT answered %s", resp.Status)
	}
	if got := string(s.Post(t, "SELECT currentDatabase(), count(), max(s) FROM d.t")); got != "default\t2\tb\n" {
		t.Errorf("after the insert: %q, want the default database and 2 rows", got)
	}
	b, err := s.Do("SELECT value FROM system.settings WHERE name = 'join_use_nulls'", map[string]string{"join_use_nulls": "1"})
	if err != nil || string(b) != "1\n" {
		t.Errorf("join_use_nulls with the setting: %q, %v; want 1", b, err)
	}
	if got := string(s.Post(t, "SELECT value FROM system.settings WHERE name = 'join_use_nulls'")); got != "0\n" {
		t.Errorf("join_use_nulls on the next statement: %q, want 0 (the setting was for one statement)", got)
	}

	resp, err = s.HTTP.Post(s.URL, "text/plain", strings.NewReader("SELECT * FROM nowhere"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError || resp.Header.Get("X-ClickHouse-Exception-Code") != "60" {
		t.Errorf("an unknown table: %s with code %q, want 500 and code 60", resp.Status, resp.Header.Get("X-ClickHouse-Exception-Code"))
	}

	// A slow statement runs while others answer, and KILL QUERY by its
	// id stops it.
	done := make(chan error, 1)
	go func() {
		_, err := s.Do("SELECT sleepEachRow(0.2) FROM numbers(100) SETTINGS max_block_size = 1", map[string]string{"query_id": "slow"})
		done <- err
	}()
	running := "SELECT count() FROM system.processes WHERE query LIKE '%sleepEachRow(0.2)%' AND query NOT LIKE '%system.processes%'"
	for deadline := time.Now().Add(10 * time.Second); string(s.Post(t, running)) != "1\n"; {
		if time.Now().After(deadline) {
			t.Fatal("the slow statement is not among system.processes within 10 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.Post(t, "KILL QUERY WHERE query_id = 'slow' ASYNC")
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "Code: 394") {
			t.Errorf("the killed statement answered %v, want code 394", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("KILL QUERY did not stop the statement within 10 s (it takes 20 s)")
	}
	for deadline := time.Now().Add(5 * time.Second); string(s.Post(t, running)) != "0\n"; {
		if time.Now().After(deadline) {
			t.Fatal("the killed statement is still among system.processes after 5 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

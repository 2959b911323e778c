package elastic

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

const testNow = int64(1_800_000_000_000_000)

func TestDecodeBulk(t *testing.T) {
	body := strings.Join([]string{
		`{"index":{"_index":"logstash-2026.12.04","_id":"a1"}}`,
		`{"@timestamp":"2026-12-04T10:00:00Z","message":"payment declined","log":{"level":"error"},"host":{"name":"web-1"}}`,
		`{"create":{}}`,
		`{"message":"from the path's index","service":{"name":"checkout"}}`,
		`{"delete":{"_index":"x","_id":"1"}}`,
		`{"update":{"_index":"x","_id":"1"}}`,
		`{"doc":{"a":1}}`,
		`{"index":{"_index":"x"}}`,
		`{"message": "truncated`,
		`{"index":{"_index":"x"}}`,
		`"not an object"`,
		`{"create":{"_index":"x","_id":7}}`,
		`{"message":"numeric id","@timestamp":"not a time"}`,
		``,
	}, "\n")
	res, err := Decode([]byte(body), Options{ProjectID: 3, Now: testNow, Index: "fluent-bit"})
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		action, index, id string
		status            int
		errType           string
	}
	wants := []want{
		{"index", "logstash-2026.12.04", "a1", 201, ""},
		{"create", "fluent-bit", "", 201, ""},
		{"delete", "x", "1", 400, "illegal_argument_exception"},
		{"update", "x", "1", 400, "illegal_argument_exception"},
		{"index", "x", "", 400, "document_parsing_exception"},
		{"index", "x", "", 400, "document_parsing_exception"},
		{"create", "x", "7", 400, "document_parsing_exception"},
	}
	if len(res.Items) != len(wants) {
		t.Fatalf("got %d items, want %d: %+v", len(res.Items), len(wants), res.Items)
	}
	for i, w := range wants {
		it := res.Items[i]
		if it.Action != w.action || it.Index != w.index || it.Status != w.status || it.ErrType != w.errType || (w.id != "" && it.ID != w.id) || it.ID == "" {
			t.Errorf("item %d = %+v, want %+v", i, it, w)
		}
	}
	if !strings.Contains(res.Items[6].Reason, "not a time") || !strings.Contains(res.Items[4].Reason, "[9:1]") {
		t.Errorf("reasons should quote the bad value and name the line: %q, %q", res.Items[6].Reason, res.Items[4].Reason)
	}
	if len(res.Events) != 2 {
		t.Fatalf("got %d events, want 2", len(res.Events))
	}
	e := res.Events[res.Items[0].Event]
	if e.Message != "payment declined" || e.Level != "error" || e.Host != "web-1" || e.Service != "logstash" || e.ProjectID != 3 || e.TS != 1796378400000000 {
		t.Errorf("first event = %+v", e)
	}
	if v, _ := e.Attr("es.index"); v != "logstash-2026.12.04" {
		t.Errorf("es.index = %q", v)
	}
	e = res.Events[res.Items[1].Event]
	if e.Service != "checkout" || e.TS != testNow {
		t.Errorf("second event = %+v: the document's service wins over the index, and no time means now", e)
	}
}

func TestDecodeBulkMalformedAction(t *testing.T) {
	for _, body := range []string{
		"{\"index\":{}}\n{}\nnot json\n{}\n",
		"{\"index\":{},\"create\":{}}\n{}\n",
		"{\"index\":[]}\n{}\n",
		"{\"upsert\":{}}\n{}\n",
		"{\"index\":{}}\n",
	} {
		_, err := Decode([]byte(body), Options{Index: "x"})
		re, ok := err.(*RequestError)
		if !ok || re.Status != http.StatusBadRequest {
			t.Errorf("Decode(%q) = %v, want a 400 request error", body, err)
		}
	}
}

func TestCompactDropsFailedAndDuplicate(t *testing.T) {
	body := "{\"index\":{\"_id\":\"1\"}}\n{\"message\":\"a\"}\n{\"index\":{\"_id\":\"2\"}}\n{\"message\":\"b\"}\n{\"index\":{\"_id\":\"3\"}}\n{\"message\":\"c\"}\n"
	res, err := Decode([]byte(body), Options{Index: "x"})
	if err != nil {
		t.Fatal(err)
	}
	res.Items[0].Status = http.StatusOK // seen before
	res.Items[1].Fail(http.StatusConflict, "version_conflict_engine_exception", "exists")
	res.Compact()
	if len(res.Events) != 1 || res.Events[0].Message != "c" || res.Items[2].Event != 0 || res.Items[0].Event != -1 {
		t.Fatalf("after Compact: events %+v items %+v", res.Events, res.Items)
	}
}

func TestBulkResponseShape(t *testing.T) {
	items := []Item{
		{Action: "index", Index: "i", ID: "a", Status: 201},
		{Action: "create", Index: "i", ID: "b\"", Status: 409, ErrType: "version_conflict_engine_exception", Reason: "exists"},
	}
	var resp struct {
		Took   int64 `json:"took"`
		Errors bool  `json:"errors"`
		Items  []map[string]struct {
			Index  string `json:"_index"`
			ID     string `json:"_id"`
			Status int    `json:"status"`
			Result string `json:"result"`
			Error  *struct {
				Type   string `json:"type"`
				Reason string `json:"reason"`
			} `json:"error"`
		} `json:"items"`
	}
	if err := json.Unmarshal(AppendBulkResponse(nil, 5, items), &resp); err != nil {
		t.Fatal(err)
	}
	if !resp.Errors || resp.Took != 5 || resp.Items[0]["index"].Result != "created" || resp.Items[1]["create"].Error.Type != "version_conflict_engine_exception" || resp.Items[1]["create"].ID != "b\"" {
		t.Fatalf("response = %+v", resp)
	}
	var e struct {
		Error struct {
			RootCause []struct{ Type, Reason string } `json:"root_cause"`
			Type      string                          `json:"type"`
		} `json:"error"`
		Status int `json:"status"`
	}
	if err := json.Unmarshal(AppendError(nil, 401, "", "unknown API key"), &e); err != nil || e.Status != 401 || e.Error.Type != "security_exception" || e.Error.RootCause[0].Reason != "unknown API key" {
		t.Fatalf("error body = %+v, %v", e, err)
	}
}

func TestServiceOf(t *testing.T) {
	f := func(index, want string) {
		t.Helper()
		if got := ServiceOf(index); got != want {
			t.Errorf("ServiceOf(%q) = %q, want %q", index, got, want)
		}
	}
	f("logstash-2026.12.04", "logstash")
	f("vector-2026-12-04", "vector")
	f("filebeat-8.17.0", "filebeat")
	f("logs-nginx-default", "logs-nginx-default")
	f(".ds-logs-2026.12.04-000001", "ds-logs")
	f("2026.12.04", "2026.12.04")
	f("checkout", "checkout")
}

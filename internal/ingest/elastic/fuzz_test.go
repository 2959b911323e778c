package elastic

import (
	"encoding/json"
	"testing"
)

// FuzzDecode feeds bulk bodies to Decode: it must not panic, every item
// must be answered, every event must belong to one accepted item, and the
// response must be valid JSON.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("{\"index\":{\"_index\":\"a\",\"_id\":\"1\"}}\n{\"message\":\"m\",\"@timestamp\":\"2026-12-04T10:00:00Z\"}\n"))
	f.Add([]byte("{\"create\":{}}\n{\"log\":{\"level\":\"warn\"},\"message\":\"x\"}\n{\"delete\":{\"_id\":\"2\"}}\n"))
	f.Add([]byte("{\"update\":{\"_id\":\"2\"}}\n{\"doc\":{}}\n{\"index\":{}}\nnope\n"))
	f.Add([]byte("{\"index\":{\"_id\":12}}\n{\"a\":[1,2,{\"b\":null}]}"))
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := Decode(body, Options{ProjectID: 1, Now: testNow, Index: "fuzz"})
		if err != nil {
			if _, ok := err.(*RequestError); !ok {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		used := 0
		for _, it := range res.Items {
			if it.Status == 0 || it.ID == "" {
				t.Fatalf("item without status or id: %+v", it)
			}
			if it.Event >= 0 {
				if !it.OK() || it.Event >= len(res.Events) {
					t.Fatalf("item %+v points at a bad event", it)
				}
				used++
			}
		}
		if used != len(res.Events) {
			t.Fatalf("%d events, %d items with events", len(res.Events), used)
		}
		if !json.Valid(AppendBulkResponse(nil, 1, res.Items)) {
			t.Fatal("invalid response JSON")
		}
	})
}

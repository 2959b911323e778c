package elastic

import (
	"net/http"
	"strconv"

	"github.com/lore-dev/lore/internal/event"
)

// Version is the Elasticsearch version Lore answers as: shippers choose
// their request format by it (8.x: no mapping types, data streams).
const Version = "8.17.0"

// ProductHeader is the header the official clients (7.14 and later)
// require on every response before they trust it.
const ProductHeader = "X-Elastic-Product"

// AppendBulkResponse renders the bulk response: took (ms), errors (true
// when any item failed) and one object per item, in request order, in
// Elasticsearch's shape: {"index":{"_index":…,"_id":…,"status":201,
// "result":"created",…}} or {"create":{…,"status":400,"error":{"type":…,
// "reason":…}}}.
func AppendBulkResponse(b []byte, tookMS int64, items []Item) []byte {
	failed := false
	for i := range items {
		if !items[i].OK() {
			failed = true
			break
		}
	}
	b = append(b, `{"took":`...)
	b = strconv.AppendInt(b, tookMS, 10)
	b = append(b, `,"errors":`...)
	b = strconv.AppendBool(b, failed)
	b = append(b, `,"items":[`...)
	for i := range items {
		it := &items[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = event.AppendJSONString(b, it.Action)
		b = append(b, `:{"_index":`...)
		b = event.AppendJSONString(b, it.Index)
		b = append(b, `,"_id":`...)
		b = event.AppendJSONString(b, it.ID)
		b = append(b, `,"status":`...)
		b = strconv.AppendInt(b, int64(it.Status), 10)
		if it.OK() {
			result := "created"
			if it.Status == http.StatusOK {
				result = "updated"
			}
			b = append(b, `,"_version":1,"result":"`...)
			b = append(b, result...)
			b = append(b, `","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":0,"_primary_term":1}}`...)
			continue
		}
		b = append(b, `,"error":{"type":`...)
		b = event.AppendJSONString(b, it.ErrType)
		b = append(b, `,"reason":`...)
		b = event.AppendJSONString(b, it.Reason)
		b = append(b, `}}}`...)
	}
	return append(b, "]}\n"...)
}

// ErrorType is the Elasticsearch error type for an HTTP status, for
// request-level errors.
func ErrorType(status int) string {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return "security_exception"
	case http.StatusRequestEntityTooLarge:
		return "content_too_long_exception"
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return "es_rejected_execution_exception"
	case http.StatusNotFound:
		return "resource_not_found_exception"
	case http.StatusUnsupportedMediaType:
		return "media_type_header_exception"
	}
	if status >= 500 {
		return "exception"
	}
	return "illegal_argument_exception"
}

// AppendError renders a request-level error as Elasticsearch does:
// {"error":{"root_cause":[{"type":…,"reason":…}],"type":…,"reason":…},"status":…}.
func AppendError(b []byte, status int, errType, reason string) []byte {
	if errType == "" {
		errType = ErrorType(status)
	}
	cause := event.AppendJSONString(nil, errType)
	cause = append(cause, `,"reason":`...)
	cause = event.AppendJSONString(cause, reason)
	b = append(b, `{"error":{"root_cause":[{"type":`...)
	b = append(b, cause...)
	b = append(b, `}],"type":`...)
	b = append(b, cause...)
	b = append(b, `},"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	return append(b, "}\n"...)
}

// Info is the body of GET /: the cluster's name and version, which
// shippers read to pick their request format.
func Info(clusterUUID string) []byte {
	b := []byte(`{"name":"lore","cluster_name":"lore","cluster_uuid":`)
	b = event.AppendJSONString(b, clusterUUID)
	b = append(b, `,"version":{"number":"`+Version+`","build_flavor":"default","build_type":"docker","build_hash":"lore","build_date":"2026-01-01T00:00:00.000Z","build_snapshot":false,"lucene_version":"9.12.0","minimum_wire_compatibility_version":"7.17.0","minimum_index_compatibility_version":"7.0.0"},"tagline":"You Know, for Search"}`+"\n"...)
	return b
}

// License is the body of GET /_license (and /_xpack): a basic license that
// does not expire, so Beats and Logstash find the features they check for.
func License() []byte {
	return []byte(`{"license":{"status":"active","uid":"lore","type":"basic","issue_date":"2026-01-01T00:00:00.000Z","issue_date_in_millis":1767225600000,"max_nodes":1000,"max_resource_units":null,"issued_to":"lore","issuer":"lore","start_date_in_millis":-1},` +
		`"build":{"hash":"lore","date":"2026-01-01T00:00:00.000Z"},"features":{},"tagline":"You Know, for Search"}` + "\n")
}

// Nodes is the body of GET /_nodes and /_nodes/http: one node whose HTTP
// address is the one the request came to (clients that sniff keep using it).
func Nodes(publishAddr string) []byte {
	b := []byte(`{"_nodes":{"total":1,"successful":1,"failed":0},"cluster_name":"lore","nodes":{"lore":{"name":"lore","version":"` + Version + `","roles":["master","data","ingest"],"http":{"publish_address":`)
	b = event.AppendJSONString(b, publishAddr)
	b = append(b, `,"bound_address":[`...)
	b = event.AppendJSONString(b, publishAddr)
	return append(b, "]}}}}\n"...)
}

// Acknowledged is the answer to the template, policy and index writes
// shippers make on start-up: Lore has no mappings to keep, so it accepts
// them and changes nothing.
func Acknowledged() []byte { return []byte(`{"acknowledged":true}` + "\n") }

// ClusterHealth is the body of GET /_cluster/health.
func ClusterHealth() []byte {
	return []byte(`{"cluster_name":"lore","status":"green","timed_out":false,"number_of_nodes":1,"number_of_data_nodes":1,"active_primary_shards":0,"active_shards":0,"relocating_shards":0,"initializing_shards":0,"unassigned_shards":0,"delayed_unassigned_shards":0,"number_of_pending_tasks":0,"number_of_in_flight_fetch":0,"task_max_waiting_in_queue_millis":0,"active_shards_percent_as_number":100.0}` + "\n")
}

package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest/dedup"
	"github.com/lore-dev/lore/internal/ingest/elastic"
	"github.com/lore-dev/lore/internal/meta"
)

// elasticRoutes serves the Elasticsearch bulk API and the read calls
// shippers make when they start. Only /_bulk is a pattern of the main mux:
// /{index}/_bulk would overlap the Sentry "/api/" routes, so those paths,
// and the start-up calls on paths the UI also serves, reach a mux of their
// own through the "/" fallback (see isElasticRequest).
func (s *Server) elasticRoutes(mux *routeMux) http.Handler {
	s.protocolIngest(mux, "POST /_bulk", s.handleBulk, renderElasticError)
	s.protocolIngest(mux, "PUT /_bulk", s.handleBulk, renderElasticError)
	es := mux.sub()
	for _, p := range []string{"POST /{index}/_bulk", "PUT /{index}/_bulk",
		"POST /{index}/_doc", "PUT /{index}/_doc/{id}", "POST /{index}/_doc/{id}", "PUT /{index}/_create/{id}", "POST /{index}/_create/{id}"} {
		s.protocolIngest(es, p, s.handleBulk, renderElasticError)
	}
	es.Handle("/", s.elasticStartup())
	return es
}

func renderElasticError(w http.ResponseWriter, e *apiError) {
	w.Header().Set(elastic.ProductHeader, "Elasticsearch")
	w.Header().Set("Content-Type", "application/json")
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="lore", ApiKey, Bearer`)
	}
	w.WriteHeader(e.Status)
	w.Write(elastic.AppendError(nil, e.Status, "", e.Msg))
}

// handleBulk stores the documents of a bulk request (or of one document
// API call, as a bulk of one) and answers per item. An _id seen before in
// the dedup window is not stored again: create answers 409 as
// Elasticsearch does, index answers "updated".
func (s *Server) handleBulk(w http.ResponseWriter, r *http.Request) (any, error) {
	const path = "/_bulk"
	start := time.Now()
	body, err := s.readBody(r, path)
	if err != nil {
		return nil, err
	}
	single := !strings.HasSuffix(r.URL.Path, "/_bulk")
	if single {
		body = singleAsBulk(r, body)
	}
	if n := elastic.CountItems(body); s.d.Limits.MaxLines > 0 && n > s.d.Limits.MaxLines {
		s.d.Sink.Reject(path, "too many lines", 1)
		return nil, errs.New(errs.TooLarge, "too many items: about %d (max %d per request); split the batch", n, s.d.Limits.MaxLines)
	}
	p := principal(r)
	res, err := elastic.Decode(body, elastic.Options{ProjectID: p.ProjectID, Now: s.now().UnixMicro(), Index: r.PathValue("index")})
	if re, ok := err.(*elastic.RequestError); ok {
		s.d.Sink.Reject(path, "malformed action", 1)
		return nil, errs.Invalidf("%s", re.Reason) // every RequestError is a 400
	}
	if err != nil {
		return nil, err
	}
	var reserved []uint64
	for i := range res.Items {
		it := &res.Items[i]
		if !it.OK() || !it.GivenID {
			continue
		}
		k := dedup.Key(p.ProjectID, it.Index, it.ID)
		switch s.seen.Reserve(k) {
		case dedup.Fresh:
			reserved = append(reserved, k)
		case dedup.Stored:
			if it.Action == elastic.ActionCreate {
				it.Fail(http.StatusConflict, "version_conflict_engine_exception", "["+it.ID+"]: version conflict, document already exists (current version [1])")
			} else {
				it.Status = http.StatusOK // stored before: not stored twice
			}
		case dedup.Pending:
			it.Fail(http.StatusTooManyRequests, "es_rejected_execution_exception", "a request with the same _id ["+it.ID+"] is being stored; retry it")
		}
	}
	res.Compact()
	if len(reserved) > 0 {
		// Reserved ids must learn their outcome: once handed to the
		// pipeline the events are stored even if the client leaves.
		r = r.WithContext(context.WithoutCancel(r.Context()))
	}
	if err := s.submit(r, path, res.Events); err != nil {
		s.seen.Release(reserved)
		return nil, err
	}
	s.seen.Commit(reserved)
	for i := range res.Items {
		if it := &res.Items[i]; !it.OK() && it.Status != http.StatusConflict {
			s.d.Sink.Reject(path, it.ErrType, 1)
		}
	}
	w.Header().Set(elastic.ProductHeader, "Elasticsearch")
	w.Header().Set("Content-Type", "application/json")
	if single {
		return written{}, writeSingle(w, res.Items[0])
	}
	w.WriteHeader(http.StatusOK)
	w.Write(elastic.AppendBulkResponse(nil, time.Since(start).Milliseconds(), res.Items))
	return written{}, nil
}

// singleAsBulk makes a one-item bulk body of a document API call
// (POST /{index}/_doc, PUT /{index}/_doc/{id}, PUT /{index}/_create/{id}).
func singleAsBulk(r *http.Request, doc []byte) []byte {
	action := elastic.ActionIndex
	if strings.Contains(r.URL.Path, "/_create/") || r.URL.Query().Get("op_type") == "create" {
		action = elastic.ActionCreate
	}
	b := []byte(`{"` + action + `":{`)
	if id := r.PathValue("id"); id != "" {
		b = append(b, `"_id":`...)
		b = event.AppendJSONString(b, id)
	}
	b = append(b, "}}\n"...)
	b = append(b, strings.ReplaceAll(string(doc), "\n", " ")...)
	return append(b, '\n')
}

// writeSingle answers a document API call: the item itself, with its status.
func writeSingle(w http.ResponseWriter, it elastic.Item) error {
	if !it.OK() {
		w.WriteHeader(it.Status)
		_, err := w.Write(elastic.AppendError(nil, it.Status, it.ErrType, it.Reason))
		return err
	}
	b := elastic.AppendBulkResponse(nil, 0, []elastic.Item{it})
	// The bulk response holds {"items":[{"index":{…}}]}: answer the inner object.
	inner := b[strings.Index(string(b), `:{"_index"`)+1 : len(b)-len("}]}\n")]
	w.WriteHeader(it.Status)
	_, err := w.Write(append(inner, '\n'))
	return err
}

// isElasticRequest tells a shipper's start-up call on a path the UI also
// serves (GET /, HEAD /{index}) from a browser's: shippers send their
// credentials with every request, browsers send none to the UI; paths
// starting with "/_" are Elasticsearch's alone.
func isElasticRequest(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/_") {
		return true
	}
	if parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/"); len(parts) >= 2 && (parts[1] == "_bulk" || parts[1] == "_doc" || parts[1] == "_create") {
		return true
	}
	return r.Header.Get("Authorization") != "" && !strings.HasPrefix(r.URL.Path, "/assets/")
}

// elasticStartup answers the read calls and the template, policy and
// index writes that Filebeat, Logstash, Vector, Fluent Bit and the
// official clients make before their first bulk request, after checking
// the ingest key as for bulk.
func (s *Server) elasticStartup() http.Handler {
	h := func(w http.ResponseWriter, r *http.Request) (any, error) {
		w.Header().Set(elastic.ProductHeader, "Elasticsearch")
		w.Header().Set("Content-Type", "application/json")
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		first := parts[0]
		read := r.Method == http.MethodGet || r.Method == http.MethodHead
		write := r.Method == http.MethodPut || r.Method == http.MethodPost
		var body []byte
		switch {
		case first == "" && read:
			body = elastic.Info("lore")
		case (first == "_license" || first == "_xpack") && read:
			body = elastic.License()
		case first == "_nodes" && read:
			body = elastic.Nodes(r.Host)
		case first == "_cluster" && len(parts) > 1 && parts[1] == "health" && read:
			body = elastic.ClusterHealth()
		case isSetupAPI(first) && r.Method == http.MethodHead:
			body = nil // exists: nothing to install
		case isSetupAPI(first) && write, !strings.HasPrefix(first, "_") && len(parts) == 1 && r.Method == http.MethodPut:
			body = elastic.Acknowledged()
		case isSetupAPI(first) && r.Method == http.MethodGet:
			return nil, errs.New(errs.NotFound, "%s not found: Lore keeps no templates, policies or pipelines (writing them is accepted and changes nothing)", r.URL.Path)
		case !strings.HasPrefix(first, "_") && len(parts) == 1 && read:
			body = []byte(`{` + string(event.AppendJSONString(nil, first)) + `:{"aliases":{},"mappings":{},"settings":{}}}` + "\n")
		default:
			return nil, errs.New(errs.NotFound, "Lore answers the Elasticsearch bulk API (POST /_bulk) and the calls shippers make on start-up, not %s %s", r.Method, r.URL.Path)
		}
		if r.Method != http.MethodHead {
			w.Write(body)
		}
		return written{}, nil
	}
	return s.instrumentFallback("elasticsearch start-up", s.wrapAs(renderElasticError, s.requireRole(meta.RoleIngest, h)))
}

// isSetupAPI reports whether an Elasticsearch API is one shippers install
// things through on start-up (templates, lifecycle policies, pipelines,
// aliases, data streams).
func isSetupAPI(first string) bool {
	switch first {
	case "_index_template", "_template", "_component_template", "_ilm", "_ingest", "_alias", "_aliases", "_data_stream":
		return true
	}
	return false
}

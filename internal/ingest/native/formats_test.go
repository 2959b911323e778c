package native

import (
	"testing"

	"github.com/lore-dev/lore/internal/event"
)

// decodeOne decodes a single line and fails unless it gives one event.
func decodeOne(t *testing.T, line string) event.Event {
	t.Helper()
	r := Decode([]byte(line), Options{ProjectID: 1, Now: 1700000000000000})
	if len(r.Errors) > 0 || len(r.Events) != 1 {
		t.Fatalf("Decode(%s): %d events, errors %v", line, len(r.Events), r.Errors)
	}
	return r.Events[0]
}

// fields renders the columns a test cares about, so a case reads as one
// expected string.
func fields(e event.Event) map[string]string {
	m := map[string]string{
		"ts": event.FormatMicros(e.TS), "kind": e.Kind, "level": e.Level, "message": e.Message,
		"service": e.Service, "env": e.Env, "release": e.Release, "host": e.Host,
		"trace_id": e.TraceID.String(), "span_id": e.SpanID.String(), "parent_span_id": e.ParentSpanID.String(),
		"user_id": e.UserID, "session_id": e.SessionID, "request_id": e.RequestID, "name": e.Name,
		"http_method": e.HTTPMethod, "endpoint": e.Endpoint, "error_type": e.ErrorType, "error_code": e.ErrorCode,
	}
	if e.HTTPStatus != 0 {
		m["http_status"] = itoa(int(e.HTTPStatus))
	}
	if e.DurationMS != 0 {
		m["duration_ms"] = ftoa(e.DurationMS)
	}
	if e.RetryAttempt != 0 {
		m["retry_attempt"] = itoa(int(e.RetryAttempt))
	}
	for _, a := range e.Attributes {
		m["attr."+a.Key] = a.Value
	}
	return m
}

func TestLoggerFixtures(t *testing.T) {
	f := func(name, line string, want map[string]string) {
		t.Helper()
		got := fields(decodeOne(t, line))
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q\nall: %v", name, k, got[k], v, got)
			}
		}
	}
	// pino: numeric levels, epoch-ms time, err object; pino-http request fields.
	f("pino", `{"level":30,"time":1714554940123,"pid":657,"hostname":"web-1","name":"shop","msg":"hello world"}`, map[string]string{
		"level": "info", "ts": "2024-05-01T09:15:40.123000Z", "message": "hello world", "host": "web-1", "service": "shop", "attr.pid": "657", "name": "",
	})
	f("pino error", `{"level":50,"time":1714554940123,"pid":657,"hostname":"web-1","err":{"type":"TypeError","message":"x is undefined","stack":"TypeError: x is undefined\n    at main (/app/index.js:3:9)"},"msg":"x is undefined"}`, map[string]string{
		"level": "error", "message": "x is undefined", "error_type": "TypeError", "attr.err.stack": "TypeError: x is undefined\n    at main (/app/index.js:3:9)",
	})
	f("pino-http", `{"level":30,"time":1714554940123,"pid":1,"hostname":"h","req":{"id":7,"method":"GET","url":"/cart?x=1","headers":{"host":"shop"}},"res":{"statusCode":404},"responseTime":12,"msg":"request completed"}`, map[string]string{
		"request_id": "7", "http_method": "GET", "endpoint": "/cart", "http_status": "404", "duration_ms": "12", "attr.req.headers.host": "shop",
	})
	f("pino fatal", `{"level":60,"time":1714554940123,"msg":"dying"}`, map[string]string{"level": "fatal"})
	f("pino trace", `{"level":10,"time":1714554940123,"msg":"t"}`, map[string]string{"level": "debug"})
	// bunyan: "name" is the app, "v" the format version, ISO time.
	f("bunyan", `{"name":"myapp","hostname":"banana.local","pid":40161,"level":40,"msg":"disk low","time":"2013-01-04T18:46:23.851Z","v":0}`, map[string]string{
		"service": "myapp", "host": "banana.local", "level": "warn", "message": "disk low", "ts": "2013-01-04T18:46:23.851000Z", "attr.v": "0",
	})
	// winston's json format with format.timestamp().
	f("winston", `{"level":"warn","message":"cache miss","service":"user-service","timestamp":"2024-05-01T09:15:40.123Z","userId":"u1"}`, map[string]string{
		"level": "warn", "message": "cache miss", "service": "user-service", "ts": "2024-05-01T09:15:40.123000Z", "user_id": "u1",
	})
	f("winston npm level", `{"level":"silly","message":"x","timestamp":"2024-05-01 09:15:40"}`, map[string]string{
		"level": "", "attr.level": "silly", "ts": "2024-05-01T09:15:40.000000Z",
	})
	// structlog's JSONRenderer with TimeStamper(fmt="iso") and add_log_level.
	f("structlog", `{"event": "user logged in", "user": "alice", "level": "info", "timestamp": "2024-05-01T09:15:40.123456Z"}`, map[string]string{
		"message": "user logged in", "level": "info", "ts": "2024-05-01T09:15:40.123456Z", "attr.user": "alice", "name": "",
	})
	f("structlog log_level", `{"event": "retrying", "log_level": "warning", "timestamp": "2024-05-01T09:15:40Z", "attempt": 2}`, map[string]string{
		"message": "retrying", "level": "warn", "retry_attempt": "2",
	})
	f("structlog product event", `{"event": "Checkout Completed", "kind": "event", "user_id": "u1", "timestamp": "2024-05-01T09:15:40Z"}`, map[string]string{
		"kind": "event", "name": "Checkout Completed", "message": "", "user_id": "u1",
	})
	// Serilog compact JSON (CLEF).
	f("clef @mt", `{"@t":"2016-06-07T03:44:57.8532799Z","@mt":"Hello, {User} from {@Geo}! {{literal}}","User":"nblumhardt","Geo":{"City":"Brisbane"}}`, map[string]string{
		"ts": "2016-06-07T03:44:57.853279Z", "message": "Hello, nblumhardt from { City: Brisbane }! {literal}", "level": "info", "attr.User": "nblumhardt",
	})
	f("clef error", `{"@t":"2016-06-07T03:44:57.8532799Z","@mt":"Unhandled exception","@l":"Error","@i":"a1e77001","@x":"System.InvalidOperationException: Oops\n   at Program.Main()"}`, map[string]string{
		"level": "error", "message": "Unhandled exception", "error_type": "System.InvalidOperationException", "attr.@i": "a1e77001",
		"attr.@x": "System.InvalidOperationException: Oops\n   at Program.Main()",
	})
	f("clef @r", `{"@t":"2017-05-25T20:37:00Z","@mt":"The {Item} cost ${Amount:0.00}","Item":"apple","Amount":3.2,"@r":["3.20"]}`, map[string]string{
		"message": "The apple cost $3.20",
	})
	f("clef @m wins", `{"@t":"2016-06-07T03:44:57Z","@m":"Hello, \"bob\"","@mt":"Hello, {User}","User":"bob","@l":"Warning"}`, map[string]string{
		"message": `Hello, "bob"`, "level": "warn",
	})
	// Elastic Common Schema, as the ecs-logging libraries print it (dotted keys and nested objects).
	f("ecs", `{"@timestamp":"2024-05-01T09:15:40.123Z","log.level":"error","message":"payment failed","ecs.version":"1.6.0","service":{"name":"payments","environment":"prod","version":"1.4.2"},"host":{"name":"pay-1"},"trace.id":"4bf92f3577b34da6a3ce929d0e0e4736","span.id":"00f067aa0ba902b7","transaction.id":"a1b2c3d4e5f60718","user":{"id":"u9"},"http":{"request":{"method":"POST"},"response":{"status_code":502}},"url":{"path":"/pay"},"event":{"duration":1500000000},"error":{"type":"GatewayError","message":"upstream","stack_trace":"at x"},"log":{"logger":"pay"}}`, map[string]string{
		"ts": "2024-05-01T09:15:40.123000Z", "level": "error", "message": "payment failed", "service": "payments", "env": "prod", "release": "1.4.2",
		"host": "pay-1", "trace_id": testTrace, "span_id": testSpan, "user_id": "u9", "http_method": "POST", "http_status": "502",
		"endpoint": "/pay", "duration_ms": "1500", "error_type": "GatewayError", "attr.error.message": "upstream", "attr.error.stack_trace": "at x",
		"attr.log.logger": "pay", "attr.ecs.version": "1.6.0", "attr.transaction.id": "a1b2c3d4e5f60718",
	})
	f("ecs log4j2 EcsLayout, padded level", `{"@timestamp":"2017-05-25T19:56:23.370Z","log.level":" WARN","message":"Hello, error!","ecs.version":"1.2.0","process.thread.name":"main","log.logger":"org.apache.logging.log4j.JsonTemplateLayoutDemo","error.type":"java.lang.RuntimeException","error.message":"test","error.stack_trace":"java.lang.RuntimeException: ...\n"}`, map[string]string{
		"level": "warn", "message": "Hello, error!", "error_type": "java.lang.RuntimeException", "attr.process.thread.name": "main",
		"attr.log.logger": "org.apache.logging.log4j.JsonTemplateLayoutDemo", "attr.error.stack_trace": "java.lang.RuntimeException: ...\n",
	})
	f("ecs transaction only", `{"@timestamp":"2024-05-01T09:15:40Z","message":"m","transaction.id":"a1b2c3d4e5f60718"}`, map[string]string{
		"span_id": "a1b2c3d4e5f60718",
	})
	// OpenTelemetry conventions, as a JSON log exporter or collector writes them.
	f("otel", `{"timestamp":"2024-05-01T09:15:40.123456789Z","severity_text":"WARN","severity_number":13,"body":"slow query","traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","parent_span_id":"b7ad6b7169203331","resource":{"service.name":"db-proxy","deployment.environment.name":"staging","service.version":"2.0.1"},"attributes":{"http.method":"GET","http.route":"/items/{id}","http.status_code":200,"enduser.id":"u5","session.id":"s7","db.system":"postgresql"}}`, map[string]string{
		"ts": "2024-05-01T09:15:40.123456Z", "level": "warn", "message": "slow query", "trace_id": testTrace, "span_id": testSpan,
		"parent_span_id": "b7ad6b7169203331", "service": "db-proxy", "env": "staging", "release": "2.0.1", "attr.db.system": "postgresql",
		"attr.http.method": "GET", "attr.enduser.id": "u5",
	})
	f("otel flat", `{"time_unix_nano":1714554940123456789,"severity_number":17,"body":"boom","service.name":"api","http.request.method":"DELETE","url.path":"/x","http.response.status_code":500,"exception.type":"KeyError","exception.message":"k","exception.stacktrace":"Traceback","deployment.environment":"prod"}`, map[string]string{
		"ts": "2024-05-01T09:15:40.123456Z", "level": "error", "service": "api", "http_method": "DELETE", "endpoint": "/x", "http_status": "500",
		"error_type": "KeyError", "attr.exception.message": "k", "attr.exception.stacktrace": "Traceback", "env": "prod",
	})
	f("traceparent", `{"msg":"m","traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}`, map[string]string{
		"trace_id": testTrace, "span_id": testSpan,
	})
	f("trace.parent nested", `{"msg":"m","trace":{"parent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}`, map[string]string{
		"trace_id": testTrace, "span_id": testSpan,
	})
	f("non-hex trace id", `{"msg":"m","trace_id":"req-abc-123"}`, map[string]string{"attr.trace_id.raw": "req-abc-123"})
}

func TestEventColumnNames(t *testing.T) {
	line := `{"ts":"2024-05-01T09:15:40Z","kind":"span","level":"info","service":"s","env":"e","release":"r","host":"h",` +
		`"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","parent_span_id":"b7ad6b7169203331",` +
		`"user_id":"u","anonymous_id":"a","session_id":"se","request_id":"rq","name":"GET /x","message":"m","http_method":"get",` +
		`"endpoint":"/x","http_status":201,"duration_ms":2.5,"error_type":"T","error_code":"E42","fingerprint":"fp","retry_attempt":2,` +
		`"attributes":{"k":"v","n":1.50,"big":1e21}}`
	e := decodeOne(t, line)
	got := fields(e)
	for k, v := range map[string]string{
		"ts": "2024-05-01T09:15:40.000000Z", "kind": "span", "level": "info", "service": "s", "env": "e", "release": "r", "host": "h",
		"trace_id": testTrace, "span_id": testSpan, "parent_span_id": "b7ad6b7169203331", "user_id": "u", "session_id": "se",
		"request_id": "rq", "name": "GET /x", "message": "m", "http_method": "GET", "endpoint": "/x", "http_status": "201",
		"duration_ms": "2.5", "error_type": "T", "error_code": "E42", "retry_attempt": "2", "attr.k": "v", "attr.n": "1.5", "attr.big": "1e+21",
	} {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if e.AnonymousID != "a" || e.Fingerprint != "fp" {
		t.Errorf("anonymous %q fingerprint %q", e.AnonymousID, e.Fingerprint)
	}
}

func TestVariants(t *testing.T) {
	f := func(line, col, want string) {
		t.Helper()
		if got := fields(decodeOne(t, line))[col]; got != want {
			t.Errorf("%s: %s = %q, want %q", line, col, got, want)
		}
	}
	f(`{"msg":"m","userId":"u1"}`, "user_id", "u1")
	f(`{"msg":"m","sessionId":"s1"}`, "session_id", "s1")
	f(`{"msg":"m","requestId":"r1"}`, "request_id", "r1")
	f(`{"msg":"m","req_id":"r2"}`, "request_id", "r2")
	f(`{"msg":"m","status":503}`, "http_status", "503")
	f(`{"msg":"m","status":"ok"}`, "attr.status", "ok")
	f(`{"msg":"m","status_code":"404"}`, "http_status", "404")
	f(`{"msg":"m","method":"post"}`, "http_method", "POST")
	f(`{"msg":"m","route":"/a/{id}","path":"/a/7"}`, "endpoint", "/a/{id}")
	f(`{"msg":"m","route":"/a/{id}","path":"/a/7"}`, "attr.path", "/a/7")
	f(`{"msg":"m","url":"https://shop.example/cart?x=1"}`, "endpoint", "/cart")
	f(`{"msg":"m","url":"https://shop.example/cart?x=1"}`, "attr.url", "https://shop.example/cart?x=1")
	f(`{"msg":"m","duration":"1.5s"}`, "duration_ms", "1500")
	f(`{"msg":"m","latency":"250µs"}`, "duration_ms", "0.25")
	f(`{"msg":"m","elapsed":"150 ms"}`, "duration_ms", "150")
	f(`{"msg":"m","took":42}`, "duration_ms", "42")
	f(`{"msg":"m","response_time":"2m3s"}`, "duration_ms", "123000")
	f(`{"msg":"m","duration_us":1500}`, "duration_ms", "1.5")
	f(`{"msg":"m","duration_ns":2000000}`, "duration_ms", "2")
	f(`{"msg":"m","latency_s":0.25}`, "duration_ms", "250")
	f(`{"msg":"m","elapsed_ms":"7"}`, "duration_ms", "7")
	f(`{"msg":"m","duration":"soon"}`, "attr.duration", "soon")
	f(`{"msg":"m","retry":3}`, "retry_attempt", "3")
	f(`{"msg":"m","retry_count":"4"}`, "retry_attempt", "4")
	f(`{"msg":"m","environment":"prod"}`, "env", "prod")
	f(`{"msg":"m","version":"1.2.3"}`, "release", "1.2.3")
	f(`{"msg":"m","app_version":"9"}`, "release", "9")
	f(`{"msg":"m","svc":"cart"}`, "service", "cart")
	f(`{"msg":"m","app":"cart"}`, "service", "cart")
	f(`{"msg":"m","application":"cart","service":"api"}`, "service", "api")
	f(`{"msg":"m","application":"cart","service":"api"}`, "attr.application", "cart")
	f(`{"msg":"m","name":"signup"}`, "name", "signup")
	f(`{"message":"a","msg":"b"}`, "message", "a")
	f(`{"message":"a","msg":"b"}`, "attr.msg", "b")
	f(`{"body":"a","msg":"b"}`, "message", "b")
	f(`{"body":"a","msg":"b"}`, "attr.body", "a")
	f(`{"msg":"m","kind":"bogus"}`, "attr.kind", "bogus")
	f(`{"msg":"m","kind":"bogus"}`, "kind", "log")
	f(`{"msg":"m","ok":true,"n":null,"o":{}}`, "attr.ok", "true")
	f(`{"msg":"m","o":{}}`, "attr.o", "{}")
	f(`{"error":"connection refused"}`, "message", "connection refused")
	f(`{"msg":"m","level":"INFO+2"}`, "level", "info")
	f(`{"msg":"m","level":"WARN+4"}`, "level", "error")
	f(`{"msg":"m","level":"DEBUG-4"}`, "level", "debug")
	f(`{"msg":"m","level":"dpanic"}`, "level", "fatal")
	f(`{"msg":"m","level":"notice"}`, "level", "info")
	f(`{"msg":"m","level":"crit"}`, "level", "fatal")
	f(`{"msg":"m","syslog_severity":3}`, "level", "error")
	f(`{"msg":"m","ts":1714554940.123456}`, "ts", "2024-05-01T09:15:40.123456Z")
	f(`{"msg":"m","time":"1714554940123"}`, "ts", "2024-05-01T09:15:40.123000Z")
	f(`{"msg":"m","time":1714554940123456}`, "ts", "2024-05-01T09:15:40.123456Z")
	f(`{"msg":"m","time":1714554940123456789}`, "ts", "2024-05-01T09:15:40.123456Z")
	f(`{"msg":"m","time":"2024-05-01T11:15:40+02:00"}`, "ts", "2024-05-01T09:15:40.000000Z")
	f(`{"msg":"m","time":"2024-05-01 09:15:40,123"}`, "ts", "2024-05-01T09:15:40.123000Z")
	f(`{"msg":"m","time":"2024/05/01 09:15:40"}`, "ts", "2024-05-01T09:15:40.000000Z")
	f(`{"msg":"m"}`, "ts", "2023-11-14T22:13:20.000000Z") // Now
}

func itoa(n int) string     { return fmtFloat(float64(n)) }
func ftoa(f float64) string { return fmtFloat(f) }

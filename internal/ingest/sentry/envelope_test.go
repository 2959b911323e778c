package sentry

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"errors"
	"github.com/lore-dev/lore/internal/exception"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/event"
)

const errorEvent = `{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","timestamp":"2026-11-21T10:00:00.5Z","level":"error",
"platform":"go","release":"shop@1.2.0","environment":"prod","server_name":"web-1","transaction":"POST /api/pay",
"exception":[{"type":"*pay.DeclinedError","value":"card declined for order 42","stacktrace":{"frames":[
 {"function":"main","module":"main","lineno":10,"in_app":true},
 {"function":"Charge","module":"shop/pay","lineno":77,"in_app":true,"context_line":"return ErrDeclined"}]}}],
"user":{"id":"u-1","email":"ada@example.com"},"tags":{"service":"payments","browser":"Firefox 128"},
"contexts":{"trace":{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7"},"os":{"name":"Linux","version":"6.1"}},
"request":{"url":"https://shop.example/api/pay?x=1","method":"post"},
"breadcrumbs":[{"timestamp":1795269599.25,"category":"cart","message":"added sku-1"}]}`

const transaction = `{"type":"transaction","event_id":"aa","transaction":"POST /api/checkout","release":"shop@1.2.0",
"start_timestamp":1795269600.0,"timestamp":1795269600.25,
"contexts":{"trace":{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"1111111111111111","op":"http.server","status":"ok"}},
"spans":[{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"2222222222222222","parent_span_id":"1111111111111111",
 "op":"db.query","description":"SELECT 1","start_timestamp":1795269600.01,"timestamp":1795269600.05,"status":"ok"}]}`

func envelope(items ...string) []byte {
	var b strings.Builder
	b.WriteString(`{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"http://k@h/1","sent_at":"2026-11-21T10:00:01Z"}` + "\n")
	for _, it := range items {
		b.WriteString(it)
		b.WriteString("\n")
	}
	return []byte(b.String())
}

func item(typ, payload string, withLength bool) string {
	payload = strings.ReplaceAll(payload, "\n", "")
	if withLength {
		return `{"type":"` + typ + `","length":` + strconv.Itoa(len(payload)) + "}\n" + payload
	}
	return `{"type":"` + typ + `"}` + "\n" + payload
}

func TestDecodeEnvelopeEventAndTransaction(t *testing.T) {
	body := envelope(
		item("event", errorEvent, true),
		item("transaction", transaction, false),
		item("attachment", "binary\x00stuff", true),
		item("session", `{"sid":"x","status":"ok"}`, false),
		item("client_report", `{"discarded_events":[]}`, true),
		item("profile_chunk", `{}`, false),
	)
	res, err := DecodeEnvelope(body, Options{ProjectID: 1, Now: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 0 {
		t.Fatalf("errors: %+v", res.Errors)
	}
	if res.EventID != "9ec79c33ec9942ab8353589fcb2e04dc" {
		t.Errorf("event id %q", res.EventID)
	}
	if res.Accepted["event"] != 1 || res.Accepted["transaction"] != 1 || res.Accepted["session"] != 1 || res.Accepted["client_report"] != 1 {
		t.Errorf("accepted %v", res.Accepted)
	}
	if res.Skipped["attachment"] != 1 || res.Skipped["profile_chunk"] != 1 {
		t.Errorf("skipped %v", res.Skipped)
	}
	if len(res.Events) != 3 {
		t.Fatalf("want 1 error + 2 spans, got %d", len(res.Events))
	}
	e := res.Events[0]
	if e.Kind != event.KindError || e.Level != event.LevelError || e.ErrorType != "*pay.DeclinedError" ||
		e.Message != "card declined for order 42" || e.Service != "payments" || e.Env != "prod" || e.Release != "shop@1.2.0" ||
		e.Host != "web-1" || e.UserID != "u-1" || e.HTTPMethod != "POST" || e.Endpoint != "/api/pay" ||
		e.TraceID.String() != "4bf92f3577b34da6a3ce929d0e0e4736" || e.SpanID.String() != "00f067aa0ba902b7" || e.ProjectID != 1 {
		t.Errorf("error event = %+v", e)
	}
	if want := time.Date(2026, 11, 21, 10, 0, 0, 5e8, time.UTC).UnixMicro(); e.TS != want {
		t.Errorf("ts %d, want %d", e.TS, want)
	}
	if c, _ := e.Attr(exception.AttrCulprit); c != "shop/pay in Charge" {
		t.Errorf("culprit %q", c)
	}
	if v, _ := e.Attr("os"); v != "Linux 6.1" {
		t.Errorf("os tag %q", v)
	}
	if v, _ := e.Attr(exception.AttrBreadcrumbs); !strings.Contains(v, `"added sku-1"`) {
		t.Errorf("breadcrumbs %q", v)
	}
	excs := exception.FromEvent(&e)
	if len(excs) != 1 || len(excs[0].Frames) != 2 || excs[0].Frames[1].ContextLine != "return ErrDeclined" {
		t.Errorf("exceptions %+v", excs)
	}
	if e.Fingerprint != exception.Fingerprint(exception.DefaultComponents(excs, "")) {
		t.Errorf("fingerprint %q is not the default grouping", e.Fingerprint)
	}
	root, child := res.Events[1], res.Events[2]
	if root.Kind != event.KindSpan || root.Name != "POST /api/checkout" || root.DurationMS != 250 || root.SpanID.String() != "1111111111111111" || root.Service != "shop" {
		t.Errorf("transaction span = %+v", root)
	}
	if child.Name != "SELECT 1" || child.ParentSpanID != root.SpanID || child.TraceID != root.TraceID || child.DurationMS < 39.9 || child.DurationMS > 40.1 {
		t.Errorf("child span = %+v", child)
	}
}

func TestLogItems(t *testing.T) {
	body := envelope(`{"type":"log","item_count":2,"content_type":"application/vnd.sentry.items.log+json"}` + "\n" +
		`{"items":[{"timestamp":"2026-11-21T10:00:00Z","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","level":"warn","body":"cart slow",` +
		`"attributes":{"sentry.release":{"value":"shop@1.2.0","type":"string"},"sentry.environment":{"value":"prod","type":"string"},` +
		`"cart.items":{"value":3,"type":"integer"}}},{"level":"trace","body":"tick"}]}`)
	res, err := DecodeEnvelope(body, Options{ProjectID: 1, Now: 9})
	if err != nil || len(res.Errors) != 0 || len(res.Events) != 2 || res.Accepted["log"] != 1 {
		t.Fatalf("res %+v, err %v", res, err)
	}
	e := res.Events[0]
	if e.Kind != event.KindLog || e.Level != event.LevelWarn || e.Message != "cart slow" || e.Release != "shop@1.2.0" ||
		e.Env != "prod" || e.Service != "shop" || e.TraceID.String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("log = %+v", e)
	}
	if v, _ := e.Attr("cart.items"); v != "3" {
		t.Errorf("cart.items = %q", v)
	}
	if res.Events[1].Level != event.LevelDebug || res.Events[1].TS != 9 {
		t.Errorf("second log = %+v", res.Events[1])
	}
}

func TestSDKFingerprintHonoured(t *testing.T) {
	ev := func(fp string) string {
		return `{"message":"boom 1","fingerprint":` + fp + `}`
	}
	fps := map[string]string{}
	for _, fp := range []string{`["a","b"]`, `["{{ default }}"]`, `["{{ default }}","tenant-1"]`} {
		rows, _, err := DecodeStore([]byte(ev(fp)), Options{})
		if err != nil {
			t.Fatal(err)
		}
		fps[fp] = rows[0].Fingerprint
	}
	def, _, _ := DecodeStore([]byte(`{"message":"boom 2"}`), Options{})
	if fps[`["{{ default }}"]`] != def[0].Fingerprint {
		t.Error(`["{{ default }}"] differs from the default grouping`)
	}
	if fps[`["a","b"]`] == def[0].Fingerprint || fps[`["{{ default }}","tenant-1"]`] == def[0].Fingerprint {
		t.Error("a custom fingerprint was ignored")
	}
}

func TestBadItemsKeepTheGoodOnes(t *testing.T) {
	body := envelope(
		item("event", `{"exception":"not a list"}`, true),
		item("event", errorEvent, false),
		item("event", `{not json`, false),
	)
	res, err := DecodeEnvelope(body, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) != 1 || len(res.Errors) != 2 || res.Errors[0].Index != 0 || res.Errors[1].Index != 2 {
		t.Errorf("events %d, errors %+v", len(res.Events), res.Errors)
	}
	// A length past the end stops there, keeping earlier items.
	body = envelope(item("event", errorEvent, false), `{"type":"event","length":99999}`+"\n{}")
	res, err = DecodeEnvelope(body, Options{})
	if err != nil || len(res.Events) != 1 || len(res.Errors) != 1 {
		t.Errorf("events %d, errors %+v, err %v", len(res.Events), res.Errors, err)
	}
}

func TestMalformedEnvelope(t *testing.T) {
	for _, body := range []string{"", "\n", "not json\n{}", `["a"]`} {
		if _, err := DecodeEnvelope([]byte(body), Options{}); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeEnvelope(%q) err = %v, want ErrMalformed", body, err)
		}
	}
	if _, _, err := DecodeStore([]byte("{"), Options{}); !errors.Is(err, ErrMalformed) {
		t.Errorf("DecodeStore err = %v", err)
	}
}

func TestLegacyStoreBody(t *testing.T) {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(`{"message":"from raven","level":"error"}`))
	zw.Close()
	rows, _, err := DecodeStore([]byte(base64.StdEncoding.EncodeToString(z.Bytes())), Options{})
	if err != nil || len(rows) != 1 || rows[0].Message != "from raven" {
		t.Fatalf("rows %+v, err %v", rows, err)
	}
	if _, _, err := DecodeStore([]byte("%%%"), Options{}); !errors.Is(err, ErrMalformed) {
		t.Errorf("garbage: %v", err)
	}
}

func TestTimestampsAndLevels(t *testing.T) {
	rows, _, err := DecodeStore([]byte(`{"timestamp":1795269600,"level":"warning","logentry":{"formatted":"low disk"},"tags":[["service","api"]]}`), Options{Now: 1})
	if err != nil {
		t.Fatal(err)
	}
	e := rows[0]
	if e.TS != 1795269600000000 || e.Level != event.LevelWarn || e.Message != "low disk" || e.Service != "api" {
		t.Errorf("%+v", e)
	}
	if _, _, err := DecodeStore([]byte(`{"timestamp":"yesterday"}`), Options{}); err == nil {
		t.Error("bad timestamp accepted")
	}
}

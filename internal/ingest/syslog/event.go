package syslog

import (
	"bytes"
	"fmt"

	"github.com/valyala/fastjson"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest/native"
)

// Events turns parsed messages of one project into events. A message
// whose MSG is a JSON object (optionally after "@cee:") has its fields
// mapped as a JSON line; the header fills what the message does not say.
// errs holds, by index into msgs, the messages refused (an invalid time in
// a JSON message); the others are in events, in order.
func Events(msgs []Message, projectID, now int64) (events []event.Event, errs map[int]string) {
	var body []byte
	for i := range msgs {
		body = appendLine(body, &msgs[i])
	}
	dec := native.Decode(body, native.Options{ProjectID: projectID, Now: now})
	if len(dec.Events)+len(dec.Errors) != len(msgs) {
		// Every line yields an event or an error; anything else is a bug.
		errs = map[int]string{}
		for i := range msgs {
			errs[i] = fmt.Sprintf("internal error: %d messages decoded into %d events and %d errors", len(msgs), len(dec.Events), len(dec.Errors))
		}
		return nil, errs
	}
	for _, le := range dec.Errors {
		if errs == nil {
			errs = map[int]string{}
		}
		errs[le.Line-1] = le.Error
	}
	ev := 0
	for i := range msgs {
		if _, bad := errs[i]; bad {
			continue
		}
		apply(&dec.Events[ev], &msgs[i], now)
		ev++
	}
	return dec.Events, errs
}

// appendLine renders a message as one JSON object line.
func appendLine(b []byte, m *Message) []byte {
	msg := bytes.TrimSpace(m.Msg)
	obj := bytes.TrimSpace(bytes.TrimPrefix(msg, []byte("@cee:")))
	if len(obj) >= 2 && obj[0] == '{' && obj[len(obj)-1] == '}' && !bytes.ContainsAny(obj, "\n\r") && fastjson.ValidateBytes(obj) == nil {
		return append(append(b, obj...), '\n')
	}
	b = append(b, `{"message":`...)
	b = event.AppendJSONString(b, string(m.Msg))
	return append(b, "}\n"...)
}

// apply puts the header's facts on an event decoded from the message.
func apply(e *event.Event, m *Message, now int64) {
	if m.TS != 0 && e.TS == now { // the message itself named no time
		e.TS = m.TS
	}
	if e.Host == "" {
		e.Host = m.Hostname
	}
	if e.Service == "" {
		e.Service = m.AppName
	}
	if e.Level == "" {
		e.Level = Level(m.Severity)
	}
	add := func(k, v string) {
		if v != "" {
			e.Attributes = append(e.Attributes, event.Attr{Key: k, Value: v})
		}
	}
	add("syslog.facility", FacilityName(m.Facility))
	add("syslog.severity", severities[m.Severity])
	add("syslog.procid", m.ProcID)
	add("syslog.msgid", m.MsgID)
	if e.Service != m.AppName {
		add("syslog.appname", m.AppName)
	}
	for _, p := range m.SD {
		add(p.ID+"."+p.Name, p.Value)
	}
}

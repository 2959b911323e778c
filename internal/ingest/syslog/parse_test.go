package syslog

import (
	"bufio"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC).UnixMicro()

func TestParse5424(t *testing.T) {
	raw := `<165>1 2026-12-04T10:22:33.123456Z web-3 checkout 4242 ID47 [exampleSDID@32473 iut="3" eventSource="App \"x\" \]"][lore key="lore_ik_secret"] ` + "\xef\xbb\xbf" + `payment failed`
	m, err := Parse([]byte(raw), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if !m.RFC5424 || m.Facility != 20 || m.Severity != 5 || m.Hostname != "web-3" || m.AppName != "checkout" || m.ProcID != "4242" || m.MsgID != "ID47" ||
		string(m.Msg) != "payment failed" || m.Key != "lore_ik_secret" || m.TS != time.Date(2026, 12, 4, 10, 22, 33, 123456000, time.UTC).UnixMicro() {
		t.Fatalf("parsed %+v", m)
	}
	if len(m.SD) != 2 || m.SD[1].Value != `App "x" ]` || m.SD[0].ID != "exampleSDID@32473" {
		t.Fatalf("SD = %+v", m.SD)
	}
	evs, errs := Events([]Message{m}, 4, testNow)
	if len(errs) != 0 || len(evs) != 1 {
		t.Fatalf("events %+v errs %v", evs, errs)
	}
	e := evs[0]
	if e.Service != "checkout" || e.Host != "web-3" || e.Level != "info" || e.Message != "payment failed" || e.ProjectID != 4 {
		t.Errorf("event = %+v", e)
	}
	for k, want := range map[string]string{"syslog.facility": "local4", "syslog.severity": "notice", "syslog.procid": "4242", "syslog.msgid": "ID47", "exampleSDID@32473.iut": "3"} {
		if v, _ := e.Attr(k); v != want {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}
	for _, a := range e.Attributes {
		if strings.Contains(a.Value, "lore_ik_secret") {
			t.Errorf("the key is stored: %+v", a)
		}
	}
}

func TestParse3164(t *testing.T) {
	f := func(raw, host, app, pid, msg string, ts time.Time) {
		t.Helper()
		m, err := Parse([]byte(raw), testNow)
		if err != nil {
			t.Fatal(err)
		}
		if m.Hostname != host || m.AppName != app || m.ProcID != pid || string(m.Msg) != msg || (!ts.IsZero() && m.TS != ts.UnixMicro()) {
			t.Errorf("Parse(%q) = %+v", raw, m)
		}
	}
	f("<34>Dec  4 10:00:01 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8", "mymachine", "su", "230", "'su root' failed for lonvick on /dev/pts/8", time.Date(2026, 12, 4, 10, 0, 1, 0, time.UTC))
	f("<13>Dec  3 09:59:59 sshd: Accepted publickey", "", "sshd", "", "Accepted publickey", time.Date(2026, 12, 3, 9, 59, 59, 0, time.UTC))
	f("<13>2026-12-04T10:00:00.5+01:00 host-1 app: hi", "host-1", "app", "", "hi", time.Date(2026, 12, 4, 9, 0, 0, 5e8, time.UTC))
	f("<13>just some text", "", "", "", "just some text", time.Time{})
	// A December message read on January 2nd is last year's.
	m, _ := Parse([]byte("<13>Dec 31 23:59:00 h a: x"), time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC).UnixMicro())
	if m.TS != time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC).UnixMicro() {
		t.Errorf("year rollover: %v", time.UnixMicro(m.TS).UTC())
	}
}

func TestParseJSONMessage(t *testing.T) {
	m, err := Parse([]byte(`<11>1 - host api - - - @cee: {"msg":"db timeout","level":"warn","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","ts":"2026-12-04T09:00:00Z"}`), testNow)
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := Events([]Message{m}, 1, testNow)
	e := evs[0]
	if e.Message != "db timeout" || e.Level != "warn" || e.TraceID.String() != "4bf92f3577b34da6a3ce929d0e0e4736" || e.Service != "api" || e.TS != time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC).UnixMicro() {
		t.Errorf("event = %+v: the message's own fields win, the header fills the rest", e)
	}
}

func TestParseErrors(t *testing.T) {
	for _, raw := range []string{"", "no pri", "<>x", "<999>1 - - - - - -", "<1>1 not-a-time h a p m -", "<1>1 - h a p m [unclosed x=\"1\"", "<1>1 - h a p m nonsd"} {
		if _, err := Parse([]byte(raw), testNow); err == nil {
			t.Errorf("Parse(%q) accepted", raw)
		}
	}
}

func TestReadFrame(t *testing.T) {
	in := "17 <13>1 - h a - - -\n<13>second\n\n<13>third"
	r := bufio.NewReader(strings.NewReader(in))
	var got []string
	for {
		f, err := readFrame(r, 100)
		if err != nil {
			break
		}
		got = append(got, strings.TrimRight(string(f), "\n"))
	}
	want := []string{"<13>1 - h a - - -", "<13>second", "<13>third"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("frames %q, want %q", got, want)
	}
	r = bufio.NewReaderSize(strings.NewReader(strings.Repeat("x", 5000)+"\n<13>after\n"), 16)
	if _, err := readFrame(r, 100); err == nil {
		t.Fatal("a long line was accepted")
	}
	if f, err := readFrame(r, 100); err != nil || string(f) != "<13>after\n" {
		t.Fatalf("after a long line: %q %v", f, err)
	}
}

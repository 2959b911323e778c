package agent

import (
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/ingest/native"
)

// records joins text into records and renders each with " | " between its lines.
func records(text string) []string {
	var j joiner
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if r := j.add(l); r != nil {
			out = append(out, strings.Join(r, " | "))
		}
	}
	if r := j.flush(); r != nil {
		out = append(out, strings.Join(r, " | "))
	}
	return out
}

func TestJoinStackTraces(t *testing.T) {
	f := func(name, text string, want ...string) {
		t.Helper()
		got := records(text)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", name, got, want)
		}
	}
	f("java", `2026-12-04 10:00:00 ERROR [main] c.a.Checkout - payment failed
java.lang.IllegalStateException: gateway said no
	at com.acme.Pay.charge(Pay.java:42)
	at com.acme.Checkout.run(Checkout.java:7)
Caused by: java.io.IOException: reset
	at java.base/sun.nio.ch.Net.poll(Native Method)
	... 12 more
2026-12-04 10:00:01 INFO [main] c.a.Checkout - next`,
		"2026-12-04 10:00:00 ERROR [main] c.a.Checkout - payment failed | java.lang.IllegalStateException: gateway said no | \tat com.acme.Pay.charge(Pay.java:42) | \tat com.acme.Checkout.run(Checkout.java:7) | Caused by: java.io.IOException: reset | \tat java.base/sun.nio.ch.Net.poll(Native Method) | \t... 12 more",
		"2026-12-04 10:00:01 INFO [main] c.a.Checkout - next")
	f("python", `ERROR:root:charge failed
Traceback (most recent call last):
  File "app.py", line 3, in <module>
    charge()
ValueError: bad card

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "app.py", line 5, in <module>
RuntimeError: wrapped
INFO:root:next`,
		"ERROR:root:charge failed | Traceback (most recent call last): | "+`  File "app.py", line 3, in <module> |     charge() | ValueError: bad card |  | During handling of the above exception, another exception occurred: |  | Traceback (most recent call last): |   File "app.py", line 5, in <module> | RuntimeError: wrapped`,
		"INFO:root:next")
	f("go", `panic: runtime error: index out of range [3] with length 2

goroutine 1 [running]:
main.lookup(...)
	/app/main.go:12
main.main()
	/app/main.go:20 +0x1d
exit status 2
{"level":"info","msg":"restarted"}`,
		"panic: runtime error: index out of range [3] with length 2 |  | goroutine 1 [running]: | main.lookup(...) | \t/app/main.go:12 | main.main() | \t/app/main.go:20 +0x1d | exit status 2",
		`{"level":"info","msg":"restarted"}`)
	f("node", `Error: connect ECONNREFUSED 127.0.0.1:5432
    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)
    at Socket.emit (node:events:519:28)
level=info msg="retrying"`,
		"Error: connect ECONNREFUSED 127.0.0.1:5432 |     at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16) |     at Socket.emit (node:events:519:28)",
		`level=info msg="retrying"`)
	f("plain lines and JSON stay apart", "a\n{\"x\":1}\n  {\"y\":2}\n\nb",
		"a", `{"x":1} |   {"y":2}`, "b")
}

// TestMultilineRecordReadsLikeItsFirstLine: a joined record keeps the
// time and level the server would read from its first line, and the whole
// trace as its message.
func TestMultilineRecordReadsLikeItsFirstLine(t *testing.T) {
	body := appendRecord(nil, []string{"2026-12-04T10:00:00Z ERROR payment failed order=42", "java.lang.IllegalStateException: no", "\tat a.B.c(B.java:1)"})
	res := native.Decode(body, native.Options{Now: 5})
	if len(res.Events) != 1 || len(res.Errors) != 0 {
		t.Fatalf("decode %s: %+v", body, res)
	}
	e := res.Events[0]
	if e.Level != "error" || e.TS != 1796378400000000 || !strings.HasPrefix(e.Message, "payment failed") || !strings.HasSuffix(e.Message, "\tat a.B.c(B.java:1)") {
		t.Errorf("event = %+v", e)
	}
	single := appendRecord(nil, []string{"plain line"})
	if string(single) != "plain line\n" {
		t.Errorf("a single line is sent as it is: %q", single)
	}
}

func TestJournalLine(t *testing.T) {
	line, cur, err := JournalLine([]byte(`{"__CURSOR":"s=abc;i=1","__REALTIME_TIMESTAMP":"1796378400000000","MESSAGE":"Started nginx","PRIORITY":"3","_HOSTNAME":"web-1","SYSLOG_IDENTIFIER":"nginx","_SYSTEMD_UNIT":"nginx.service","_PID":"77","TRACE_ID":"4bf92f3577b34da6a3ce929d0e0e4736","MESSAGE_ID":[1,2]}`))
	if err != nil || cur != "s=abc;i=1" {
		t.Fatal(err, cur)
	}
	res := native.Decode(line, native.Options{Now: 5})
	e := res.Events[0]
	if e.Message != "Started nginx" || e.Level != "error" || e.Host != "web-1" || e.Service != "nginx" || e.TS != 1796378400000000 || e.TraceID.String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("event = %+v", e)
	}
	if v, _ := e.Attr("journal.unit"); v != "nginx.service" {
		t.Errorf("journal.unit = %q", v)
	}
	if _, _, err := JournalLine([]byte(`{"MESSAGE":"x"}`)); err == nil {
		t.Error("an entry without a cursor was accepted")
	}
}

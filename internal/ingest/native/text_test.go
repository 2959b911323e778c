package native

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// now2026 is the Now of the text tests: syslog and glog lines carry no
// year, and take the one that puts them closest before Now.
var now2026 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC).UnixMicro()

func decodeText(t *testing.T, line string) map[string]string {
	t.Helper()
	r := Decode([]byte(line), Options{Now: now2026})
	if len(r.Errors) > 0 || len(r.Events) != 1 {
		t.Fatalf("Decode(%q): %d events, errors %v", line, len(r.Events), r.Errors)
	}
	return fields(r.Events[0])
}

func TestTextLines(t *testing.T) {
	f := func(line string, want map[string]string) {
		t.Helper()
		got := decodeText(t, line)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%q:\n%s = %q, want %q", line, k, got[k], v)
			}
		}
	}
	f("2024-05-01T09:15:40.123Z ERROR payment failed", map[string]string{"ts": "2024-05-01T09:15:40.123000Z", "level": "error", "message": "payment failed"})
	f("2024-05-01 09:15:40,123 WARNING [main] low disk", map[string]string{"ts": "2024-05-01T09:15:40.123000Z", "level": "warn", "message": "[main] low disk"})
	f("2024-05-01T11:15:40+02:00 [error] x", map[string]string{"ts": "2024-05-01T09:15:40.000000Z", "level": "error", "message": "x"})
	f("2024/05/01 09:15:40 listening on :8080", map[string]string{"ts": "2024-05-01T09:15:40.000000Z", "level": "", "message": "listening on :8080"})
	f("2024/05/01 09:15:40.123456 ERROR: bad", map[string]string{"ts": "2024-05-01T09:15:40.123456Z", "level": "error", "message": "bad"})
	f("May  1 09:15:40 web-1 nginx[123]: worker started", map[string]string{
		"ts": "2026-05-01T09:15:40.000000Z", "host": "web-1", "service": "nginx", "attr.pid": "123", "message": "worker started"})
	f("Dec 31 23:59:59 h cron: job", map[string]string{"ts": "2025-12-31T23:59:59.000000Z", "service": "cron", "message": "job"})
	f(`127.0.0.1 - frank [01/May/2024:09:15:40 +0000] "GET /apache_pb.gif?x=1 HTTP/1.0" 503 2326 "-" "curl/8"`, map[string]string{
		"ts": "2024-05-01T09:15:40.000000Z", "http_method": "GET", "endpoint": "/apache_pb.gif", "http_status": "503", "level": "error",
		"attr.client.address": "127.0.0.1"})
	f("E0501 09:15:40.123456   42 server.go:12] lost connection", map[string]string{
		"ts": "2026-05-01T09:15:40.123456Z", "level": "error", "message": "lost connection", "attr.pid": "42"})
	f("I1121 11:59:00.000001 7 main.go:1] ok", map[string]string{"ts": "2026-11-21T11:59:00.000001Z", "level": "info"})
	f("[2024-05-01 09:15:40] local.ERROR: boom", map[string]string{"ts": "2024-05-01T09:15:40.000000Z", "message": "local.ERROR: boom"})
	f("WARN something odd", map[string]string{"level": "warn", "message": "something odd", "ts": "2026-11-21T12:00:00.000000Z"})
	f("just words, no error here", map[string]string{"level": "", "message": "just words, no error here"})
	f("2024-05-01T09:15:40Z INFO msg=\"cart updated\" user_id=u1 items=3", map[string]string{
		"level": "info", "message": "cart updated", "user_id": "u1", "attr.items": "3"})
}

func TestLogfmt(t *testing.T) {
	f := func(line string, want map[string]string) {
		t.Helper()
		got := decodeText(t, line)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%q:\n%s = %q, want %q", line, k, got[k], v)
			}
		}
	}
	f(`time=2024-05-01T09:15:40.123Z level=info msg="a b" k=v`, map[string]string{
		"ts": "2024-05-01T09:15:40.123000Z", "level": "info", "message": "a b", "attr.k": "v"})
	f(`level=error msg="quote \"x\" here" trace_id=4bf92f3577b34da6a3ce929d0e0e4736 duration=12ms status=500 empty=`, map[string]string{
		"level": "error", "message": `quote "x" here`, "trace_id": testTrace, "duration_ms": "12", "http_status": "500", "attr.empty": ""})
	f(`at=info method=GET path=/ host=x.herokuapp.com status=200 service=3ms`, map[string]string{
		"http_method": "GET", "endpoint": "/", "http_status": "200", "host": "x.herokuapp.com"})
	// Mostly words: not logfmt, kept as text.
	f(`x=1 is bigger than y=2`, map[string]string{"message": "x=1 is bigger than y=2", "attr.x": ""})
}

// TestLoghub decodes the Loghub samples and checks the timestamp and level
// of lines picked from each.
func TestLoghub(t *testing.T) {
	type check struct {
		line       int
		ts, level  string
		msgPrefix  string
		host, serv string
	}
	cases := map[string][]check{
		"HDFS": {
			{1, "2008-11-09T20:36:15.000000Z", "info", "dfs.DataNode$PacketResponder: PacketResponder 1", "", ""},
		},
		"BGL": {
			{1, "2005-06-03T22:42:50.675872Z", "info", "instruction cache parity error corrected", "R02-M1-N0-C:J12-U11", ""},
		},
		"Zookeeper": {
			{1, "2015-07-29T17:41:44.747000Z", "info", "[QuorumPeer[myid=1]", "", ""},
			{3, "2015-07-29T19:04:29.071000Z", "warn", "[SendWorker:188978561024", "", ""},
		},
		"Spark": {
			{1, "2017-06-09T20:10:40.000000Z", "info", "executor.CoarseGrainedExecutorBackend: Registered", "", ""},
		},
		"Apache": {
			{1, "2005-12-04T04:47:44.000000Z", "info", "workerEnv.init() ok", "", ""},
			{2, "2005-12-04T04:47:44.000000Z", "error", "mod_jk child workerEnv in error state 6", "", ""},
		},
		"OpenSSH": {
			{2, "2025-12-10T06:55:46.000000Z", "", "Invalid user webmaster from 173.234.31.186", "LabSZ", "sshd"},
		},
		"Linux": {
			{1, "2026-06-14T15:16:01.000000Z", "", "authentication failure;", "combo", "sshd"},
		},
	}
	// Lines of a level that only appears further down in each file.
	levelSeen := map[string]map[string]string{
		"HDFS":      {"WARN": "warn"},
		"BGL":       {"FATAL": "fatal", "SEVERE": "error", "WARNING": "warn"},
		"Zookeeper": {"ERROR": "error"},
		"Spark":     {"WARN": "warn", "ERROR": "error"},
		"Linux":     {"ALERT": "fatal"},
	}
	for name, checks := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("/work/shared/data/loghub", name, name+"_2k.log")
			body, err := os.ReadFile(path)
			if err != nil {
				t.Skipf("Loghub sample not here: %v", err)
			}
			r := Decode(body, Options{Now: now2026})
			if len(r.Errors) > 0 || len(r.Events) != r.Lines-r.Skipped {
				t.Fatalf("%d lines, %d events, errors %v", r.Lines, len(r.Events), r.Errors)
			}
			for _, c := range checks {
				got := fields(r.Events[c.line-1])
				if got["ts"] != c.ts || got["level"] != c.level || !strings.HasPrefix(got["message"], c.msgPrefix) ||
					got["host"] != c.host || got["service"] != c.serv {
					t.Errorf("line %d: ts %s level %q host %q service %q message %q\nwant %s %q %q %q %q…",
						c.line, got["ts"], got["level"], got["host"], got["service"], got["message"], c.ts, c.level, c.host, c.serv, c.msgPrefix)
				}
			}
			// Every line whose level word is W got level L.
			sc := bufio.NewScanner(strings.NewReader(string(body)))
			i := 0
			for sc.Scan() {
				for word, lvl := range levelSeen[name] {
					if strings.Contains(sc.Text(), " "+word+" ") && r.Events[i].Level != lvl {
						t.Errorf("line %d %q: level %q, want %q", i+1, sc.Text(), r.Events[i].Level, lvl)
					}
				}
				if r.Events[i].TS == now2026 {
					t.Errorf("line %d %q: no timestamp found", i+1, sc.Text())
				}
				i++
			}
		})
	}
}

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
)

func startSyslogApp(t *testing.T) (*app.App, string) {
	t.Helper()
	a := startApp(t, func(c *app.Config) {
		c.Listeners.Syslog = []app.SyslogListener{{Addr: "127.0.0.1:0", Key: ingestKey}}
	})
	return a, portOf(t, a.ListenerAddr("syslog"))
}

// TestSyslogLogger sends with util-linux's logger: RFC 5424 over UDP, over
// TCP with octet counting and a key in the structured data, RFC 3164 over
// TCP with newline framing; a message whose key is wrong is not stored.
func TestSyslogLogger(t *testing.T) {
	logger := needPackage(t, "logger", "bsdutils")
	a, port := startSyslogApp(t)
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(logger, append([]string{"-n", "127.0.0.1", "-P", port}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("logger %v: %v %s", args, err, out)
		}
	}
	run("-d", "--rfc5424", "-t", "checkout", "-p", "local0.warning", "udp rfc5424 cart abandoned")
	run("-T", "--octet-count", "--rfc5424", "--sd-id", "lore@32473", "--sd-param", `key="`+ingestKey+`"`,
		"--sd-id", "order@32473", "--sd-param", `id="42"`, "-t", "billing", "--msgid", "INV", "tcp octet invoice sent")
	run("-T", "--rfc3164", "-t", "legacy", "-p", "auth.err", "tcp rfc3164 login failed")
	run("-d", "--rfc5424", "--sd-id", "lore@32473", "--sd-param", `key="wrong"`, "-t", "intruder", "never stored")

	r := waitSearch(t, a.URL(), `syslog.facility:*`, 3)
	if len(r.Events) != 3 {
		t.Fatalf("stored %d events, want 3: %+v", len(r.Events), r.Events)
	}
	by := map[string]int{}
	for i, e := range r.Events {
		by[e.Service] = i
		if e.Service == "intruder" {
			t.Errorf("a message with a wrong key was stored: %+v", e)
		}
	}
	host, _ := os.Hostname()
	if e := r.Events[by["checkout"]]; e.Level != "warn" || e.Message != "udp rfc5424 cart abandoned" || e.Attributes["syslog.facility"] != "local0" {
		t.Errorf("UDP 5424 event = %+v", e)
	}
	if e := r.Events[by["billing"]]; e.Attributes["order@32473.id"] != "42" || e.Attributes["syslog.msgid"] != "INV" || strings.Contains(e.Attributes["lore@32473.key"], ingestKey) {
		t.Errorf("TCP octet-counted event = %+v", e)
	}
	if e := r.Events[by["legacy"]]; e.Level != "error" || e.Message != "tcp rfc3164 login failed" || e.Attributes["syslog.facility"] != "auth" {
		t.Errorf("TCP 3164 event = %+v (host %s)", e, host)
	}
}

// TestSyslogRsyslog runs Debian's rsyslog: it receives a message over UDP
// and forwards it to Lore over TCP (octet-counted RFC 5424) and through
// omelasticsearch's bulk mode to Lore's Elasticsearch API.
func TestSyslogRsyslog(t *testing.T) {
	rsyslogd := needPackage(t, "rsyslogd", "rsyslog", "rsyslog-elasticsearch")
	if !fileExists("/usr/lib/x86_64-linux-gnu/rsyslog/omelasticsearch.so") && !fileExists("/usr/lib/rsyslog/omelasticsearch.so") {
		aptInstall(t, "rsyslog-elasticsearch")
	}
	logger := needPackage(t, "logger", "bsdutils")
	a, port := startSyslogApp(t)
	in := itoa(freeUDPPort(t))
	dir := t.TempDir()
	conf := `global(workDirectory="` + dir + `")
module(load="imudp")
module(load="omelasticsearch")
input(type="imudp" address="127.0.0.1" port="` + in + `")
action(type="omfwd" target="127.0.0.1" port="` + port + `" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
action(type="omelasticsearch" server="127.0.0.1" serverport="` + portOf(t, a.Addr()) + `" searchIndex="rsyslog-2026.12.04" bulkmode="on" uid="lore" pwd="` + ingestKey + `" errorFile="` + filepath.Join(dir, "es-errors.json") + `")
`
	cf := filepath.Join(dir, "rsyslog.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(rsyslogd, "-N1", "-f", cf).CombinedOutput(); err != nil {
		t.Fatalf("rsyslogd -N1: %v\n%s", err, out)
	}
	startDaemon(t, nil, rsyslogd, "-n", "-f", cf, "-i", filepath.Join(dir, "rsyslogd.pid"))
	// rsyslog binds its UDP input a little after it starts: send until both copies are in.
	deadline := time.Now().Add(30 * time.Second)
	var viaSyslog, viaES searchResult
	for time.Now().Before(deadline) {
		if len(viaSyslog.Events) == 0 {
			_ = exec.Command(logger, "-n", "127.0.0.1", "-P", in, "-d", "--rfc3164", "-t", "shipping", "-p", "daemon.err", "parcel lost in transit").Run()
		}
		time.Sleep(500 * time.Millisecond)
		viaSyslog = search(t, a.URL(), `service:shipping "parcel lost"`, "now-1h", "now+1h", 10)
		viaES = search(t, a.URL(), `es.index:rsyslog-2026.12.04`, "now-1h", "now+1h", 10)
		if len(viaSyslog.Events) > 0 && len(viaES.Events) > 0 {
			break
		}
	}
	if len(viaSyslog.Events) == 0 {
		t.Fatal("nothing arrived through rsyslog's TCP forwarding")
	}
	if e := viaSyslog.Events[0]; e.Level != "error" || e.Message != "parcel lost in transit" || e.Attributes["syslog.facility"] != "daemon" {
		t.Errorf("forwarded event = %+v", e)
	}
	if len(viaES.Events) == 0 {
		b, _ := os.ReadFile(filepath.Join(dir, "es-errors.json"))
		t.Fatalf("nothing arrived through omelasticsearch; its error file: %s", b)
	}
	if e := viaES.Events[0]; !strings.Contains(e.Message, "parcel lost in transit") || e.Service != "rsyslog" {
		t.Errorf("omelasticsearch event = %+v", e)
	}
}

// TestSyslogNG runs syslog-ng (Debian's syslog-ng-core, unpacked beside the
// test because it conflicts with rsyslog as a package): its syslog() driver
// forwards RFC 5424 over TCP with octet counting.
func TestSyslogNG(t *testing.T) {
	bin, env := syslogNG(t)
	logger := needPackage(t, "logger", "bsdutils")
	a, port := startSyslogApp(t)
	in := itoa(freeUDPPort(t))
	dir := t.TempDir()
	conf := `@version: 3.38
options { keep-hostname(yes); };
source s_in { network(ip("127.0.0.1") port(` + in + `) transport("udp") flags(syslog-protocol)); };
destination d_lore { syslog("127.0.0.1" port(` + port + `) transport("tcp")); };
log { source(s_in); destination(d_lore); };
`
	cf := filepath.Join(dir, "syslog-ng.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	startDaemon(t, env, bin, "-F", "-e", "--no-caps", "-f", cf, "-p", filepath.Join(dir, "pid"), "-c", filepath.Join(dir, "ctl"), "-R", filepath.Join(dir, "persist"),
		"--module-path", filepath.Join(filepath.Dir(filepath.Dir(bin)), "lib/syslog-ng/3.38"))
	deadline := time.Now().Add(30 * time.Second)
	var r searchResult
	for time.Now().Before(deadline) && len(r.Events) == 0 {
		_ = exec.Command(logger, "-n", "127.0.0.1", "-P", in, "-d", "--rfc5424", "-t", "warehouse", "-p", "user.notice", "pallet scanned").Run()
		time.Sleep(500 * time.Millisecond)
		r = search(t, a.URL(), `service:warehouse`, "now-1h", "now+1h", 10)
	}
	if len(r.Events) == 0 {
		t.Fatal("nothing arrived through syslog-ng")
	}
	if e := r.Events[0]; e.Message != "pallet scanned" || e.Level != "info" || e.Attributes["syslog.severity"] != "notice" {
		t.Errorf("syslog-ng event = %+v", e)
	}
}

// syslogNG finds syslog-ng, or unpacks Debian's syslog-ng-core into a cache
// directory (it cannot be installed beside rsyslog) with its libraries.
func syslogNG(t *testing.T) (string, []string) {
	t.Helper()
	if p, err := exec.LookPath("syslog-ng"); err == nil {
		return p, nil
	}
	root := filepath.Join(os.TempDir(), "lore-test-syslog-ng")
	bin := filepath.Join(root, "usr/sbin/syslog-ng")
	env := []string{"LD_LIBRARY_PATH=" + filepath.Join(root, "usr/lib/x86_64-linux-gnu") + ":" + filepath.Join(root, "usr/lib/syslog-ng")}
	if !fileExists(bin) {
		aptInstall(t, "libivykis0", "libnet1", "libjson-c5", "libwrap0", "libpcre3", "libglib2.0-0", "libcap2", "libssl3")
		dl := t.TempDir()
		c := exec.Command("apt-get", "download", "syslog-ng-core")
		c.Dir = dl
		if out, err := c.CombinedOutput(); err != nil {
			_ = exec.Command("apt-get", "update").Run()
			if out, err = c.CombinedOutput(); err != nil {
				t.Skipf("cannot download syslog-ng-core: %v %s", err, out)
			}
		}
		debs, _ := filepath.Glob(filepath.Join(dl, "syslog-ng-core_*.deb"))
		if len(debs) == 0 {
			t.Skip("apt-get download syslog-ng-core gave no package")
		}
		if out, err := exec.Command("dpkg-deb", "-x", debs[0], root).CombinedOutput(); err != nil {
			t.Fatalf("unpack syslog-ng-core: %v %s", err, out)
		}
	}
	c := exec.Command(bin, "--version")
	c.Env = append(os.Environ(), env...)
	if out, err := c.CombinedOutput(); err != nil {
		t.Skipf("syslog-ng does not run here: %v %s", err, out)
	}
	return bin, env
}

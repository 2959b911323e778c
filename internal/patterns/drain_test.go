package patterns

import (
	"fmt"
	"strings"
	"testing"
)

func TestTokenizeMasksVariables(t *testing.T) {
	f := func(msg, want string) {
		t.Helper()
		if got := strings.Join(Tokenize(msg), " "); got != want {
			t.Errorf("Tokenize(%q) = %q, want %q", msg, got, want)
		}
	}
	// Numbers, ids, hex, addresses, paths, quotes.
	f("payment 42 took 250ms", "payment <*> took <*>")
	f("retry in -3.5s", "retry in <*>")
	f("connect to 10.1.2.3:5432 failed", "connect to <*> failed")
	f("block blk_-6952295868487656571 done", "block <*> done")
	f("at 0x00e462c0, mask 0x02", "at <*> mask <*>")
	f("trace 3f2a9c1e8b7d6a5f4e3d2c1b0a998877 ended", "trace <*> ended")
	f("id 123e4567-e89b-12d3-a456-426614174000", "id <*>")
	f("open /var/log/app.log: denied", "open <*> denied")
	f("GET https://api.example.com/v1/x ok", "GET <*> ok")
	f(`user "Jane Doe" logged in`, "user <*> logged in")
	f("key 'a b c', then", "key <*> then")
	f("can't open file", "can't open file")
	f("  spaced\tout \n", "spaced out")
	f("", "")
	// Host names and host:port, with or without digits.
	f("proxy.cse.cuhk.edu.hk:5070 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS", "<*> open through proxy <*> HTTPS")
	f("resolved www.example.com to db.internal", "resolved <*> to <*>")
	f("mapred.job.id is deprecated", "mapred.job.id is deprecated")
	f("mail from alice@example.com", "mail from <*>")
	f("link FF:F2:9F:16:E2:23:00:0D up", "link <*> up")
	// Fields inside a token: key=value, key:value, name[pid], call(arg).
	f("uid=0 euid=1000 user=root", "uid=<*> euid=<*> user=root")
	f("session opened by (uid=0)", "session opened by (uid=<*>)")
	f("session opened by LOGIN(uid=0)", "session opened by LOGIN(uid=<*>)")
	f("sshd[2915]: accepted", "sshd[<*>]: accepted")
	f("headroom=<memory:1024, vCores:-1>", "headroom=<memory:<*>, vCores:<*>>")
	f("a=1,b=x;c=2", "a=<*>,b=x;c=<*>")
	f("file=/var/log/x mode=ro", "file=<*> mode=ro")
	f("prefetch depth.........0", "prefetch depth.........<*>")
	f("10.250.14.224:50010:Got exception", "<*>:<*>:Got exception")
	f("pam_unix(sshd:auth): check pass", "pam_unix(sshd:auth): check pass")
	// Bracketed values keep their brackets; an empty pair is one.
	f("from 10.0.0.1 (host-1.example.com) at noon", "from <*> (<*>) at noon")
	f("from 10.0.0.2 () at noon", "from <*> (<*>) at noon")
	f("[client 1.2.3.4] denied", "[client <*> denied")
	// Sizes and durations with their units are one value.
	f("close, 403 bytes sent, 1190 bytes (1.16 KB) received, lifetime <1 sec", "close, <*> sent, <*> received, lifetime <*>")
	f("close, 403 bytes sent, 12 bytes received, lifetime 00:02", "close, <*> sent, <*> received, lifetime <*>")
	f("estimated size 5.2 KB, free 14.0 MB)", "estimated size <*> free <*>")
	f("took 30 seconds", "took <*>")
	f("3 seconds ago", "<*> ago")
	f("seconds matter", "seconds matter")
	// Dates written out; a name alone is a word.
	f("connection at Fri Jun 17 07:07:00 2005 closed", "connection at <*> closed")
	f("on 17 Jun 2005", "on <*>")
	f("May I help", "May I help")
	// A single digit closing a word names a thing.
	f("open through proxy SOCKS5", "open through proxy SOCKS5")
	f("port 22 ssh2", "port <*> ssh2")
	f("jk2_init() Found child 3746", "jk2_init() Found child <*>")
	f("worker-12 started", "<*> started")
	// A variable-length list of values is one value.
	f("ask 10.0.0.1:50010 to delete blk_1 blk_2 blk_3", "ask <*> to delete <*>")
	// An over-long token is payload.
	f("x "+strings.Repeat("a", 300)+" y", "x <*> y")
}

func TestTokenizeCapsTokens(t *testing.T) {
	msg := strings.Repeat("w ", 500)
	toks := Tokenize(msg)
	if len(toks) != maxTokens || toks[len(toks)-1] != Wildcard {
		t.Errorf("%d tokens, last %q", len(toks), toks[len(toks)-1])
	}
}

func TestMinerGroupsAndGeneralises(t *testing.T) {
	m := NewMiner(DefaultConfig)
	a := m.Add("login accepted from 10.0.0.1 after 3 tries", 1)
	b := m.Add("login accepted from 10.0.0.2 after 5 tries", 2)
	c := m.Add("disk full on /dev/sda1", 3)
	if !a.New || b.New || a.ID != b.ID {
		t.Fatalf("two logins should share a new group: %+v %+v", a, b)
	}
	if b.Template != "login accepted from <*> after <*> tries" {
		t.Errorf("template %q", b.Template)
	}
	if c.ID == a.ID || !c.New {
		t.Errorf("a different message joined the login group: %+v", c)
	}
	g, ok := m.Group(a.ID)
	if !ok || g.Count != 2 || g.FirstSeen != 1 || g.LastSeen != 2 {
		t.Errorf("group %+v", g)
	}
}

// A word that differs between lines is a constant until the position has
// shown DefaultConfig.Variants distinct words: then the variants fold into
// the first group, the position becomes a wildcard and the variants' ids
// count for the first group's.
func TestMinerVariantsFoldPastTheThreshold(t *testing.T) {
	m := NewMiner(DefaultConfig)
	root := m.Add("session opened for user root by sshd now", 1)
	guest := m.Add("session opened for user guest by sshd now", 2)
	test := m.Add("session opened for user test by sshd now", 3)
	for _, v := range []Match{guest, test} {
		if !v.New || v.ID == root.ID {
			t.Fatalf("below the threshold a new word is a variant of its own: %+v", v)
		}
	}
	if again := m.Add("session opened for user guest by sshd now", 4); again.ID != guest.ID {
		t.Errorf("a known variant moved: %+v", again)
	}
	if m.Len() != 3 {
		t.Fatalf("%d groups", m.Len())
	}
	fourth := m.Add("session opened for user admin by sshd now", 5)
	if fourth.ID != root.ID || fourth.Template != "session opened for user <*> by sshd now" {
		t.Fatalf("the fourth word should fold the variants into the first group: %+v", fourth)
	}
	if m.Len() != 1 {
		t.Errorf("%d groups after folding", m.Len())
	}
	for _, id := range []string{guest.ID, test.ID} {
		if got := m.Canonical(id); got != root.ID {
			t.Errorf("Canonical(%s) = %s, want %s", id, got, root.ID)
		}
		if g, ok := m.Group(id); !ok || g.ID != root.ID {
			t.Errorf("Group(%s) = %+v", id, g)
		}
	}
	g, _ := m.Group(root.ID)
	if g.Count != 5 || g.FirstSeen != 1 || len(g.Aliases) != 2 {
		t.Errorf("folded group %+v", g)
	}
	if later := m.Add("session opened for user guest by sshd now", 6); later.ID != root.ID {
		t.Errorf("after folding a variant's word joins the first group: %+v", later)
	}
	// key=value words fold the same way and keep their key.
	for i, u := range []string{"root", "guest", "test", "oracle"} {
		m.Add("auth failure; rhost=10.0.0.1 user="+u, int64(10+i))
	}
	if got := m.Add("auth failure; rhost=10.0.0.9 user=bob", 20); got.Template != "auth failure; rhost=<*> user=<*>" {
		t.Errorf("template %q", got.Template)
	}
}

// Drain's behaviour (Variants 1): the first difference generalises.
func TestMinerVariantsOneIsDrain(t *testing.T) {
	m := NewMiner(Config{Variants: 1})
	a := m.Add("stored as bytes in memory", 1)
	b := m.Add("stored as values in memory", 2)
	if a.ID != b.ID || b.Template != "stored as <*> in memory" {
		t.Errorf("%+v %+v", a, b)
	}
}

// Tokens whose masked fields differ are different statements.
func TestMinerFieldShapesNeverMerge(t *testing.T) {
	m := NewMiner(DefaultConfig)
	a := m.Add("session opened for user cyrus by (uid=0)", 1)
	b := m.Add("session opened for user cyrus by LOGIN(uid=0)", 2)
	c := m.Add("auth failure tty=NODEVssh ruser= rhost=1.2.3.4", 3)
	d := m.Add("auth failure tty=:0 ruser= rhost=", 4)
	if a.ID == b.ID || c.ID == d.ID {
		t.Errorf("field shapes merged: %+v %+v %+v %+v", a, b, c, d)
	}
}

func TestMinerEvictsLeastRecentlySeen(t *testing.T) {
	m := NewMiner(Config{MaxGroups: 3})
	a := m.Add("alpha one", 1)
	m.Add("beta two three", 2)
	m.Add("gamma four five six", 3)
	m.Add("alpha one", 4) // alpha is now the most recent
	d := m.Add("delta seven eight nine ten", 5)
	if m.Len() != 3 {
		t.Fatalf("%d groups", m.Len())
	}
	if _, ok := m.Group(a.ID); !ok {
		t.Error("the recently seen group was forgotten")
	}
	if _, ok := m.Group(d.ID); !ok {
		t.Error("the new group is missing")
	}
	var kept []string
	for _, g := range m.Groups() {
		kept = append(kept, g.Tokens[0])
	}
	if strings.Contains(strings.Join(kept, " "), "beta") {
		t.Errorf("the least recently seen group survived: %v", kept)
	}
	// A forgotten template comes back with its old id.
	again := m.Add("beta two three", 6)
	if !again.New || again.ID != NewMiner(Config{}).Add("beta two three", 0).ID {
		t.Errorf("a forgotten group came back as %+v", again)
	}
}

func TestMinerBoundsBytes(t *testing.T) {
	m := NewMiner(Config{MaxBytes: 64 << 10})
	for i := range 5000 {
		m.Add(fmt.Sprintf("w%c%c %s", 'a'+i%26, 'a'+i/26%26, strings.Repeat(string(rune('a'+i/676%26)), 100)), int64(i))
	}
	if b := m.Bytes(); b > 64<<10 || b <= 0 {
		t.Errorf("%d bytes", b)
	}
	if m.Len() == 0 {
		t.Error("no groups")
	}
}

func BenchmarkMiner(b *testing.B) {
	all := loadAll(b)
	var lines []string
	for _, n := range sampleNames {
		lines = append(lines, all[n].contents...)
	}
	m := NewMiner(DefaultConfig)
	b.ResetTimer()
	cpu0, cpuOK := cpuTime()
	for i := 0; i < b.N; i++ {
		m.Add(lines[i%len(lines)], int64(i))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	// Per CPU-second as well: on a shared machine the wall clock counts
	// the neighbours' work too. Run with -cpu 1 (GOMAXPROCS=1) so that
	// the figure is one core's.
	if cpu1, ok := cpuTime(); cpuOK && ok && cpu1 > cpu0 {
		b.ReportMetric(float64(b.N)/(cpu1-cpu0).Seconds(), "lines/cpu-s")
	}
}

func TestGlob(t *testing.T) {
	f := func(pat, m string, want bool) {
		t.Helper()
		if got := glob(pat, m); got != want {
			t.Errorf("glob(%q, %q) = %v", pat, m, got)
		}
	}
	f("user=<*>", "user=bob", true)
	f("user=<*>", "user=", false)
	f("user=<*>", "uid=bob", false)
	f("(uid=<*>)", "(uid=0)", true)
	f("(uid=<*>)", "LOGIN(uid=0)", false)
	f("<*>:<*>:Got", "a:b:Got", true)
	f("<*>:<*>:Got", "a:b:c:Got", true)
	f("<*>:<*>:Got", "a:Got", false)
	f("a<*>b<*>c", "axxbyyc", true)
	f("a<*>b<*>c", "abc", false)
	f("x", "x", true)
	// Many wildcards against a long token stays quick (no exponential
	// backtracking).
	pat := strings.Repeat("<*>:", 40) + "end"
	m := strings.Repeat("ab:", 80) + "nope"
	f(pat, m, false)
}

// Lines sharing their length and first words but nothing else keep one
// leaf's comparisons bounded.
func TestMinerBoundsALeaf(t *testing.T) {
	m := NewMiner(DefaultConfig)
	first := m.Add("job report alpha beta gamma", 0)
	for i := range 2000 {
		m.Add(fmt.Sprintf("job report %s %s %s", word(i), word(i+7919), word(i+104729)), int64(i+1))
		if i%100 == 0 {
			m.Add("job report alpha beta gamma", int64(i+1)) // kept recent
		}
	}
	leaf := m.leaf(Tokenize("job report x y z"))
	if n := len(leaf.groups); n > maxLeafGroups {
		t.Errorf("a leaf holds %d groups", n)
	}
	if _, ok := m.Group(first.ID); !ok {
		t.Error("the recently seen group of the leaf was forgotten")
	}
}

// A variant's family is its first group, before and after folding.
func TestMinerFamily(t *testing.T) {
	m := NewMiner(DefaultConfig)
	root := m.Add("stored as bytes in memory now", 1)
	vals := m.Add("stored as values in memory now", 2)
	if vals.ID == root.ID || m.Family(vals.ID) != root.ID || m.Family(root.ID) != root.ID {
		t.Fatalf("family of %s = %s, want %s", vals.ID, m.Family(vals.ID), root.ID)
	}
	m.Add("stored as blobs in memory now", 3)
	m.Add("stored as rows in memory now", 4) // folds
	if got := m.Family(vals.ID); got != root.ID {
		t.Errorf("after folding the family of %s is %s", vals.ID, got)
	}
	if got := m.Family("pnothere"); got != "pnothere" {
		t.Errorf("unknown id: %s", got)
	}
}

package native

import (
	"bytes"
	"testing"
)

// zapLine is a typical line of zap's production JSON encoder, about 300 bytes.
const zapLine = `{"level":"info","ts":1714554940.123456,"logger":"checkout","caller":"checkout/handler.go:142","msg":"payment accepted",` +
	`"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","user_id":"u-1842","http.method":"POST",` +
	`"path":"/api/checkout","status":200,"duration_ms":41.7,"amount_cents":12999,"currency":"EUR"}`

func benchBody(line string, n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func benchmarkDecode(b *testing.B, line string) {
	const n = 1000
	body := benchBody(line, n)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		r := Decode(body, Options{Now: now2026})
		if len(r.Events) != n {
			b.Fatalf("%d events, errors %v", len(r.Events), r.Errors)
		}
	}
	b.ReportMetric(float64(b.N)*n/b.Elapsed().Seconds(), "lines/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)*n/cpu.Seconds(), "lines/cpu-s")
	}
}

func BenchmarkDecodeZapJSON(b *testing.B) { benchmarkDecode(b, zapLine) }

func BenchmarkDecodeLogfmt(b *testing.B) {
	benchmarkDecode(b, `time=2024-05-01T09:15:40.123Z level=info msg="payment accepted" trace_id=4bf92f3577b34da6a3ce929d0e0e4736 user_id=u-1842 path=/api/checkout status=200 duration_ms=41.7`)
}

func BenchmarkDecodeText(b *testing.B) {
	benchmarkDecode(b, "2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200")
}

func TestZapLineSize(t *testing.T) {
	if n := len(zapLine); n < 250 || n > 350 {
		t.Errorf("benchmark line is %d bytes, want about 300", n)
	}
}

package sim

import (
	"context"
	"fmt"

	"github.com/lore-dev/lore/internal/event"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// note marks a record that counts toward an incident's ground truth.
type note uint8

const (
	noteNone note = iota
	noteGatewayResponse
	noteRetry
	noteSucceeded
	noteFailed
	noteOrderCompleted
	noteSlowQuery
	noteQueryTimeout
	noteUpstreamError
	noteUpstreamTimeout
	noteBreaker
	noteBadRelease
)

// rec is one simulated event waiting to be emitted in time order.
type rec struct {
	ev       event.Event // for spans: TS is the start, DurationMS the length
	span     bool
	spanKind tracepb.Span_SpanKind
	note     note
	seq      uint64
}

// recHeap is a min-heap of records by (TS, seq).
type recHeap []*rec

func (h recHeap) less(i, j int) bool {
	if h[i].ev.TS != h[j].ev.TS {
		return h[i].ev.TS < h[j].ev.TS
	}
	return h[i].seq < h[j].seq
}

func (h *recHeap) push(r *rec) {
	*h = append(*h, r)
	a := *h
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !a.less(i, p) {
			break
		}
		a[i], a[p] = a[p], a[i]
		i = p
	}
}

func (h *recHeap) pop() *rec {
	a := *h
	top := a[0]
	n := len(a) - 1
	a[0] = a[n]
	a[n] = nil
	a = a[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && a.less(r, l) {
			m = r
		}
		if !a.less(m, i) {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return top
}

// batcher groups emitted records into request bodies: NDJSON for logs and
// browser events, OTLP protobuf for spans.
type batcher struct {
	out   func(ctx context.Context, path string, body []byte, events int) error
	max   int
	limit int64 // stop after this many events; 0 for no limit
	sent  int64 // events handed to add so far

	logs  []byte
	nlogs int
	spans []*rec

	capture CaptureSink // set by captureVia: browser product events go here (capture.go)
	caps    []byte
	ncaps   int

	replay     ReplaySink // set by replayVia: session recordings go here (recording.go)
	recordings int64      // recording chunks sent
}

func newBatcher(sink Sink, max int, limit int64) *batcher {
	return &batcher{max: max, limit: limit, out: func(ctx context.Context, path string, body []byte, _ int) error {
		if path == PathTraces {
			return sink.Spans(ctx, body)
		}
		return sink.Logs(ctx, body)
	}}
}

func (b *batcher) full() bool { return b.limit > 0 && b.sent >= b.limit }

func (b *batcher) add(ctx context.Context, r *rec) error {
	b.sent++
	if r.span {
		b.spans = append(b.spans, r)
		if len(b.spans) >= b.max {
			return b.flushSpans(ctx)
		}
		return nil
	}
	if b.capture != nil && captured(r) {
		return b.addCapture(ctx, r)
	}
	b.logs = appendLine(b.logs, r)
	b.nlogs++
	if b.nlogs >= b.max {
		return b.flushLogs(ctx)
	}
	return nil
}

func (b *batcher) flush(ctx context.Context) error {
	if err := b.flushLogs(ctx); err != nil {
		return err
	}
	if err := b.flushCapture(ctx); err != nil {
		return err
	}
	return b.flushSpans(ctx)
}

func (b *batcher) flushLogs(ctx context.Context) error {
	if b.nlogs == 0 {
		return nil
	}
	body, n := b.logs, b.nlogs
	b.logs = make([]byte, 0, cap(body))
	b.nlogs = 0
	if err := b.out(ctx, PathLogs, body, n); err != nil {
		return fmt.Errorf("send %d bytes of logs: %w", len(body), err)
	}
	return nil
}

func (b *batcher) flushSpans(ctx context.Context) error {
	if len(b.spans) == 0 {
		return nil
	}
	body := encodeSpans(b.spans)
	n := len(b.spans)
	b.spans = b.spans[:0]
	if err := b.out(ctx, PathTraces, body, n); err != nil {
		return fmt.Errorf("send %d bytes of spans: %w", len(body), err)
	}
	return nil
}

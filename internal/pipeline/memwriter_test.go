package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// memWriter is an honest in-memory store.Writer: it keeps copies of the
// batches it commits, enforces the Writer contract (one caller at a time,
// Seq strictly increasing) and can fail or block on demand.
type memWriter struct {
	mu         sync.Mutex
	batches    []store.Batch
	lastSeq    uint64
	failNext   int           // fail this many appends, committing nothing
	failAfter  int           // commit, then report an error, this many times
	block      chan struct{} // when non-nil, Append waits for it to close
	delay      time.Duration // each Append takes this long (a slow store)
	inAppend   bool
	violations []error
	calls      int
}

var _ store.Writer = (*memWriter)(nil)

var errInjected = errors.New("injected store failure")

func (m *memWriter) Append(ctx context.Context, b store.Batch) error {
	m.mu.Lock()
	if m.inAppend {
		m.violations = append(m.violations, errors.New("concurrent Append"))
	}
	m.inAppend = true
	block := m.block
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.inAppend = false
		m.mu.Unlock()
	}()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if m.delay > 0 {
		select {
		case <-time.After(m.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.failNext > 0 {
		m.failNext--
		return errInjected
	}
	if b.Seq <= m.lastSeq {
		err := fmt.Errorf("batch seq %d not above last seq %d", b.Seq, m.lastSeq)
		m.violations = append(m.violations, err)
		return err
	}
	if len(b.Events) == 0 {
		m.violations = append(m.violations, fmt.Errorf("empty batch %d", b.Seq))
	}
	// Copy: the pipeline reuses its batch slice once Append returns.
	m.batches = append(m.batches, store.Batch{Seq: b.Seq, Events: slices.Clone(b.Events)})
	m.lastSeq = b.Seq
	if m.failAfter > 0 {
		m.failAfter--
		return errInjected
	}
	return nil
}

func (m *memWriter) LastSeq(context.Context) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lastSeq, nil
}

// events returns every stored event, in commit order.
func (m *memWriter) events() []event.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	var all []event.Event
	for _, b := range m.batches {
		all = append(all, b.Events...)
	}
	return all
}

func (m *memWriter) setBlock(ch chan struct{}) {
	m.mu.Lock()
	m.block = ch
	m.mu.Unlock()
}

func (m *memWriter) checkContract() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return errors.Join(m.violations...)
}

package fields

import (
	"context"
	"fmt"

	"github.com/lore-dev/lore/internal/event"
)

// EventScanner streams stored events (*duckdb.Store), for the backfill.
type EventScanner interface {
	ScanEvents(ctx context.Context, upTo int64, batch int, fn func([]event.Event) error) error
}

// backfillBatch is how many events go through Process at a time, and
// backfillFlush how many between flushes, which bounds the catalogue's
// memory while a large store is read.
const (
	backfillBatch = 10_000
	backfillFlush = 1_000_000
)

// Backfill records the events stored up to rowid upTo, as if they had
// come through ingest: for a data directory whose events predate the
// catalogue. The caller decides upTo before ingest starts (see
// duckdb.Store.FieldBackfillBound), so no event is counted twice. It
// returns the number of events read.
func (c *Catalogue) Backfill(ctx context.Context, src EventScanner, upTo int64) (int64, error) {
	var n, since int64
	err := src.ScanEvents(ctx, upTo, backfillBatch, func(evs []event.Event) error {
		if _, err := c.Process(ctx, evs); err != nil {
			return err
		}
		n += int64(len(evs))
		if since += int64(len(evs)); since >= backfillFlush {
			since = 0
			if err := c.Flush(ctx); err != nil {
				return err
			}
		}
		return ctx.Err()
	})
	if err != nil {
		return n, fmt.Errorf("backfill field catalogue after %d events: %w", n, err)
	}
	return n, c.Flush(ctx)
}

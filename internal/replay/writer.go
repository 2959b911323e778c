package replay

import (
	"context"
	"fmt"
	"strconv"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// kindChunk marks the write-ahead log's records of a replay chunk. Such an
// event never reaches the events table: Writer takes it out of each batch
// and puts the chunk in the blob store.
const kindChunk = "replay.chunk"

// Attribute keys of a chunk's record.
const (
	attrPage   = "page"
	attrSeq    = "seq"
	attrLast   = "last"
	attrEvents = "events"
	attrClicks = "clicks"
	attrFull   = "full"
	attrSkew   = "skew"
	attrRaw    = "raw"
	attrData   = "data"
)

// record is the chunk as an event of the write-ahead log.
func (c *Chunk) record(receivedAt int64) event.Event {
	full := "0"
	if c.Full {
		full = "1"
	}
	return event.Event{
		ProjectID: c.ProjectID, TS: c.First * 1000, ReceivedAt: receivedAt, Kind: kindChunk,
		SessionID: c.SessionID, UserID: c.UserID, AnonymousID: c.AnonymousID,
		Attributes: []event.Attr{
			{Key: attrPage, Value: c.PageID}, {Key: attrSeq, Value: itoa(c.Seq)}, {Key: attrLast, Value: itoa(c.Last)},
			{Key: attrEvents, Value: strconv.Itoa(c.Events)}, {Key: attrClicks, Value: strconv.Itoa(c.Clicks)},
			{Key: attrFull, Value: full}, {Key: attrSkew, Value: itoa(c.SkewMS)}, {Key: attrRaw, Value: itoa(c.RawBytes)},
			{Key: attrData, Value: string(c.Data)},
		},
	}
}

// chunkOf reads a chunk back from its record.
func chunkOf(e *event.Event) (Chunk, error) {
	c := Chunk{ProjectID: e.ProjectID, First: e.TS / 1000, ReceivedAt: e.ReceivedAt / 1000, SessionID: e.SessionID, UserID: e.UserID, AnonymousID: e.AnonymousID}
	var err error
	num := func(s string) int64 {
		n, perr := strconv.ParseInt(s, 10, 64)
		if perr != nil && err == nil {
			err = fmt.Errorf("replay chunk record of session %q: bad number %q: %w", e.SessionID, s, perr)
		}
		return n
	}
	for _, a := range e.Attributes {
		switch a.Key {
		case attrPage:
			c.PageID = a.Value
		case attrSeq:
			c.Seq = num(a.Value)
		case attrLast:
			c.Last = num(a.Value)
		case attrEvents:
			c.Events = int(num(a.Value))
		case attrClicks:
			c.Clicks = int(num(a.Value))
		case attrFull:
			c.Full = a.Value == "1"
		case attrSkew:
			c.SkewMS = num(a.Value)
		case attrRaw:
			c.RawBytes = num(a.Value)
		case attrData:
			c.Data = []byte(a.Value)
		}
	}
	return c, err
}

// Writer is the events store as the ingest pipeline's loader sees it once
// replays are wired: each batch's chunk records go to the blob store, the
// rest to the events store. A chunk is stored before the batch's Seq is
// committed and storing it again is harmless, so a crash between the two
// (the loader replays the batch) loses nothing and doubles nothing.
type Writer struct {
	next  store.Writer
	blobs Blobs
	// loaded is told the chunks stored (the service's admission counts
	// them as stored from then on); nil: nobody.
	loaded func([]Chunk)
}

// NewWriter puts chunks in blobs and the other events in next.
func NewWriter(next store.Writer, blobs Blobs) *Writer { return &Writer{next: next, blobs: blobs} }

// Append stores the batch's chunks, then appends the rest of the batch.
func (w *Writer) Append(ctx context.Context, b store.Batch) error {
	var chunks []Chunk
	rest := b.Events
	for i := range b.Events {
		if b.Events[i].Kind != kindChunk {
			continue
		}
		c, err := chunkOf(&b.Events[i])
		if err != nil {
			return err
		}
		chunks = append(chunks, c)
	}
	if chunks != nil {
		rest = make([]event.Event, 0, len(b.Events)-len(chunks))
		for i := range b.Events {
			if b.Events[i].Kind != kindChunk {
				rest = append(rest, b.Events[i])
			}
		}
		if err := w.blobs.PutChunks(ctx, chunks); err != nil {
			return fmt.Errorf("store %d replay chunks of batch %d: %w", len(chunks), b.Seq, err)
		}
		if w.loaded != nil {
			w.loaded(chunks)
		}
	}
	return w.next.Append(ctx, store.Batch{Seq: b.Seq, Events: rest})
}

// LastSeq is the events store's.
func (w *Writer) LastSeq(ctx context.Context) (uint64, error) { return w.next.LastSeq(ctx) }

var _ store.Writer = (*Writer)(nil)

package replay

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/valyala/fastjson"
)

// WriteEvents writes a session's recording as one JSON document for the
// player:
//
//	{"session_id": "…", "skew_ms": 0, "events": [rrweb events…]}
//
// page by page, every event's timestamp moved to Lore's clock (the
// session's clock skew added), so the recording lines up with the
// session's other events. A chunk that cannot be read back is skipped
// (and logged). It returns ErrNotFound when there is no recording.
func (s *Service) WriteEvents(ctx context.Context, project int64, session string, w io.Writer) error {
	got, err := s.blobs.Sessions(ctx, project, []string{session})
	if err != nil {
		return err
	}
	if len(got) == 0 {
		return notFoundf("session %q", session)
	}
	skew := got[0].SkewMS
	bw := bufio.NewWriterSize(w, 64<<10)
	var a fastjson.Arena
	var p fastjson.Parser
	first := true
	var buf []byte
	fmt.Fprintf(bw, `{"session_id":%q,"skew_ms":%d,"events":[`, session, skew)
	err = s.blobs.Chunks(ctx, project, session, func(c Chunk) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		evs, err := chunkEvents(&p, c.Data, s.opts.Limits.MaxRawChunkBytes)
		if err != nil {
			s.log.Warn("skipping an unreadable replay chunk", "session", session, "page", c.PageID, "seq", c.Seq, "err", err)
			return nil
		}
		for _, e := range evs {
			if _, err := readHead(e); err != nil {
				continue
			}
			if skew != 0 {
				a.Reset()
				e.Set("timestamp", a.NewNumberInt(int(e.GetInt64("timestamp")+skew)))
			}
			if !first {
				bw.WriteByte(',')
			}
			first = false
			buf = e.MarshalTo(buf[:0])
			bw.Write(buf)
		}
		return nil
	})
	if err != nil {
		return err
	}
	bw.WriteString("]}")
	return bw.Flush()
}

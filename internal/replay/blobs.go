package replay

import "context"

// Blobs is where recordings are kept: each session's chunks, compressed as
// they came, and a row per session that indexes them. Its methods are
// safe for concurrent use; PutChunks is called by one goroutine (the
// pipeline's loader).
type Blobs interface {
	// PutChunks stores chunks durably — on disk when it returns nil —
	// and updates their sessions' rows. A chunk already stored (same
	// project, session, page and seq) is left as it is, so storing a
	// batch again changes nothing. A session that was sealed is opened
	// again by a new chunk.
	PutChunks(ctx context.Context, chunks []Chunk) error
	// Sessions returns the rows of those of ids that have a recording.
	Sessions(ctx context.Context, project int64, ids []string) ([]SessionInfo, error)
	// SessionsOf returns the rows of the recordings of persons (user or
	// anonymous ids) whose recorded time overlaps [from, to] (ms, on
	// Lore's clock), newest first, at most limit.
	SessionsOf(ctx context.Context, project int64, persons []string, from, to int64, limit int) ([]SessionInfo, error)
	// Chunks calls fn with each chunk of a session, in playing order:
	// page by page (pages ordered by their first chunk), each page's
	// chunks by seq. It returns ErrNotFound when there are none.
	Chunks(ctx context.Context, project int64, session string, fn func(Chunk) error) error
	// Unsealed lists up to limit sessions not sealed whose last chunk
	// arrived at or before receivedBy (ms) and whose last recorded moment
	// (on Lore's clock) is at or before lastBy (ms).
	Unsealed(ctx context.Context, receivedBy, lastBy int64, limit int) ([]SessionInfo, error)
	// Sealing lists the sessions a seal was begun for but not ended.
	Sealing(ctx context.Context) ([]SessionInfo, error)
	// BeginSeal marks a session as being sealed and returns the seal's
	// generation (one more than the last).
	BeginSeal(ctx context.Context, project int64, session string) (int64, error)
	// EndSeal marks a session sealed, with its summary, unless a chunk
	// came since BeginSeal returned gen (then it stays open).
	EndSeal(ctx context.Context, project int64, session string, gen int64, summary []byte) error
	// Expire deletes the sessions whose last recorded moment (on Lore's
	// clock) is before before (ms), and their chunks.
	Expire(ctx context.Context, before int64) (sessions int64, bytes int64, err error)
	// ExpireProject is Expire for one project's sessions (a project's
	// own retention, lifecycle.Retention.ReplaysDays).
	ExpireProject(ctx context.Context, project, before int64) (sessions int64, bytes int64, err error)
	// Erase deletes a person's recordings (a GDPR request): the
	// project's sessions recorded with their user id, with one of their
	// anonymous ids, or with one of sessions, and their chunks; it
	// returns how many sessions it deleted.
	Erase(ctx context.Context, project int64, userID string, anonymousIDs, sessions []string) (int64, error)
	// Size is the bytes the store takes on disk.
	Size(ctx context.Context) (int64, error)
	Close() error
}

// SessionInfo is a session's row: what its recording spans and weighs.
// Times are milliseconds since the epoch; First and Last are by the
// device's clock (add SkewMS for Lore's).
type SessionInfo struct {
	ProjectID   int64  `json:"-"`
	SessionID   string `json:"session_id"`
	UserID      string `json:"user_id,omitempty"`
	AnonymousID string `json:"anonymous_id,omitempty"`
	First       int64  `json:"first"`
	Last        int64  `json:"last"`
	SkewMS      int64  `json:"skew_ms"`
	Pages       int    `json:"pages"`
	Chunks      int    `json:"chunks"`
	Events      int64  `json:"events"`
	Clicks      int64  `json:"clicks"`
	Bytes       int64  `json:"bytes"`
	RawBytes    int64  `json:"raw_bytes"`
	ReceivedAt  int64  `json:"received_at"`
	Sealed      bool   `json:"sealed"`
	SealGen     int64  `json:"-"`
	Summary     []byte `json:"-"` // the seal's summary (JSON), when sealed
}

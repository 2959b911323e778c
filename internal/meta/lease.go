package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/errs"
)

// ErrSuperseded is returned for the result of scheduled work (a monitor's
// evaluation, a check's run, a notification's attempt) that another node
// recorded first: two nodes may overlap for a moment when a lease changes
// hands, and the second to finish records nothing.
var ErrSuperseded = errs.New(errs.Conflict, "superseded by another run")

// Lease is a named piece of work held by one node at a time (monitors,
// retention, story refresh: what must run exactly once across nodes on one
// metadata database). It is timed by the database's clock, so nodes'
// clocks need not agree, and it expires unless its holder renews it: when
// a holder dies, another takes the work over after at most the TTL.
type Lease struct {
	Name   string
	Holder string
	// Token grows each time the lease changes hands (or lapses and is
	// taken again): a fencing token to write beside the work's results.
	Token int64
	// Expires is when the lease lapses unless renewed, by the database's
	// clock (set by LeaseHolder).
	Expires time.Time
}

// TryLease takes the lease name for holder for ttl, or renews it when
// holder has it: ok is false when another holder has it and it has not
// expired.
func (s *Store) TryLease(ctx context.Context, name, holder string, ttl time.Duration) (l Lease, ok bool, err error) {
	if name == "" || holder == "" || ttl <= 0 {
		return Lease{}, false, fmt.Errorf("lease %q for %q for %v: want a name, a holder and a positive ttl", name, holder, ttl)
	}
	now := s.db.e.nowMicros()
	q := strings.NewReplacer("NOW", now).Replace(`INSERT INTO leases (name, holder, token, expires_at) VALUES (?, ?, 1, NOW + ?)
		ON CONFLICT (name) DO UPDATE SET
		  token = CASE WHEN leases.holder = excluded.holder AND leases.expires_at > NOW THEN leases.token ELSE leases.token + 1 END,
		  holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= NOW
		RETURNING token`)
	l = Lease{Name: name, Holder: holder}
	err = s.db.QueryRowContext(ctx, q, name, holder, ttl.Microseconds()).Scan(&l.Token)
	switch {
	case err == nil:
		return l, true, nil
	case errors.Is(err, sql.ErrNoRows):
		return Lease{}, false, nil
	}
	return Lease{}, false, fmt.Errorf("take lease %q for %q: %w", name, holder, err)
}

// LeaseHolder returns the lease name as it is held now; ok is false when
// nobody holds it (never taken, released or expired).
func (s *Store) LeaseHolder(ctx context.Context, name string) (l Lease, ok bool, err error) {
	q := strings.ReplaceAll(`SELECT holder, token, expires_at FROM leases WHERE name = ? AND expires_at > NOW`, "NOW", s.db.e.nowMicros())
	l.Name = name
	var expires int64
	switch err := s.db.QueryRowContext(ctx, q, name).Scan(&l.Holder, &l.Token, &expires); {
	case errors.Is(err, sql.ErrNoRows):
		return Lease{}, false, nil
	case err != nil:
		return Lease{}, false, fmt.Errorf("read lease %q: %w", name, err)
	}
	l.Expires = time.UnixMicro(expires).UTC()
	return l, true, nil
}

// LeaseHolders returns the leases held now whose names start with prefix.
func (s *Store) LeaseHolders(ctx context.Context, prefix string) ([]Lease, error) {
	q := strings.ReplaceAll(`SELECT name, holder, token, expires_at FROM leases WHERE substr(name, 1, ?) = ? AND expires_at > NOW ORDER BY name`, "NOW", s.db.e.nowMicros())
	rows, err := s.db.QueryContext(ctx, q, len(prefix), prefix)
	if err != nil {
		return nil, fmt.Errorf("read the leases %q…: %w", prefix, err)
	}
	defer rows.Close()
	var out []Lease
	for rows.Next() {
		var l Lease
		var expires int64
		if err := rows.Scan(&l.Name, &l.Holder, &l.Token, &expires); err != nil {
			return nil, fmt.Errorf("read the leases %q…: %w", prefix, err)
		}
		l.Expires = time.UnixMicro(expires).UTC()
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the leases %q…: %w", prefix, err)
	}
	return out, nil
}

// ReleaseLease gives the lease up if holder has it, so that another node
// takes the work at once rather than when it expires. The row stays, so
// that tokens keep growing.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE leases SET expires_at = 0 WHERE name = ? AND holder = ?`, name, holder); err != nil {
		return fmt.Errorf("release lease %q of %q: %w", name, holder, err)
	}
	return nil
}

// RunExclusive runs work while holder has the lease name, until ctx ends:
// it tries to take the lease every ttl/3, runs work with a context that
// ends when the lease is lost (not renewed within ttl of the last renewal
// asked for, by this process's clock, which ends it before the database
// lets another holder in), and takes it again to run work anew after work
// returns or the lease comes back. When ctx ends it stops work, waits for
// it and releases the lease. Work runs on one holder at a time across every
// process sharing the database.
func (s *Store) RunExclusive(ctx context.Context, name, holder string, ttl time.Duration, log *slog.Logger, work func(ctx context.Context, l Lease)) error {
	if ttl < 30*time.Millisecond {
		return fmt.Errorf("lease %q: ttl %v is too short to renew", name, ttl)
	}
	every := ttl / 3
	for {
		asked := time.Now()
		l, ok, err := s.TryLease(ctx, name, holder, ttl)
		if err != nil && ctx.Err() == nil {
			log.Warn("lease", "name", name, "err", err)
		}
		if ok {
			s.holdLease(ctx, l, ttl, asked, log, work)
			if ctx.Err() != nil {
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				err := s.ReleaseLease(rctx, name, holder)
				cancel()
				return err
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
	}
}

// holdLease runs work under l and renews l every ttl/3 until work returns,
// ctx ends or a renewal is not confirmed within ttl of being asked.
func (s *Store) holdLease(ctx context.Context, l Lease, ttl time.Duration, asked time.Time, log *slog.Logger, work func(context.Context, Lease)) {
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		work(wctx, l)
	}()
	deadline := time.NewTimer(ttl - time.Since(asked))
	defer deadline.Stop()
	tick := time.NewTicker(ttl / 3)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			stop()
			<-done
			return
		case <-deadline.C:
			log.Warn("lease lost: not renewed in time", "name", l.Name, "holder", l.Holder, "ttl", ttl)
			stop()
			<-done
			return
		case <-tick.C:
			at := time.Now()
			rctx, cancel := context.WithTimeout(ctx, ttl/3)
			renewed, ok, err := s.TryLease(rctx, l.Name, l.Holder, ttl)
			cancel()
			switch {
			case err != nil:
				log.Warn("renew lease", "name", l.Name, "err", err)
			case !ok || renewed.Token != l.Token:
				log.Warn("lease lost: another holder has it", "name", l.Name, "holder", l.Holder)
				stop()
				<-done
				return
			default:
				deadline.Reset(ttl - time.Since(at))
			}
		}
	}
}

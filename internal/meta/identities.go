package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrIdentityConflict is a sign-in whose email belongs to a user already
// linked to another subject of the same provider: most likely the email
// was given to someone else there, who must not get that account.
var ErrIdentityConflict = errors.New("this email's Lore account is linked to another identity at the provider")

// SSOSignIn is who a single sign-on signs in.
type SSOSignIn struct {
	User     User
	Created  bool   // the user was made now
	OldEmail string // the user's email before this sign-in changed it; "" when unchanged
}

// UserBySSO finds or makes the user a provider's (issuer, subject) signs
// in, in one transaction. The subject is the identity: once linked, the
// same subject signs in the same user whatever email the provider sends
// (the user's email follows it when no other user has that email), and
// an email another user holds never merges the two. An unlinked subject is
// linked to the user with its verified email, unless that user is linked
// to another subject of the issuer (ErrIdentityConflict); with no such
// user, one is made (without a password) when provision, else ErrNotFound.
func (s *Store) UserBySSO(ctx context.Context, issuer, subject, email string, provision bool) (out SSOSignIn, err error) {
	err = s.retry(ctx, func() error {
		out, err = s.userBySSO(ctx, issuer, subject, email, provision)
		return err
	})
	return out, err
}

// userBySSO is one attempt at UserBySSO.
func (s *Store) userBySSO(ctx context.Context, issuer, subject, email string, provision bool) (SSOSignIn, error) {
	var out SSOSignIn
	if issuer == "" || subject == "" {
		return out, fmt.Errorf("single sign-on without an issuer or subject (%q, %q)", issuer, subject)
	}
	email, err := checkEmail(email)
	if err != nil {
		return out, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return out, fmt.Errorf("sign in %s: %w", email, err)
	}
	defer tx.Rollback()
	now := time.Now().Unix()
	byID := func(id int64) (User, error) {
		return scanUser(tx.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	}
	var linked int64
	err = tx.QueryRowContext(ctx, `SELECT user_id FROM identities WHERE issuer = ? AND subject = ?`, issuer, subject).Scan(&linked)
	switch {
	case err == nil:
		if out.User, err = byID(linked); err != nil {
			return out, fmt.Errorf("read user %d of subject %q: %w", linked, subject, err)
		}
		if !strings.EqualFold(out.User.Email, email) {
			var taken int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE lower(email) = lower(?)`, email).Scan(&taken); err != nil {
				return out, fmt.Errorf("look up %s: %w", email, err)
			}
			if taken == 0 {
				if _, err := tx.ExecContext(ctx, `UPDATE users SET email = ? WHERE id = ?`, email, linked); err != nil {
					return out, fmt.Errorf("change user %d's email to %s: %w", linked, email, err)
				}
				out.OldEmail, out.User.Email = out.User.Email, email
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE identities SET email = ?, seen_at = ? WHERE issuer = ? AND subject = ?`, email, now, issuer, subject); err != nil {
			return out, fmt.Errorf("update identity %q: %w", subject, err)
		}
		return out, commit(tx, email)
	case !errors.Is(err, sql.ErrNoRows):
		return out, fmt.Errorf("look up identity %q: %w", subject, err)
	}
	out.User, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE lower(email) = lower(?)`, email))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if !provision {
			return out, fmt.Errorf("user %q: %w", email, ErrNotFound)
		}
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO users (email, password, server_admin, created_at) VALUES (?, '', 0, ?) RETURNING id`, email, now).Scan(&id)
		if err != nil {
			return out, fmt.Errorf("add user %q: %w", email, err)
		}
		if out.User, err = byID(id); err != nil {
			return out, fmt.Errorf("read new user %q: %w", email, err)
		}
		out.Created = true
	case err != nil:
		return out, fmt.Errorf("read user %q: %w", email, err)
	default:
		var other string
		err := tx.QueryRowContext(ctx, `SELECT subject FROM identities WHERE issuer = ? AND user_id = ?`, issuer, out.User.ID).Scan(&other)
		if err == nil {
			return out, fmt.Errorf("%s: %w", email, ErrIdentityConflict)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return out, fmt.Errorf("look up user %d's identity: %w", out.User.ID, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO identities (issuer, subject, user_id, email, created_at, seen_at) VALUES (?, ?, ?, ?, ?, ?)`,
		issuer, subject, out.User.ID, email, now, now); err != nil {
		return out, fmt.Errorf("link subject %q to %s: %w", subject, email, err)
	}
	return out, commit(tx, email)
}

func commit(tx *txn, email string) error {
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sign in %s: %w", email, err)
	}
	return nil
}

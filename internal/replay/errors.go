package replay

import (
	"errors"
	"fmt"

	"github.com/lore-dev/lore/internal/errs"
)

// The errors of the package, each of a kind of Lore's taxonomy (so the
// server answers 400, 413, 403 or 404) and matching its sentinel with
// errors.Is.
var (
	// ErrInvalid: the chunk is not a recording (400).
	ErrInvalid = errors.New("invalid replay chunk")
	// ErrTooLarge: the chunk, or its session, is over a limit (413).
	ErrTooLarge = errors.New("replay over its limit")
	// ErrDisabled: the project does not record sessions (403).
	ErrDisabled = errors.New("session recording is off for this project")
	// ErrOrigin: the page's origin is not one the project allows (403).
	ErrOrigin = errors.New("origin not allowed to send recordings")
	// ErrNotFound: no recording of that session (404).
	ErrNotFound = errors.New("no replay of that session")
)

func kindErr(kind errs.Kind, sentinel error, format string, args ...any) error {
	return &errs.Error{Kind: kind, Msg: sentinel.Error() + ": " + fmt.Sprintf(format, args...), Err: sentinel}
}

func invalidf(format string, args ...any) error {
	return kindErr(errs.Invalid, ErrInvalid, format, args...)
}

func tooLargef(format string, args ...any) error {
	return kindErr(errs.TooLarge, ErrTooLarge, format, args...)
}

func forbiddenf(sentinel error, format string, args ...any) error {
	return kindErr(errs.Forbidden, sentinel, format, args...)
}

func notFoundf(format string, args ...any) error {
	return kindErr(errs.NotFound, ErrNotFound, format, args...)
}

package store

import "errors"

// ErrArchive is what deleting events answers when the cold tier could not
// be written (they are then not deleted).
var ErrArchive = errors.New("cannot write the archive")

//go:build !unix

package lifecycle

import "errors"

// diskSpace is not measured here: only the data directory's cap applies.
func diskSpace(string) (free, total int64, err error) {
	return 0, 0, errors.ErrUnsupported
}

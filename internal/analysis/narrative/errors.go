package narrative

import "github.com/lore-dev/lore/internal/errs"

// ErrNotFound is returned (wrapped) when a query finds nothing to tell,
// such as a trace without spans. Handlers map it to 404.
var ErrNotFound = errs.New(errs.NotFound, "not found")

package cli

import (
	"context"
	"errors"
)

// (Placeholder until the product feature lands; its engineer replaces this file.)
func runFunnel(ctx context.Context, args []string, stdio Stdio) error {
	return errors.New("not available yet")
}

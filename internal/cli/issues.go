package cli

import (
	"context"
	"errors"
)

// (Placeholder until the issues feature lands; its engineer replaces this file.)
func runIssues(ctx context.Context, args []string, stdio Stdio) error {
	return errors.New("not available yet")
}

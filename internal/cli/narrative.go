package cli

import (
	"context"
	"errors"
)

// (Placeholder until the narrative feature lands; its engineer replaces this file.)
func runStories(ctx context.Context, args []string, stdio Stdio) error {
	return errors.New("not available yet")
}

func runTimeline(ctx context.Context, args []string, stdio Stdio) error {
	return errors.New("not available yet")
}

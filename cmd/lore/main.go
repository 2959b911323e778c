// Command lore is Lore's single binary: the server, the demo, and the CLI
// that imports logs and reads journeys. All of it lives in internal/cli.
package main

import (
	"context"
	"os"

	"github.com/lore-dev/lore/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], cli.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}

// Command authconform is a conformance harness and mock server for authentication APIs. main only
// calls the command, internal/cli.Run; everything else is testable without a process.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/authconform/authconform/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// Command coldstart measures the cold start of function binaries: the time
// from exec to the first answered event, with a minimal Lambda Runtime API
// served in-process, and the child's peak RSS. `make bench` runs
//
//	go run ./scripts/coldstart --runs 20 build/host/<fn>/bootstrap ...
//
// Run with --help for the flags.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

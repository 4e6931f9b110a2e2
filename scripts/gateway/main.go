// Command gateway is Portcullis's local gateway: an emulation of Amazon API
// Gateway on 127.0.0.1 with the real authorizers in front of a demo
// backend, and a development identity provider that mints real tokens.
// `make run` starts it:
//
//	go run ./scripts/gateway --policy events/policy.yaml [--port 4000] [--api rest|http]
//	go run ./scripts/gateway token --sub alice --scope orders:read
//
// It prints ready-to-paste curl commands at start. Run `gateway -h` for
// every flag.
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

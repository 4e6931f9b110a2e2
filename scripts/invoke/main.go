// Command invoke runs one event through a function's real bootstrap under
// the AWS Lambda Runtime Interface Emulator (see package scripts/rie), the
// way `sam local invoke` does inside its container, without Docker:
//
//	make invoke FN=jwt-authorizer EVENT=events/jwt/valid.json [POLICY=events/policy.yaml]
//	go run ./scripts/invoke --fn jwt-authorizer --event events/jwt/valid.json
//
// Run with --help for every flag and the SAM CLI equivalent.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

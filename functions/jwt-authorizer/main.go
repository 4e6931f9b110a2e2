// Command jwt-authorizer is the JWT/OIDC Lambda authorizer for Amazon API
// Gateway. It reads the policy file once at cold start (PORTCULLIS_POLICY,
// default policy.yaml beside the binary), loads every issuer's keys, and
// answers REST TOKEN/REQUEST, HTTP API 1.0/2.0 and WebSocket $connect
// events. A broken policy or a refused bundled key set stops the cold
// start, so API Gateway answers 500; an issuer whose remote keys cannot be
// fetched answers 500 for its own tokens until a refresh succeeds, while
// the other issuers keep working. Either way the authorizer fails closed.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/portcullis-authz/portcullis/shared/authorizer"
	"github.com/portcullis-authz/portcullis/shared/config"
	"github.com/portcullis-authz/portcullis/shared/jwtauth"
	"github.com/portcullis-authz/portcullis/shared/secret"
)

func main() {
	h, err := newHandler(context.Background(), os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "jwt-authorizer: cold start failed: %v\n", err)
		os.Exit(1)
	}
	lambda.Start(h)
}

// newHandler reads the settings once and builds the handler.
func newHandler(ctx context.Context, getenv func(string) string) (*authorizer.Handler, error) {
	f, err := config.Load(config.PathFromEnv(getenv))
	if err != nil {
		return nil, err
	}
	if f.Authorizers.JWT == nil {
		return nil, fmt.Errorf("policy file %s: authorizers.jwt is not configured", f.Path)
	}
	secrets := secret.NewLoader(f, secret.WithGetenv(getenv))
	v, err := jwtauth.New(ctx, f, jwtauth.WithSecrets(secrets.Load))
	if err != nil {
		return nil, err
	}
	return authorizer.New(config.AuthorizerJWT, v, f)
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/portcullis-authz/portcullis/shared/authorizer"
	"github.com/portcullis-authz/portcullis/shared/config"
	"github.com/portcullis-authz/portcullis/shared/jwtauth"
	"github.com/portcullis-authz/portcullis/shared/jwtauth/jwtauthtest"
)

// The decision benchmarks compare one full authorizer decision — decode
// the event, verify the token, evaluate the route policy, compile the
// cache-safe policy, encode the response, write the audit line — with the
// bare signature verification of the same token in the same run. Report
// the ratio with:
//
//	go test -run '^$' -bench 'Decision|BareSignature' -benchmem ./functions/jwt-authorizer

var benchAlgs = []string{"RS256", "ES256", "EdDSA"}

type benchEnv struct {
	h     *authorizer.Handler
	event []byte
	token string
	is    *jwtauthtest.Issuer
}

func newBenchEnv(b *testing.B, alg string) *benchEnv {
	b.Helper()
	is := jwtauthtest.NewIssuer(b, alg)
	jwks := filepath.Join(b.TempDir(), "jwks.json")
	if err := os.WriteFile(jwks, is.JWKS(), 0o644); err != nil {
		b.Fatal(err)
	}
	// A realistic policy: a dozen routes with scopes, roles and step-up.
	policy := fmt.Sprintf(`version: 1
scopes: {orders:read: r, orders:write: w, reports:read: rr, admin: a}
issuers:
  - name: bench
    issuer: %q
    audiences: [%q]
    algorithms: [%s]
    jwks: {file: %q}
    claims: {tenant: tenant, context: [email]}
authorizers:
  jwt: {cache_ttl: 300s}
routes:
  GET /orders: {scopes: [orders:read]}
  GET /orders/{id}: {scopes: [orders:read]}
  GET /orders/{id}/items: {scopes: [orders:read]}
  POST /orders: {scopes: [orders:write]}
  PUT /orders/{id}: {scopes: [orders:write]}
  DELETE /orders/{id}: {scopes: {all_of: [orders:write, admin]}}
  POST /orders/{id}/refund: {scopes: [orders:write], step_up: {acr: [urn:portcullis:mfa], amr: [mfa], max_age: 15m}}
  GET /reports/{id}: {scopes: [reports:read]}
  GET /reports: {scopes: [reports:read]}
  ANY /admin/{proxy+}: {roles: [admin]}
  GET /customers/{id}: {scopes: [orders:read]}
  PATCH /customers/{id}: {scopes: [orders:write]}
`, is.Issuer(), is.Audience(), alg, jwks)
	f, err := config.Parse([]byte(policy), filepath.Join(b.TempDir(), "policy.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	v, err := jwtauth.New(context.Background(), f)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(v.Close)
	h, err := authorizer.New(config.AuthorizerJWT, v, f, authorizer.WithAuditWriter(io.Discard))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	token := is.Sign(map[string]any{
		"sub": "11111111-2222-3333-4444-555555555555", "iss": is.Issuer(), "aud": is.Audience(),
		"scope": "openid email orders:read orders:write", "cognito:groups": []string{"support"},
		"tenant": "acme", "acr": "urn:portcullis:mfa", "amr": []string{"pwd", "mfa"}, "email": "alice@example.com",
		"auth_time": now.Unix() - 60, "iat": now.Unix() - 60, "exp": now.Unix() + 3600,
		"jti": "8b3c3b8e-0f6a-4c3c-9d62-1c8a4f1f2b11",
	})
	event, _ := json.Marshal(map[string]string{"type": "TOKEN", "authorizationToken": "Bearer " + token,
		"methodArn": "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/orders/42"})
	return &benchEnv{h: h, event: event, token: token, is: is}
}

// BenchmarkDecision is one full decision per iteration, warm.
func BenchmarkDecision(b *testing.B) {
	for _, alg := range benchAlgs {
		b.Run(alg, func(b *testing.B) {
			e := newBenchEnv(b, alg)
			ctx := context.Background()
			out, err := e.h.Invoke(ctx, e.event)
			if err != nil || !strings.Contains(string(out), `"Effect":"Allow"`) {
				b.Fatalf("Invoke = %s, %v", out, err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.h.Invoke(ctx, e.event); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBareSignature is only the signature check of the same token
// with the same key (golang-jwt's SigningMethod.Verify, signature already
// decoded): the floor a decision is compared with.
func BenchmarkBareSignature(b *testing.B) {
	for _, alg := range benchAlgs {
		b.Run(alg, func(b *testing.B) {
			e := newBenchEnv(b, alg)
			dot := strings.LastIndexByte(e.token, '.')
			input := e.token[:dot]
			sig, err := jwt.NewParser().DecodeSegment(e.token[dot+1:])
			if err != nil {
				b.Fatal(err)
			}
			m := jwt.GetSigningMethod(alg)
			pub := e.is.Current().Public
			if err := m.Verify(input, sig, pub); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := m.Verify(input, sig, pub); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

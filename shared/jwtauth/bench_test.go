package jwtauth

import (
	"context"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/portcullis-authz/portcullis/shared/authz"
	"github.com/portcullis-authz/portcullis/shared/jwtauth/jwtauthtest"
)

// benchClaims are the claims of a typical access token (about 450 bytes of
// JSON): the Cognito access-token shape plus OIDC step-up claims.
func benchClaims(is *jwtauthtest.Issuer) map[string]any {
	return map[string]any{
		"sub":            "11111111-2222-3333-4444-555555555555",
		"iss":            is.Issuer(),
		"aud":            []string{is.Audience(), "https://other.example"},
		"client_id":      "exampleclientid0123456789",
		"scope":          "openid email orders:read orders:write",
		"cognito:groups": []string{"admin", "support"},
		"tenant":         "acme",
		"acr":            "urn:portcullis:mfa",
		"amr":            []string{"pwd", "mfa"},
		"auth_time":      testNow.Unix() - 60,
		"iat":            testNow.Unix() - 60,
		"nbf":            testNow.Unix() - 60,
		"exp":            testNow.Unix() + 3600,
		"jti":            "8b3c3b8e-0f6a-4c3c-9d62-1c8a4f1f2b11",
		"email":          "alice@example.com",
		"username":       "alice",
	}
}

var benchAlgs = []string{"RS256", "ES256", "EdDSA"}

// BenchmarkVerify measures the full Verify of a valid token: pre-parse,
// issuer selection, key lookup through keyfunc, signature, claim checks
// and the Principal.
func BenchmarkVerify(b *testing.B) {
	for _, alg := range benchAlgs {
		b.Run(alg, func(b *testing.B) {
			is := issuerAt(b, alg)
			c := is.Config()
			c.Claims.Tenant = "tenant"
			c.Claims.Context = []string{"email"}
			e := newEnv(b, policy(c))
			token := is.Sign(benchClaims(is))
			ctx := context.Background()
			if d, err := e.v.Verify(ctx, token); err != nil || d.Effect != authz.Allow {
				b.Fatalf("Verify = %+v, %v", d, err)
			}
			b.ReportAllocs()
			for b.Loop() {
				d, _ := e.v.Verify(ctx, token)
				if d.Effect != authz.Allow {
					b.Fatal(d.Reason)
				}
			}
		})
	}
}

// BenchmarkBareSignature measures only the signature check of the same
// token with the same public key through golang-jwt's SigningMethod.Verify
// (the signature already decoded): the floor Verify is compared with.
func BenchmarkBareSignature(b *testing.B) {
	for _, alg := range benchAlgs {
		b.Run(alg, func(b *testing.B) {
			is := issuerAt(b, alg)
			token := is.Sign(benchClaims(is))
			dot := strings.LastIndexByte(token, '.')
			input := token[:dot]
			sig, err := jwt.NewParser().DecodeSegment(token[dot+1:])
			if err != nil {
				b.Fatal(err)
			}
			m := jwt.GetSigningMethod(alg)
			pub := is.Current().Public
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

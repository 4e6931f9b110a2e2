package jwtauth

import (
	"context"
	"strings"
	"testing"
	"time"

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
			start := cpuTime()
			for b.Loop() {
				d, _ := e.v.Verify(ctx, token)
				if d.Effect != authz.Allow {
					b.Fatal(d.Reason)
				}
			}
			reportCPU(b, start)
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
			start := cpuTime()
			for b.Loop() {
				if err := m.Verify(input, sig, pub); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
		})
	}
}

// reportCPU adds the process CPU time per operation since start (GC work
// included), when the platform measures it.
func reportCPU(b *testing.B, start time.Duration) {
	if used := cpuTime() - start; used > 0 && b.N > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// benchStages measures the stages of Verify other than the signature on
// the BenchmarkVerify token, to show where the overhead goes.
func BenchmarkStages(b *testing.B) {
	is := issuerAt(b, "ES256")
	c := is.Config()
	c.Claims.Tenant = "tenant"
	c.Claims.Context = []string{"email"}
	e := newEnv(b, policy(c))
	token := is.Sign(benchClaims(is))
	t, rj := parseCompact(token)
	if rj != nil {
		b.Fatal(rj)
	}
	iss := e.v.issuers[is.Issuer()]
	b.Run("parseCompact", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, rj := parseCompact(token); rj != nil {
				b.Fatal(rj)
			}
		}
	})
	b.Run("parseClaims", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var buf [32]member
			if _, err := parseObject(t.claims, buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("key", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, rj, err := iss.key(context.Background(), &t.header); rj != nil || err != nil {
				b.Fatal(rj, err)
			}
		}
	})
	b.Run("principal", func(b *testing.B) {
		var buf [32]member
		ms, _ := parseObject(t.claims, buf[:0])
		o := newObject(ms)
		b.ReportAllocs()
		for b.Loop() {
			if _, rj := iss.principal(&o, testNow); rj != nil {
				b.Fatal(rj)
			}
		}
	})
}

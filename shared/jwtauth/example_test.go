package jwtauth_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"

	"github.com/portcullis-authz/portcullis/shared/config"
	"github.com/portcullis-authz/portcullis/shared/jwtauth"
)

// An issuer whose JWKS is bundled beside the policy file: no network at
// cold start or later. The identity provider's side (its key, its JWKS,
// its tokens) is simulated with jwkset and golang-jwt.
func Example() {
	dir, err := os.MkdirTemp("", "jwtauth-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	// The identity provider's signing key and published JWKS.
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	jwk, _ := jwkset.NewJWKFromKey(key.Public(), jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{
		KID: "example-1", ALG: jwkset.AlgEdDSA, USE: jwkset.UseSig,
	}})
	jwks, _ := json.Marshal(jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{jwk.Marshal()}})
	_ = os.WriteFile(filepath.Join(dir, "jwks.json"), jwks, 0o600)

	// The policy file.
	_ = os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(`version: 1
issuers:
  - name: example
    issuer: https://idp.example.com
    audiences: [https://api.example.com]
    algorithms: [EdDSA]
    jwks: {file: jwks.json}
authorizers:
  jwt: {}
`), 0o600)
	f, err := config.Load(filepath.Join(dir, "policy.yaml"))
	if err != nil {
		panic(err)
	}

	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	v, err := jwtauth.New(context.Background(), f, jwtauth.WithClock(func() time.Time { return now }))
	if err != nil {
		panic(err)
	}
	defer v.Close()

	sign := func(claims jwt.MapClaims) string {
		t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
		t.Header["kid"] = "example-1"
		s, _ := t.SignedString(key)
		return s
	}
	claims := func(exp time.Time) jwt.MapClaims {
		return jwt.MapClaims{"iss": "https://idp.example.com", "aud": "https://api.example.com",
			"sub": "alice", "scope": "orders:read orders:write", "exp": exp.Unix()}
	}

	d, _ := v.Verify(context.Background(), sign(claims(now.Add(time.Hour))))
	fmt.Println(d.Effect, d.Reason, d.Principal.Subject, d.Principal.Scopes, d.Principal.CredentialID)

	d, _ = v.Verify(context.Background(), sign(claims(now.Add(-time.Hour))))
	fmt.Println(d.Effect, d.Reason)

	d, _ = v.Verify(context.Background(), "eyJhbGciOiJub25lIn0.eyJzdWIiOiJtYWxsb3J5In0.")
	fmt.Println(d.Effect, d.Reason)
	// Output:
	// allow allowed alice [orders:read orders:write] example-1
	// unauthenticated expired
	// unauthenticated alg_none
}

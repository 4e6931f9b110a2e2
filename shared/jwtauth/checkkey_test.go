package jwtauth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"testing"
)

// TestCheckKey: the key type fixes the algorithm family (CATALOG row 3's
// key layer: an RSA, EC or OKP key never verifies HS*), ES* is pinned to
// its curve, and RSA keys and HMAC secrets have minimum sizes.
func TestCheckKey(t *testing.T) {
	rsa2048, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	keys := map[string]any{
		"rsa2048": &rsa2048.PublicKey, "rsa1024": &rsa1024.PublicKey,
		"p256": &p256.PublicKey, "p384": &p384.PublicKey, "p521": &p521.PublicKey,
		"ed25519": edPub, "secret32": make([]byte, 32), "secret48": make([]byte, 48), "secret64": make([]byte, 64),
		"secret31": make([]byte, 31), "ed25519_as_bytes": []byte(edPub), "none": nil,
	}
	fits := map[string][]string{
		"RS256": {"rsa2048"}, "RS384": {"rsa2048"}, "RS512": {"rsa2048"},
		"PS256": {"rsa2048"}, "PS384": {"rsa2048"}, "PS512": {"rsa2048"},
		"ES256": {"p256"}, "ES384": {"p384"}, "ES512": {"p521"},
		"EdDSA": {"ed25519"},
		// A 32-byte value is a fine HS256 secret whatever produced it: the
		// allow-list and the issuer's configured secret keep public keys
		// out of this role.
		"HS256": {"secret32", "secret48", "secret64", "ed25519_as_bytes"},
		"HS384": {"secret48", "secret64"},
		"HS512": {"secret64"},
		"none":  nil, "ED25519": nil, "": nil,
	}
	for alg, good := range fits {
		for name, key := range keys {
			err := checkKey(alg, key)
			want := false
			for _, g := range good {
				want = want || g == name
			}
			if (err == nil) != want {
				t.Errorf("checkKey(%q, %s) = %v, want ok=%v", alg, name, err, want)
			}
			if err != nil && !errors.Is(err, errKeyMismatch) {
				t.Errorf("checkKey(%q, %s) error %v does not wrap errKeyMismatch", alg, name, err)
			}
		}
	}
}

package jwtauth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"

	"github.com/golang-jwt/jwt/v5"
)

// minRSABits is the smallest RSA modulus accepted (RFC 7518 §3.3).
const minRSABits = 2048

var (
	// errKeyMismatch: the key cannot verify the token's algorithm.
	errKeyMismatch = errors.New("key does not fit the algorithm")
	// errSignature: the signature does not verify.
	errSignature = errors.New("signature does not verify")
)

// methods are golang-jwt's signing methods for the algorithms it verifies
// strictly enough. PS* is verified here instead: golang-jwt verifies RSASSA-PSS
// with rsa.PSSSaltLengthAuto, accepting any salt length, where RFC 7518 §3.5
// fixes the salt length to the hash size.
var methods = map[string]jwt.SigningMethod{
	algRS256: jwt.SigningMethodRS256,
	algRS384: jwt.SigningMethodRS384,
	algRS512: jwt.SigningMethodRS512,
	algES256: jwt.SigningMethodES256,
	algES384: jwt.SigningMethodES384,
	algES512: jwt.SigningMethodES512,
	algEdDSA: jwt.SigningMethodEdDSA,
	algHS256: jwt.SigningMethodHS256,
	algHS384: jwt.SigningMethodHS384,
	algHS512: jwt.SigningMethodHS512,
}

// hashOf returns the hash an algorithm uses.
func hashOf(alg string) crypto.Hash {
	switch alg {
	case algRS256, algPS256, algES256, algHS256:
		return crypto.SHA256
	case algRS384, algPS384, algES384, algHS384:
		return crypto.SHA384
	case algRS512, algPS512, algES512, algHS512:
		return crypto.SHA512
	}
	return 0
}

// curveOf returns the curve an ES* algorithm signs on.
func curveOf(alg string) elliptic.Curve {
	switch alg {
	case algES256:
		return elliptic.P256()
	case algES384:
		return elliptic.P384()
	case algES512:
		return elliptic.P521()
	}
	return nil
}

// checkKey reports whether key may verify alg: the key type fixes the
// algorithm family (an RSA, EC or OKP key never verifies HS*, and a
// secret never verifies an asymmetric algorithm), ES* is pinned to its
// curve, RSA keys have at least 2048 bits and HMAC secrets at least the
// hash size (RFC 7518 §3.2).
func checkKey(alg string, key any) error {
	switch alg {
	case algRS256, algRS384, algRS512, algPS256, algPS384, algPS512:
		k, ok := key.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("%w: %s needs an RSA key, the key is %s", errKeyMismatch, alg, keyType(key))
		}
		if k.N.BitLen() < minRSABits {
			return fmt.Errorf("%w: RSA key has %d bits, at least %d required", errKeyMismatch, k.N.BitLen(), minRSABits)
		}
	case algES256, algES384, algES512:
		k, ok := key.(*ecdsa.PublicKey)
		if !ok {
			return fmt.Errorf("%w: %s needs an EC key, the key is %s", errKeyMismatch, alg, keyType(key))
		}
		if k.Curve != curveOf(alg) {
			return fmt.Errorf("%w: %s needs curve %s, the key is on %s", errKeyMismatch, alg, curveOf(alg).Params().Name, k.Curve.Params().Name)
		}
	case algEdDSA:
		k, ok := key.(ed25519.PublicKey)
		if !ok || len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: EdDSA needs an Ed25519 key, the key is %s", errKeyMismatch, keyType(key))
		}
	case algHS256, algHS384, algHS512:
		k, ok := key.([]byte)
		if !ok {
			return fmt.Errorf("%w: %s needs a shared secret, the key is %s", errKeyMismatch, alg, keyType(key))
		}
		if len(k) < hashOf(alg).Size() {
			return fmt.Errorf("%w: %s needs a secret of at least %d bytes, it has %d", errKeyMismatch, alg, hashOf(alg).Size(), len(k))
		}
	default:
		return fmt.Errorf("%w: unsupported algorithm %s", errKeyMismatch, quote(alg))
	}
	return nil
}

// keyType names a key's type for messages.
func keyType(key any) string {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d bits", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "EC " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	case []byte:
		return "a shared secret"
	case nil:
		return "missing"
	}
	return fmt.Sprintf("%T", key)
}

// verifySignature verifies a JWS signature: sig over signingInput with key
// for alg. checkKey must have accepted the key. ECDSA signatures are the
// fixed-width r||s of RFC 7518 §3.4 (a DER signature has the wrong length
// and fails); RSA signatures must be exactly the modulus size.
func verifySignature(alg, signingInput string, sig []byte, key any) error {
	switch alg {
	case algPS256, algPS384, algPS512:
		h := hashOf(alg)
		hh := h.New()
		_, _ = io.WriteString(hh, signingInput)
		var sum [64]byte
		if err := rsa.VerifyPSS(key.(*rsa.PublicKey), h, hh.Sum(sum[:0]), sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}); err != nil {
			return errSignature
		}
		return nil
	}
	m, ok := methods[alg]
	if !ok {
		return errSignature
	}
	if err := m.Verify(signingInput, sig, key); err != nil {
		return errSignature
	}
	return nil
}

package jwtauth

import (
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/big"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// keySet is an immutable snapshot of an issuer's usable keys.
type keySet struct {
	byKid map[string]jwkset.JWK
	all   []jwkset.JWK // usable keys in document order, with or without kid
	// rejected maps the kid of every key the hygiene rules dropped to why,
	// so a token naming it gets key_mismatch with the cause, not unknown_kid.
	rejected map[string]string
	// tokens are prebuilt keyfunc arguments for each usable kid and allowed
	// alg: keyfunc only reads a token's header, so they can be shared, and
	// the hot path then builds no header map per request.
	tokens map[tokenKey]*jwt.Token
}

type tokenKey struct{ kid, alg string }

// keyfuncToken returns a token whose header holds alg and kid, for the
// jwt.Keyfunc.
func (ks *keySet) keyfuncToken(kid, alg string) *jwt.Token {
	if t, ok := ks.tokens[tokenKey{kid, alg}]; ok {
		return t
	}
	return &jwt.Token{Header: map[string]any{"alg": alg, "kid": kid}}
}

// keyStore holds one issuer's verification keys. It is the jwkset.Storage
// jwkset's HTTP refresh writes into and keyfunc reads from, so every key
// set, bundled or fetched, passes the same hygiene rules (vetKeys) before
// it becomes visible. Reads are lock-free snapshots; a refused set leaves
// the previous snapshot in place (last good keys are kept).
type keyStore struct {
	name string   // issuer name, for logs
	algs []string // the issuer's allowed algorithms
	log  *slog.Logger

	mu  sync.Mutex // serializes writes
	cur atomic.Pointer[keySet]
	mem *jwkset.MemoryJWKSet // mirror of the usable keys for the JSON methods
}

var _ jwkset.Storage = (*keyStore)(nil)

func newKeyStore(name string, algs []string, log *slog.Logger) *keyStore {
	return &keyStore{name: name, algs: algs, log: log, mem: jwkset.NewMemoryStorage()}
}

// snapshot returns the current keys, or nil before any set was accepted.
func (s *keyStore) snapshot() *keySet { return s.cur.Load() }

// KeyRead implements jwkset.Storage. An empty kid never matches: keys
// without kid are reachable only through allow_missing_kid.
func (s *keyStore) KeyRead(_ context.Context, kid string) (jwkset.JWK, error) {
	if ks := s.cur.Load(); ks != nil && kid != "" {
		if j, ok := ks.byKid[kid]; ok {
			return j, nil
		}
	}
	return jwkset.JWK{}, jwkset.ErrKeyNotFound
}

// KeyReadAll implements jwkset.Storage.
func (s *keyStore) KeyReadAll(context.Context) ([]jwkset.JWK, error) {
	if ks := s.cur.Load(); ks != nil {
		return slices.Clone(ks.all), nil
	}
	return nil, nil
}

// KeyReplaceAll implements jwkset.Storage: jwkset's HTTP refresh calls it
// with every key of a fetched JWKS. A set the hygiene rules refuse is an
// error, which makes the refresh fail and keeps the previous keys.
func (s *keyStore) KeyReplaceAll(ctx context.Context, given []jwkset.JWK) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ks, dropped, err := vetKeys(given)
	if err != nil {
		return err
	}
	ks.tokens = make(map[tokenKey]*jwt.Token, len(ks.byKid)*len(s.algs))
	for kid := range ks.byKid {
		for _, alg := range s.algs {
			ks.tokens[tokenKey{kid, alg}] = &jwt.Token{Header: map[string]any{"alg": alg, "kid": kid}}
		}
	}
	prev := s.cur.Load()
	if prev == nil || !maps.Equal(prev.rejected, ks.rejected) {
		for _, d := range dropped {
			s.log.WarnContext(ctx, "jwtauth: JWKS key ignored", "issuer", s.name, "kid", d.kid, "reason", d.why)
		}
	}
	if err := s.mem.KeyReplaceAll(ctx, ks.all); err != nil {
		return err
	}
	s.cur.Store(ks)
	return nil
}

// KeyWrite implements jwkset.Storage by replacing the set with the current
// keys plus jwk, through the same rules.
func (s *keyStore) KeyWrite(ctx context.Context, jwk jwkset.JWK) error {
	all, _ := s.KeyReadAll(ctx)
	return s.KeyReplaceAll(ctx, append(all, jwk))
}

// KeyDelete implements jwkset.Storage. Deleting the last key is refused:
// an issuer never goes from some keys to none.
func (s *keyStore) KeyDelete(ctx context.Context, kid string) (bool, error) {
	all, _ := s.KeyReadAll(ctx)
	kept := slices.DeleteFunc(all, func(j jwkset.JWK) bool { return j.Marshal().KID == kid })
	if len(kept) == len(all) {
		return false, nil
	}
	return true, s.KeyReplaceAll(ctx, kept)
}

// JSON implements jwkset.Storage.
func (s *keyStore) JSON(ctx context.Context) (json.RawMessage, error) { return s.mem.JSON(ctx) }

// JSONPublic implements jwkset.Storage.
func (s *keyStore) JSONPublic(ctx context.Context) (json.RawMessage, error) {
	return s.mem.JSONPublic(ctx)
}

// JSONPrivate implements jwkset.Storage.
func (s *keyStore) JSONPrivate(ctx context.Context) (json.RawMessage, error) {
	return s.mem.JSONPrivate(ctx)
}

// JSONWithOptions implements jwkset.Storage.
func (s *keyStore) JSONWithOptions(ctx context.Context, m jwkset.JWKMarshalOptions, v jwkset.JWKValidateOptions) (json.RawMessage, error) {
	return s.mem.JSONWithOptions(ctx, m, v)
}

// Marshal implements jwkset.Storage.
func (s *keyStore) Marshal(ctx context.Context) (jwkset.JWKSMarshal, error) {
	return s.mem.Marshal(ctx)
}

// MarshalWithOptions implements jwkset.Storage.
func (s *keyStore) MarshalWithOptions(ctx context.Context, m jwkset.JWKMarshalOptions, v jwkset.JWKValidateOptions) (jwkset.JWKSMarshal, error) {
	return s.mem.MarshalWithOptions(ctx, m, v)
}

// droppedKey is a key the hygiene rules ignored.
type droppedKey struct{ kid, why string }

// vetKeys applies the JWKS hygiene rules (see the package documentation) to
// a parsed key set: it refuses the whole set for duplicate kids, any
// symmetric key, or no usable key at all, and drops single keys that are not
// for signature verification, weak, or inconsistent, remembering why.
func vetKeys(given []jwkset.JWK) (*keySet, []droppedKey, error) {
	ks := &keySet{byKid: map[string]jwkset.JWK{}, rejected: map[string]string{}}
	var dropped []droppedKey
	symmetric := 0
	for _, j := range given {
		m := j.Marshal()
		if m.KTY == jwkset.KtyOct {
			symmetric++
			continue
		}
		if why := keyProblem(j); why != "" {
			dropped = append(dropped, droppedKey{kid: m.KID, why: why})
			if m.KID != "" {
				ks.rejected[m.KID] = why
			}
			continue
		}
		if m.KID != "" {
			if _, dup := ks.byKid[m.KID]; dup {
				return nil, nil, fmt.Errorf("%w: kid %s names more than one signature key", ErrJWKS, quote(m.KID))
			}
			ks.byKid[m.KID] = j
		}
		ks.all = append(ks.all, j)
	}
	switch {
	case symmetric > 0 && len(given) > symmetric:
		return nil, nil, fmt.Errorf("%w: the set mixes %d symmetric (oct) key(s) with asymmetric keys; HMAC secrets are configured with hmac_secret, never published in a JWKS", ErrJWKS, symmetric)
	case symmetric > 0:
		return nil, nil, fmt.Errorf("%w: the set holds symmetric (oct) keys; HMAC secrets are configured with hmac_secret, never published in a JWKS", ErrJWKS)
	case len(ks.all) == 0 && len(dropped) > 0:
		whys := make([]string, len(dropped))
		for i, d := range dropped {
			whys[i] = fmt.Sprintf("kid %s: %s", quote(d.kid), d.why)
		}
		return nil, nil, fmt.Errorf("%w: no usable signature key (%s)", ErrJWKS, strings.Join(whys, "; "))
	case len(ks.all) == 0:
		return nil, nil, fmt.Errorf("%w: the set has no keys", ErrJWKS)
	}
	// A kid kept for signing wins over a same-kid key dropped for another use.
	for kid := range ks.byKid {
		delete(ks.rejected, kid)
	}
	slices.SortFunc(dropped, func(a, b droppedKey) int { return strings.Compare(a.kid, b.kid) })
	return ks, dropped, nil
}

// keyProblem returns why a parsed asymmetric JWK must not verify
// signatures, or "".
func keyProblem(j jwkset.JWK) string {
	m := j.Marshal()
	if m.D != "" || m.P != "" || m.Q != "" || m.DP != "" || m.DQ != "" || m.QI != "" || len(m.OTH) > 0 {
		return "the JWKS publishes the key's private part: the key is compromised"
	}
	if m.USE != "" && m.USE != jwkset.UseSig {
		return fmt.Sprintf("use is %s, not sig", quote(string(m.USE)))
	}
	if len(m.KEYOPS) > 0 && !slices.Contains(m.KEYOPS, jwkset.KeyOpsVerify) {
		return "key_ops does not include verify"
	}
	key := publicKey(j.Key())
	switch k := key.(type) {
	case *rsa.PublicKey:
		if bits := k.N.BitLen(); bits < minRSABits {
			return fmt.Sprintf("RSA modulus has %d bits, at least %d required", bits, minRSABits)
		}
		if k.E < 3 || k.E%2 == 0 {
			return fmt.Sprintf("RSA public exponent %d is invalid", k.E)
		}
		if rocaFingerprint(k.N) {
			return "RSA key has the ROCA fingerprint (CVE-2017-15361): its private key can be recovered"
		}
	case *ecdsa.PublicKey:
		switch k.Curve.Params().Name {
		case "P-256", "P-384", "P-521":
		default:
			return "unsupported curve " + k.Curve.Params().Name
		}
	case ed25519.PublicKey:
	case *ecdh.PublicKey:
		return "X25519 is a key-agreement key, not a signature key"
	default:
		return fmt.Sprintf("unsupported key type %s", quote(string(m.KTY)))
	}
	if m.ALG != "" {
		alg := string(m.ALG)
		if !knownAlg(alg) {
			return fmt.Sprintf("alg %s is not a signature algorithm", quote(alg))
		}
		if err := checkKey(alg, key); err != nil {
			return fmt.Sprintf("alg %s does not fit the key (%s)", alg, strings.TrimPrefix(err.Error(), errKeyMismatch.Error()+": "))
		}
	}
	return ""
}

// publicKey returns the public half of a private key, or key itself.
func publicKey(key any) any {
	if pk, ok := key.(interface{ Public() crypto.PublicKey }); ok {
		return pk.Public()
	}
	return key
}

// rocaPrimes are the small primes of the ROCA fingerprint (Nemec et al.,
// "The Return of Coppersmith's Attack", CCS 2017). Infineon RSALib primes
// have the form k*M + (65537^a mod M), M a primorial, so for every small
// prime r dividing M, the modulus mod r lies in the subgroup generated by
// 65537. A random modulus passes all these tests with negligible chance.
var rocaPrimes = []int64{3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73,
	79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167}

// rocaFingerprint reports whether n has the ROCA fingerprint.
func rocaFingerprint(n *big.Int) bool {
	var rem, mod big.Int
	for _, r := range rocaPrimes {
		nr := rem.Mod(n, mod.SetInt64(r)).Int64()
		g := 65537 % r
		in := false
		for x := int64(1); ; {
			if x == nr {
				in = true
				break
			}
			if x = x * g % r; x == 1 {
				break
			}
		}
		if !in {
			return false
		}
	}
	return true
}

// parseJWKS parses a JWKS document the way jwkset's HTTP refresh does
// (jwkset.NewJWKFromMarshal with default validation; unsupported key types
// skipped, any other invalid key fails the document), after checking it is
// strict, duplicate-free JSON.
func parseJWKS(data []byte) ([]jwkset.JWK, error) {
	if _, err := parseObject(string(data), nil); err != nil {
		return nil, fmt.Errorf("%w: not a valid JSON object: %w", ErrJWKS, err)
	}
	var set jwkset.JWKSMarshal
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJWKS, err)
	}
	var out []jwkset.JWK
	for i, m := range set.Keys {
		j, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{Private: true}, jwkset.JWKValidateOptions{})
		switch {
		case errors.Is(err, jwkset.ErrUnsupportedKey):
			continue
		case err != nil:
			return nil, fmt.Errorf("%w: key %d (kid %s): %w", ErrJWKS, i, quote(m.KID), err)
		}
		out = append(out, j)
	}
	return out, nil
}

// Package jwtauthtest is a test identity provider for package jwtauth and
// everything built on it: an Issuer generates a signing key, serves its
// JWKS and OpenID discovery document from an httptest server, and signs
// tokens, well-formed or deliberately malicious. Tests that verify its
// tokens run the real JWKS path (jwkset, keyfunc, HTTP).
//
// It never imports package jwtauth, so jwtauth's own tests can use it.
package jwtauthtest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"

	"github.com/portcullis-authz/portcullis/shared/config"
)

// Omit, as a claim or header value in Sign or Token, removes that member.
var Omit = omit{}

type omit struct{}

// Audience is the audience an Issuer's tokens and Config use unless
// WithAudience says otherwise.
const Audience = "https://api.portcullis.test"

// Paths the Issuer's server answers.
const (
	JWKSPath      = "/jwks.json"
	DiscoveryPath = "/.well-known/openid-configuration"
)

// Option configures an Issuer.
type Option func(*Issuer)

// WithClock sets the clock Token uses for iat and exp (default time.Now).
func WithClock(now func() time.Time) Option { return func(is *Issuer) { is.now = now } }

// WithAudience sets the audience of Token's tokens and of Config.
func WithAudience(aud string) Option { return func(is *Issuer) { is.aud = aud } }

// WithPath puts the issuer under a path of its server, e.g. "/realms/test";
// the discovery document is then served below it.
func WithPath(path string) Option { return func(is *Issuer) { is.path = path } }

// WithName sets the issuer's name in Config (default "test-<alg>").
func WithName(name string) Option { return func(is *Issuer) { is.name = name } }

// WithRSABits sets the RSA modulus size for RS*/PS* (default 2048). Sizes
// under 2048 produce keys a verifier must refuse.
func WithRSABits(bits int) Option { return func(is *Issuer) { is.rsaBits = bits } }

// WithSecretBytes sets the HMAC secret's length for HS* (default: the hash
// size).
func WithSecretBytes(n int) Option { return func(is *Issuer) { is.secretBytes = n } }

// WithTLS serves over HTTPS; use Client for a client that trusts it.
func WithTLS() Option { return func(is *Issuer) { is.tls = true } }

// Issuer is a test identity provider.
type Issuer struct {
	t           testing.TB
	alg         string
	method      jwt.SigningMethod
	name        string
	aud         string
	path        string
	rsaBits     int
	secretBytes int
	tls         bool
	now         func() time.Time
	srv         *httptest.Server

	mu              sync.Mutex
	keys            []*Key // current first
	down            bool
	status          int
	jwksOverride    []byte
	discoveryIssuer *string

	jwksHits, discoveryHits atomic.Int64
}

// Key is one signing key of an Issuer.
type Key struct {
	Kid     string
	Private any // crypto.Signer, or []byte for HS*
	Public  any // the verification key (the secret for HS*)
}

// NewIssuer starts an issuer signing with alg: RS256/384/512 and
// PS256/384/512 (RSA, 2048 bits unless WithRSABits), ES256/384/512,
// EdDSA (Ed25519) or HS256/384/512 (a random secret). Its server stops
// when the test ends.
func NewIssuer(t testing.TB, alg string, opts ...Option) *Issuer {
	t.Helper()
	m := jwt.GetSigningMethod(alg)
	if m == nil || alg == "none" {
		t.Fatalf("jwtauthtest: unsupported alg %q", alg)
	}
	is := &Issuer{t: t, alg: alg, method: m, aud: Audience, rsaBits: 2048, now: time.Now, name: "test-" + strings.ToLower(alg)}
	for _, o := range opts {
		o(is)
	}
	is.keys = []*Key{is.newKey()}
	is.srv = httptest.NewUnstartedServer(http.HandlerFunc(is.serve))
	// Tests provoke TLS and connection errors on purpose; keep them quiet.
	is.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if is.tls {
		is.srv.StartTLS()
	} else {
		is.srv.Start()
	}
	t.Cleanup(is.srv.Close)
	return is
}

// kidSeq numbers keys across all issuers of a test binary, so two issuers
// never publish the same kid by accident.
var kidSeq atomic.Int64

func (is *Issuer) newKey() *Key {
	k := &Key{Kid: fmt.Sprintf("%s-key-%d", strings.ToLower(is.alg), kidSeq.Add(1))}
	var err error
	switch is.alg[:2] {
	case "RS", "PS":
		var pk *rsa.PrivateKey
		pk, err = rsa.GenerateKey(rand.Reader, is.rsaBits)
		if err == nil {
			k.Private, k.Public = pk, &pk.PublicKey
		}
	case "ES":
		curve := map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}[is.alg]
		var pk *ecdsa.PrivateKey
		pk, err = ecdsa.GenerateKey(curve, rand.Reader)
		if err == nil {
			k.Private, k.Public = pk, &pk.PublicKey
		}
	case "Ed":
		var pub ed25519.PublicKey
		var pk ed25519.PrivateKey
		pub, pk, err = ed25519.GenerateKey(rand.Reader)
		k.Private, k.Public = pk, pub
	case "HS":
		n := is.secretBytes
		if n == 0 {
			n = map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}[is.alg]
		}
		secret := make([]byte, n)
		_, err = rand.Read(secret)
		k.Private, k.Public = secret, secret
	}
	if err != nil {
		is.t.Fatalf("jwtauthtest: generate %s key: %v", is.alg, err)
	}
	return k
}

func (is *Issuer) serve(w http.ResponseWriter, r *http.Request) {
	is.mu.Lock()
	down, status, override := is.down, is.status, is.jwksOverride
	is.mu.Unlock()
	switch r.URL.Path {
	case JWKSPath:
		is.jwksHits.Add(1)
	case is.path + DiscoveryPath:
		is.discoveryHits.Add(1)
	default:
		http.NotFound(w, r)
		return
	}
	if down {
		// Simulate an outage: drop the connection without an answer.
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	if status != 0 && status != http.StatusOK {
		http.Error(w, http.StatusText(status), status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == JWKSPath {
		if override != nil {
			w.Write(override)
			return
		}
		w.Write(is.JWKS())
		return
	}
	doc := map[string]any{
		"issuer":                                is.Issuer(),
		"jwks_uri":                              is.JWKSURL(),
		"id_token_signing_alg_values_supported": []string{is.alg},
	}
	is.mu.Lock()
	if is.discoveryIssuer != nil {
		doc["issuer"] = *is.discoveryIssuer
	}
	is.mu.Unlock()
	json.NewEncoder(w).Encode(doc)
}

// Alg returns the issuer's signing algorithm.
func (is *Issuer) Alg() string { return is.alg }

// Name returns the issuer's name in Config.
func (is *Issuer) Name() string { return is.name }

// URL returns the server's base URL.
func (is *Issuer) URL() string { return is.srv.URL }

// Issuer returns the issuer identifier, the tokens' iss.
func (is *Issuer) Issuer() string { return is.srv.URL + is.path }

// JWKSURL returns where the JWKS is served.
func (is *Issuer) JWKSURL() string { return is.srv.URL + JWKSPath }

// Client returns an HTTP client that trusts the server (needed WithTLS).
func (is *Issuer) Client() *http.Client { return is.srv.Client() }

// Audience returns the audience of Token's tokens.
func (is *Issuer) Audience() string { return is.aud }

// Config returns a policy-file issuer entry for this issuer, fetching the
// JWKS from its URL (HS*: the secret, see SecretRef and Secrets).
// Durations are left unset, as before config defaults apply.
func (is *Issuer) Config() config.Issuer {
	c := config.Issuer{
		Name:       is.name,
		Issuer:     is.Issuer(),
		Audiences:  []string{is.aud},
		Algorithms: []string{is.alg},
	}
	if is.Symmetric() {
		ref := is.SecretRef()
		c.HMACSecret = &ref
		return c
	}
	c.JWKS.URL = is.JWKSURL()
	return c
}

// DiscoveryConfig is Config with the JWKS found through OpenID discovery.
func (is *Issuer) DiscoveryConfig() config.Issuer {
	c := is.Config()
	c.JWKS.URL = ""
	c.JWKS.Discovery = true
	return c
}

// Symmetric reports whether the issuer signs with an HMAC secret.
func (is *Issuer) Symmetric() bool { return strings.HasPrefix(is.alg, "HS") }

// SecretRef names the issuer's HMAC secret in Config.
func (is *Issuer) SecretRef() config.SecretRef {
	return config.SecretRef{Env: "JWTAUTHTEST_SECRET_" + strings.ToUpper(strings.ReplaceAll(is.name, "-", "_"))}
}

// Secrets returns a secret source that knows this issuer's current HMAC
// secret, for jwtauth.WithSecrets.
func (is *Issuer) Secrets() func(ctx context.Context, ref config.SecretRef) ([]byte, error) {
	return func(_ context.Context, ref config.SecretRef) ([]byte, error) {
		if ref != is.SecretRef() {
			return nil, fmt.Errorf("jwtauthtest: unknown secret %+v", ref)
		}
		return is.Current().Public.([]byte), nil
	}
}

// Current returns the key tokens are signed with.
func (is *Issuer) Current() *Key {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.keys[0]
}

// Kid returns the current key's kid.
func (is *Issuer) Kid() string { return is.Current().Kid }

// Rotate makes a new key (with a new kid) current. With keepOld the
// previous keys stay published in the JWKS; without, only the new key is.
func (is *Issuer) Rotate(keepOld bool) *Key {
	k := is.newKey()
	is.mu.Lock()
	defer is.mu.Unlock()
	if keepOld {
		is.keys = append([]*Key{k}, is.keys...)
	} else {
		is.keys = []*Key{k}
	}
	return k
}

// JWK returns the public JWK of key k as a JSON object, with "use":"sig"
// and the issuer's "alg", for tests that edit it.
func (is *Issuer) JWK(k *Key) map[string]any {
	if is.Symmetric() {
		return map[string]any{"kty": "oct", "kid": k.Kid, "alg": is.alg, "k": base64.RawURLEncoding.EncodeToString(k.Public.([]byte))}
	}
	j, err := jwkset.NewJWKFromKey(k.Public, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{
		KID: k.Kid, ALG: jwkset.ALG(is.alg), USE: jwkset.UseSig,
	}})
	if err != nil {
		is.t.Fatalf("jwtauthtest: JWK: %v", err)
	}
	raw, _ := json.Marshal(j.Marshal())
	var out map[string]any
	json.Unmarshal(raw, &out)
	return out
}

// JWKS returns the JWKS document the server publishes (empty for HS*).
func (is *Issuer) JWKS() []byte {
	is.mu.Lock()
	keys := append([]*Key(nil), is.keys...)
	is.mu.Unlock()
	set := map[string]any{"keys": []any{}}
	if !is.Symmetric() {
		var list []any
		for _, k := range keys {
			list = append(list, is.JWK(k))
		}
		set["keys"] = list
	}
	raw, _ := json.Marshal(set)
	return raw
}

// JWKSDocument builds a JWKS document from JWK objects.
func JWKSDocument(keys ...map[string]any) []byte {
	if keys == nil {
		keys = []map[string]any{}
	}
	raw, _ := json.Marshal(map[string]any{"keys": keys})
	return raw
}

// ServeJWKS makes the server publish raw instead of the issuer's keys;
// nil restores them.
func (is *Issuer) ServeJWKS(raw []byte) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.jwksOverride = raw
}

// SetDown simulates an outage of both endpoints (connections are dropped).
func (is *Issuer) SetDown(down bool) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.down = down
}

// SetStatus makes both endpoints answer with this HTTP status (0 or 200:
// normal answers).
func (is *Issuer) SetStatus(code int) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.status = code
}

// SetDiscoveryIssuer makes the discovery document name another issuer.
func (is *Issuer) SetDiscoveryIssuer(iss string) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.discoveryIssuer = &iss
}

// JWKSRequests counts requests to the JWKS endpoint, outages included.
func (is *Issuer) JWKSRequests() int { return int(is.jwksHits.Load()) }

// DiscoveryRequests counts requests to the discovery endpoint.
func (is *Issuer) DiscoveryRequests() int { return int(is.discoveryHits.Load()) }

// Claims returns the default claims of Token: iss, aud, sub, iat and nbf
// now, exp in an hour, on the issuer's clock.
func (is *Issuer) Claims() map[string]any {
	now := is.now()
	return map[string]any{
		"iss": is.Issuer(),
		"aud": is.aud,
		"sub": "user-1",
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
}

// Token signs the default claims changed by overrides (Omit removes one).
func (is *Issuer) Token(overrides map[string]any) string {
	c := is.Claims()
	for k, v := range overrides {
		c[k] = v
	}
	return is.Sign(c)
}

// Header returns the default protected header: alg, kid and typ "JWT".
func (is *Issuer) Header() map[string]any {
	return map[string]any{"alg": is.alg, "kid": is.Kid(), "typ": "JWT"}
}

// Sign signs claims with the current key. Each header map is merged over
// the default header (Omit removes a member); the signature always uses the
// issuer's algorithm, whatever "alg" the header then says.
func (is *Issuer) Sign(claims map[string]any, header ...map[string]any) string {
	h := is.Header()
	for _, extra := range header {
		for k, v := range extra {
			h[k] = v
		}
	}
	return is.SignRaw(mustJSON(is.t, h), mustJSON(is.t, claims))
}

func mustJSON(t testing.TB, m map[string]any) []byte {
	c := make(map[string]any, len(m))
	for k, v := range m {
		if v != Omit {
			c[k] = v
		}
	}
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatalf("jwtauthtest: marshal: %v", err)
	}
	return raw
}

// SignRaw signs arbitrary header and payload bytes (not necessarily JSON)
// with the current key and returns the compact token.
func (is *Issuer) SignRaw(header, payload []byte) string {
	input := B64(header) + "." + B64(payload)
	return input + "." + B64(is.SignInput(input))
}

// SignInput returns the raw signature of a signing input with the current
// key (ECDSA signatures in the JWS r||s form).
func (is *Issuer) SignInput(input string) []byte {
	return SignWith(is.t, is.method, is.Current().Private, input)
}

// SignWith signs input with any golang-jwt method and key.
func SignWith(t testing.TB, m jwt.SigningMethod, key any, input string) []byte {
	sig, err := m.Sign(input, key)
	if err != nil {
		t.Fatalf("jwtauthtest: sign with %s: %v", m.Alg(), err)
	}
	return sig
}

// Compact assembles a token from already encoded parts and raw signature
// bytes: Compact(h, p, sig) = h + "." + p + "." + B64(sig).
func Compact(header64, payload64 string, sig []byte) string {
	return header64 + "." + payload64 + "." + B64(sig)
}

// B64 encodes bytes as unpadded base64url.
func B64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// Signer returns the current private key as a crypto.Signer (nil for HS*).
func (is *Issuer) Signer() crypto.Signer {
	s, _ := is.Current().Private.(crypto.Signer)
	return s
}

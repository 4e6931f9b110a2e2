// Package devidp is the local gateway's development identity provider: it
// signs real ES256 access tokens with the DEVELOPMENT key committed in
// events/ (never trusted by a deployed policy) and serves what a relying
// party needs from an OpenID provider — the discovery document, the JWKS
// and a token endpoint — so that people and tests get tokens the JWT
// authorizer verifies exactly as it verifies production tokens.
//
// The provider is bound to one issuer of the policy file: tokens carry
// that issuer's exact "iss", its first audience as "aud", and the key id
// under which the issuer's JWKS publishes the signing key.
package devidp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/portcullis-authz/portcullis/shared/config"
)

// Limits and defaults of minted tokens.
const (
	DefaultTTL     = time.Hour
	MaxTTL         = 24 * time.Hour
	DefaultSubject = "dev-user"
	// DefaultKid is the key id used when the issuer's keys are not in a
	// local JWKS file (jwks.url or discovery pointing at this provider).
	DefaultKid = "dev-es256-1"
	// ClientID is the client_id claim of every minted token.
	ClientID = "portcullis-dev-idp"
)

// Errors wrapped by New and Mint.
var (
	// ErrConfig: the issuer, key or JWKS is unusable.
	ErrConfig = errors.New("devidp: configuration")
	// ErrClaims: the requested claims are invalid (bad TTL, empty subject).
	ErrClaims = errors.New("devidp: invalid claims")
)

// Claims are what a minted token says about its subject.
type Claims struct {
	Subject string
	Scopes  []string
	Groups  []string
	ACR     string
	AMR     []string
	// TTL is the token's lifetime (default DefaultTTL, at most MaxTTL).
	TTL time.Duration
	// AuthAge is how long ago the subject authenticated: auth_time is
	// now minus AuthAge. Use it to try step-up max_age rules.
	AuthAge time.Duration
	Tenant  string
	Email   string
	// Audience overrides the issuer's first audience.
	Audience string
}

// Provider mints tokens for one issuer of a policy file. It is safe for
// concurrent use.
type Provider struct {
	name        string
	issuer      string
	audience    string
	tenantClaim string
	basePath    string
	scopes      []string
	key         *ecdsa.PrivateKey
	kid         string
	jwks        []byte
	now         func() time.Time
}

// Option configures a Provider.
type Option func(*Provider)

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(p *Provider) { p.now = now } }

// New returns the provider for the issuer named issuerName in f, signing
// with the PKCS#8 or SEC 1 PEM P-256 private key at keyPath. When the
// issuer's JWKS is a local file, the file must publish the key's public
// half, and its kid is used; otherwise the key is published under
// DefaultKid.
func New(f *config.File, issuerName, keyPath string, opts ...Option) (*Provider, error) {
	var is *config.Issuer
	for i := range f.Issuers {
		if f.Issuers[i].Name == issuerName {
			is = &f.Issuers[i]
		}
	}
	if is == nil {
		var names []string
		for _, i := range f.Issuers {
			names = append(names, i.Name)
		}
		return nil, fmt.Errorf("%w: policy %s has no issuer named %q (issuers: %s)", ErrConfig, f.Path, issuerName, strings.Join(names, ", "))
	}
	if !slices.Contains(is.Algorithms, "ES256") {
		return nil, fmt.Errorf("%w: issuer %q does not allow ES256, the development key's algorithm", ErrConfig, issuerName)
	}
	if len(is.Audiences) == 0 {
		return nil, fmt.Errorf("%w: issuer %q lists no audience", ErrConfig, issuerName)
	}
	u, err := url.Parse(is.Issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: issuer %q: %v", ErrConfig, is.Issuer, err)
	}
	key, err := loadKey(keyPath)
	if err != nil {
		return nil, err
	}
	p := &Provider{
		name:        issuerName,
		issuer:      is.Issuer,
		audience:    is.Audiences[0],
		tenantClaim: is.Claims.Tenant,
		basePath:    strings.TrimSuffix(u.Path, "/"),
		key:         key,
		kid:         DefaultKid,
		now:         time.Now,
	}
	if p.tenantClaim == "" {
		p.tenantClaim = "tenant"
	}
	for s := range f.Scopes {
		p.scopes = append(p.scopes, s)
	}
	slices.Sort(p.scopes)
	if is.JWKS.File != "" {
		path := f.Resolve(is.JWKS.File)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
		kid, err := findKid(data, &key.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrConfig, path, err)
		}
		p.kid, p.jwks = kid, data
	} else {
		p.jwks = publicJWKS(p.kid, &key.PublicKey)
	}
	for _, o := range opts {
		o(p)
	}
	return p, nil
}

// Issuer returns the "iss" of minted tokens.
func (p *Provider) Issuer() string { return p.issuer }

// Name returns the issuer's name in the policy file.
func (p *Provider) Name() string { return p.name }

// Audience returns the default "aud" of minted tokens.
func (p *Provider) Audience() string { return p.audience }

// Kid returns the key id minted tokens carry.
func (p *Provider) Kid() string { return p.kid }

// BasePath returns the URL path of the issuer ("/dev-idp"), under which
// the provider's endpoints live.
func (p *Provider) BasePath() string { return p.basePath }

// JWKS returns the public key set the provider serves.
func (p *Provider) JWKS() []byte { return slices.Clone(p.jwks) }

// Mint signs a token for c.
func (p *Provider) Mint(c Claims) (string, error) {
	if c.Subject == "" {
		c.Subject = DefaultSubject
	}
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	switch {
	case c.TTL < 0 || c.TTL > MaxTTL:
		return "", fmt.Errorf("%w: ttl %s is not between 1s and %s", ErrClaims, c.TTL, MaxTTL)
	case c.TTL < time.Second:
		return "", fmt.Errorf("%w: ttl %s is under 1s", ErrClaims, c.TTL)
	case c.AuthAge < 0:
		return "", fmt.Errorf("%w: auth age %s is negative", ErrClaims, c.AuthAge)
	}
	aud := c.Audience
	if aud == "" {
		aud = p.audience
	}
	now := p.now().Truncate(time.Second)
	var jti [12]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", fmt.Errorf("devidp: random: %w", err)
	}
	claims := jwt.MapClaims{
		"iss":       p.issuer,
		"sub":       c.Subject,
		"aud":       aud,
		"iat":       now.Unix(),
		"exp":       now.Add(c.TTL).Unix(),
		"auth_time": now.Add(-c.AuthAge).Unix(),
		"jti":       hex.EncodeToString(jti[:]),
		"client_id": ClientID,
	}
	if len(c.Scopes) > 0 {
		claims["scope"] = strings.Join(c.Scopes, " ")
	}
	if len(c.Groups) > 0 {
		claims["groups"] = c.Groups
	}
	if c.ACR != "" {
		claims["acr"] = c.ACR
	}
	if len(c.AMR) > 0 {
		claims["amr"] = c.AMR
	}
	if c.Tenant != "" {
		claims[p.tenantClaim] = c.Tenant
	}
	if c.Email != "" {
		claims["email"] = c.Email
	}
	t := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	t.Header["kid"] = p.kid
	return t.SignedString(p.key)
}

func loadKey(path string) (*ecdsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: signing key: %v", ErrConfig, err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: signing key %s: no PEM block", ErrConfig, path)
	}
	var key any
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%w: signing key %s: PEM block %q is not a private key", ErrConfig, path, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: signing key %s: %v", ErrConfig, path, err)
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: signing key %s: want a P-256 (ES256) key", ErrConfig, path)
	}
	return ec, nil
}

type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	Kid string `json:"kid"`
	X   string `json:"x"`
	Y   string `json:"y"`
	Alg string `json:"alg,omitempty"`
	Use string `json:"use,omitempty"`
}

// findKid returns the kid under which the JWKS document publishes pub.
func findKid(data []byte, pub *ecdsa.PublicKey) (string, error) {
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return "", fmt.Errorf("not a JWKS document: %v", err)
	}
	want := publicJWK("", pub)
	for _, k := range set.Keys {
		if k.Kty == "EC" && k.Crv == "P-256" && k.X == want.X && k.Y == want.Y {
			if k.Kid == "" {
				return "", errors.New("the signing key is published without a kid")
			}
			return k.Kid, nil
		}
	}
	return "", errors.New("does not publish the development signing key's public half (wrong key file?)")
}

func publicJWK(kid string, pub *ecdsa.PublicKey) jwk {
	raw, err := pub.Bytes() // 0x04 || X || Y, 32 bytes each for P-256
	if err != nil {
		// Unreachable: the key was parsed as a valid P-256 key.
		panic(fmt.Sprintf("devidp: encoding the public key: %v", err))
	}
	enc := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	return jwk{Kty: "EC", Crv: "P-256", Kid: kid, X: enc(raw[1:33]), Y: enc(raw[33:65]), Alg: "ES256", Use: "sig"}
}

func publicJWKS(kid string, pub *ecdsa.PublicKey) []byte {
	b, _ := json.MarshalIndent(struct {
		Keys []jwk `json:"keys"`
	}{[]jwk{publicJWK(kid, pub)}}, "", "  ")
	return b
}

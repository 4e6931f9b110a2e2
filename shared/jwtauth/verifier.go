package jwtauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/portcullis-authz/portcullis/shared/apigw"
	"github.com/portcullis-authz/portcullis/shared/audit"
	"github.com/portcullis-authz/portcullis/shared/authz"
	"github.com/portcullis-authz/portcullis/shared/config"
)

// Errors. Every error New returns wraps ErrConfig; every error Verify
// returns wraps ErrNoKeys.
var (
	// ErrConfig is wrapped by every problem New finds in the issuers.
	ErrConfig = errors.New("jwtauth: invalid issuer configuration")
	// ErrJWKS is wrapped when a key set is refused as a whole (see the
	// package documentation).
	ErrJWKS = errors.New("jwtauth: JWKS refused")
	// ErrDiscovery is wrapped when the OpenID discovery document cannot be
	// fetched or does not fit the issuer.
	ErrDiscovery = errors.New("jwtauth: OpenID discovery failed")
	// ErrNoKeys is the technical failure Verify returns when the token's
	// issuer has no usable keys at all (its JWKS could never be fetched).
	ErrNoKeys = errors.New("jwtauth: issuer has no usable keys")
)

// SecretFunc returns the bytes of a configured secret (an HMAC issuer's
// hmac_secret).
type SecretFunc func(ctx context.Context, ref config.SecretRef) ([]byte, error)

type options struct {
	client  *http.Client
	now     func() time.Time
	secrets SecretFunc
	log     *slog.Logger
}

// Option configures New.
type Option func(*options)

// WithHTTPClient sets the client for discovery and JWKS fetches (default: a
// plain http.Client; each fetch is bounded by the issuer's timeout).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithClock sets the clock for exp, nbf, iat and the unknown-kid refresh
// rate limit (default time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithSecrets sets how HMAC secrets are obtained. Without it, an issuer with
// HS* algorithms is a configuration error.
func WithSecrets(fn SecretFunc) Option { return func(o *options) { o.secrets = fn } }

// WithLogger sets the logger for key-set warnings and fetch failures
// (default slog.Default()). Tokens and keys are never logged.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// Verifier verifies bearer JWTs for the issuers of a policy file. It is safe
// for concurrent use.
type Verifier struct {
	issuers       map[string]*issuer // by exact iss
	header        string             // the credential header (Authenticate)
	maxTokenBytes int
	now           func() time.Time
	stop          context.CancelFunc
}

// issuer is one configured issuer, ready to verify.
type issuer struct {
	name       string
	iss        string
	algs       []string
	leeway     time.Duration
	audiences  []string
	cognito    *config.Cognito
	required   []string
	allowNoKid bool
	claims     config.ClaimMapping

	secret []byte      // HMAC issuers
	keys   jwt.Keyfunc // asymmetric issuers: keyfunc over store
	store  *keyStore
	remote *remote // nil for bundled and HMAC issuers
}

// New builds a Verifier for the issuers of a loaded policy file, at cold
// start: bundled JWKS files are read, discovery documents and JWKS URLs are
// fetched once (each bounded by the issuer's timeout, issuers in parallel),
// HMAC secrets are obtained through WithSecrets. f.Resolve resolves relative
// JWKS file paths; the token size limit is f.Authorizers.JWT.MaxTokenBytes.
//
// Every configuration problem is reported at once, wrapping ErrConfig: an
// unknown or "none" algorithm, HS* mixed with asymmetric algorithms, a
// missing or short HMAC secret, a bundled JWKS that is unreadable or refused.
// A remote JWKS or discovery document that cannot be fetched is not an
// error: the issuer starts without keys (logged), its tokens get ErrNoKeys
// (500) until a later rate-limited fetch succeeds, and the other issuers
// serve normally.
func New(ctx context.Context, f *config.File, opts ...Option) (*Verifier, error) {
	o := options{client: &http.Client{}, now: time.Now, log: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	o.client = limitedClient(o.client)
	bg, stop := context.WithCancel(context.Background())
	v := &Verifier{issuers: map[string]*issuer{}, header: "Authorization", maxTokenBytes: config.DefaultMaxTokenBytes, now: o.now, stop: stop}
	if a := f.Authorizers.JWT; a != nil {
		if a.MaxTokenBytes > 0 {
			v.maxTokenBytes = a.MaxTokenBytes
		}
		if a.Header != "" {
			v.header = a.Header
		}
	}
	var errs []error
	if len(f.Issuers) == 0 {
		errs = append(errs, fmt.Errorf("%w: no issuers configured", ErrConfig))
	}
	for i := range f.Issuers {
		c := &f.Issuers[i]
		is, err := newIssuer(ctx, bg, f, c, &o)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: issuer %s: %w", ErrConfig, quote(c.Name), err))
			continue
		}
		if _, dup := v.issuers[is.iss]; dup {
			errs = append(errs, fmt.Errorf("%w: issuer %s: iss %s is configured twice", ErrConfig, quote(c.Name), quote(is.iss)))
			continue
		}
		v.issuers[is.iss] = is
	}
	if len(errs) > 0 {
		stop()
		return nil, errors.Join(errs...)
	}
	var wg sync.WaitGroup
	for _, is := range v.issuers {
		if is.remote == nil {
			continue
		}
		wg.Go(func() {
			if err := is.remote.start(ctx); err != nil {
				o.log.ErrorContext(ctx, "jwtauth: issuer starts without keys; its tokens fail with a technical error until a fetch succeeds",
					"issuer", is.name, "error", err)
			}
		})
	}
	wg.Wait()
	return v, nil
}

// Close stops the background JWKS refreshes. Verify keeps working with the
// keys it has.
func (v *Verifier) Close() { v.stop() }

func newIssuer(ctx, bg context.Context, f *config.File, c *config.Issuer, o *options) (*issuer, error) {
	is := &issuer{
		name:       c.Name,
		iss:        c.Issuer,
		algs:       c.Algorithms,
		leeway:     durationOr(c.Leeway, config.DefaultLeeway),
		audiences:  c.Audiences,
		cognito:    c.Cognito,
		required:   c.RequiredClaims,
		allowNoKid: c.AllowMissingKid,
		claims:     c.Claims,
	}
	if is.iss == "" {
		return nil, errors.New("issuer (the exact iss value) is empty")
	}
	if len(is.algs) == 0 {
		is.algs = []string{algRS256}
	}
	if len(is.claims.Scopes) == 0 {
		is.claims.Scopes = []string{"scope", "scp", "permissions"}
	}
	if len(is.claims.Roles) == 0 {
		is.claims.Roles = []string{"cognito:groups", "roles", "groups", "realm_access.roles"}
	}
	var hmacBytes int
	asym := false
	for _, a := range is.algs {
		switch {
		case strings.EqualFold(a, "none"):
			return nil, errors.New(`algorithm "none" is never allowed`)
		case !knownAlg(a):
			return nil, fmt.Errorf("unknown algorithm %s", quote(a))
		case strings.HasPrefix(a, "HS"):
			hmacBytes = max(hmacBytes, hashOf(a).Size())
		default:
			asym = true
		}
	}
	if hmacBytes > 0 && asym {
		return nil, errors.New("HS* algorithms cannot be mixed with asymmetric ones on one issuer")
	}
	if c.Cognito == nil && len(c.Audiences) == 0 {
		return nil, errors.New("no accepted audiences")
	}
	if c.Cognito != nil && (c.Cognito.TokenUse != "access" && c.Cognito.TokenUse != "id" || len(c.Cognito.ClientIDs) == 0) {
		return nil, errors.New("cognito needs token_use access or id and at least one client id")
	}
	log := o.log.With("issuer", c.Name)

	if hmacBytes > 0 {
		if c.HMACSecret == nil {
			return nil, errors.New("HS* algorithms need hmac_secret")
		}
		if c.JWKS.URL != "" || c.JWKS.File != "" || c.JWKS.Discovery {
			return nil, errors.New("an HMAC issuer has no JWKS")
		}
		if o.secrets == nil {
			return nil, errors.New("HS* algorithms need a secret source: the verifier was built without WithSecrets")
		}
		secret, err := o.secrets(ctx, *c.HMACSecret)
		if err != nil {
			return nil, fmt.Errorf("hmac_secret: %w", err)
		}
		if len(secret) < hmacBytes {
			return nil, fmt.Errorf("hmac_secret has %d bytes; the allowed algorithms need at least %d (RFC 7518 §3.2: a key as long as the hash output)", len(secret), hmacBytes)
		}
		is.secret = secret
		return is, nil
	}
	if c.HMACSecret != nil {
		return nil, errors.New("hmac_secret is set but no HS* algorithm is allowed")
	}

	is.store = newKeyStore(c.Name, is.algs, log)
	kf, err := keyfunc.New(keyfunc.Options{Ctx: bg, Storage: is.store, UseWhitelist: []jwkset.USE{jwkset.UseSig, ""}})
	if err != nil {
		return nil, err
	}
	is.keys = kf.Keyfunc
	sources := 0
	for _, set := range []bool{c.JWKS.URL != "", c.JWKS.Discovery, c.JWKS.File != ""} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		return nil, fmt.Errorf("name exactly one of jwks.url, jwks.discovery or jwks.file (got %d)", sources)
	}
	if c.JWKS.File != "" {
		path := f.Resolve(c.JWKS.File)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("jwks.file: %w", err)
		}
		keys, err := parseJWKS(data)
		if err != nil {
			return nil, fmt.Errorf("jwks.file %s: %w", path, err)
		}
		if err := is.store.KeyReplaceAll(ctx, keys); err != nil {
			return nil, fmt.Errorf("jwks.file %s: %w", path, err)
		}
		return is, nil
	}
	if c.JWKS.URL != "" {
		if err := checkFetchURL(c.JWKS.URL); err != nil {
			return nil, fmt.Errorf("jwks.url: %w", err)
		}
	}
	is.remote = &remote{
		name:    c.Name,
		issuer:  c.Issuer,
		url:     c.JWKS.URL,
		client:  o.client,
		timeout: durationOr(c.JWKS.Timeout, config.DefaultJWKSTimeout),
		every:   durationOr(c.JWKS.RefreshInterval, config.DefaultRefreshInterval),
		gap:     durationOr(c.JWKS.UnknownKidInterval, config.DefaultUnknownKidInterval),
		now:     o.now,
		store:   is.store,
		log:     log,
		bg:      bg,
	}
	return is, nil
}

func durationOr(d *config.Duration, def time.Duration) time.Duration {
	if d == nil {
		return def
	}
	return d.D()
}

// Authenticate implements the authorizer's Authenticator: it takes the
// bearer token from the request's credential (the TOKEN authorizer's
// authorizationToken, else the header authorizers.jwt.header names),
// verifies it, and sets the decision's Fingerprint for the audit line.
func (v *Verifier) Authenticate(ctx context.Context, r *authz.Request) (authz.Decision, error) {
	token, reason := apigw.BearerToken(r, v.header)
	if reason != "" {
		return authz.Unauthenticatedf(reason, "no usable bearer token in "+v.header), nil
	}
	d, err := v.Verify(ctx, token)
	d.Fingerprint = audit.Fingerprint(token)
	return d, err
}

// Verify checks a compact JWS bearer token (without the "Bearer " prefix).
//
// It returns an Allow decision with the authenticated Principal (the route
// policy decides later), or an Unauthenticated decision with a typed reason
// and a Detail naming the issuer and kid where known (never the token).
// The error is non-nil only for a technical failure: the token's issuer has
// no usable keys at all (ErrNoKeys), which the authorizer answers with 500.
//
// The issuer is chosen by the token's unverified "iss", and only that
// issuer's keys, algorithms and rules apply from then on.
func (v *Verifier) Verify(ctx context.Context, token string) (authz.Decision, error) {
	if len(token) > v.maxTokenBytes {
		return authz.Unauthenticatedf(authz.ReasonTokenTooLarge, fmt.Sprintf("token is %d bytes, the limit is %d", len(token), v.maxTokenBytes)), nil
	}
	t, rj := parseCompact(token)
	// Before the issuer is known, a detail names the kid the header gave.
	early := func(reason authz.Reason, detail string) (authz.Decision, error) {
		if t.header.hasKid {
			detail = "kid " + quote(t.header.kid) + ": " + detail
		}
		return authz.Unauthenticatedf(reason, detail), nil
	}
	if rj != nil {
		return early(rj.reason, rj.detail)
	}
	if t.claims == "" {
		return early(authz.ReasonMalformedToken, "empty payload: detached content is not accepted, a JWT carries its claims")
	}
	var buf [32]member
	ms, err := parseObject(t.claims, buf[:0])
	if err != nil {
		rj := jsonReject("claims", err)
		return early(rj.reason, rj.detail)
	}
	claims := newObject(ms)
	im, ok := claims.get("iss")
	if !ok {
		return early(authz.ReasonUnknownIssuer, "token has no iss claim")
	}
	iss, ok := im.str()
	if !ok {
		return early(authz.ReasonInvalidClaim, fmt.Sprintf("iss is a %s, not a string", im.kind))
	}
	is := v.issuers[iss]
	if is == nil {
		return early(authz.ReasonUnknownIssuer, fmt.Sprintf("iss %s is not a configured issuer", quote(iss)))
	}
	h := &t.header
	rj, err = is.checkJWS(ctx, &t)
	if err != nil {
		return authz.Decision{Effect: authz.Unauthenticated, Detail: is.prefix(h) + err.Error()}, err
	}
	if rj != nil {
		return is.reject(h, rj), nil
	}
	p, rj := is.principal(&claims, v.now())
	if rj != nil {
		return is.reject(h, rj), nil
	}
	p.CredentialID = h.kid
	return authz.Decision{Effect: authz.Allow, Reason: authz.ReasonAllowed, Principal: p}, nil
}

// checkJWS is the JWS layer of Verify for a pre-parsed token of this
// issuer: the algorithm allow-list, the key for the header (keyfunc over
// the issuer's keys, refreshing on an unknown kid), the key's fit to the
// algorithm and the signature. The payload is not looked at.
func (is *issuer) checkJWS(ctx context.Context, t *jws) (*reject, error) {
	h := &t.header
	if !slices.Contains(is.algs, h.alg) {
		return rejectf(authz.ReasonAlgNotAllowed, "alg %s is not allowed (allowed: %s)", h.alg, strings.Join(is.algs, ", ")), nil
	}
	key, rj, err := is.key(ctx, h)
	if err != nil || rj != nil {
		return rj, err
	}
	if err := verifySignature(h.alg, t.signingInput, t.sig, key); err != nil {
		return rejectf(authz.ReasonBadSignature, "%s signature does not verify", h.alg), nil
	}
	return nil, nil
}

// prefix names the issuer and kid for a detail.
func (is *issuer) prefix(h *header) string {
	if h.hasKid {
		return fmt.Sprintf("issuer %s kid %s: ", quote(is.name), quote(h.kid))
	}
	return fmt.Sprintf("issuer %s (no kid): ", quote(is.name))
}

func (is *issuer) reject(h *header, rj *reject) authz.Decision {
	return authz.Unauthenticatedf(rj.reason, is.prefix(h)+rj.detail)
}

// key finds the key that must verify a token with header h.
func (is *issuer) key(ctx context.Context, h *header) (any, *reject, error) {
	if is.secret != nil {
		// The secret is the issuer's only key and is configured without a
		// kid, so a token's kid cannot be checked against anything.
		if !h.hasKid && !is.allowNoKid {
			return nil, rejectf(authz.ReasonMissingKid, "token has no kid and the issuer does not set allow_missing_kid"), nil
		}
		if err := checkKey(h.alg, is.secret); err != nil {
			return nil, rejectf(authz.ReasonKeyMismatch, "%v", err), nil
		}
		return is.secret, nil, nil
	}
	note := ""
	if is.store.snapshot() == nil {
		if is.remote != nil {
			note = is.remote.refresh(ctx)
		}
		if is.store.snapshot() == nil {
			if is.remote != nil {
				if err := is.remote.lastError(); err != nil {
					return nil, nil, fmt.Errorf("%w: %w", ErrNoKeys, err)
				}
			}
			return nil, nil, fmt.Errorf("%w: no key set was ever loaded", ErrNoKeys)
		}
	}
	if !h.hasKid {
		if !is.allowNoKid {
			return nil, rejectf(authz.ReasonMissingKid, "token has no kid and the issuer does not set allow_missing_kid"), nil
		}
		if n := len(is.store.snapshot().all); n != 1 {
			return nil, rejectf(authz.ReasonMissingKid, "token has no kid and the issuer has %d keys, so the key is ambiguous", n), nil
		}
		got, err := is.keys(&jwt.Token{Header: map[string]any{"alg": h.alg}})
		if err != nil {
			return nil, rejectf(authz.ReasonKeyMismatch, "%v", err), nil
		}
		set, _ := got.(jwt.VerificationKeySet)
		if len(set.Keys) != 1 {
			return nil, rejectf(authz.ReasonKeyMismatch, "the issuer's only key is not for %s", h.alg), nil
		}
		return is.checked(h, set.Keys[0])
	}
	if h.kid == "" {
		return nil, rejectf(authz.ReasonUnknownKid, "kid is empty"), nil
	}
	key, err := is.keys(is.store.snapshot().keyfuncToken(h.kid, h.alg))
	if errors.Is(err, jwkset.ErrKeyNotFound) {
		if why, ok := is.store.snapshot().rejected[h.kid]; ok {
			return nil, rejectf(authz.ReasonKeyMismatch, "the issuer's JWKS has this kid but the key was refused: %s", why), nil
		}
		if is.remote == nil {
			return nil, rejectf(authz.ReasonUnknownKid, "kid is not in the issuer's bundled JWKS"), nil
		}
		if note == "" {
			note = is.remote.refresh(ctx)
		}
		key, err = is.keys(is.store.snapshot().keyfuncToken(h.kid, h.alg))
		if errors.Is(err, jwkset.ErrKeyNotFound) {
			if why, ok := is.store.snapshot().rejected[h.kid]; ok {
				return nil, rejectf(authz.ReasonKeyMismatch, "the issuer's JWKS has this kid but the key was refused: %s", why), nil
			}
			return nil, rejectf(authz.ReasonUnknownKid, "kid is not in the issuer's JWKS (%s)", note), nil
		}
	}
	if err != nil {
		// keyfunc refused the key: its JWK alg differs from the header's
		// (e.g. RS256 against PS256 with the same RSA key), or its use.
		return nil, rejectf(authz.ReasonKeyMismatch, "%s", keyfuncDetail(err)), nil
	}
	return is.checked(h, key)
}

// checked applies checkKey to a key keyfunc returned.
func (is *issuer) checked(h *header, key any) (any, *reject, error) {
	if err := checkKey(h.alg, key); err != nil {
		return nil, rejectf(authz.ReasonKeyMismatch, "%v", err), nil
	}
	return key, nil, nil
}

// keyfuncDetail shortens a keyfunc error to its cause.
func keyfuncDetail(err error) string {
	s := err.Error()
	if i := strings.Index(s, ": "); i >= 0 && strings.HasPrefix(s, keyfunc.ErrKeyfunc.Error()) {
		s = s[i+2:]
	}
	return s
}

package apikey

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/portcullis-authz/portcullis/shared/audit"
	"github.com/portcullis-authz/portcullis/shared/authz"
	"github.com/portcullis-authz/portcullis/shared/config"
)

// IssuerName is the Principal.Issuer of every API-key principal.
const IssuerName = "apikey"

// Authenticator checks the API key in a request against the key store.
// It implements the common handler's Authenticator contract: Allow with a
// principal for a valid key (the route policy decides next),
// Unauthenticated for a missing, malformed, unknown, revoked, suspended or
// expired key, Deny when the source address is outside the key's CIDR
// allow-list, and an error (fail closed) when the store cannot answer.
type Authenticator struct {
	header string
	query  string
	env    Env
	hasher *Hasher
	store  Store
	cache  *Cache
	now    func() time.Time
}

// Option configures an [Authenticator].
type Option func(*Authenticator)

// WithClock sets the clock (default time.Now) used for expiry, grace and
// cache freshness.
func WithClock(now func() time.Time) Option { return func(a *Authenticator) { a.now = now } }

// NewAuthenticator returns an authenticator configured by cfg (header,
// query parameter, environment, record cache), hashing with h and reading
// records from store through a [Cache].
func NewAuthenticator(cfg *config.APIKeyAuthorizer, h *Hasher, store Store, opts ...Option) (*Authenticator, error) {
	if cfg == nil {
		return nil, errors.New("apikey: the policy file configures no apikey authorizer")
	}
	if h == nil || store == nil {
		return nil, errors.New("apikey: a hasher and a store are required")
	}
	a := &Authenticator{
		header: strings.ToLower(cmpOr(cfg.Header, "x-api-key")),
		query:  cfg.QueryParameter,
		env:    Env(cmpOr(cfg.Environment, string(Live))),
		hasher: h,
		store:  store,
		now:    time.Now,
	}
	if !a.env.Valid() {
		return nil, fmt.Errorf("apikey: environment %q is not live or test", a.env)
	}
	for _, o := range opts {
		o(a)
	}
	pos, neg := config.DefaultPositiveTTL, config.DefaultNegativeTTL
	if cfg.Cache.PositiveTTL != nil {
		pos = cfg.Cache.PositiveTTL.D()
	}
	if cfg.Cache.NegativeTTL != nil {
		neg = cfg.Cache.NegativeTTL.D()
	}
	max := cfg.Cache.MaxEntries
	if max == 0 {
		max = config.DefaultCacheEntries
	}
	a.cache = NewCache(store, max, pos, neg, a.now)
	return a, nil
}

// Cache returns the authenticator's record cache.
func (a *Authenticator) Cache() *Cache { return a.cache }

// Authenticate checks the API key in r. Every decision about a presented
// key carries its audit fingerprint (a short hash, never the key).
func (a *Authenticator) Authenticate(ctx context.Context, r *authz.Request) (authz.Decision, error) {
	text, reason, detail := a.credential(r)
	if reason != "" {
		return authz.Unauthenticatedf(reason, detail), nil
	}
	d, err := a.authenticate(ctx, r, text)
	d.Fingerprint = audit.Fingerprint(text)
	return d, err
}

func (a *Authenticator) authenticate(ctx context.Context, r *authz.Request, text string) (authz.Decision, error) {
	k, err := Parse(text)
	if err != nil {
		return authz.Unauthenticatedf(authz.ReasonMalformedKey, strings.TrimPrefix(err.Error(), "apikey: ")), nil
	}
	if k.Env != a.env {
		return authz.Unauthenticatedf(authz.ReasonUnknownKey,
			fmt.Sprintf("a %s key; this authorizer accepts %s keys", k.Env, a.env)), nil
	}
	rec, err := a.cache.Get(ctx, k.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		a.hasher.Verify(k, nil) // the same work as a wrong secret
		return authz.Unauthenticatedf(authz.ReasonUnknownKey, "unknown key id "+k.ID), nil
	case err != nil:
		return authz.Decision{}, fmt.Errorf("apikey: look up key %s: %w", k.ID, err)
	}
	if !a.hasher.Verify(k, rec.SecretHash) || rec.Env != k.Env {
		return authz.Unauthenticatedf(authz.ReasonUnknownKey, "wrong secret for key id "+k.ID), nil
	}
	if reason, detail := rec.Check(a.now()); reason != "" {
		return authz.Unauthenticatedf(reason, detail+" (key id "+k.ID+")"), nil
	}
	p := &authz.Principal{
		Subject:      rec.Owner,
		Issuer:       IssuerName,
		Tenant:       rec.Tenant,
		Scopes:       rec.Scopes,
		ExpiresAt:    rec.Deadline(),
		CredentialID: rec.ID,
		UsageKey:     rec.UsageKey,
	}
	if !rec.AllowsSource(r.SourceIP) {
		return authz.Decision{Effect: authz.Deny, Reason: authz.ReasonSourceIPNotAllowed, Principal: p,
			Detail: fmt.Sprintf("source address %q is outside the allow-list of key %s", r.SourceIP, rec.ID)}, nil
	}
	return authz.Decision{Effect: authz.Allow, Reason: authz.ReasonAllowed, Principal: p}, nil
}

// credential finds the key text in r: the REST TOKEN authorizer's token,
// the configured header, or the configured query parameter. A key found
// in the query string when no parameter is configured is refused.
func (a *Authenticator) credential(r *authz.Request) (string, authz.Reason, string) {
	if r.Kind == authz.KindRESTToken {
		if r.Token != "" {
			return r.Token, "", ""
		}
	} else if v := r.Header(a.header); v != "" {
		return v, "", ""
	}
	if a.query != "" {
		if v := r.Query[a.query]; v != "" {
			return v, "", ""
		}
	}
	for name, v := range r.Query {
		if LooksLikeKey(v) {
			return "", authz.ReasonCredentialInQuery,
				fmt.Sprintf("an API key was sent in query parameter %q; send it in the %s header", name, a.header)
		}
	}
	return "", authz.ReasonMissingCredentials, "no API key in the " + a.header + " header"
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

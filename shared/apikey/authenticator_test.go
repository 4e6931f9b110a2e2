package apikey_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portcullis-authz/portcullis/shared/apikey"
	"github.com/portcullis-authz/portcullis/shared/apikey/apikeytest"
	"github.com/portcullis-authz/portcullis/shared/audit"
	"github.com/portcullis-authz/portcullis/shared/authz"
	"github.com/portcullis-authz/portcullis/shared/config"
)

type fixture struct {
	clock *apikeytest.Clock
	h     *apikey.Hasher
	store *apikey.MemoryStore
	keys  map[string]string // name -> full key
	recs  map[string]*apikey.Record
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{clock: &apikeytest.Clock{T: t0}, h: apikeytest.Hasher(t), store: apikey.NewMemoryStore(),
		keys: map[string]string{}, recs: map[string]*apikey.Record{}}
	add := func(name string, spec apikey.Spec, edit func(*apikey.Record)) {
		spec.Owner = "owner-" + name
		spec.Tenant = "acme"
		spec.Scopes = []string{"reports:read"}
		k, r := apikeytest.Issue(t, f.h, spec, t0.Add(-time.Hour))
		if edit != nil {
			edit(r)
		}
		if err := f.store.Create(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		f.keys[name], f.recs[name] = k.Reveal(), r
	}
	add("active", apikey.Spec{UsageKey: "usage-active"}, nil)
	add("expiring", apikey.Spec{Expires: t0.Add(time.Minute)}, nil)
	add("suspended", apikey.Spec{}, func(r *apikey.Record) { r.Status = apikey.StatusSuspended })
	add("revoked", apikey.Spec{}, func(r *apikey.Record) { r.Status = apikey.StatusRevoked; r.Revoked = t0 })
	add("rotated", apikey.Spec{}, func(r *apikey.Record) { r.RotatedTo = "AAAAAAAAAAAA"; r.GraceUntil = t0.Add(time.Hour) })
	add("graceover", apikey.Spec{}, func(r *apikey.Record) { r.RotatedTo = "AAAAAAAAAAAA"; r.GraceUntil = t0 })
	add("cidr", apikey.Spec{CIDRs: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}}, nil)
	live, _ := apikey.Generate(apikey.Live)
	f.keys["live"] = live.Reveal()
	unknown, _ := apikey.Generate(apikey.Test)
	f.keys["unknown"] = unknown.Reveal()
	// The active key's id with another secret.
	other, _ := apikey.Generate(apikey.Test)
	f.keys["wrongsecret"] = withSum(strings.Replace(other.Reveal()[:apikey.Len-apikey.ChecksumLen], other.ID, f.recs["active"].ID, 1))
	return f
}

func (f *fixture) authenticator(t *testing.T, cfg config.APIKeyAuthorizer, store apikey.Store) *apikey.Authenticator {
	t.Helper()
	if cfg.Environment == "" {
		cfg.Environment = "test"
	}
	if store == nil {
		store = f.store
	}
	a, err := apikey.NewAuthenticator(&cfg, f.h, store, apikey.WithClock(f.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func req(headers, query map[string]string, ip string) *authz.Request {
	return &authz.Request{Kind: authz.KindRESTRequest, Method: "GET", Path: "/reports/1", Headers: headers, Query: query, SourceIP: ip}
}

func TestAuthenticate(t *testing.T) {
	f := newFixture(t)
	hdr := func(name string) map[string]string { return map[string]string{"x-api-key": f.keys[name]} }
	tests := []struct {
		name   string
		cfg    config.APIKeyAuthorizer
		req    *authz.Request
		effect authz.Effect
		reason authz.Reason
		owner  string
	}{
		{name: "active", req: req(hdr("active"), nil, "198.51.100.1"), effect: authz.Allow, reason: authz.ReasonAllowed, owner: "owner-active"},
		{name: "missing", req: req(nil, nil, "1.2.3.4"), effect: authz.Unauthenticated, reason: authz.ReasonMissingCredentials},
		{name: "empty header", req: req(map[string]string{"x-api-key": ""}, nil, ""), effect: authz.Unauthenticated, reason: authz.ReasonMissingCredentials},
		{name: "bearer in authorization is not an API key", req: req(map[string]string{"authorization": "Bearer " + f.keys["active"]}, nil, ""), effect: authz.Unauthenticated, reason: authz.ReasonMissingCredentials},
		{name: "malformed", req: req(map[string]string{"x-api-key": "hunter2"}, nil, ""), effect: authz.Unauthenticated, reason: authz.ReasonMalformedKey},
		{name: "mistyped", req: req(map[string]string{"x-api-key": typo(f.keys["active"])}, nil, ""), effect: authz.Unauthenticated, reason: authz.ReasonMalformedKey},
		{name: "live key at a test authorizer", req: req(hdr("live"), nil, ""), effect: authz.Unauthenticated, reason: authz.ReasonUnknownKey},
		{name: "unknown id", req: req(hdr("unknown"), nil, ""), effect: authz.Unauthenticated, reason: authz.ReasonUnknownKey},
		{name: "wrong secret", req: req(hdr("wrongsecret"), nil, ""), effect: authz.Unauthenticated, reason: authz.ReasonUnknownKey},
		{name: "suspended", req: req(hdr("suspended"), nil, ""), effect: authz.Unauthenticated, reason: authz.ReasonKeySuspended},
		{name: "revoked", req: req(hdr("revoked"), nil, ""), effect: authz.Unauthenticated, reason: authz.ReasonKeyRevoked},
		{name: "rotated, in grace", req: req(hdr("rotated"), nil, ""), effect: authz.Allow, reason: authz.ReasonAllowed, owner: "owner-rotated"},
		{name: "rotated, grace over", req: req(hdr("graceover"), nil, ""), effect: authz.Unauthenticated, reason: authz.ReasonKeyRevoked},
		{name: "cidr inside", req: req(hdr("cidr"), nil, "203.0.113.9"), effect: authz.Allow, reason: authz.ReasonAllowed, owner: "owner-cidr"},
		{name: "cidr outside", req: req(hdr("cidr"), nil, "198.51.100.1"), effect: authz.Deny, reason: authz.ReasonSourceIPNotAllowed, owner: "owner-cidr"},
		{
			name:   "cidr: X-Forwarded-For is ignored",
			req:    req(map[string]string{"x-api-key": f.keys["cidr"], "x-forwarded-for": "203.0.113.9"}, nil, "198.51.100.1"),
			effect: authz.Deny, reason: authz.ReasonSourceIPNotAllowed, owner: "owner-cidr",
		},
		{name: "cidr: no source address", req: req(hdr("cidr"), nil, ""), effect: authz.Deny, reason: authz.ReasonSourceIPNotAllowed, owner: "owner-cidr"},
		{name: "key in query refused", req: req(nil, map[string]string{"api_key": f.keys["active"]}, ""), effect: authz.Unauthenticated, reason: authz.ReasonCredentialInQuery},
		{name: "malformed key-like value in query refused", req: req(nil, map[string]string{"k": "pcl_live_xyz"}, ""), effect: authz.Unauthenticated, reason: authz.ReasonCredentialInQuery},
		{name: "other query values are fine", req: req(nil, map[string]string{"page": "2"}, ""), effect: authz.Unauthenticated, reason: authz.ReasonMissingCredentials},
		{
			name: "query parameter configured",
			cfg:  config.APIKeyAuthorizer{QueryParameter: "api_key"},
			req:  req(nil, map[string]string{"api_key": f.keys["active"]}, ""), effect: authz.Allow, reason: authz.ReasonAllowed, owner: "owner-active",
		},
		{
			name: "query parameter configured, key under another name",
			cfg:  config.APIKeyAuthorizer{QueryParameter: "api_key"},
			req:  req(nil, map[string]string{"key": f.keys["active"]}, ""), effect: authz.Unauthenticated, reason: authz.ReasonCredentialInQuery,
		},
		{
			name: "custom header",
			cfg:  config.APIKeyAuthorizer{Header: "X-Partner-Key"},
			req:  req(map[string]string{"x-partner-key": f.keys["active"]}, nil, ""), effect: authz.Allow, reason: authz.ReasonAllowed, owner: "owner-active",
		},
		{
			name: "custom header, key in the default header",
			cfg:  config.APIKeyAuthorizer{Header: "X-Partner-Key"},
			req:  req(hdr("active"), nil, ""), effect: authz.Unauthenticated, reason: authz.ReasonMissingCredentials,
		},
		{
			name: "REST TOKEN authorizer",
			req:  &authz.Request{Kind: authz.KindRESTToken, Token: f.keys["active"]}, effect: authz.Allow, reason: authz.ReasonAllowed, owner: "owner-active",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := f.authenticator(t, tt.cfg, nil)
			d, err := a.Authenticate(context.Background(), tt.req)
			if err != nil {
				t.Fatalf("Authenticate() error = %v", err)
			}
			if d.Effect != tt.effect || d.Reason != tt.reason {
				t.Errorf("Authenticate() = %s %s (%s), want %s %s", d.Effect, d.Reason, d.Detail, tt.effect, tt.reason)
			}
			if got := owner(d); got != tt.owner {
				t.Errorf("principal subject = %q, want %q", got, tt.owner)
			}
			for _, k := range f.keys {
				if strings.Contains(d.Detail, k[len(k)-20:]) {
					t.Errorf("detail %q reveals a key", d.Detail)
				}
			}
		})
	}
}

func owner(d authz.Decision) string {
	if d.Principal == nil {
		return ""
	}
	return d.Principal.Subject
}

func typo(k string) string {
	b := []byte(k)
	if b[15] == 'x' {
		b[15] = 'y'
	} else {
		b[15] = 'x'
	}
	return string(b)
}

func TestAuthenticatePrincipal(t *testing.T) {
	f := newFixture(t)
	a := f.authenticator(t, config.APIKeyAuthorizer{}, nil)
	d, err := a.Authenticate(context.Background(), req(map[string]string{"x-api-key": f.keys["expiring"]}, nil, ""))
	if err != nil {
		t.Fatal(err)
	}
	rec := f.recs["expiring"]
	want := &authz.Principal{
		Subject: "owner-expiring", Issuer: "apikey", Tenant: "acme", Scopes: []string{"reports:read"},
		CredentialID: rec.ID, ExpiresAt: rec.Expires,
	}
	if diff := cmp.Diff(d.Principal, want); diff != "" {
		t.Errorf("principal (-got +want):\n%s", diff)
	}
	d, _ = a.Authenticate(context.Background(), req(map[string]string{"x-api-key": f.keys["active"]}, nil, ""))
	if d.Principal == nil || d.Principal.UsageKey != "usage-active" {
		t.Errorf("principal %+v, want UsageKey usage-active", d.Principal)
	}
	// After its expiry the same key is refused.
	f.clock.Advance(time.Minute)
	d, _ = a.Authenticate(context.Background(), req(map[string]string{"x-api-key": f.keys["expiring"]}, nil, ""))
	if d.Reason != authz.ReasonKeyExpired {
		t.Errorf("after expiry: %s, want %s", d.Reason, authz.ReasonKeyExpired)
	}
}

// TestRevocationWithinPositiveTTL: a warm function keeps a revoked key's
// cached record at most the positive TTL.
func TestRevocationWithinPositiveTTL(t *testing.T) {
	f := newFixture(t)
	ttl := config.Duration(30 * time.Second)
	a := f.authenticator(t, config.APIKeyAuthorizer{Cache: config.RecordCache{PositiveTTL: &ttl}}, nil)
	r := req(map[string]string{"x-api-key": f.keys["active"]}, nil, "")
	check := func(when string, want authz.Reason) {
		t.Helper()
		d, err := a.Authenticate(context.Background(), r)
		if err != nil || d.Reason != want {
			t.Errorf("%s: %s (%v), want %s", when, d.Reason, err, want)
		}
	}
	check("before revocation", authz.ReasonAllowed)
	if _, err := f.store.SetStatus(context.Background(), f.recs["active"].ID, apikey.StatusRevoked, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(29 * time.Second)
	check("within the positive TTL (cached)", authz.ReasonAllowed)
	f.clock.Advance(time.Second)
	check("once the positive TTL is over", authz.ReasonKeyRevoked)
}

func TestAuthenticateStoreFailureFailsClosed(t *testing.T) {
	f := newFixture(t)
	down := errors.New("dynamodb: connection refused")
	a := f.authenticator(t, config.APIKeyAuthorizer{}, apikeytest.StoreFunc(func(context.Context, string) (*apikey.Record, error) {
		return nil, down
	}))
	d, err := a.Authenticate(context.Background(), req(map[string]string{"x-api-key": f.keys["active"]}, nil, ""))
	if !errors.Is(err, down) {
		t.Fatalf("Authenticate() error = %v, want the store failure", err)
	}
	if d.Effect == authz.Allow || d.Principal != nil {
		t.Errorf("Authenticate() = %+v next to an error, want the zero decision", d)
	}
}

// TestMalformedKeyReadsNoStore: format and checksum failures, and keys of
// the other environment, never reach the store.
func TestMalformedKeyReadsNoStore(t *testing.T) {
	f := newFixture(t)
	a := f.authenticator(t, config.APIKeyAuthorizer{}, apikeytest.StoreFunc(func(context.Context, string) (*apikey.Record, error) {
		t.Error("the store was read")
		return nil, apikey.ErrNotFound
	}))
	for _, k := range []string{"", "x", typo(f.keys["active"]), f.keys["live"], f.keys["active"] + "x"} {
		d, err := a.Authenticate(context.Background(), req(map[string]string{"x-api-key": k}, nil, ""))
		if err != nil || d.Effect != authz.Unauthenticated {
			t.Errorf("Authenticate(%.12q...) = %s %v, want unauthenticated", k, d.Effect, err)
		}
	}
}

func TestNewAuthenticatorErrors(t *testing.T) {
	h := apikeytest.Hasher(t)
	s := apikey.NewMemoryStore()
	if _, err := apikey.NewAuthenticator(nil, h, s); err == nil {
		t.Error("NewAuthenticator(nil config) succeeded")
	}
	if _, err := apikey.NewAuthenticator(&config.APIKeyAuthorizer{}, nil, s); err == nil {
		t.Error("NewAuthenticator(nil hasher) succeeded")
	}
	if _, err := apikey.NewAuthenticator(&config.APIKeyAuthorizer{Environment: "prod"}, h, s); err == nil {
		t.Error("NewAuthenticator(environment prod) succeeded")
	}
}

func ExampleAuthenticator_Authenticate() {
	h, _ := apikey.NewHasher([]byte("example-pepper-at-least-32-bytes-long"))
	store := apikey.NewMemoryStore()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	key, rec, _ := apikey.Issue(h, apikey.Spec{Env: apikey.Live, Owner: "partner-7", Scopes: []string{"reports:read"}}, now)
	_ = store.Create(context.Background(), rec)

	a, _ := apikey.NewAuthenticator(&config.APIKeyAuthorizer{}, h, store, apikey.WithClock(func() time.Time { return now }))
	d, _ := a.Authenticate(context.Background(), &authz.Request{Headers: map[string]string{"x-api-key": key.Reveal()}})
	fmt.Println(d.Effect, d.Principal.Subject, d.Principal.Scopes)
	d, _ = a.Authenticate(context.Background(), &authz.Request{Headers: map[string]string{"x-api-key": "not-a-key"}})
	fmt.Println(d.Effect, d.Reason)
	// Output:
	// allow partner-7 [reports:read]
	// unauthenticated malformed_key
}

func TestAuthenticateFingerprint(t *testing.T) {
	f := newFixture(t)
	a := f.authenticator(t, config.APIKeyAuthorizer{}, nil)
	for _, name := range []string{"active", "revoked", "unknown"} {
		d, _ := a.Authenticate(context.Background(), req(map[string]string{"x-api-key": f.keys[name]}, nil, ""))
		if d.Fingerprint != audit.Fingerprint(f.keys[name]) || strings.Contains(f.keys[name], d.Fingerprint) {
			t.Errorf("%s: fingerprint %q, want the audit fingerprint of the key", name, d.Fingerprint)
		}
	}
	if d, _ := a.Authenticate(context.Background(), req(nil, nil, "")); d.Fingerprint != "" {
		t.Errorf("no key: fingerprint %q, want none", d.Fingerprint)
	}
}

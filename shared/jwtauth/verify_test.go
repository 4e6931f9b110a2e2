package jwtauth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portcullis-authz/portcullis/shared/authz"
	"github.com/portcullis-authz/portcullis/shared/config"
	"github.com/portcullis-authz/portcullis/shared/jwtauth/jwtauthtest"
)

// TestVerifyAlgorithms accepts a valid token of every supported algorithm
// (CATALOG row 23 for tokens this package's issuer mints) and maps it onto
// the expected Principal.
func TestVerifyAlgorithms(t *testing.T) {
	for _, alg := range []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "HS256", "HS384", "HS512"} {
		t.Run(alg, func(t *testing.T) {
			is := issuerAt(t, alg)
			e := newEnv(t, policy(is.Config()), secretsOf(is))
			d := e.verify(t, is.Token(map[string]any{"scope": "orders:read"}))
			want := authz.Decision{Effect: authz.Allow, Reason: authz.ReasonAllowed, Principal: &authz.Principal{
				Subject:      "user-1",
				Issuer:       is.Issuer(),
				Scopes:       []string{"orders:read"},
				ExpiresAt:    time.Unix(testNow.Unix()+3600, 0),
				CredentialID: is.Kid(),
			}}
			if diff := cmp.Diff(d, want); diff != "" {
				t.Errorf("decision (-got +want):\n%s", diff)
			}
		})
	}
}

// TestVerifyReasons covers the reasons not in the catalog tests.
func TestVerifyReasons(t *testing.T) {
	cases := []tcase{
		{name: "alg_not_in_issuer_allow_list", token: func(t testing.TB, is *jwtauthtest.Issuer) string {
			other := jwtauthtest.NewIssuer(t, "ES384")
			return other.Sign(is.Claims(), map[string]any{"kid": is.Kid()})
		}, want: authz.ReasonAlgNotAllowed},
		{name: "unknown_kid", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Sign(is.Claims(), map[string]any{"kid": "no-such-key"})
		}), want: authz.ReasonUnknownKid},
		{name: "missing_kid", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Sign(is.Claims(), map[string]any{"kid": jwtauthtest.Omit})
		}), want: authz.ReasonMissingKid},
		{name: "signed_by_another_key_with_our_kid", token: func(t testing.TB, is *jwtauthtest.Issuer) string {
			other := jwtauthtest.NewIssuer(t, "ES256")
			return other.Sign(is.Claims(), map[string]any{"kid": is.Kid()})
		}, want: authz.ReasonBadSignature},
		{name: "sub_not_a_string", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Token(map[string]any{"sub": 7})
		}), want: authz.ReasonInvalidClaim},
		{name: "scope_number", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Token(map[string]any{"scope": 7})
		}), want: authz.ReasonInvalidClaim},
		{name: "scope_list_with_object", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Token(map[string]any{"scp": []any{"a", map[string]any{}}})
		}), want: authz.ReasonInvalidClaim},
		{name: "roles_object", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Token(map[string]any{"roles": map[string]any{"admin": true}})
		}), want: authz.ReasonInvalidClaim},
		{name: "amr_object", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Token(map[string]any{"amr": map[string]any{}})
		}), want: authz.ReasonInvalidClaim},
		{name: "acr_number", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Token(map[string]any{"acr": 2})
		}), want: authz.ReasonInvalidClaim},
		{name: "auth_time_string", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Token(map[string]any{"auth_time": "now"})
		}), want: authz.ReasonInvalidClaim},
		{name: "client_id_number", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Token(map[string]any{"client_id": 1})
		}), want: authz.ReasonInvalidClaim},
		{name: "required_claim_missing", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Token(map[string]any{"org": map[string]any{"id": "o1"}})
		}), want: authz.ReasonMissingClaim},
		{name: "required_claim_null", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Token(map[string]any{"tenant": nil, "org": map[string]any{"id": "o1"}})
		}), want: authz.ReasonMissingClaim},
		{name: "required_nested_claim_missing", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Token(map[string]any{"tenant": "t1", "org": map[string]any{"name": "o1"}})
		}), want: authz.ReasonMissingClaim},
		{name: "required_claims_present", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Token(map[string]any{"tenant": "t1", "org": map[string]any{"id": "o1"}})
		}), want: authz.ReasonAllowed},
	}
	runCases(t, cases[:len(cases)-4], nil)
	t.Run("required", func(t *testing.T) {
		runCases(t, cases[len(cases)-4:], func(c *config.Issuer) { c.RequiredClaims = []string{"tenant", "org.id"} })
	})
}

func TestTokenTooLarge(t *testing.T) {
	is := issuerAt(t, "ES256")
	f := policy(is.Config())
	f.Authorizers.JWT.MaxTokenBytes = 600
	e := newEnv(t, f)
	small := is.Token(nil)
	big := is.Token(map[string]any{"pad": strings.Repeat("x", 600)})
	wantReason(t, e.verify(t, small), authz.ReasonAllowed)
	wantReason(t, e.verify(t, big), authz.ReasonTokenTooLarge)
	// The size check runs before any parsing: garbage over the limit is
	// too large, not malformed.
	wantReason(t, e.verify(t, strings.Repeat("!", 601)), authz.ReasonTokenTooLarge)
	wantReason(t, e.verify(t, strings.Repeat("!", 600)), authz.ReasonNotCompact)
}

func TestMissingKid(t *testing.T) {
	is := issuerAt(t, "ES256")
	noKid := func() string { return is.Sign(is.Claims(), map[string]any{"kid": jwtauthtest.Omit}) }
	c := is.Config()
	c.AllowMissingKid = true
	e := newEnv(t, policy(c))
	d := e.verify(t, noKid())
	wantReason(t, d, authz.ReasonAllowed)
	if d.Principal != nil && d.Principal.CredentialID != "" {
		t.Errorf("CredentialID = %q for a token without kid", d.Principal.CredentialID)
	}
	// Two keys: a token without kid is ambiguous even with the opt-in.
	is.Rotate(true)
	e2 := newEnv(t, policy(c))
	wantReason(t, e2.verify(t, noKid()), authz.ReasonMissingKid)
	// HMAC issuers follow the same opt-in.
	hs := issuerAt(t, "HS256")
	wantReason(t, newEnv(t, policy(hs.Config()), secretsOf(hs)).verify(t, hs.Sign(hs.Claims(), map[string]any{"kid": jwtauthtest.Omit})), authz.ReasonMissingKid)
	hc := hs.Config()
	hc.AllowMissingKid = true
	wantReason(t, newEnv(t, policy(hc), secretsOf(hs)).verify(t, hs.Sign(hs.Claims(), map[string]any{"kid": jwtauthtest.Omit})), authz.ReasonAllowed)
}

// TestMultiIssuer: the unverified iss picks the issuer, and only that
// issuer's keys and rules apply.
func TestMultiIssuer(t *testing.T) {
	old := issuerAt(t, "RS256", jwtauthtest.WithName("old-idp"))
	neu := issuerAt(t, "ES256", jwtauthtest.WithName("new-idp"), jwtauthtest.WithAudience("https://api.new"))
	e := newEnv(t, policy(old.Config(), neu.Config()))

	for _, tc := range []struct {
		name   string
		token  string
		want   authz.Reason
		issuer string
	}{
		{"old_issuer_token", old.Token(nil), authz.ReasonAllowed, old.Issuer()},
		{"new_issuer_token", neu.Token(nil), authz.ReasonAllowed, neu.Issuer()},
		// The new IdP's token claiming the old issuer: only the old
		// issuer's algorithms and keys apply.
		{"new_key_claims_old_iss", neu.Token(map[string]any{"iss": old.Issuer(), "aud": old.Audience()}), authz.ReasonAlgNotAllowed, ""},
		{"old_key_claims_new_iss", old.Token(map[string]any{"iss": neu.Issuer(), "aud": neu.Audience()}), authz.ReasonAlgNotAllowed, ""},
		// Audiences are per issuer.
		{"old_audience_on_new_issuer", neu.Token(map[string]any{"aud": old.Audience()}), authz.ReasonWrongAudience, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := e.verify(t, tc.token)
			wantReason(t, d, tc.want)
			if tc.issuer != "" && d.Principal != nil && d.Principal.Issuer != tc.issuer {
				t.Errorf("Principal.Issuer = %q, want %q", d.Principal.Issuer, tc.issuer)
			}
		})
	}

	// Same algorithm on both sides: a key of one never verifies for the other.
	a := issuerAt(t, "ES256", jwtauthtest.WithName("a"))
	b := issuerAt(t, "ES256", jwtauthtest.WithName("b"))
	e2 := newEnv(t, policy(a.Config(), b.Config()))
	t.Run("b_key_and_kid_claims_a", func(t *testing.T) {
		wantReason(t, e2.verify(t, b.Token(map[string]any{"iss": a.Issuer()})), authz.ReasonUnknownKid)
	})
	t.Run("b_key_with_a_kid_claims_a", func(t *testing.T) {
		tk := b.Sign(a.Claims(), map[string]any{"kid": a.Kid()})
		wantReason(t, e2.verify(t, tk), authz.ReasonBadSignature)
	})
	if a.JWKSRequests() != 2 || b.JWKSRequests() != 1 {
		// a: cold start plus the unknown-kid refresh for b's kid; b: cold start.
		t.Errorf("JWKS requests a=%d b=%d, want 2 and 1", a.JWKSRequests(), b.JWKSRequests())
	}
}

func TestCognito(t *testing.T) {
	const client = "exampleclientid0123456789"
	access := issuerAt(t, "RS256", jwtauthtest.WithName("cognito-access"))
	id := issuerAt(t, "RS256", jwtauthtest.WithName("cognito-id"))
	ac := access.Config()
	ac.Audiences = nil
	ac.Cognito = &config.Cognito{TokenUse: "access", ClientIDs: []string{client}}
	ic := id.Config()
	ic.Audiences = nil
	ic.Cognito = &config.Cognito{TokenUse: "id", ClientIDs: []string{client}}
	e := newEnv(t, policy(ac, ic))

	accessToken := func(is *jwtauthtest.Issuer, over map[string]any) string {
		c := map[string]any{"aud": jwtauthtest.Omit, "client_id": client, "token_use": "access",
			"scope": "openid myapi/read myapi/write", "cognito:groups": []string{"admin"}, "username": "alice", "auth_time": testNow.Unix() - 30}
		for k, v := range over {
			c[k] = v
		}
		return is.Token(c)
	}
	idToken := func(is *jwtauthtest.Issuer, over map[string]any) string {
		c := map[string]any{"aud": client, "token_use": "id", "email": "alice@example.com", "cognito:groups": []string{"admin"}}
		for k, v := range over {
			c[k] = v
		}
		return is.Token(c)
	}
	for _, tc := range []struct {
		name  string
		token string
		want  authz.Reason
	}{
		{"access_token_accepted", accessToken(access, nil), authz.ReasonAllowed},
		{"id_token_to_access_issuer", idToken(access, nil), authz.ReasonWrongTokenUse},
		{"access_without_token_use", accessToken(access, map[string]any{"token_use": jwtauthtest.Omit}), authz.ReasonWrongTokenUse},
		{"access_token_use_not_a_string", accessToken(access, map[string]any{"token_use": true}), authz.ReasonWrongTokenUse},
		{"access_wrong_client_id", accessToken(access, map[string]any{"client_id": "other"}), authz.ReasonWrongAudience},
		{"access_without_client_id", accessToken(access, map[string]any{"client_id": jwtauthtest.Omit}), authz.ReasonWrongAudience},
		// An access token's client is in client_id; an aud naming the
		// client does not replace it.
		{"access_with_aud_only", accessToken(access, map[string]any{"client_id": jwtauthtest.Omit, "aud": client}), authz.ReasonWrongAudience},
		{"id_token_accepted", idToken(id, nil), authz.ReasonAllowed},
		{"access_token_to_id_issuer", accessToken(id, nil), authz.ReasonWrongTokenUse},
		{"id_wrong_aud", idToken(id, map[string]any{"aud": "other"}), authz.ReasonWrongAudience},
		{"id_client_in_client_id_only", idToken(id, map[string]any{"aud": jwtauthtest.Omit, "client_id": client}), authz.ReasonWrongAudience},
	} {
		t.Run(tc.name, func(t *testing.T) { wantReason(t, e.verify(t, tc.token), tc.want) })
	}

	t.Run("access_principal", func(t *testing.T) {
		d := e.verify(t, accessToken(access, nil))
		want := &authz.Principal{
			Subject: "user-1", Issuer: access.Issuer(), ClientID: client,
			Scopes: []string{"openid", "myapi/read", "myapi/write"}, Roles: []string{"admin"},
			AuthTime: time.Unix(testNow.Unix()-30, 0), ExpiresAt: time.Unix(testNow.Unix()+3600, 0), CredentialID: access.Kid(),
		}
		if diff := cmp.Diff(d.Principal, want); diff != "" {
			t.Errorf("principal (-got +want):\n%s", diff)
		}
	})
	t.Run("id_principal_client_is_aud", func(t *testing.T) {
		d := e.verify(t, idToken(id, nil))
		if d.Principal == nil || d.Principal.ClientID != client {
			t.Fatalf("principal = %+v, want ClientID %q", d.Principal, client)
		}
	})
}

// TestClaimMapping maps scopes, roles, tenant, residency, acr, amr,
// auth_time and context claims, with default and configured claim paths.
func TestClaimMapping(t *testing.T) {
	is := issuerAt(t, "ES256")
	exp := time.Unix(testNow.Unix()+3600, 0)
	base := func(p authz.Principal) *authz.Principal {
		p.Subject, p.Issuer, p.ExpiresAt, p.CredentialID = "user-1", is.Issuer(), exp, is.Kid()
		return &p
	}
	for _, tc := range []struct {
		name   string
		adjust func(*config.ClaimMapping)
		claims map[string]any
		want   *authz.Principal
	}{
		{
			name:   "scope_string_scp_list_permissions_deduplicated",
			claims: map[string]any{"scope": "a  b", "scp": []string{"b", "c"}, "permissions": "d"},
			want:   base(authz.Principal{Scopes: []string{"a", "b", "c", "d"}}),
		},
		{
			name:   "default_role_claims",
			claims: map[string]any{"cognito:groups": []string{"g1"}, "roles": "r1 r2", "groups": []string{"g2", "g1"}, "realm_access": map[string]any{"roles": []string{"kc"}}},
			want:   base(authz.Principal{Roles: []string{"g1", "r1 r2", "g2", "kc"}}),
		},
		{
			name: "configured_paths_exact_name_before_dotted_path",
			adjust: func(m *config.ClaimMapping) {
				m.Roles = []string{"https://example.com/roles", "resource_access.api.roles"}
				m.Scopes = []string{"x.y"}
			},
			claims: map[string]any{
				"https://example.com/roles": []string{"ns"},
				"resource_access":           map[string]any{"api": map[string]any{"roles": []string{"deep"}}},
				"x.y":                       "exact",
				"x":                         map[string]any{"y": "nested"},
			},
			want: base(authz.Principal{Roles: []string{"ns", "deep"}, Scopes: []string{"exact"}}),
		},
		{
			name:   "dotted_path_when_no_exact_member",
			adjust: func(m *config.ClaimMapping) { m.Scopes = []string{"x.y"} },
			claims: map[string]any{"x": map[string]any{"y": "nested"}},
			want:   base(authz.Principal{Scopes: []string{"nested"}}),
		},
		{
			name:   "tenant_residency_acr_amr_auth_time",
			adjust: func(m *config.ClaimMapping) { m.Tenant = "org.tenant"; m.Residency = "residency" },
			claims: map[string]any{"org": map[string]any{"tenant": 42}, "residency": "eu", "acr": "urn:mfa", "amr": []string{"pwd", "otp"}, "auth_time": testNow.Unix() - 5, "azp": "spa"},
			want: base(authz.Principal{Tenant: "42", Residency: "eu", ACR: "urn:mfa", AMR: []string{"pwd", "otp"},
				AuthTime: time.Unix(testNow.Unix()-5, 0), ClientID: "spa"}),
		},
		{
			name:   "amr_as_a_single_string",
			claims: map[string]any{"amr": "mfa"},
			want:   base(authz.Principal{AMR: []string{"mfa"}}),
		},
		{
			name: "context_claims_scalars_only",
			adjust: func(m *config.ClaimMapping) {
				m.Context = []string{"email", "age", "ratio", "verified", "profile", "missing", "org.plan", "big"}
			},
			claims: map[string]any{"email": "a@example.com", "age": 42, "ratio": 0.5, "verified": true, "profile": map[string]any{"x": 1}, "org": map[string]any{"plan": "gold"}, "big": 1e300},
			want: base(authz.Principal{Claims: map[string]any{
				"email": "a@example.com", "age": int64(42), "ratio": 0.5, "verified": true, "org.plan": "gold", "big": 1e300,
			}}),
		},
		{
			name:   "client_id_before_azp",
			claims: map[string]any{"client_id": "c1", "azp": "a1"},
			want:   base(authz.Principal{ClientID: "c1"}),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := is.Config()
			if tc.adjust != nil {
				tc.adjust(&c.Claims)
			}
			e := newEnv(t, policy(c))
			d := e.verify(t, is.Token(tc.claims))
			if d.Effect != authz.Allow {
				t.Fatalf("decision %s: %s", d.Reason, d.Detail)
			}
			if diff := cmp.Diff(d.Principal, tc.want); diff != "" {
				t.Errorf("principal (-got +want):\n%s", diff)
			}
		})
	}
}

// TestLeeway: the configured leeway, not the default, applies.
func TestLeeway(t *testing.T) {
	is := issuerAt(t, "ES256")
	zero := config.Duration(0)
	c := is.Config()
	c.Leeway = &zero
	e := newEnv(t, policy(c))
	now := testNow.Unix()
	wantReason(t, e.verify(t, is.Token(map[string]any{"exp": now})), authz.ReasonExpired)
	wantReason(t, e.verify(t, is.Token(map[string]any{"exp": now + 1})), authz.ReasonAllowed)
	wantReason(t, e.verify(t, is.Token(map[string]any{"nbf": now + 1})), authz.ReasonNotYetValid)
	e.clock.Advance(time.Second)
	wantReason(t, e.verify(t, is.Token(map[string]any{"nbf": now + 1})), authz.ReasonAllowed)
}

// TestDetails: a rejection names the issuer and kid, never the token.
func TestDetails(t *testing.T) {
	is := issuerAt(t, "ES256", jwtauthtest.WithName("corp-idp"))
	e := newEnv(t, policy(is.Config()))
	token := is.Token(map[string]any{"aud": "nope"})
	d := e.verify(t, token)
	wantReason(t, d, authz.ReasonWrongAudience)
	for _, want := range []string{`issuer "corp-idp"`, fmt.Sprintf("kid %q", is.Kid()), `aud "nope"`} {
		if !strings.Contains(d.Detail, want) {
			t.Errorf("detail %q lacks %s", d.Detail, want)
		}
	}
	if containsAny(d.Detail, token) {
		t.Errorf("detail contains the token")
	}
	// Before the issuer is known, the kid is still named.
	d = e.verify(t, is.Token(map[string]any{"iss": "https://unknown.example"}))
	wantReason(t, d, authz.ReasonUnknownIssuer)
	if !strings.Contains(d.Detail, fmt.Sprintf("kid %q", is.Kid())) || !strings.Contains(d.Detail, `"https://unknown.example"`) {
		t.Errorf("detail %q lacks the kid or the iss", d.Detail)
	}
	// Attacker-chosen strings are quoted and shortened.
	long := strings.Repeat("k", 500) + "\n"
	d = e.verify(t, is.Sign(is.Claims(), map[string]any{"kid": long}))
	wantReason(t, d, authz.ReasonUnknownKid)
	if strings.Contains(d.Detail, "\n") || len(d.Detail) > 400 {
		t.Errorf("detail not sanitized: %q", d.Detail)
	}
}

func TestAuthenticate(t *testing.T) {
	is := issuerAt(t, "ES256")
	f := policy(is.Config())
	f.Authorizers.JWT.Header = "X-Auth"
	e := newEnv(t, f)
	token := is.Token(nil)
	for _, tc := range []struct {
		name string
		r    *authz.Request
		want authz.Reason
	}{
		{"rest_token", &authz.Request{Kind: authz.KindRESTToken, Token: "Bearer " + token}, authz.ReasonAllowed},
		{"header_case_insensitive_scheme", &authz.Request{Kind: authz.KindHTTPv2, Headers: map[string]string{"x-auth": "bearer " + token}}, authz.ReasonAllowed},
		{"missing", &authz.Request{Kind: authz.KindHTTPv2, Headers: map[string]string{"authorization": "Bearer " + token}}, authz.ReasonMissingCredentials},
		{"no_scheme", &authz.Request{Kind: authz.KindRESTToken, Token: token}, authz.ReasonMalformedBearer},
		{"basic", &authz.Request{Kind: authz.KindRESTToken, Token: "Basic dXNlcjpwYXNz"}, authz.ReasonUnsupportedScheme},
		{"bad_token", &authz.Request{Kind: authz.KindRESTToken, Token: "Bearer " + flipLastSigByte(token)}, authz.ReasonBadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := e.v.Authenticate(context.Background(), tc.r)
			if err != nil {
				t.Fatal(err)
			}
			wantReason(t, d, tc.want)
			if tc.want == authz.ReasonAllowed && (len(d.Fingerprint) != 12 || strings.Contains(token, d.Fingerprint)) {
				t.Errorf("Fingerprint = %q, want 12 hex digits not taken from the token", d.Fingerprint)
			}
		})
	}
}

// TestConfigErrors: New reports every problem at once, wrapping ErrConfig.
func TestConfigErrors(t *testing.T) {
	es := issuerAt(t, "ES256")
	hs := issuerAt(t, "HS256")
	good := es.Config()
	mod := func(f func(*config.Issuer)) config.Issuer {
		c := es.Config()
		f(&c)
		return c
	}
	for _, tc := range []struct {
		name    string
		issuers []config.Issuer
		opts    []Option
		want    []string
	}{
		{"no_issuers", nil, nil, []string{"no issuers"}},
		{"alg_none", []config.Issuer{mod(func(c *config.Issuer) { c.Algorithms = []string{"none"} })}, nil, []string{`"none" is never allowed`}},
		{"unknown_alg", []config.Issuer{mod(func(c *config.Issuer) { c.Algorithms = []string{"ES256K"} })}, nil, []string{`unknown algorithm "ES256K"`}},
		{"mixed_hmac_and_asymmetric", []config.Issuer{mod(func(c *config.Issuer) { c.Algorithms = []string{"ES256", "HS256"} })}, nil, []string{"cannot be mixed"}},
		{"hmac_without_secret_source", []config.Issuer{hs.Config()}, nil, []string{"WithSecrets"}},
		{"hmac_secret_error", []config.Issuer{hs.Config()}, []Option{WithSecrets(func(context.Context, config.SecretRef) ([]byte, error) {
			return nil, errors.New("parameter not found")
		})}, []string{"parameter not found"}},
		{"hmac_issuer_with_jwks", []config.Issuer{func() config.Issuer { c := hs.Config(); c.JWKS.URL = es.JWKSURL(); return c }()}, []Option{secretsOf(hs)}, []string{"has no JWKS"}},
		{"secret_without_hmac_alg", []config.Issuer{mod(func(c *config.Issuer) { c.HMACSecret = &config.SecretRef{Env: "X"} })}, nil, []string{"no HS* algorithm"}},
		{"no_jwks_source", []config.Issuer{mod(func(c *config.Issuer) { c.JWKS.URL = "" })}, nil, []string{"exactly one of"}},
		{"two_jwks_sources", []config.Issuer{mod(func(c *config.Issuer) { c.JWKS.Discovery = true })}, nil, []string{"exactly one of"}},
		{"jwks_file_missing", []config.Issuer{mod(func(c *config.Issuer) { c.JWKS.URL = ""; c.JWKS.File = "no-such.json" })}, nil, []string{"no-such.json"}},
		{"plain_http_jwks_url", []config.Issuer{mod(func(c *config.Issuer) { c.JWKS.URL = "http://idp.example/jwks" })}, nil, []string{"only https"}},
		{"no_audiences", []config.Issuer{mod(func(c *config.Issuer) { c.Audiences = nil })}, nil, []string{"no accepted audiences"}},
		{"bad_cognito", []config.Issuer{mod(func(c *config.Issuer) { c.Cognito = &config.Cognito{TokenUse: "refresh"} })}, nil, []string{"cognito"}},
		{"same_iss_twice", []config.Issuer{good, mod(func(c *config.Issuer) { c.Name = "again" })}, nil, []string{"configured twice"}},
		{"every_problem_at_once", []config.Issuer{
			mod(func(c *config.Issuer) { c.Name = "one"; c.Algorithms = []string{"none"} }),
			mod(func(c *config.Issuer) { c.Name = "two"; c.Issuer = "https://two.example"; c.Audiences = nil }),
		}, nil, []string{`issuer "one"`, `issuer "two"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := New(context.Background(), policy(tc.issuers...), tc.opts...)
			if err == nil {
				v.Close()
				t.Fatal("New succeeded")
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("error %v does not wrap ErrConfig", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestConcurrentVerify runs Verify from many goroutines while keys rotate
// (meaningful under -race).
func TestConcurrentVerify(t *testing.T) {
	is := issuerAt(t, "ES256")
	e := newEnv(t, policy(is.Config()))
	tokens := []string{is.Token(nil)}
	is.Rotate(true)
	tokens = append(tokens, is.Token(nil), is.Token(map[string]any{"aud": "x"}))
	done := make(chan authz.Reason, 64)
	for i := range 64 {
		go func() {
			d, err := e.v.Verify(context.Background(), tokens[i%len(tokens)])
			if err != nil {
				t.Error(err)
			}
			done <- d.Reason
		}()
	}
	counts := map[authz.Reason]int{}
	for range 64 {
		counts[<-done]++
	}
	// 22 old-key and 21 new-key tokens are good (the new kid arrives via
	// one unknown-kid refresh, or a concurrent one); 21 have a wrong aud.
	if counts[authz.ReasonWrongAudience] != 21 || counts[authz.ReasonAllowed]+counts[authz.ReasonUnknownKid] != 43 || counts[authz.ReasonAllowed] < 22 {
		t.Errorf("reasons = %v", counts)
	}
}

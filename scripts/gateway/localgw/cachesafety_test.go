package localgw

import (
	"context"
	"io"
	"strings"
	"testing"

	commonauth "github.com/portcullis-authz/portcullis/shared/authorizer"
	"github.com/portcullis-authz/portcullis/shared/authz"
	"github.com/portcullis-authz/portcullis/shared/config"
)

// scopeAuthenticator authenticates every bearer token as a principal
// holding the scopes written after "Bearer " (comma-separated), so the
// real common handler decides, compiles and encodes.
type scopeAuthenticator struct{}

func (scopeAuthenticator) Authenticate(_ context.Context, r *authz.Request) (authz.Decision, error) {
	tok := strings.TrimPrefix(r.Token, "Bearer ")
	if tok == r.Token || tok == "" {
		return authz.Unauthenticatedf(authz.ReasonMalformedBearer, "no bearer"), nil
	}
	p := &authz.Principal{Subject: "alice", Issuer: "test", Scopes: strings.Split(tok, ",")}
	return authz.Decision{Effect: authz.Allow, Reason: authz.ReasonAllowed, Principal: p}, nil
}

// TestMethodSpecificPolicyBreaksUnderTheCache shows API Gateway's
// number-one authorizer bug and that Portcullis's compiled policies avoid
// it. An authorizer that answers Allow for exactly the methodArn it was
// called for is right on the first request; API Gateway then caches that
// policy under the token and re-checks it against the next request's ARN,
// so a second route the caller IS permitted answers 403 until the TTL
// ends. The real handler compiles one policy listing every route the
// principal may call, so the same sequence stays correct — including the
// route the principal may not call.
func TestMethodSpecificPolicyBreaksUnderTheCache(t *testing.T) {
	f := loadPolicy(t, "300s", "300s")
	methodSpecific := &fake{answer: func(ev map[string]any) ([]byte, error) {
		return policyJSON("Allow", arnOf(ev), nil, nil), nil
	}}
	real, err := commonauth.New(config.AuthorizerJWT, scopeAuthenticator{}, f, commonauth.WithAuditWriter(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	token := map[string]string{"Authorization": "Bearer orders:read"}
	steps := []struct {
		method, path string
		naive, real  int // status with the method-specific and the real handler
	}{
		{"GET", "/orders/1", 200, 200},
		{"GET", "/orders", 403, 200},   // permitted, but the cached policy names only /orders/1
		{"GET", "/orders/2", 403, 200}, // same route, other ARN
		{"POST", "/orders", 403, 403},  // not permitted (orders:write): both deny
	}
	for _, tc := range []struct {
		name string
		fn   Function
		want func(naive, real int) int
	}{
		{"method-specific", methodSpecific, func(n, _ int) int { return n }},
		{"compiled", real, func(_, r int) int { return r }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := New(planOf(t, f), Options{Functions: map[string]Function{"jwt": tc.fn, "apikey": tc.fn}, Now: newClock().Now})
			if err != nil {
				t.Fatal(err)
			}
			srv := server(t, g)
			for _, s := range steps {
				r := do(t, s.method, srv.URL+s.path, token)
				if want := tc.want(s.naive, s.real); r.status != want {
					t.Errorf("%s %s: %d %s, want %d", s.method, s.path, r.status, r.body, want)
				}
			}
			if n := g.Invocations("jwt"); n != 1 {
				t.Errorf("%d invocations, want 1 (every later request is answered from the cache)", n)
			}
		})
	}
}

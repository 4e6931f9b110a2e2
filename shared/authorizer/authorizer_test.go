package authorizer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portcullis-authz/portcullis/shared/apigw"
	"github.com/portcullis-authz/portcullis/shared/audit"
	"github.com/portcullis-authz/portcullis/shared/authorizer"
	"github.com/portcullis-authz/portcullis/shared/authz"
	"github.com/portcullis-authz/portcullis/shared/config"
)

// Credentials of the fake authenticator. They look like tokens so that a
// leak into a response or an audit line would be visible.
const (
	readerToken      = "eyJhbGciOiJFUzI1NiJ9.cmVhZGVy.c2lnLXJlYWRlcg"
	writerToken      = "eyJhbGciOiJFUzI1NiJ9.d3JpdGVy.c2lnLXdyaXRlcg"
	adminToken       = "eyJhbGciOiJFUzI1NiJ9.YWRtaW4.c2lnLWFkbWlu"
	blockedToken     = "eyJhbGciOiJFUzI1NiJ9.YmxvY2tlZA.c2lnLWJsb2NrZWQ"
	expiredToken     = "eyJhbGciOiJFUzI1NiJ9.ZXhwaXJlZA.c2lnLWV4cGlyZWQ"
	brokenToken      = "eyJhbGciOiJFUzI1NiJ9.YnJva2Vu.c2lnLWJyb2tlbg"
	noPrincipalToken = "eyJhbGciOiJFUzI1NiJ9.bm9wcmluY2lwYWw.c2lnLW5vcHJpbmNpcGFs"
)

var allTokens = []string{readerToken, writerToken, adminToken, blockedToken, expiredToken, brokenToken, noPrincipalToken}

// fakeAuth is an in-memory Authenticator: it maps bearer tokens to fixed
// decisions, as a credential check would.
type fakeAuth struct {
	mu    sync.Mutex
	calls int
}

var _ authorizer.Authenticator = (*fakeAuth)(nil)

func (f *fakeAuth) Authenticate(_ context.Context, r *authz.Request) (authz.Decision, error) {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	tok, reason := apigw.BearerToken(r, "Authorization")
	if reason != "" {
		return authz.Unauthenticatedf(reason, "no usable bearer token"), nil
	}
	fp := audit.Fingerprint(tok)
	allow := func(p *authz.Principal) authz.Decision {
		return authz.Decision{Effect: authz.Allow, Reason: authz.ReasonAllowed, Principal: p, Fingerprint: fp}
	}
	switch tok {
	case readerToken:
		return allow(&authz.Principal{Subject: "reader", Issuer: "https://idp.example.com/", Scopes: []string{"orders:read"}, CredentialID: "kid-1"}), nil
	case writerToken:
		return allow(&authz.Principal{Subject: "writer", Scopes: []string{"orders:read", "orders:write"}, ACR: "urn:pwd"}), nil
	case adminToken:
		return allow(&authz.Principal{Subject: "admin", Roles: []string{"admin"}}), nil
	case blockedToken:
		return authz.Decision{Effect: authz.Deny, Reason: authz.ReasonSourceIPNotAllowed, Detail: "source outside the key's CIDRs",
			Principal: &authz.Principal{Subject: "blocked", Scopes: []string{"orders:read"}}, Fingerprint: fp}, nil
	case expiredToken:
		return authz.Decision{Effect: authz.Unauthenticated, Reason: authz.ReasonExpired, Detail: "expired 3m ago", Fingerprint: fp}, nil
	case brokenToken:
		return authz.Decision{}, errors.New("jwks: no usable keys")
	case noPrincipalToken:
		return authz.Decision{Effect: authz.Allow, Reason: authz.ReasonAllowed, Fingerprint: fp}, nil
	}
	return authz.Unauthenticatedf(authz.ReasonBadSignature, "unknown token"), nil
}

const policyFile = `version: 1
settings: {unlisted_routes: %s}
scopes: {orders:read: Read, orders:write: Write}
issuers:
  - name: idp
    issuer: https://idp.example.com/
    audiences: [api]
    jwks: {discovery: true}
authorizers:
  jwt: {cache_ttl: 300s, http_api_response: %s}
routes:
  GET /orders/{id}: {scopes: [orders:read]}
  POST /orders: {scopes: [orders:write]}
  DELETE /orders/{id}:
    scopes: [orders:write]
    step_up: {acr: ["urn:mfa"]}
  ANY /admin/{proxy+}: {roles: [admin]}
  GET /health: {authorizer: none}
`

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// steppingClock returns t0 on its first call and t0+1.5ms afterwards, so
// that every decision reports a latency of exactly 1.5ms.
func steppingClock() func() time.Time {
	var mu sync.Mutex
	calls := 0
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return t0
		}
		return t0.Add(1500 * time.Microsecond)
	}
}

type fixture struct {
	h     *authorizer.Handler
	auth  *fakeAuth
	audit *bytes.Buffer
}

func newFixture(t *testing.T, unlisted, httpResponse string) *fixture {
	t.Helper()
	f, err := config.Parse([]byte(fmt.Sprintf(policyFile, unlisted, httpResponse)), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fx := &fixture{auth: &fakeAuth{}, audit: &bytes.Buffer{}}
	fx.h, err = authorizer.New(config.AuthorizerJWT, fx.auth, f, authorizer.WithClock(steppingClock()), authorizer.WithAuditWriter(fx.audit))
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

const prefix = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod/"

func tokenEvent(token, method, path string) []byte {
	return []byte(`{"type":"TOKEN","authorizationToken":"Bearer ` + token + `","methodArn":"` + prefix + method + path + `"}`)
}

func requestEvent(token, method, resource, path string) []byte {
	return []byte(`{"type":"REQUEST","methodArn":"` + prefix + method + path + `","resource":"` + resource + `","path":"` + path +
		`","httpMethod":"` + method + `","headers":{"Authorization":"Bearer ` + token + `","X-Forwarded-For":"198.51.100.1"},` +
		`"multiValueHeaders":{"Authorization":["Bearer ` + token + `"]},` +
		`"requestContext":{"requestId":"req-7","identity":{"sourceIp":"203.0.113.7"}}}`)
}

func httpV2Event(token, method, routeKey, path string) []byte {
	return []byte(`{"version":"2.0","type":"REQUEST","routeArn":"` + prefix + method + path + `","routeKey":"` + routeKey +
		`","identitySource":["Bearer ` + token + `"],"headers":{"authorization":"Bearer ` + token + `"},` +
		`"requestContext":{"requestId":"req-8","http":{"method":"` + method + `","path":"` + path + `","sourceIp":"203.0.113.8"}}}`)
}

type statement struct {
	Action   string
	Effect   string
	Resource []string
}

type iamResponse struct {
	PrincipalID    string `json:"principalId"`
	PolicyDocument struct {
		Version   string
		Statement []statement
	} `json:"policyDocument"`
	Context map[string]any `json:"context"`
}

func st(effect string, suffixes ...string) statement {
	res := make([]string, len(suffixes))
	for i, s := range suffixes {
		res[i] = prefix + s
	}
	return statement{"execute-api:Invoke", effect, res}
}

// auditLine is the audit line's fields the tests check.
type auditLine struct {
	Outcome     string  `json:"Outcome"`
	Reason      string  `json:"Reason"`
	Latency     float64 `json:"Latency"`
	Principal   string  `json:"principal"`
	Route       string  `json:"route"`
	PolicyScope string  `json:"policy_scope"`
	Fingerprint string  `json:"fingerprint"`
	SourceIP    string  `json:"source_ip"`
	Error       string  `json:"error"`
}

func TestInvoke(t *testing.T) {
	tests := []struct {
		name       string
		event      []byte
		wantErr    error // nil: a response
		wantStmts  []statement
		wantCtx    map[string]any
		wantAudit  auditLine
		hasFP      bool
		noAuthCall bool
	}{
		{"malformed event", []byte(`{"type":`), authorizer.ErrInternal, nil, nil,
			auditLine{Outcome: "error", Reason: "none", Error: "x"}, false, true},
		{"event of no known shape", []byte(`{"type":"COGNITO","methodArn":"` + prefix + `GET/x"}`), authorizer.ErrInternal, nil, nil,
			auditLine{Outcome: "error", Reason: "none", Error: "x"}, false, true},
		{"authenticator failure", tokenEvent(brokenToken, "GET", "/orders/1"), authorizer.ErrInternal, nil, nil,
			auditLine{Outcome: "error", Reason: "none", Error: "x"}, false, false},
		{"authenticator allows without a principal", tokenEvent(noPrincipalToken, "GET", "/orders/1"), authorizer.ErrInternal, nil, nil,
			auditLine{Outcome: "error", Reason: "none", Error: "x"}, false, false},
		{"unauthenticated", tokenEvent(expiredToken, "GET", "/orders/1"), apigw.ErrUnauthorized, nil, nil,
			auditLine{Outcome: "unauthenticated", Reason: "expired", Route: "GET /orders/{id}"}, true, false},
		{"no bearer scheme", []byte(`{"type":"TOKEN","authorizationToken":"` + readerToken + `","methodArn":"` + prefix + `GET/orders/1"}`),
			apigw.ErrUnauthorized, nil, nil,
			auditLine{Outcome: "unauthenticated", Reason: "malformed_bearer", Route: "GET /orders/{id}"}, false, false},
		{"allow: the compiled policy", tokenEvent(readerToken, "GET", "/orders/1"), nil,
			[]statement{st("Allow", "GET/orders/*")},
			map[string]any{"sub": "reader", "iss": "https://idp.example.com/", "credential_id": "kid-1", "scope": "orders:read"},
			auditLine{Outcome: "allow", Reason: "allowed", Principal: "reader", Route: "GET /orders/{id}", PolicyScope: "principal"}, true, false},
		{"allow on a REQUEST event, source IP from the context", requestEvent(writerToken, "POST", "/orders", "/orders"), nil,
			[]statement{st("Allow", "GET/orders/*", "POST/orders")},
			map[string]any{"sub": "writer", "scope": "orders:read orders:write", "acr": "urn:pwd"},
			auditLine{Outcome: "allow", Reason: "allowed", Principal: "writer", Route: "POST /orders", PolicyScope: "principal", SourceIP: "203.0.113.7"}, true, false},
		{"route-level deny", tokenEvent(readerToken, "POST", "/orders"), nil,
			[]statement{st("Allow", "GET/orders/*"), st("Deny", "POST/orders")},
			map[string]any{"sub": "reader", "reason": "insufficient_scope", "challenge": `Bearer error="insufficient_scope", scope="orders:write"`},
			auditLine{Outcome: "deny", Reason: "insufficient_scope", Principal: "reader", Route: "POST /orders", PolicyScope: "principal"}, true, false},
		{"unlisted route", tokenEvent(adminToken, "GET", "/invoices/1"), nil,
			[]statement{st("Allow", "*/admin/*"), st("Deny", "GET/invoices/1")},
			map[string]any{"sub": "admin", "reason": "no_route"},
			auditLine{Outcome: "deny", Reason: "no_route", Principal: "admin", PolicyScope: "principal"}, true, false},
		{"credential-level deny: the whole stage", requestEvent(blockedToken, "GET", "/orders/{id}", "/orders/1"), nil,
			[]statement{st("Deny", "*")},
			map[string]any{"sub": "blocked", "reason": "source_ip_not_allowed"},
			auditLine{Outcome: "deny", Reason: "source_ip_not_allowed", Principal: "blocked", Route: "GET /orders/{id}", PolicyScope: "principal", SourceIP: "203.0.113.7"}, true, false},
		{"step-up", tokenEvent(writerToken, "DELETE", "/orders/9"), nil,
			[]statement{st("Allow", "GET/orders/*", "POST/orders"), st("Deny", "DELETE/orders/9")},
			map[string]any{"sub": "writer", "reason": "step_up_acr",
				"challenge": `Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="urn:mfa"`},
			auditLine{Outcome: "step-up", Reason: "step_up_acr", Principal: "writer", Route: "DELETE /orders/{id}", PolicyScope: "principal"}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, "deny", "iam")
			resp, err := fx.h.Invoke(context.Background(), tt.event)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("Invoke: %v", err)
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) || resp != nil {
					t.Fatalf("Invoke = %s, %v; want the error %v", resp, err, tt.wantErr)
				}
				if err.Error() != tt.wantErr.Error() {
					t.Errorf("error message %q, want exactly %q", err, tt.wantErr)
				}
			default:
				var got iamResponse
				if err := json.Unmarshal(resp, &got); err != nil {
					t.Fatalf("response %s: %v", resp, err)
				}
				if diff := cmp.Diff(got.PolicyDocument.Statement, tt.wantStmts); diff != "" {
					t.Errorf("statements (-got +want):\n%s\n%s", diff, resp)
				}
				if diff := cmp.Diff(got.Context, tt.wantCtx); diff != "" {
					t.Errorf("context (-got +want):\n%s", diff)
				}
			}
			if tt.noAuthCall != (fx.auth.calls == 0) {
				t.Errorf("authenticator called %d times", fx.auth.calls)
			}
			line := fx.audit.String()
			if strings.Count(line, "\n") != 1 {
				t.Fatalf("want one audit line, got %q", line)
			}
			var a auditLine
			if err := json.Unmarshal([]byte(line), &a); err != nil {
				t.Fatalf("audit line %q: %v", line, err)
			}
			if (a.Error != "") != (tt.wantAudit.Error != "") {
				t.Errorf("audit error %q", a.Error)
			}
			a.Error, tt.wantAudit.Error = "", ""
			if (a.Fingerprint != "") != tt.hasFP {
				t.Errorf("audit fingerprint %q, want one: %v", a.Fingerprint, tt.hasFP)
			}
			a.Fingerprint = ""
			tt.wantAudit.Latency = 1.5
			if diff := cmp.Diff(a, tt.wantAudit); diff != "" {
				t.Errorf("audit line (-got +want):\n%s\n%s", diff, line)
			}
			for _, tok := range allTokens {
				for _, part := range append(strings.Split(tok, ".")[1:], tok) {
					if strings.Contains(line, part) || bytes.Contains(resp, []byte(part)) {
						t.Errorf("credential %q leaked:\naudit: %s\nresponse: %s", part, line, resp)
					}
				}
			}
		})
	}
}

// A credential-level denial must deny every route, also when unlisted
// routes are open to authenticated callers: the cached answer would
// otherwise let the denied credential through to every unlisted route.
func TestCredentialDenyWithUnlistedOpen(t *testing.T) {
	fx := newFixture(t, "authenticated", "iam")
	resp, err := fx.h.Invoke(context.Background(), requestEvent(blockedToken, "GET", "/orders/{id}", "/orders/1"))
	if err != nil {
		t.Fatal(err)
	}
	var got iamResponse
	if err := json.Unmarshal(resp, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got.PolicyDocument.Statement, []statement{st("Deny", "*")}); diff != "" {
		t.Errorf("statements (-got +want):\n%s\n%s", diff, resp)
	}
	// The same open policy still lets an allowed caller reach unlisted routes.
	resp, err = fx.h.Invoke(context.Background(), tokenEvent(readerToken, "GET", "/invoices/1"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(resp, []byte(`"Effect":"Allow","Resource":["`+prefix+`*"]`)) {
		t.Errorf("unlisted route for an allowed caller: %s", resp)
	}
}

func TestInvokeSimpleResponses(t *testing.T) {
	fx := newFixture(t, "deny", "simple")
	for _, tt := range []struct {
		name  string
		event []byte
		want  string
	}{
		{"allow", httpV2Event(readerToken, "GET", "GET /orders/{orderId}", "/orders/1"),
			`{"isAuthorized":true,"context":{"sub":"reader","iss":"https://idp.example.com/","credential_id":"kid-1","scope":"orders:read"}}`},
		{"deny", httpV2Event(readerToken, "POST", "POST /orders", "/orders"),
			`{"isAuthorized":false,"context":{"reason":"insufficient_scope","challenge":"Bearer error=\"insufficient_scope\", scope=\"orders:write\"","sub":"reader"}}`},
		{"credential-level deny", httpV2Event(blockedToken, "GET", "GET /orders/{id}", "/orders/1"),
			`{"isAuthorized":false,"context":{"reason":"source_ip_not_allowed","sub":"blocked"}}`},
	} {
		resp, err := fx.h.Invoke(context.Background(), tt.event)
		if err != nil || string(resp) != tt.want {
			t.Errorf("%s: Invoke = %s, %v; want %s", tt.name, resp, err, tt.want)
		}
	}
	if _, err := fx.h.Invoke(context.Background(), httpV2Event(expiredToken, "GET", "GET /orders/{id}", "/orders/1")); err == nil || err.Error() != "Unauthorized" {
		t.Errorf("unauthenticated: %v, want Unauthorized", err)
	}
}

// The handler is safe for concurrent invocations (Lambda runs one at a
// time, the local gateway does not).
func TestInvokeConcurrent(t *testing.T) {
	fx := newFixture(t, "deny", "iam")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				tok := []string{readerToken, writerToken, adminToken, expiredToken}[(i+j)%4]
				if _, err := fx.h.Invoke(context.Background(), tokenEvent(tok, "GET", fmt.Sprintf("/orders/%d", j))); err != nil && !errors.Is(err, apigw.ErrUnauthorized) {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkInvoke(b *testing.B) {
	f, err := config.Parse([]byte(fmt.Sprintf(policyFile, "deny", "iam")), "policy.yaml")
	if err != nil {
		b.Fatal(err)
	}
	h, err := authorizer.New(config.AuthorizerJWT, &fakeAuth{}, f, authorizer.WithAuditWriter(io.Discard))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name  string
		event []byte
	}{
		{"allow", tokenEvent(readerToken, "GET", "/orders/1")},
		{"deny", requestEvent(readerToken, "POST", "/orders", "/orders")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.Invoke(context.Background(), bc.event); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

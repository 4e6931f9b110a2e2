package apigw_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/portcullis-authz/portcullis/shared/apigw"
	"github.com/portcullis-authz/portcullis/shared/authz"
)

var encNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// encodePolicy is the route policy of the encoder tests.
func encodePolicy(t testing.TB, unlisted authz.Unlisted) *authz.Policy {
	t.Helper()
	key := func(s string) authz.RouteKey {
		k, err := authz.ParseRouteKey(s)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	read := authz.Scopes{AnyOf: []string{"orders:read"}}
	p, err := authz.NewPolicy([]*authz.Route{
		{Key: key("GET /orders/{id}"), Requirements: []authz.Requirement{read}},
		{Key: key("DELETE /orders/{id}"), Requirements: []authz.Requirement{
			authz.Scopes{AllOf: []string{"orders:write"}}, authz.StepUpRule{ACR: []string{"urn:mfa"}}}},
		{Key: key("ANY /admin/{proxy+}"), Requirements: []authz.Requirement{authz.Roles{AnyOf: []string{"admin"}}}},
		{Key: key("$connect"), Requirements: []authz.Requirement{read}},
	}, unlisted)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// encReq is a request of the given kind to the stage of stagePrefix.
func encReq(kind authz.EventKind, method, path string) *authz.Request {
	r := &authz.Request{Kind: kind, Method: method, Path: path,
		Partition: "aws", Region: "eu-west-1", AccountID: "123456789012", APIID: "a1b2c3", Stage: "prod"}
	if kind == authz.KindWebSocket {
		r.Method, r.Path, r.RouteKey = "", "", path
	}
	return r
}

// decide evaluates r under p the way the shared handler does.
func decide(p *authz.Policy, pr *authz.Principal, r *authz.Request) (authz.Decision, []*authz.Route) {
	rt := p.Match(r)
	d := p.Decide(rt, pr, r, encNow)
	allowed, _ := p.Permitted(pr, r, rt, encNow)
	return d, allowed
}

var (
	reader = &authz.Principal{Subject: "reader", Issuer: "https://idp.example.com/", Scopes: []string{"orders:read"}}
	writer = &authz.Principal{Subject: "writer", Scopes: []string{"orders:read", "orders:write"}, ACR: "urn:pwd"}
	nobody = &authz.Principal{Subject: "nobody"}
)

func stmt(effect string, suffixes ...string) iamStatement {
	res := make([]string, len(suffixes))
	for i, s := range suffixes {
		res[i] = stagePrefix + s
	}
	return iamStatement{Action: "execute-api:Invoke", Effect: effect, Resource: res}
}

func iamResp(principal string, ctx map[string]any, stmts ...iamStatement) iamResponse {
	var r iamResponse
	r.PrincipalID = principal
	r.PolicyDocument.Version = "2012-10-17"
	r.PolicyDocument.Statement = stmts
	r.Context = ctx
	return r
}

func TestEncodeOutcomes(t *testing.T) {
	p := encodePolicy(t, authz.UnlistedDeny)
	enc := apigw.NewEncoder(p, apigw.EncoderOptions{})
	stepUpChallenge := `Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="urn:mfa"`
	tests := []struct {
		name      string
		pr        *authz.Principal
		r         *authz.Request
		d         *authz.Decision // nil: decided by the policy
		want      iamResponse
		wantScope apigw.Scope
	}{
		{"allow: every permitted route, the principal in the context", reader, encReq(authz.KindRESTToken, "GET", "/orders/42"), nil,
			iamResp("reader", map[string]any{"sub": "reader", "iss": "https://idp.example.com/", "scope": "orders:read"},
				stmt("Allow", "GET/orders/*", "$connect")), apigw.ScopePrincipal},
		{"route-level deny: the principal's routes and a Deny of the current ARN", reader, encReq(authz.KindRESTRequest, "GET", "/admin/x"), nil,
			iamResp("reader", map[string]any{"reason": "missing_role", "sub": "reader"},
				stmt("Allow", "GET/orders/*", "$connect"), stmt("Deny", "GET/admin/x")), apigw.ScopePrincipal},
		{"step-up: Deny of the current ARN with the challenge", writer, encReq(authz.KindRESTToken, "DELETE", "/orders/42"), nil,
			iamResp("writer", map[string]any{"reason": "step_up_acr", "challenge": stepUpChallenge, "sub": "writer"},
				stmt("Allow", "GET/orders/*", "$connect"), stmt("Deny", "DELETE/orders/42")), apigw.ScopePrincipal},
		{"no permitted route: Deny the whole stage", nobody, encReq(authz.KindRESTToken, "GET", "/orders/42"), nil,
			iamResp("nobody", map[string]any{"reason": "insufficient_scope",
				"challenge": `Bearer error="insufficient_scope", scope="orders:read"`, "sub": "nobody"},
				stmt("Deny", "*")), apigw.ScopePrincipal},
		{"no route", reader, encReq(authz.KindRESTToken, "GET", "/invoices/1"), nil,
			iamResp("reader", map[string]any{"reason": "no_route", "sub": "reader"},
				stmt("Allow", "GET/orders/*", "$connect"), stmt("Deny", "GET/invoices/1")), apigw.ScopePrincipal},
		{"credential-level deny (no permitted routes): Deny the whole stage", reader, encReq(authz.KindRESTRequest, "GET", "/orders/42"),
			&authz.Decision{Effect: authz.Deny, Reason: authz.ReasonSourceIPNotAllowed, Principal: reader},
			iamResp("reader", map[string]any{"reason": "source_ip_not_allowed", "sub": "reader"}, stmt("Deny", "*")), apigw.ScopePrincipal},
		{"deny without a principal: the current ARN only", nil, encReq(authz.KindRESTRequest, "GET", "/orders/42"),
			&authz.Decision{Effect: authz.Deny, Reason: authz.ReasonSourceIPNotAllowed},
			iamResp("anonymous", map[string]any{"reason": "source_ip_not_allowed"}, stmt("Deny", "GET/orders/42")), apigw.ScopeRequest},
		{"WebSocket allow", reader, encReq(authz.KindWebSocket, "", "$connect"), nil,
			iamResp("reader", map[string]any{"sub": "reader", "iss": "https://idp.example.com/", "scope": "orders:read"},
				stmt("Allow", "GET/orders/*", "$connect")), apigw.ScopePrincipal},
		{"HTTP API 1.0 answers with a policy", reader, encReq(authz.KindHTTPv1, "GET", "/orders/42"), nil,
			iamResp("reader", map[string]any{"sub": "reader", "iss": "https://idp.example.com/", "scope": "orders:read"},
				stmt("Allow", "GET/orders/*", "$connect")), apigw.ScopePrincipal},
		{"HTTP API 2.0 answers with a policy unless simple responses are configured", reader, encReq(authz.KindHTTPv2, "GET", "/admin/x"), nil,
			iamResp("reader", map[string]any{"reason": "missing_role", "sub": "reader"},
				stmt("Allow", "GET/orders/*", "$connect"), stmt("Deny", "GET/admin/x")), apigw.ScopePrincipal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d authz.Decision
			var allowed []*authz.Route
			if tt.d != nil {
				d = *tt.d
			} else {
				d, allowed = decide(p, tt.pr, tt.r)
			}
			resp, err := enc.Encode(tt.r, d, allowed)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			checkIAMShape(t, resp.Payload)
			got := decodeIAM(t, resp.Payload)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Encode (-got +want):\n%s\n%s", diff, resp.Payload)
			}
			if resp.Scope != tt.wantScope {
				t.Errorf("Scope = %q, want %q", resp.Scope, tt.wantScope)
			}
			current := apigw.ARN{Partition: "aws", Region: "eu-west-1", AccountID: "123456789012", APIID: "a1b2c3",
				Stage: "prod", Method: tt.r.Method, Path: tt.r.Path}.String()
			if tt.r.Kind == authz.KindWebSocket {
				current = stagePrefix + tt.r.RouteKey
			}
			if got := iamAllows(got.PolicyDocument.Statement, current); got != (d.Effect == authz.Allow) {
				t.Errorf("the policy answers the current request %s with allowed=%v; the decision is %s", current, got, d.Effect)
			}
		})
	}
}

func TestEncodeUnauthenticated(t *testing.T) {
	p := encodePolicy(t, authz.UnlistedDeny)
	for _, simple := range []bool{false, true} {
		enc := apigw.NewEncoder(p, apigw.EncoderOptions{SimpleHTTP: simple})
		for _, kind := range []authz.EventKind{authz.KindRESTToken, authz.KindRESTRequest, authz.KindHTTPv1, authz.KindHTTPv2, authz.KindWebSocket} {
			d := authz.Unauthenticatedf(authz.ReasonExpired, "expired")
			resp, err := enc.Encode(encReq(kind, "GET", "/orders/1"), d, nil)
			if !errors.Is(err, apigw.ErrUnauthorized) || err.Error() != "Unauthorized" || resp.Payload != nil {
				t.Errorf("Encode(%s, unauthenticated) = %q, %v; want exactly the error \"Unauthorized\"", kind, resp.Payload, err)
			}
		}
	}
}

func TestEncodeSimpleResponses(t *testing.T) {
	p := encodePolicy(t, authz.UnlistedDeny)
	enc := apigw.NewEncoder(p, apigw.EncoderOptions{SimpleHTTP: true})
	stepUpChallenge := `Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="urn:mfa"`
	tests := []struct {
		name string
		pr   *authz.Principal
		r    *authz.Request
		want events.APIGatewayV2CustomAuthorizerSimpleResponse
	}{
		{"allow", reader, encReq(authz.KindHTTPv2, "GET", "/orders/1"), events.APIGatewayV2CustomAuthorizerSimpleResponse{
			IsAuthorized: true, Context: map[string]any{"sub": "reader", "iss": "https://idp.example.com/", "scope": "orders:read"}}},
		{"deny", reader, encReq(authz.KindHTTPv2, "GET", "/admin/1"), events.APIGatewayV2CustomAuthorizerSimpleResponse{
			IsAuthorized: false, Context: map[string]any{"reason": "missing_role", "sub": "reader"}}},
		{"step-up", writer, encReq(authz.KindHTTPv2, "DELETE", "/orders/1"), events.APIGatewayV2CustomAuthorizerSimpleResponse{
			IsAuthorized: false, Context: map[string]any{"reason": "step_up_acr", "challenge": stepUpChallenge, "sub": "writer"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, allowed := decide(p, tt.pr, tt.r)
			resp, err := enc.Encode(tt.r, d, allowed)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Scope != "" {
				t.Errorf("Scope = %q for a simple response, want empty", resp.Scope)
			}
			var got events.APIGatewayV2CustomAuthorizerSimpleResponse
			dec := json.NewDecoder(bytes.NewReader(resp.Payload))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("not a simple response: %v\n%s", err, resp.Payload)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Encode (-got +want):\n%s", diff)
			}
		})
	}
	// Only payload 2.0 has simple responses: 1.0 and REST get a policy.
	for _, kind := range []authz.EventKind{authz.KindHTTPv1, authz.KindRESTToken, authz.KindWebSocket} {
		r := encReq(kind, "GET", "/orders/1")
		if kind == authz.KindWebSocket {
			r = encReq(kind, "", "$connect")
		}
		d, allowed := decide(p, reader, r)
		resp, err := enc.Encode(r, d, allowed)
		if err != nil || !bytes.Contains(resp.Payload, []byte(`"policyDocument"`)) {
			t.Errorf("Encode(%s) with SimpleHTTP = %s, %v; want an IAM policy", kind, resp.Payload, err)
		}
	}
}

// checkIAMShape decodes payload strictly into aws-lambda-go's response
// type. The encoder writes "Action" as a string (valid IAM, and what API
// Gateway's blueprints write); aws-lambda-go declares it a list, so the
// check lifts it into one first.
func checkIAMShape(t *testing.T, payload []byte) {
	t.Helper()
	if !json.Valid(payload) {
		t.Fatalf("invalid JSON: %s", payload)
	}
	lifted := bytes.ReplaceAll(payload, []byte(`"Action":"execute-api:Invoke"`), []byte(`"Action":["execute-api:Invoke"]`))
	var r events.APIGatewayCustomAuthorizerResponse
	dec := json.NewDecoder(bytes.NewReader(lifted))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("not an APIGatewayCustomAuthorizerResponse: %v\n%s", err, payload)
	}
	for _, st := range r.PolicyDocument.Statement {
		if len(st.Action) != 1 || st.Action[0] != "execute-api:Invoke" || (st.Effect != "Allow" && st.Effect != "Deny") || len(st.Resource) == 0 {
			t.Errorf("statement %+v", st)
		}
	}
	checkContextTypes(t, r.Context)
}

// checkContextTypes fails unless every context value is a string, a number
// or a boolean: API Gateway answers 500 for anything else.
func checkContextTypes(t *testing.T, ctx map[string]any) {
	t.Helper()
	for k, v := range ctx {
		switch v.(type) {
		case string, float64, bool:
		default:
			t.Errorf("context[%q] = %#v (%T): only strings, numbers and booleans are allowed", k, v, v)
		}
	}
}

func TestEncodeUsageIdentifierKey(t *testing.T) {
	p := encodePolicy(t, authz.UnlistedDeny)
	keyed := &authz.Principal{Subject: "partner", Issuer: "apikey", Scopes: []string{"orders:read"}, UsageKey: "usage-plan-key-value", CredentialID: "k1"}
	for _, simple := range []bool{false, true} {
		enc := apigw.NewEncoder(p, apigw.EncoderOptions{SimpleHTTP: simple})
		for _, tt := range []struct {
			kind authz.EventKind
			path string
			want bool
		}{
			{authz.KindRESTToken, "/orders/1", true},
			{authz.KindRESTRequest, "/orders/1", true},
			{authz.KindWebSocket, "$connect", true},
			{authz.KindRESTRequest, "/admin/1", false}, // denied
			{authz.KindHTTPv1, "/orders/1", false},
			{authz.KindHTTPv2, "/orders/1", false},
		} {
			r := encReq(tt.kind, "GET", tt.path)
			d, allowed := decide(p, keyed, r)
			resp, err := enc.Encode(r, d, allowed)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				Key     *string        `json:"usageIdentifierKey"`
				Context map[string]any `json:"context"`
			}
			if err := json.Unmarshal(resp.Payload, &got); err != nil {
				t.Fatal(err)
			}
			if (got.Key != nil) != tt.want || (got.Key != nil && *got.Key != keyed.UsageKey) {
				t.Errorf("simple=%v %s %s (%s): usageIdentifierKey %v, want present=%v", simple, tt.kind, tt.path, d.Effect, got.Key, tt.want)
			}
			for k, v := range got.Context {
				if v == keyed.UsageKey {
					t.Errorf("the usage-plan key is in the context as %q", k)
				}
			}
		}
	}
}

func TestEncodeContextValues(t *testing.T) {
	p := encodePolicy(t, authz.UnlistedAuthenticated)
	enc := apigw.NewEncoder(p, apigw.EncoderOptions{})
	pr := &authz.Principal{
		Subject: "s", Issuer: "i", ClientID: "c", Tenant: "t", Residency: "eu", CredentialID: "kid-1",
		Scopes: []string{"a", "b"}, Roles: []string{"r1", "r2"}, ACR: "urn:mfa", AMR: []string{"pwd", "otp"},
		AuthTime: time.Unix(1700000000, 0),
		Claims: map[string]any{
			"email":  "s@example.com",
			"admin":  true,
			"level":  1.5,
			"count":  int64(7),
			"n":      3,
			"tags":   []string{"x", "y"},
			"mixed":  []any{"a", true, 2.0},
			"nested": []any{"a", map[string]any{"b": 1}},
			"obj":    map[string]any{"a": 1},
			"null":   nil,
			"nan":    math.NaN(),
			"inf":    math.Inf(1),
			"tiny":   1e-7,
			"big":    1e21,
			"empty":  "",
		},
	}
	r := encReq(authz.KindRESTToken, "GET", "/unlisted")
	d, allowed := decide(p, pr, r)
	resp, err := enc.Encode(r, d, allowed)
	if err != nil {
		t.Fatal(err)
	}
	checkIAMShape(t, resp.Payload)
	got := decodeIAM(t, resp.Payload).Context
	want := map[string]any{
		"sub": "s", "iss": "i", "client_id": "c", "tenant": "t", "residency": "eu", "credential_id": "kid-1",
		"scope": "a b", "roles": "r1 r2", "acr": "urn:mfa", "amr": "pwd otp", "auth_time": 1700000000.0,
		"claim_email": "s@example.com", "claim_admin": true, "claim_level": 1.5, "claim_count": 7.0, "claim_n": 3.0,
		"claim_tags": "x,y", "claim_mixed": "a,true,2", "claim_tiny": 1e-7, "claim_big": 1e21,
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("context (-got +want):\n%s\n%s", diff, resp.Payload)
	}
}

// No credential reaches the response: not from the decision's Detail or
// Fingerprint, whatever the outcome.
func TestEncodeNeverCarriesTheCredential(t *testing.T) {
	const token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2VjcmV0LXNpZ25hdHVyZQ"
	p := encodePolicy(t, authz.UnlistedDeny)
	for _, simple := range []bool{false, true} {
		enc := apigw.NewEncoder(p, apigw.EncoderOptions{SimpleHTTP: simple})
		for _, effect := range []authz.Effect{authz.Allow, authz.Deny, authz.StepUp} {
			for _, kind := range []authz.EventKind{authz.KindRESTToken, authz.KindHTTPv2} {
				r := encReq(kind, "GET", "/orders/1")
				d, allowed := decide(p, reader, r)
				d.Effect = effect
				d.Detail = "token " + token + " rejected"
				d.Fingerprint = token
				resp, err := enc.Encode(r, d, allowed)
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(resp.Payload, []byte(token)) || bytes.Contains(resp.Payload, []byte("c2VjcmV0")) {
					t.Errorf("%s %s response carries the credential: %s", kind, effect, resp.Payload)
				}
			}
		}
	}
}

func TestEncodeContextBudget(t *testing.T) {
	p := encodePolicy(t, authz.UnlistedDeny)
	const limit = 256
	enc := apigw.NewEncoder(p, apigw.EncoderOptions{ContextLimit: limit})
	pr := &authz.Principal{Subject: "reader", Scopes: []string{"orders:read"}, Claims: map[string]any{}}
	for i := range 40 {
		pr.Claims[fmt.Sprintf("c%02d", i)] = strings.Repeat("v", 20)
	}
	r := encReq(authz.KindRESTToken, "GET", "/orders/1")
	d, allowed := decide(p, pr, r)
	resp, err := enc.Encode(r, d, allowed)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Context json.RawMessage `json:"context"`
	}
	if err := json.Unmarshal(resp.Payload, &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.Context) > limit {
		t.Errorf("context is %d bytes, over the %d-byte budget: %s", len(raw.Context), limit, raw.Context)
	}
	var ctx map[string]any
	if err := json.Unmarshal(raw.Context, &ctx); err != nil {
		t.Fatal(err)
	}
	if ctx["truncated"] != true || ctx["sub"] != "reader" || ctx["scope"] != "orders:read" {
		t.Errorf("context %s: want sub and scope kept and truncated:true", raw.Context)
	}
	if len(ctx) < 4 {
		t.Errorf("context %s: the budget should still hold some claims", raw.Context)
	}
	// A context that fits is not marked.
	enc = apigw.NewEncoder(p, apigw.EncoderOptions{})
	resp, _ = enc.Encode(r, d, allowed)
	if bytes.Contains(resp.Payload, []byte("truncated")) {
		t.Errorf("context marked truncated within the default budget: %s", resp.Payload)
	}
	// Even when nothing fits, the context stays valid and within budget.
	long := &authz.Principal{Subject: strings.Repeat("s", 300), Scopes: []string{"orders:read"}}
	d, allowed = decide(p, long, r)
	resp, err = apigw.NewEncoder(p, apigw.EncoderOptions{ContextLimit: 32}).Encode(r, d, allowed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(resp.Payload, []byte(`"context":{"truncated":true}`)) {
		t.Errorf("want an empty truncated context, got %s", resp.Payload)
	}
}

// A compiled policy over the response limit falls back to the current
// request; when even that does not fit, Encode fails (500, fail closed).
func TestEncodeResponseLimit(t *testing.T) {
	var routes []*authz.Route
	for i := range 150 {
		k, err := authz.ParseRouteKey(fmt.Sprintf("GET /resource-number-%03d/{id}", i))
		if err != nil {
			t.Fatal(err)
		}
		routes = append(routes, &authz.Route{Key: k})
	}
	p, err := authz.NewPolicy(routes, authz.UnlistedDeny)
	if err != nil {
		t.Fatal(err)
	}
	r := encReq(authz.KindRESTToken, "GET", "/resource-number-007/1")
	d, allowed := decide(p, reader, r)
	if len(allowed) != 150 || d.Effect != authz.Allow {
		t.Fatalf("decide: %s with %d routes", d.Effect, len(allowed))
	}
	resp, err := apigw.NewEncoder(p, apigw.EncoderOptions{}).Encode(r, d, allowed)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Scope != apigw.ScopeRequest || len(resp.Payload) > 8192 {
		t.Fatalf("Scope %q, %d bytes; want the request-scope fallback within 8192 bytes", resp.Scope, len(resp.Payload))
	}
	got := decodeIAM(t, resp.Payload).PolicyDocument.Statement
	if diff := cmp.Diff(got, []iamStatement{stmt("Allow", "GET/resource-number-007/1")}); diff != "" {
		t.Errorf("fallback policy (-got +want):\n%s", diff)
	}
	// With room, the same decision gets the principal's policy.
	resp, err = apigw.NewEncoder(p, apigw.EncoderOptions{ResponseLimit: 1 << 20}).Encode(r, d, allowed)
	if err != nil || resp.Scope != apigw.ScopePrincipal {
		t.Errorf("with a large limit: Scope %q, %v; want principal", resp.Scope, err)
	}
	for _, opts := range []apigw.EncoderOptions{{ResponseLimit: 100}, {ResponseLimit: 20, SimpleHTTP: true}} {
		kind := authz.KindRESTToken
		if opts.SimpleHTTP {
			kind = authz.KindHTTPv2
		}
		r := encReq(kind, "GET", "/resource-number-007/1")
		resp, err := apigw.NewEncoder(p, opts).Encode(r, d, allowed)
		if !errors.Is(err, apigw.ErrResponseTooLarge) || resp.Payload != nil {
			t.Errorf("Encode with %+v = %s, %v; want ErrResponseTooLarge", opts, resp.Payload, err)
		}
	}
}

// Under "unlisted routes: authenticated", an allowed request that no route
// serves may fall under a Deny of a forbidden route's pattern; the answer
// must still allow the request it was made for.
func TestEncodeAgreesWithTheDecision(t *testing.T) {
	p := encodePolicy(t, authz.UnlistedAuthenticated)
	enc := apigw.NewEncoder(p, apigw.EncoderOptions{})
	for _, path := range []string{"/orders/1/2", "/orders/", "/elsewhere", "/admin"} {
		r := encReq(authz.KindRESTToken, "GET", path)
		d, allowed := decide(p, nobody, r)
		if d.Effect != authz.Allow {
			t.Fatalf("%s: %s, want allow (unlisted)", path, d.Effect)
		}
		resp, err := enc.Encode(r, d, allowed)
		if err != nil {
			t.Fatal(err)
		}
		if !iamAllows(decodeIAM(t, resp.Payload).PolicyDocument.Statement, stagePrefix+"GET"+path) {
			t.Errorf("GET %s is allowed, but its response denies it: %s", path, resp.Payload)
		}
	}
}

func TestEncodeEscaping(t *testing.T) {
	p := encodePolicy(t, authz.UnlistedDeny)
	enc := apigw.NewEncoder(p, apigw.EncoderOptions{})
	for _, sub := range []string{
		"quote\"back\\slash", "ctl\x00\x01\x08\x0c\x1f\x7f", "nl\n\r\t", "bad utf8 \xff\xfe", "ok ünïcødé ✓",
		"<script>&amp;</script>", "line\u2028sep\u2029", "\xed\xa0\x80 surrogate",
	} {
		pr := &authz.Principal{Subject: sub, Scopes: []string{"orders:read"}, Claims: map[string]any{"x": sub}}
		r := encReq(authz.KindRESTToken, "GET", "/orders/1")
		d, allowed := decide(p, pr, r)
		resp, err := enc.Encode(r, d, allowed)
		if err != nil {
			t.Fatal(err)
		}
		checkIAMShape(t, resp.Payload)
		got := decodeIAM(t, resp.Payload)
		want := strings.ToValidUTF8(sub, "\uFFFD")
		// encoding/json replaces each invalid byte, not each run.
		var viaJSON string
		b, _ := json.Marshal(sub)
		_ = json.Unmarshal(b, &viaJSON)
		if got.PrincipalID != viaJSON || got.Context["sub"] != viaJSON || got.Context["claim_x"] != viaJSON {
			t.Errorf("subject %q came back as %q / %q; encoding/json gives %q (%q)", sub, got.PrincipalID, got.Context["sub"], viaJSON, want)
		}
	}
}

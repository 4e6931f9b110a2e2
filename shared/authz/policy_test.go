package authz_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portcullis-authz/portcullis/shared/authz"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newPolicy builds a policy of bare routes (no requirements).
func newPolicy(t testing.TB, unlisted authz.Unlisted, keys ...string) *authz.Policy {
	t.Helper()
	routes := make([]*authz.Route, len(keys))
	for i, k := range keys {
		routes[i] = &authz.Route{Key: mustKey(t, k)}
	}
	p, err := authz.NewPolicy(routes, unlisted)
	if err != nil {
		t.Fatalf("NewPolicy: %v", err)
	}
	return p
}

// matchKey returns the key of the route p.Match selects for r, or "".
func matchKey(p *authz.Policy, r *authz.Request) string {
	if rt := p.Match(r); rt != nil {
		return rt.Key.String()
	}
	return ""
}

// The routes of the matching tests, in an order that puts less specific
// routes first so that "first match wins" would fail.
var matchRoutes = []string{
	"$default",
	"ANY /{proxy+}",
	"GET /orders/{proxy+}",
	"ANY /orders/{id}",
	"GET /orders/{id}",
	"GET /orders/special",
	"GET /orders/{id}/items",
	"GET /orders",
	"GET /",
	"ANY /admin/{proxy+}",
	"DELETE /admin/users/{id}",
	"$connect",
}

func TestMatchByPath(t *testing.T) {
	p := newPolicy(t, authz.UnlistedDeny, matchRoutes...)
	tests := []struct {
		method, path, want string
	}{
		{"GET", "/", "GET /"},
		{"POST", "/", "$default"}, // ANY /{proxy+} needs at least one segment
		{"GET", "/orders", "GET /orders"},
		{"GET", "/orders/special", "GET /orders/special"}, // literal beats {param}
		{"GET", "/orders/42", "GET /orders/{id}"},         // named method beats ANY; {param} beats {proxy+}
		{"POST", "/orders/42", "ANY /orders/{id}"},        // only ANY has the method
		{"DELETE", "/orders/special", "ANY /orders/{id}"}, // GET literal does not serve DELETE
		{"GET", "/orders/42/items", "GET /orders/{id}/items"},
		{"GET", "/orders/42/other", "GET /orders/{proxy+}"},
		{"GET", "/orders/42/items/7", "GET /orders/{proxy+}"},
		{"POST", "/orders/42/items", "ANY /{proxy+}"},
		{"DELETE", "/admin/users/7", "DELETE /admin/users/{id}"},
		{"GET", "/admin/users/7", "ANY /admin/{proxy+}"},
		{"DELETE", "/admin/users/7/x", "ANY /admin/{proxy+}"},
		{"GET", "/admin", "ANY /{proxy+}"}, // {proxy+} needs at least one segment
		{"GET", "/orders/", "ANY /{proxy+}"},
		{"GET", "/anything/else", "ANY /{proxy+}"},
	}
	for _, tt := range tests {
		r := &authz.Request{Kind: authz.KindRESTToken, Method: tt.method, Path: tt.path}
		if got := matchKey(p, r); got != tt.want {
			t.Errorf("Match(%s %s) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

// $default catches only what no other route serves, and nothing is matched
// when the policy has no catch-all.
func TestMatchDefaultLast(t *testing.T) {
	with := newPolicy(t, authz.UnlistedDeny, "$default", "GET /orders/{id}")
	without := newPolicy(t, authz.UnlistedDeny, "GET /orders/{id}", "ANY /admin/{proxy+}")
	tests := []struct {
		p          *authz.Policy
		method     string
		path, want string
	}{
		{with, "GET", "/orders/1", "GET /orders/{id}"},
		{with, "GET", "/orders/1/2", "$default"},
		{with, "GET", "/", "$default"},
		{without, "GET", "/orders/1/2", ""},
		{without, "GET", "/admin", ""},
		{without, "GET", "", ""},
		{without, "GET", "orders/1", ""}, // not a path
	}
	for _, tt := range tests {
		r := &authz.Request{Kind: authz.KindHTTPv1, Method: tt.method, Path: tt.path}
		if got := matchKey(tt.p, r); got != tt.want {
			t.Errorf("Match(%s %q) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestMatchByRouteKey(t *testing.T) {
	p := newPolicy(t, authz.UnlistedDeny, matchRoutes...)
	tests := []struct {
		name string
		r    authz.Request
		want string
	}{
		{"HTTP API routeKey, other parameter name",
			authz.Request{Kind: authz.KindHTTPv2, Method: "GET", Path: "/orders/42", RouteKey: "GET /orders/{orderId}"}, "GET /orders/{id}"},
		{"HTTP API $default wins over a path match",
			authz.Request{Kind: authz.KindHTTPv2, Method: "GET", Path: "/orders/42", RouteKey: "$default"}, "$default"},
		{"HTTP API ANY route",
			authz.Request{Kind: authz.KindHTTPv2, Method: "PATCH", Path: "/admin/x", RouteKey: "ANY /admin/{proxy+}"}, "ANY /admin/{proxy+}"},
		{"REST resource configured with ANY reports the caller's method",
			authz.Request{Kind: authz.KindRESTRequest, Method: "PUT", Path: "/admin/x/y", RouteKey: "PUT /admin/{proxy+}"}, "ANY /admin/{proxy+}"},
		{"REST ANY resource, other parameter name",
			authz.Request{Kind: authz.KindRESTRequest, Method: "POST", Path: "/orders/1", RouteKey: "POST /orders/{orderId}"}, "ANY /orders/{id}"},
		{"REST named method preferred to its ANY sibling",
			authz.Request{Kind: authz.KindRESTRequest, Method: "GET", Path: "/orders/1", RouteKey: "GET /orders/{x}"}, "GET /orders/{id}"},
		{"REST root resource",
			authz.Request{Kind: authz.KindRESTRequest, Method: "GET", Path: "/", RouteKey: "GET /"}, "GET /"},
		{"route key the policy lacks: no fallback to paths",
			authz.Request{Kind: authz.KindHTTPv2, Method: "GET", Path: "/orders/42", RouteKey: "GET /unknown"}, ""},
		{"unparsable route key",
			authz.Request{Kind: authz.KindHTTPv2, Method: "GET", Path: "/orders/42", RouteKey: "GET orders"}, ""},
		{"WebSocket $connect",
			authz.Request{Kind: authz.KindWebSocket, RouteKey: "$connect"}, "$connect"},
		{"WebSocket route the policy lacks",
			authz.Request{Kind: authz.KindWebSocket, RouteKey: "$disconnect"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := matchKey(p, &tt.r); got != tt.want {
				t.Errorf("Match(%+v) = %q, want %q", tt.r, got, tt.want)
			}
		})
	}
}

// WebSocket routes are matched by their key only: no path reaches them,
// and $default (an HTTP API catch-all) never catches a WebSocket request.
func TestMatchWebSocketOnlyByKey(t *testing.T) {
	p := newPolicy(t, authz.UnlistedDeny, "$connect", "$default")
	for _, r := range []authz.Request{
		{Kind: authz.KindWebSocket},
		{Kind: authz.KindWebSocket, Path: "/$connect"},
	} {
		if got := matchKey(p, &r); got != "" {
			t.Errorf("Match(%+v) = %q, want no route", r, got)
		}
	}
	for _, path := range []string{"/$connect", "/"} {
		r := authz.Request{Kind: authz.KindRESTToken, Method: "GET", Path: path}
		if got := matchKey(p, &r); got != "$default" {
			t.Errorf("Match(GET %s) = %q, want $default, never $connect", path, got)
		}
	}
}

func TestNewPolicyRejectsDuplicates(t *testing.T) {
	for _, keys := range [][]string{
		{"GET /orders/{id}", "GET /orders/{orderId}"},
		{"ANY /admin/{proxy+}", "ANY /admin/{rest+}"},
		{"$connect", "$connect"},
	} {
		routes := []*authz.Route{{Key: mustKey(t, keys[0])}, {Key: mustKey(t, keys[1])}}
		if _, err := authz.NewPolicy(routes, authz.UnlistedDeny); err == nil {
			t.Errorf("NewPolicy(%q) succeeded; want an error for routes that are the same", keys)
		}
	}
}

func TestEvaluate(t *testing.T) {
	routes := []*authz.Route{
		{Key: mustKey(t, "GET /orders/{id}"), Requirements: []authz.Requirement{authz.Scopes{AnyOf: []string{"orders:read"}}}},
		{Key: mustKey(t, "DELETE /orders/{id}"), Requirements: []authz.Requirement{
			authz.Scopes{AllOf: []string{"orders:write"}},
			authz.StepUpRule{ACR: []string{"urn:mfa"}},
		}},
		{Key: mustKey(t, "ANY /admin/{proxy+}"), Requirements: []authz.Requirement{authz.Roles{AnyOf: []string{"admin"}}}},
		{Key: mustKey(t, "GET /public")},
	}
	deny, err := authz.NewPolicy(routes, authz.UnlistedDeny)
	if err != nil {
		t.Fatal(err)
	}
	open, err := authz.NewPolicy(routes, authz.UnlistedAuthenticated)
	if err != nil {
		t.Fatal(err)
	}
	reader := &authz.Principal{Subject: "reader", Scopes: []string{"orders:read"}}
	writer := &authz.Principal{Subject: "writer", Scopes: []string{"orders:write"}, ACR: "urn:pwd"}
	writerMFA := &authz.Principal{Subject: "writer", Scopes: []string{"orders:write"}, ACR: "urn:mfa"}
	readerMFA := &authz.Principal{Subject: "reader", Scopes: []string{"orders:read"}, ACR: "urn:mfa"}
	req := func(method, path string) *authz.Request {
		return &authz.Request{Kind: authz.KindRESTToken, Method: method, Path: path}
	}
	tests := []struct {
		name string
		p    *authz.Policy
		pr   *authz.Principal
		r    *authz.Request
		want authz.Decision // Detail is checked separately
	}{
		{"allowed", deny, reader, req("GET", "/orders/1"),
			authz.Decision{Effect: authz.Allow, Reason: authz.ReasonAllowed, Principal: reader, Route: "GET /orders/{id}"}},
		{"route without requirements", deny, reader, req("GET", "/public"),
			authz.Decision{Effect: authz.Allow, Reason: authz.ReasonAllowed, Principal: reader, Route: "GET /public"}},
		{"insufficient scope", deny, readerMFA, req("DELETE", "/orders/1"),
			authz.Decision{Effect: authz.Deny, Reason: authz.ReasonInsufficientScope, Principal: readerMFA, Route: "DELETE /orders/{id}",
				Challenge: `Bearer error="insufficient_scope", scope="orders:write"`}},
		{"first shortfall wins: scope before step-up", deny, reader, req("DELETE", "/orders/1"),
			authz.Decision{Effect: authz.Deny, Reason: authz.ReasonInsufficientScope, Principal: reader, Route: "DELETE /orders/{id}",
				Challenge: `Bearer error="insufficient_scope", scope="orders:write"`}},
		{"step-up", deny, writer, req("DELETE", "/orders/1"),
			authz.Decision{Effect: authz.StepUp, Reason: authz.ReasonStepUpACR, Principal: writer, Route: "DELETE /orders/{id}",
				Challenge: `Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="urn:mfa"`}},
		{"step-up satisfied", deny, writerMFA, req("DELETE", "/orders/1"),
			authz.Decision{Effect: authz.Allow, Reason: authz.ReasonAllowed, Principal: writerMFA, Route: "DELETE /orders/{id}"}},
		{"missing role", deny, reader, req("GET", "/admin/x"),
			authz.Decision{Effect: authz.Deny, Reason: authz.ReasonMissingRole, Principal: reader, Route: "ANY /admin/{proxy+}"}},
		{"no route, unlisted denied", deny, reader, req("GET", "/elsewhere"),
			authz.Decision{Effect: authz.Deny, Reason: authz.ReasonNoRoute, Principal: reader}},
		{"no route, unlisted open to the authenticated", open, reader, req("GET", "/elsewhere"),
			authz.Decision{Effect: authz.Allow, Reason: authz.ReasonAllowed, Principal: reader}},
		{"listed routes keep their requirements when unlisted ones are open", open, reader, req("GET", "/admin/x"),
			authz.Decision{Effect: authz.Deny, Reason: authz.ReasonMissingRole, Principal: reader, Route: "ANY /admin/{proxy+}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.p.Evaluate(tt.pr, tt.r, t0)
			if tt.want.Effect != authz.Allow && got.Detail == "" {
				t.Errorf("Evaluate: %s decision without a Detail", got.Effect)
			}
			got.Detail = ""
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Evaluate (-got +want):\n%s", diff)
			}
		})
	}
}

func TestNoRouteDetailNamesTheRequest(t *testing.T) {
	p := newPolicy(t, authz.UnlistedDeny, "GET /a")
	pr := &authz.Principal{Subject: "s"}
	for _, tt := range []struct {
		r    authz.Request
		want string
	}{
		{authz.Request{Kind: authz.KindRESTToken, Method: "GET", Path: "/b"}, "GET /b"},
		{authz.Request{Kind: authz.KindHTTPv2, Method: "GET", Path: "/b", RouteKey: "GET /b"}, `route "GET /b"`},
	} {
		d := p.Evaluate(pr, &tt.r, t0)
		if d.Reason != authz.ReasonNoRoute || !strings.Contains(d.Detail, tt.want) {
			t.Errorf("Evaluate(%+v) = %s %q; want no_route naming %s", tt.r, d.Reason, d.Detail, tt.want)
		}
	}
}

// Decide judges the route it is given, not the one Match would pick.
func TestDecideUsesTheGivenRoute(t *testing.T) {
	strict := &authz.Route{Key: mustKey(t, "GET /a"), Requirements: []authz.Requirement{authz.Roles{AllOf: []string{"x"}}}}
	p, err := authz.NewPolicy([]*authz.Route{strict}, authz.UnlistedAuthenticated)
	if err != nil {
		t.Fatal(err)
	}
	pr := &authz.Principal{Subject: "s"}
	r := &authz.Request{Kind: authz.KindRESTToken, Method: "GET", Path: "/a"}
	if d := p.Decide(strict, pr, r, t0); d.Effect != authz.Deny || d.Route != "GET /a" {
		t.Errorf("Decide(strict route) = %s route %q; want deny on GET /a", d.Effect, d.Route)
	}
	if d := p.Decide(nil, pr, r, t0); d.Effect != authz.Allow || d.Route != "" {
		t.Errorf("Decide(nil) = %s route %q; want the unlisted-route allow", d.Effect, d.Route)
	}
}

// sourceIP is a per-request requirement: the request must come from addr.
type sourceIP struct{ addr string }

func (q sourceIP) Check(_ *authz.Principal, r *authz.Request, _ time.Time) *authz.Shortfall {
	if r.SourceIP != q.addr {
		return &authz.Shortfall{Effect: authz.Deny, Reason: authz.ReasonSourceIPNotAllowed, Detail: "source " + r.SourceIP}
	}
	return nil
}

func (sourceIP) PerRequest() bool { return true }

func TestPermitted(t *testing.T) {
	read := &authz.Route{Key: mustKey(t, "GET /orders/{id}"), Requirements: []authz.Requirement{authz.Scopes{AnyOf: []string{"orders:read"}}}}
	write := &authz.Route{Key: mustKey(t, "POST /orders"), Requirements: []authz.Requirement{authz.Scopes{AnyOf: []string{"orders:write"}}}}
	open := &authz.Route{Key: mustKey(t, "GET /health")}
	ipBound := &authz.Route{Key: mustKey(t, "POST /payments"), Requirements: []authz.Requirement{
		authz.Scopes{AnyOf: []string{"orders:read"}}, sourceIP{"203.0.113.7"},
	}}
	p, err := authz.NewPolicy([]*authz.Route{read, write, open, ipBound}, authz.UnlistedDeny)
	if err != nil {
		t.Fatal(err)
	}
	if !ipBound.PerRequest() || read.PerRequest() || open.PerRequest() {
		t.Fatalf("Route.PerRequest: ipBound %v read %v open %v; want true false false", ipBound.PerRequest(), read.PerRequest(), open.PerRequest())
	}
	reader := &authz.Principal{Subject: "r", Scopes: []string{"orders:read"}}
	keys := func(rs []*authz.Route) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Key.String())
		}
		return out
	}
	tests := []struct {
		name          string
		ip            string
		current       *authz.Route
		allow, denied []string
	}{
		{"per-request route not current: denied even from the right address", "203.0.113.7", read,
			[]string{"GET /orders/{id}", "GET /health"}, []string{"POST /orders", "POST /payments"}},
		{"per-request route current, right address", "203.0.113.7", ipBound,
			[]string{"GET /orders/{id}", "GET /health", "POST /payments"}, []string{"POST /orders"}},
		{"per-request route current, wrong address", "198.51.100.1", ipBound,
			[]string{"GET /orders/{id}", "GET /health"}, []string{"POST /orders", "POST /payments"}},
		{"no current route", "203.0.113.7", nil,
			[]string{"GET /orders/{id}", "GET /health"}, []string{"POST /orders", "POST /payments"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &authz.Request{Kind: authz.KindRESTToken, Method: "GET", Path: "/orders/1", SourceIP: tt.ip}
			allowed, denied := p.Permitted(reader, r, tt.current, t0)
			if diff := cmp.Diff(keys(allowed), tt.allow); diff != "" {
				t.Errorf("Permitted allowed (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(keys(denied), tt.denied); diff != "" {
				t.Errorf("Permitted denied (-got +want):\n%s", diff)
			}
		})
	}
}

func TestEffectString(t *testing.T) {
	tests := []struct {
		e    authz.Effect
		want string
	}{
		{authz.Unauthenticated, "unauthenticated"},
		{authz.Deny, "deny"},
		{authz.StepUp, "step-up"},
		{authz.Allow, "allow"},
		{authz.Effect(-1), "unknown"},
		{authz.Effect(4), "unknown"},
	}
	for _, tt := range tests {
		if got := tt.e.String(); got != tt.want {
			t.Errorf("Effect(%d).String() = %q, want %q", int(tt.e), got, tt.want)
		}
	}
}

func TestUnauthenticatedf(t *testing.T) {
	got := authz.Unauthenticatedf(authz.ReasonExpired, "token expired 3m ago")
	want := authz.Decision{Effect: authz.Unauthenticated, Reason: authz.ReasonExpired, Detail: "token expired 3m ago"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("Unauthenticatedf (-got +want):\n%s", diff)
	}
}

func TestRequestHeader(t *testing.T) {
	r := &authz.Request{Headers: map[string]string{"authorization": "Bearer x", "x-api-key": "k"}}
	for _, tt := range []struct{ name, want string }{
		{"authorization", "Bearer x"},
		{"Authorization", "Bearer x"},
		{"AUTHORIZATION", "Bearer x"},
		{"X-Api-Key", "k"},
		{"cookie", ""},
	} {
		if got := r.Header(tt.name); got != tt.want {
			t.Errorf("Header(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
	var empty authz.Request
	if got := empty.Header("authorization"); got != "" {
		t.Errorf("Header on a request without headers = %q, want empty", got)
	}
}

func TestPrincipalHas(t *testing.T) {
	p := &authz.Principal{Scopes: []string{"a", "b"}, Roles: []string{"admin"}}
	if !p.HasScope("b") || p.HasScope("c") || p.HasScope("") {
		t.Error("HasScope: want b held, c and empty not held")
	}
	if !p.HasRole("admin") || p.HasRole("Admin") {
		t.Error("HasRole: want admin held and matching case-sensitive")
	}
}

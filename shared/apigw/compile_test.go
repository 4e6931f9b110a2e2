package apigw_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portcullis-authz/portcullis/shared/apigw"
	"github.com/portcullis-authz/portcullis/shared/authz"
)

const stagePrefix = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod/"

// compileRoutes are the routes of the compiler tests, tricky ones included:
// a parameter, a parameter followed by a literal, a greedy parameter under
// the same prefix, a literal sibling of the parameter, an ANY greedy route,
// the root, $default and a WebSocket route.
var compileRoutes = []string{
	"GET /orders/{id}",
	"GET /orders/{id}/items",
	"ANY /admin/{proxy+}",
	"GET /",
	"$default",
	"$connect",
	"GET /orders/{proxy+}",
	"GET /orders/special",
	"POST /orders",
}

// A request of the compiler tests and the route API Gateway selects for it
// when every route of compileRoutes exists.
type routedRequest struct {
	method, path string // method "" for the WebSocket route named by path
	owner        string
}

var routedRequests = []routedRequest{
	{"GET", "/", "GET /"},
	{"GET", "/orders/42", "GET /orders/{id}"},
	{"GET", "/orders/x.y", "GET /orders/{id}"},
	{"GET", "/orders/special", "GET /orders/special"},
	{"GET", "/orders/42/items", "GET /orders/{id}/items"},
	{"GET", "/orders/special/items", "GET /orders/{id}/items"},
	{"GET", "/orders/42/items/7", "GET /orders/{proxy+}"},
	{"GET", "/orders/42/other", "GET /orders/{proxy+}"},
	{"GET", "/orders/a/b/c/d", "GET /orders/{proxy+}"},
	{"GET", "/orders/x/GET/orders/1", "GET /orders/{proxy+}"},
	{"GET", "/admin/users", "ANY /admin/{proxy+}"},
	{"DELETE", "/admin/users/7", "ANY /admin/{proxy+}"},
	{"POST", "/admin/x/GET/orders/1", "ANY /admin/{proxy+}"},
	{"GET", "/admin/orders/42", "ANY /admin/{proxy+}"},
	{"PATCH", "/admin/a", "ANY /admin/{proxy+}"},
	{"POST", "/orders", "POST /orders"},
	{"POST", "/orders/42", "$default"},
	{"POST", "/orders/special", "$default"},
	{"GET", "/orders", "$default"},
	{"GET", "/orders/", "$default"},
	{"GET", "/admin", "$default"},
	{"GET", "/admin/", "$default"},
	{"PUT", "/x/admin/y", "$default"},
	{"GET", "/x/GET/orders/1", "$default"},
	{"DELETE", "/", "$default"},
	{"HEAD", "/", "$default"},
	{"", "$connect", "$connect"},
}

// devLikeRoutes are the jwt routes of a REST API like the dev policy's.
var devLikeRoutes = []string{
	"GET /orders",
	"GET /orders/{id}",
	"GET /orders/{id}/items",
	"POST /orders",
	"DELETE /orders/{id}",
	"POST /orders/{id}/refund",
	"ANY /admin/{proxy+}",
	"GET /",
	"$connect",
}

// devLikeRequests are requests of devLikeRoutes and their routes.
var devLikeRequests = []routedRequest{
	{"GET", "/orders", "GET /orders"},
	{"GET", "/orders/42", "GET /orders/{id}"},
	{"GET", "/orders/admin", "GET /orders/{id}"},
	{"GET", "/orders/42/items", "GET /orders/{id}/items"},
	{"GET", "/orders/admin/items", "GET /orders/{id}/items"},
	{"POST", "/orders", "POST /orders"},
	{"DELETE", "/orders/42", "DELETE /orders/{id}"},
	{"POST", "/orders/42/refund", "POST /orders/{id}/refund"},
	{"POST", "/orders/admin/refund", "POST /orders/{id}/refund"},
	{"GET", "/admin/users", "ANY /admin/{proxy+}"},
	{"DELETE", "/admin/orders/42", "ANY /admin/{proxy+}"},
	{"POST", "/admin/orders/42/refund", "ANY /admin/{proxy+}"},
	{"GET", "/admin/orders", "ANY /admin/{proxy+}"},
	{"GET", "/", "GET /"},
	{"", "$connect", "$connect"},
}

func (q routedRequest) arn() string {
	if q.method == "" {
		return stagePrefix + q.path
	}
	return stagePrefix + q.method + q.path
}

func (q routedRequest) request() *authz.Request {
	if q.method == "" {
		return &authz.Request{Kind: authz.KindWebSocket, RouteKey: q.path}
	}
	return &authz.Request{Kind: authz.KindRESTToken, Method: q.method, Path: q.path}
}

func mustPolicy(t testing.TB, unlisted authz.Unlisted, keys ...string) *authz.Policy {
	t.Helper()
	routes := make([]*authz.Route, len(keys))
	for i, k := range keys {
		key, err := authz.ParseRouteKey(k)
		if err != nil {
			t.Fatal(err)
		}
		routes[i] = &authz.Route{Key: key}
	}
	p, err := authz.NewPolicy(routes, unlisted)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// compiledAllows evaluates a compiled policy for a request ARN.
func compiledAllows(c apigw.Compiled, arn string) bool {
	prefixed := func(pats []string) []string {
		out := make([]string, len(pats))
		for i, p := range pats {
			out[i] = stagePrefix + p
		}
		return out
	}
	return iamAllows([]iamStatement{
		{"execute-api:Invoke", "Allow", prefixed(c.Allow)},
		{"execute-api:Invoke", "Deny", prefixed(c.Deny)},
	}, arn)
}

// The request table's owners are what the policy itself selects.
func TestRoutedRequestsMatchThePolicy(t *testing.T) {
	for _, set := range []struct {
		keys []string
		reqs []routedRequest
	}{{compileRoutes, routedRequests}, {devLikeRoutes, devLikeRequests}} {
		p := mustPolicy(t, authz.UnlistedDeny, set.keys...)
		for _, q := range set.reqs {
			got := ""
			if rt := p.Match(q.request()); rt != nil {
				got = rt.Key.String()
			}
			if got != q.owner {
				t.Errorf("Match(%s %s) = %q, the table says %q", q.method, q.path, got, q.owner)
			}
		}
	}
}

// TestCompileExact is the compiler's property: for every subset of allowed
// routes, the compiled policy allows exactly the requests of the allowed
// routes (or Compile says no exact policy exists).
func TestCompileExact(t *testing.T) {
	withoutDefault := slices.DeleteFunc(slices.Clone(compileRoutes), func(k string) bool { return k == authz.RouteDefault })
	variants := []struct {
		name     string
		keys     []string
		requests []routedRequest
		unlisted authz.Unlisted
		// mustCompile lists allowed sets for which the compiler finds an
		// exact policy, so that the property cannot hold vacuously.
		mustCompile [][]string
	}{
		{"every route, unlisted denied", compileRoutes, routedRequests, authz.UnlistedDeny, [][]string{
			{},
			compileRoutes,
		}},
		{"no $default, unlisted denied", withoutDefault, routedRequests, authz.UnlistedDeny, [][]string{
			{},
			{"GET /orders/{id}", "GET /orders/{id}/items", "GET /orders/{proxy+}", "GET /orders/special"},
			{"ANY /admin/{proxy+}"},
			{"ANY /admin/{proxy+}", "$connect", "GET /", "POST /orders"},
			{"GET /", "$connect", "POST /orders"},
			withoutDefault,
		}},
		{"no $default, unlisted open to the authenticated", withoutDefault, routedRequests, authz.UnlistedAuthenticated, [][]string{
			{},
			{"ANY /admin/{proxy+}"},
			withoutDefault,
		}},
		{"a REST API like the dev policy", devLikeRoutes, devLikeRequests, authz.UnlistedDeny, [][]string{
			{"GET /orders", "GET /orders/{id}", "GET /orders/{id}/items", "$connect"},
			{"GET /orders", "GET /orders/{id}", "POST /orders", "DELETE /orders/{id}", "POST /orders/{id}/refund"},
			{"ANY /admin/{proxy+}"},
			{"GET /"},
			devLikeRoutes,
		}},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			p := mustPolicy(t, v.unlisted, v.keys...)
			c := apigw.NewCompiler(p)
			exact, total := 0, 0
			for mask := 0; mask < 1<<len(p.Routes); mask++ {
				var allowed []*authz.Route
				var names []string
				for i, rt := range p.Routes {
					if mask&(1<<i) != 0 {
						allowed = append(allowed, rt)
						names = append(names, rt.Key.String())
					}
				}
				total++
				comp, ok := c.Compile(allowed)
				if !ok {
					for _, must := range v.mustCompile {
						if sameSet(names, must) {
							t.Errorf("Compile(%q) found no exact policy; one exists", names)
						}
					}
					continue
				}
				exact++
				for _, q := range v.requests {
					owner := q.owner
					if !slices.Contains(v.keys, owner) {
						// No route serves the request: API Gateway does not
						// call the authorizer for it.
						continue
					}
					want := slices.Contains(names, owner)
					if got := compiledAllows(comp, q.arn()); got != want {
						t.Errorf("allowed %q: compiled %+v, request %s (route %s): allowed %v, want %v",
							names, comp, q.arn(), owner, got, want)
					}
				}
			}
			t.Logf("%d of %d allowed sets have an exact policy", exact, total)
		})
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// The cache test. API Gateway caches an authorizer's answer per identity
// source and re-checks the cached policy against every later request of
// the same caller. A method-specific policy (allowing only the first
// request's method ARN) then 403s the caller's other permitted routes
// until the cache entry expires; the compiled policy is right for every
// route whichever request came first.
func TestCachedPolicyAcrossRoutes(t *testing.T) {
	read := []authz.Requirement{authz.Scopes{AnyOf: []string{"orders:read"}}}
	write := []authz.Requirement{authz.Scopes{AllOf: []string{"orders:write"}}}
	reqs := map[string][]authz.Requirement{
		"GET /orders":              read,
		"GET /orders/{id}":         read,
		"GET /orders/{id}/items":   read,
		"POST /orders":             write,
		"DELETE /orders/{id}":      append(write[:1:1], authz.StepUpRule{ACR: []string{"urn:mfa"}}),
		"POST /orders/{id}/refund": append(write[:1:1], authz.Roles{AnyOf: []string{"support"}}),
		"ANY /admin/{proxy+}":      {authz.Roles{AnyOf: []string{"admin"}}},
		"$connect":                 read,
	}
	var routes []*authz.Route
	for _, k := range devLikeRoutes {
		key, err := authz.ParseRouteKey(k)
		if err != nil {
			t.Fatal(err)
		}
		routes = append(routes, &authz.Route{Key: key, Requirements: reqs[k]})
	}
	p, err := authz.NewPolicy(routes, authz.UnlistedDeny)
	if err != nil {
		t.Fatal(err)
	}
	enc := apigw.NewEncoder(p, apigw.EncoderOptions{})
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	principals := []*authz.Principal{
		{Subject: "reader", Scopes: []string{"orders:read"}},
		{Subject: "writer", Scopes: []string{"orders:read", "orders:write"}},
		{Subject: "writer-mfa", Scopes: []string{"orders:write"}, ACR: "urn:mfa"},
		{Subject: "support", Scopes: []string{"orders:write"}, Roles: []string{"support"}},
		{Subject: "admin", Roles: []string{"admin"}},
		{Subject: "nobody"},
	}
	naiveBroken := 0
	for _, pr := range principals {
		// What the policy decides for each request, uncached.
		permitted := map[string]bool{}
		for _, q := range devLikeRequests {
			permitted[q.arn()] = p.Evaluate(pr, q.request(), now).Effect == authz.Allow
		}
		for _, first := range devLikeRequests {
			r := first.request()
			r.Partition, r.Region, r.AccountID, r.APIID, r.Stage = "aws", "eu-west-1", "123456789012", "a1b2c3", "prod"
			d := p.Evaluate(pr, r, now)
			allowed, _ := p.Permitted(pr, r, p.Match(r), now)
			resp, err := enc.Encode(r, d, allowed)
			if err != nil {
				t.Fatalf("Encode(%s, first %s): %v", pr.Subject, first.arn(), err)
			}
			if resp.Scope != apigw.ScopePrincipal {
				t.Errorf("%s, first %s: policy scope %q, want principal", pr.Subject, first.arn(), resp.Scope)
			}
			cached := decodeIAM(t, resp.Payload).PolicyDocument.Statement
			// The method-specific policy a naive authorizer would cache.
			effect := "Deny"
			if d.Effect == authz.Allow {
				effect = "Allow"
			}
			naive := []iamStatement{{"execute-api:Invoke", effect, []string{first.arn()}}}
			for _, later := range devLikeRequests {
				if got, want := iamAllows(cached, later.arn()), permitted[later.arn()]; got != want {
					t.Errorf("%s: the cached answer to %s judges %s: allowed %v, want %v\n%s", pr.Subject, first.arn(), later.arn(), got, want, resp.Payload)
				}
				if iamAllows(naive, later.arn()) != permitted[later.arn()] {
					naiveBroken++
				}
			}
		}
	}
	// The naive policy must go wrong, or this test exercises nothing.
	if naiveBroken == 0 {
		t.Fatal("the method-specific policy was never wrong: the test does not exercise the cache")
	}
	t.Logf("a method-specific policy answered %d cached requests wrongly; the compiled policy none", naiveBroken)
}

// TestCompileGaps documents allowed sets for which an exact IAM policy
// exists but Compile reports none (and the encoder falls back to a policy
// for the current request only, which a cached answer then applies to the
// principal's other routes). The hand-written policies are checked to be
// exact, so the gaps are real.
func TestCompileGaps(t *testing.T) {
	tests := []struct {
		name        string
		keys        []string
		allowed     []string
		allow, deny []string
		requests    []routedRequest
	}{
		{"{param} allowed, {proxy+} sibling forbidden",
			[]string{"GET /orders/{id}", "GET /orders/{proxy+}"}, []string{"GET /orders/{id}"},
			[]string{"GET/orders/*"}, []string{"GET/orders/*/*"},
			[]routedRequest{
				{"GET", "/orders/1", "GET /orders/{id}"},
				{"GET", "/orders/1/2", "GET /orders/{proxy+}"},
				{"GET", "/orders/a/b/c", "GET /orders/{proxy+}"},
			}},
		{"a route allowed, $default forbidden",
			[]string{"GET /", "POST /orders", "$default"}, []string{"GET /", "POST /orders"},
			[]string{"GET/", "POST/orders"}, nil,
			[]routedRequest{
				{"GET", "/", "GET /"},
				{"POST", "/orders", "POST /orders"},
				{"POST", "/orders/1", "$default"},
				{"GET", "/x", "$default"},
				{"PUT", "/", "$default"},
			}},
		{"named method allowed, ANY sibling forbidden",
			[]string{"GET /a/{id}", "ANY /a/{x}"}, []string{"GET /a/{id}"},
			[]string{"GET/a/*"}, nil,
			[]routedRequest{
				{"GET", "/a/1", "GET /a/{id}"},
				{"POST", "/a/1", "ANY /a/{x}"},
				{"DELETE", "/a/GET", "ANY /a/{x}"},
			}},
		{"literal allowed, greedy sibling forbidden",
			[]string{"GET /files/index", "GET /files/{proxy+}"}, []string{"GET /files/index"},
			[]string{"GET/files/index"}, nil,
			[]routedRequest{
				{"GET", "/files/index", "GET /files/index"},
				{"GET", "/files/a", "GET /files/{proxy+}"},
				{"GET", "/files/index/x", "GET /files/{proxy+}"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPolicy(t, authz.UnlistedDeny, tt.keys...)
			for _, q := range tt.requests {
				if rt := p.Match(q.request()); rt == nil || rt.Key.String() != q.owner {
					t.Fatalf("Match(%s %s) = %v, the table says %s", q.method, q.path, rt, q.owner)
				}
				want := slices.Contains(tt.allowed, q.owner)
				if got := compiledAllows(apigw.Compiled{Allow: tt.allow, Deny: tt.deny}, q.arn()); got != want {
					t.Errorf("hand-written policy on %s: allowed %v, want %v", q.arn(), got, want)
				}
			}
			var allowed []*authz.Route
			for _, rt := range p.Routes {
				if slices.Contains(tt.allowed, rt.Key.String()) {
					allowed = append(allowed, rt)
				}
			}
			if c, ok := apigw.NewCompiler(p).Compile(allowed); ok {
				t.Logf("Compile now finds an exact policy: %+v", c)
			} else {
				t.Logf("Compile finds no exact policy; Allow %q Deny %q is one", tt.allow, tt.deny)
			}
		})
	}
}

func TestCompileMemo(t *testing.T) {
	p := mustPolicy(t, authz.UnlistedDeny, devLikeRoutes...)
	c := apigw.NewCompiler(p)
	set := []*authz.Route{p.Routes[0], p.Routes[2], p.Routes[7]}
	a, okA := c.Compile(set)
	b, okB := c.Compile([]*authz.Route{p.Routes[7], p.Routes[0], p.Routes[2], p.Routes[0]})
	if !okA || !okB {
		t.Fatalf("Compile: ok %v %v", okA, okB)
	}
	if len(a.Allow) == 0 || &a.Allow[0] != &b.Allow[0] {
		t.Errorf("Compile of the same set in another order did not reuse the memoized result: %+v, %+v", a, b)
	}
	if diff := fmt.Sprint(a); diff != fmt.Sprint(b) {
		t.Errorf("Compile: %v then %v", a, b)
	}
	other, _ := c.Compile(set[:1])
	if fmt.Sprint(other) == fmt.Sprint(a) {
		t.Errorf("different sets compiled to the same policy %v", a)
	}
}

// Routes of another policy are not this policy's: they grant nothing.
func TestCompileForeignRoutes(t *testing.T) {
	p := mustPolicy(t, authz.UnlistedDeny, "GET /a", "GET /b")
	other := mustPolicy(t, authz.UnlistedDeny, "GET /c")
	c := apigw.NewCompiler(p)
	got, ok := c.Compile([]*authz.Route{other.Routes[0]})
	if !ok || len(got.Allow) != 0 {
		t.Errorf("Compile(foreign route) = %+v, %v; want an empty allowance", got, ok)
	}
	got, ok = c.Compile([]*authz.Route{other.Routes[0], p.Routes[1]})
	if !ok || !slices.Equal(got.Allow, []string{"GET/b"}) {
		t.Errorf("Compile(foreign route, GET /b) = %+v, %v; want only GET/b", got, ok)
	}
}

// Compiled patterns never hold "?", and "*" only where a route has a
// parameter, ANY or $default.
func TestCompiledPatterns(t *testing.T) {
	p := mustPolicy(t, authz.UnlistedDeny, compileRoutes...)
	c := apigw.NewCompiler(p)
	got, ok := c.Compile(p.Routes)
	if !ok {
		t.Fatal("Compile(all routes) not ok")
	}
	if !slices.Equal(got.Allow, []string{"*"}) || len(got.Deny) != 0 {
		t.Errorf("Compile(every route, $default included) = %+v; want Allow [*] and no Deny", got)
	}
	p = mustPolicy(t, authz.UnlistedDeny, devLikeRoutes...)
	got, ok = apigw.NewCompiler(p).Compile(p.Routes[:7])
	want := apigw.Compiled{
		Allow: []string{"GET/orders", "GET/orders/*", "GET/orders/*/items", "POST/orders", "DELETE/orders/*", "POST/orders/*/refund", "*/admin/*"},
	}
	if !ok || !slices.Equal(got.Allow, want.Allow) || len(got.Deny) != 0 {
		t.Errorf("Compile = %+v, %v; want %+v", got, ok, want)
	}
	// A forbidden route under an allowance is denied explicitly.
	p = mustPolicy(t, authz.UnlistedDeny, "GET /a/{id}", "GET /a/{id}/b")
	got, ok = apigw.NewCompiler(p).Compile(p.Routes[:1])
	if !ok || !slices.Equal(got.Allow, []string{"GET/a/*"}) || !slices.Equal(got.Deny, []string{"GET/a/*/b"}) {
		t.Errorf("Compile(GET /a/{id}) = %+v, %v; want Allow GET/a/* and Deny GET/a/*/b", got, ok)
	}
	for _, pat := range append(got.Allow, got.Deny...) {
		if strings.Contains(pat, "?") {
			t.Errorf("pattern %q holds ?", pat)
		}
	}
}

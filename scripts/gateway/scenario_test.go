package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portcullis-authz/portcullis/scripts/gateway/devidp"
)

// The seed's development keys (events/seed.json).
const (
	keyBronze  = "pcl_test_IsDUG8RqZ1JO_PRbLISfpNfrF4NHOMYsblN4AfsMf"
	keyNoScope = "pcl_test_7QsoVXYr4ISs_t2ojJVQZQGcWofzgM5Lrd80BkMGw"
	keyRevoked = "pcl_test_GtD8aQejP31Y_UwpyGgrXk8YqaHKMmaLmVX2T32DS"
	keyCIDR    = "pcl_test_0QiAoPgojTW6_uX3RM9EzDZXzBCM6wqwPa63Rnnjp"
)

func (r *running) mint(t testing.TB, c devidp.Claims) string {
	t.Helper()
	tok, err := r.IdP.Mint(c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestScenarios drives the real JWT and API-key authorizers through the
// gateway over HTTP, with tokens from the dev IdP and keys from the seed.
func TestScenarios(t *testing.T) {
	g := start(t, nil)
	jwtCalls := func() int64 { return g.Gateway.Invocations("jwt") }
	keyCalls := func() int64 { return g.Gateway.Invocations("apikey") }

	t.Run("allow", func(t *testing.T) {
		tok := g.mint(t, devidp.Claims{Subject: "alice", Scopes: []string{"orders:read"}, Tenant: "acme", Email: "alice@example.com"})
		r := do(t, "GET", g.URL+"/orders/42?expand=items", bearer(tok)...)
		if r.status != 200 {
			t.Fatalf("GET /orders/42: %v", r)
		}
		ctx := r.authorizerCtx()
		for k, want := range map[string]string{"principalId": "alice", "sub": "alice", "tenant": "acme", "scope": "orders:read",
			"claim_email": "alice@example.com", "iss": "http://127.0.0.1:4000/dev-idp"} {
			if ctx[k] != want {
				t.Errorf("context[%s] = %v, want %q (context %v)", k, ctx[k], want, ctx)
			}
		}
		if r.json["method"] != "GET" || r.json["path"] != "/orders/42" || r.json["routeKey"] != "GET /orders/{id}" {
			t.Errorf("echo: %s", r.body)
		}
		if p, _ := r.json["pathParameters"].(map[string]any); p["id"] != "42" {
			t.Errorf("pathParameters = %v", r.json["pathParameters"])
		}
		if _, leaked := ctx["token"]; leaked || strings.Contains(r.body, tok) {
			t.Error("the token reached the backend context or the echo")
		}
	})

	t.Run("401 without invoking the authorizer", func(t *testing.T) {
		before := jwtCalls()
		r := do(t, "GET", g.URL+"/orders/42")
		if r.status != 401 || r.header.Get("WWW-Authenticate") != `Bearer realm="Portcullis-local"` {
			t.Fatalf("no token: %v %v", r, r.header)
		}
		if jwtCalls() != before {
			t.Errorf("the JWT authorizer was invoked for a request without its identity source")
		}
		before = keyCalls()
		if r := do(t, "GET", g.URL+"/reports/1"); r.status != 401 || keyCalls() != before {
			t.Errorf("no API key: %v, apikey invocations %d -> %d", r, before, keyCalls())
		}
	})

	t.Run("401 bad tokens", func(t *testing.T) {
		good := g.mint(t, devidp.Claims{Scopes: []string{"orders:read"}})
		expired := g.mint(t, devidp.Claims{Scopes: []string{"orders:read"}, TTL: time.Second})
		g.clock.Add(2 * time.Minute) // past exp and the 60 s leeway
		for name, tok := range map[string]string{
			"tampered signature": good[:len(good)-2] + flip(good[len(good)-2:]),
			"not a JWT":          "hello",
			"expired":            expired,
			"wrong audience":     g.mint(t, devidp.Claims{Scopes: []string{"orders:read"}, Audience: "someone-else"}),
		} {
			before := jwtCalls()
			r := do(t, "GET", g.URL+"/orders", bearer(tok)...)
			if r.status != 401 || r.json["message"] != "Unauthorized" {
				t.Errorf("%s: %v", name, r)
			}
			if jwtCalls() != before+1 {
				t.Errorf("%s: the authorizer was not invoked", name)
			}
		}
		if r := do(t, "GET", g.URL+"/orders", "Authorization", "Basic dXNlcjpwdw=="); r.status != 401 {
			t.Errorf("Basic scheme: %v", r)
		}
	})

	t.Run("403 scope, with reason and challenge on the first call", func(t *testing.T) {
		tok := g.mint(t, devidp.Claims{Subject: "reader", Scopes: []string{"orders:read"}})
		r := do(t, "POST", g.URL+"/orders", bearer(tok)...)
		if r.status != 403 || r.json["reason"] != "insufficient_scope" {
			t.Fatalf("POST /orders with orders:read: %v", r)
		}
		if got := r.header.Get("WWW-Authenticate"); !strings.Contains(got, `error="insufficient_scope"`) || !strings.Contains(got, `scope="orders:write"`) {
			t.Errorf("WWW-Authenticate = %q", got)
		}
	})

	t.Run("step-up challenge", func(t *testing.T) {
		weak := g.mint(t, devidp.Claims{Subject: "writer", Scopes: []string{"orders:write"}})
		r := do(t, "DELETE", g.URL+"/orders/7", bearer(weak)...)
		if r.status != 403 || r.json["reason"] != "step_up_acr" {
			t.Fatalf("DELETE without MFA: %v", r)
		}
		ch := r.header.Get("WWW-Authenticate")
		for _, want := range []string{`Bearer error="insufficient_user_authentication"`, `acr_values="urn:portcullis:mfa"`, `max_age="600"`} {
			if !strings.Contains(ch, want) {
				t.Errorf("WWW-Authenticate %q lacks %s", ch, want)
			}
		}
		old := g.mint(t, devidp.Claims{Subject: "writer", Scopes: []string{"orders:write"}, ACR: "urn:portcullis:mfa", AMR: []string{"pwd", "mfa"}, AuthAge: 20 * time.Minute})
		if r := do(t, "DELETE", g.URL+"/orders/7", bearer(old)...); r.status != 403 || r.json["reason"] != "step_up_max_age" {
			t.Errorf("DELETE with an MFA login 20 minutes old: %v", r)
		}
		mfa := g.mint(t, devidp.Claims{Subject: "writer", Scopes: []string{"orders:write"}, ACR: "urn:portcullis:mfa", AMR: []string{"pwd", "mfa"}})
		if r := do(t, "DELETE", g.URL+"/orders/7", bearer(mfa)...); r.status != 200 || r.authorizerCtx()["acr"] != "urn:portcullis:mfa" {
			t.Errorf("DELETE with a fresh MFA login: %v", r)
		}
	})

	t.Run("cache: served from the cache, policy re-checked per route, TTL", func(t *testing.T) {
		tok := g.mint(t, devidp.Claims{Subject: "cached", Scopes: []string{"orders:read"}, TTL: time.Hour})
		before := jwtCalls()
		steps := []struct {
			method, path string
			status       int
			calls        int64
		}{
			{"GET", "/orders/1", 200, 1}, // invoked, compiled policy cached
			{"GET", "/orders/1", 200, 1}, // cache
			{"GET", "/orders", 200, 1},   // cache; the compiled policy allows this route too
			{"GET", "/orders/9", 200, 1}, // cache; other ARN, same route
			{"POST", "/orders", 403, 1},  // cache; the compiled policy does not allow it
			{"GET", "/admin/x", 403, 1},  // cache; needs the admin role
			{"GET", "/health", 200, 1},   // public
		}
		for _, s := range steps {
			r := do(t, s.method, g.URL+s.path, bearer(tok)...)
			if r.status != s.status || jwtCalls()-before != s.calls {
				t.Errorf("%s %s: %d (%d invocations), want %d (%d)", s.method, s.path, r.status, jwtCalls()-before, s.status, s.calls)
			}
		}
		g.clock.Add(5*time.Minute - time.Second)
		do(t, "GET", g.URL+"/orders", bearer(tok)...)
		if n := jwtCalls() - before; n != 1 {
			t.Errorf("1 s before the 5 m TTL: %d invocations, want 1", n)
		}
		g.clock.Add(time.Second)
		if r := do(t, "GET", g.URL+"/orders", bearer(tok)...); r.status != 200 || jwtCalls()-before != 2 {
			t.Errorf("at the TTL: %v with %d invocations, want 200 and 2", r, jwtCalls()-before)
		}
	})

	t.Run("API keys", func(t *testing.T) {
		for _, tt := range []struct {
			name, key string
			xff       string
			status    int
			reason    string
		}{
			{"valid", keyBronze, "", 200, ""},
			{"revoked", keyRevoked, "", 401, ""},
			{"without reports:read", keyNoScope, "", 403, "insufficient_scope"},
			{"outside its CIDRs", keyCIDR, "", 403, "source_ip_not_allowed"},
			{"outside its CIDRs, spoofing X-Forwarded-For", keyCIDR, "203.0.113.10", 403, "source_ip_not_allowed"},
			{"mistyped", keyBronze[:len(keyBronze)-1] + "x", "", 401, ""},
		} {
			h := []string{"x-api-key", tt.key}
			if tt.xff != "" {
				h = append(h, "X-Forwarded-For", tt.xff)
			}
			r := do(t, "GET", g.URL+"/reports/5", h...)
			if r.status != tt.status || tt.reason != "" && r.json["reason"] != tt.reason {
				t.Errorf("%s: %v, want %d %s", tt.name, r, tt.status, tt.reason)
			}
			if tt.status == 200 {
				ctx := r.authorizerCtx()
				if ctx["sub"] != "partner-reports" || ctx["credential_id"] != "IsDUG8RqZ1JO" || ctx["tenant"] != "acme" {
					t.Errorf("API-key context: %v", ctx)
				}
				if strings.Contains(r.body, tt.key) {
					t.Error("the key reached the backend")
				}
			}
		}
		// A JWT does not open an API-key route: its identity source is x-api-key.
		tok := g.mint(t, devidp.Claims{Scopes: []string{"reports:read"}})
		if r := do(t, "GET", g.URL+"/reports/5", bearer(tok)...); r.status != 401 {
			t.Errorf("JWT on the API-key route: %v", r)
		}
	})

	t.Run("usage plan throttling", func(t *testing.T) {
		// gold: rate 100/s, burst 200. The clock stands still, so exactly the
		// burst passes and the next request is throttled.
		const gold = "pcl_test_6aTA0K73l5jZ_BrVFZTwiRTKSiAFo4rhsVv0MgDxi"
		for i := range 200 {
			if r := do(t, "GET", g.URL+"/reports/1", "x-api-key", gold); r.status != 200 {
				t.Fatalf("request %d within the burst: %v", i+1, r)
			}
		}
		r := do(t, "GET", g.URL+"/reports/1", "x-api-key", gold)
		if r.status != 429 || r.json["message"] != "Too Many Requests" {
			t.Fatalf("request 201: %v, want 429 Too Many Requests", r)
		}
		g.clock.Add(100 * time.Millisecond) // 10 tokens at 100/s
		for i := range 10 {
			if r := do(t, "GET", g.URL+"/reports/1", "x-api-key", gold); r.status != 200 {
				t.Fatalf("refilled request %d: %v", i+1, r)
			}
		}
		if r := do(t, "GET", g.URL+"/reports/1", "x-api-key", gold); r.status != 429 {
			t.Errorf("after the refill: %v, want 429", r)
		}
	})

	t.Run("unknown routes", func(t *testing.T) {
		if r := do(t, "GET", g.URL+"/nowhere"); r.status != 404 || r.json["message"] != "no route for this method and path" {
			t.Errorf("GET /nowhere: %v", r)
		}
	})
}

func flip(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
	}
	return string(b)
}

// TestDevIdP checks the identity provider's endpoints on the gateway and
// that its tokens open the API.
func TestDevIdP(t *testing.T) {
	g := start(t, nil)
	base := g.URL + "/dev-idp"
	r := do(t, "GET", base+"/.well-known/openid-configuration")
	if r.status != 200 || r.json["issuer"] != "http://127.0.0.1:4000/dev-idp" || r.json["jwks_uri"] != base+"/jwks.json" || r.json["token_endpoint"] != base+"/token" {
		t.Fatalf("discovery: %v", r)
	}
	r = do(t, "GET", base+"/jwks.json")
	keys, _ := r.json["keys"].([]any)
	if r.status != 200 || len(keys) != 1 || keys[0].(map[string]any)["kid"] != "dev-es256-1" {
		t.Fatalf("JWKS: %v", r)
	}
	resp, err := http.PostForm(base+"/token", url.Values{"sub": {"carol"}, "scope": {"orders:read"}, "groups": {"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || resp.StatusCode != 200 {
		t.Fatalf("token endpoint: %d %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if r := do(t, "DELETE", g.URL+"/admin/users/7", bearer(tr.AccessToken)...); r.status != 200 || r.authorizerCtx()["roles"] != "admin" {
		t.Errorf("admin route with a minted admin token: %v", r)
	}
	req, _ := http.NewRequest("POST", base+"/token", strings.NewReader("sub=dan&scope=orders:read"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/plain")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if r := do(t, "GET", g.URL+"/orders", bearer(strings.TrimSpace(string(raw)))...); r.status != 200 || r.authorizerCtx()["sub"] != "dan" {
		t.Errorf("text/plain token: %v", r)
	}
}

// TestHTTPAPIMode runs the HTTP API emulation: payload 2.0 events, fixed
// error bodies, the context passed through as JSON.
func TestHTTPAPIMode(t *testing.T) {
	g := start(t, nil, "--api", "http")
	tok := g.mint(t, devidp.Claims{Subject: "alice", Scopes: []string{"orders:read"}})
	r := do(t, "GET", g.URL+"/orders/3", bearer(tok)...)
	if r.status != 200 || r.json["api"] != "http" {
		t.Fatalf("GET /orders/3: %v", r)
	}
	lambda, _ := r.authorizerCtx()["lambda"].(map[string]any)
	if lambda["sub"] != "alice" || lambda["auth_time"] == nil {
		t.Errorf("authorizer.lambda = %v", r.authorizerCtx())
	}
	if _, isNumber := lambda["auth_time"].(float64); !isNumber {
		t.Errorf("auth_time is %T on an HTTP API, want a number (no stringification)", lambda["auth_time"])
	}
	for _, tt := range []struct {
		method, path string
		auth         bool
		status       int
		msg          string
	}{
		{"GET", "/orders", false, 401, "Unauthorized"},
		{"POST", "/orders", true, 403, "Forbidden"},
		{"GET", "/reports/1", true, 404, "Not Found"}, // API-key routes are not on the HTTP API
		{"GET", "/nowhere", true, 404, "Not Found"},
	} {
		var h []string
		if tt.auth {
			h = bearer(tok)
		}
		r := do(t, tt.method, g.URL+tt.path, h...)
		if r.status != tt.status || r.json["message"] != tt.msg || r.header.Get("WWW-Authenticate") != "" {
			t.Errorf("%s %s: %v %v, want %d %s and no WWW-Authenticate", tt.method, tt.path, r, r.header, tt.status, tt.msg)
		}
	}
}

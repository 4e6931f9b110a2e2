package localgw

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portcullis-authz/portcullis/shared/apigw"
	"github.com/portcullis-authz/portcullis/shared/authz"
)

// newGateway builds a REST gateway over the test policy with the given
// functions and a settable clock.
func newGateway(t testing.TB, jwtTTL, apikeyTTL string, fns map[string]Function, opts Options) (*Gateway, *clock) {
	t.Helper()
	f := loadPolicy(t, jwtTTL, apikeyTTL)
	c := newClock()
	opts.Functions = fns
	if opts.Now == nil {
		opts.Now = c.Now
	}
	g, err := New(planOf(t, f), opts)
	if err != nil {
		t.Fatal(err)
	}
	return g, c
}

func TestRouting(t *testing.T) {
	jwt := &fake{answer: allowAll}
	apikey := &fake{answer: allowAll}
	g, _ := newGateway(t, "300s", "300s", map[string]Function{"jwt": jwt, "apikey": apikey}, Options{})
	srv := server(t, g)
	bearer := map[string]string{"Authorization": "Bearer t"}
	tests := []struct {
		method, path string
		status       int
		route        string
		params       map[string]string
	}{
		{"GET", "/health", 200, "GET /health", map[string]string{}},
		{"GET", "/orders", 200, "GET /orders", map[string]string{}},
		{"GET", "/orders/42", 200, "GET /orders/{id}", map[string]string{"id": "42"}},
		{"GET", "/orders/a%20b", 200, "GET /orders/{id}", map[string]string{"id": "a b"}},
		{"POST", "/orders", 200, "POST /orders", map[string]string{}},
		{"DELETE", "/admin/users/7", 200, "ANY /admin/{proxy+}", map[string]string{"proxy": "users/7"}},
		{"GET", "/admin/x", 200, "ANY /admin/{proxy+}", map[string]string{"proxy": "x"}},
		{"GET", "/admin", 404, "", nil},        // {proxy+} needs at least one segment
		{"DELETE", "/orders/42", 404, "", nil}, // no such method
		{"GET", "/orders/42/items", 404, "", nil},
		{"GET", "/orders/", 404, "", nil},
		{"GET", "/nowhere", 404, "", nil},
		{"POST", "/health", 404, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := do(t, tt.method, srv.URL+tt.path, bearer)
			if r.status != tt.status {
				t.Fatalf("status %d (%s), want %d", r.status, r.body, tt.status)
			}
			if tt.status == 404 {
				// The stack maps MISSING_AUTHENTICATION_TOKEN to a 404.
				if r.json["message"] != "no route for this method and path" || r.json["request_id"] != r.header.Get("X-Amzn-Requestid") {
					t.Errorf("body %s; want the stack's no-route message and the request id", r.body)
				}
				if r.header.Get("Access-Control-Allow-Origin") != "*" {
					t.Errorf("no CORS header on a 4XX: %v", r.header)
				}
				return
			}
			var in Integration
			if err := json.Unmarshal([]byte(r.body), &in); err != nil {
				t.Fatal(err)
			}
			if in.RouteKey != tt.route || !cmp.Equal(in.PathParameters, tt.params) || in.Method != tt.method {
				t.Errorf("integration got route %q params %v method %s, want %q %v %s", in.RouteKey, in.PathParameters, in.Method, tt.route, tt.params, tt.method)
			}
		})
	}
	// One token: invoked once, then every route is answered from the cache.
	if jwt.count() != 1 || apikey.count() != 0 {
		t.Errorf("invocations: jwt %d apikey %d, want 1 and 0", jwt.count(), apikey.count())
	}
}

func TestMissingIdentitySourceIsNotInvoked(t *testing.T) {
	jwt := &fake{answer: allowAll}
	apikey := &fake{answer: allowAll}
	g, _ := newGateway(t, "300s", "300s", map[string]Function{"jwt": jwt, "apikey": apikey}, Options{})
	srv := server(t, g)
	for _, tt := range []struct {
		path   string
		header map[string]string
	}{
		{"/orders", nil},
		{"/orders", map[string]string{"Authorization": "  "}},
		{"/reports/1", nil},
		{"/reports/1", map[string]string{"Authorization": "Bearer t"}}, // the API-key route's source is x-api-key
	} {
		r := do(t, "GET", srv.URL+tt.path, tt.header)
		if r.status != 401 || r.json["message"] != "Unauthorized" {
			t.Errorf("GET %s %v: %d %s, want 401 Unauthorized", tt.path, tt.header, r.status, r.body)
		}
		if got := r.header.Get("WWW-Authenticate"); got != `Bearer realm="Portcullis-local"` {
			t.Errorf("WWW-Authenticate = %q, want Bearer realm=\"Portcullis-local\"", got)
		}
		if r.header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("no CORS header on the 401")
		}
	}
	if n := jwt.count() + apikey.count(); n != 0 || g.Invocations("jwt")+g.Invocations("apikey") != 0 {
		t.Errorf("authorizers invoked %d times, want 0", n)
	}
}

// TestBareAPIGatewayResponses checks API Gateway's own gateway responses,
// which a REST API without customization gives.
func TestBareAPIGatewayResponses(t *testing.T) {
	fn := &fake{answer: func(ev map[string]any) ([]byte, error) { return policyJSON("Deny", arnOf(ev), nil, nil), nil }}
	g, _ := newGateway(t, "0s", "0s", map[string]Function{"jwt": fn, "apikey": fn}, Options{Responses: map[ResponseType]GatewayResponse{}})
	srv := server(t, g)
	for _, tt := range []struct {
		path, auth, errType string
		status              int
		body                string
	}{
		{"/nowhere", "Bearer t", "IncompleteSignatureException", 403, `{"message":"Missing Authentication Token"}`},
		{"/orders", "", "UnauthorizedException", 401, `{"message":"Unauthorized"}`},
		{"/orders", "Bearer t", "AccessDeniedException", 403, `{"message":"User is not authorized to access this resource with an explicit deny"}`},
	} {
		r := do(t, "GET", srv.URL+tt.path, map[string]string{"Authorization": tt.auth})
		if r.status != tt.status || r.body != tt.body || r.header.Get("x-amzn-ErrorType") != tt.errType {
			t.Errorf("GET %s: %d %s (%s), want %d %s (%s)", tt.path, r.status, r.body, r.header.Get("x-amzn-ErrorType"), tt.status, tt.body, tt.errType)
		}
		if h := r.header.Get("Access-Control-Allow-Origin") + r.header.Get("WWW-Authenticate"); h != "" {
			t.Errorf("GET %s: uncustomized response has CORS or WWW-Authenticate headers", tt.path)
		}
	}
}

func TestEvents(t *testing.T) {
	jwt := &fake{answer: allowAll}
	apikey := &fake{answer: allowAll}
	g, _ := newGateway(t, "0s", "0s", map[string]Function{"jwt": jwt, "apikey": apikey}, Options{})
	srv := server(t, g)

	do(t, "GET", srv.URL+"/orders/42?x=1", map[string]string{"Authorization": "Bearer abc", "X-Forwarded-For": "203.0.113.10"})
	want := map[string]any{"type": "TOKEN", "authorizationToken": "Bearer abc",
		"methodArn": "arn:aws:execute-api:us-east-1:123456789012:portcullis/local/GET/orders/42"}
	if diff := cmp.Diff(jwt.last(), want); diff != "" {
		t.Errorf("TOKEN event (-got +want):\n%s", diff)
	}

	do(t, "GET", srv.URL+"/reports/7?format=csv", map[string]string{"x-api-key": "pcl_test_k", "X-Forwarded-For": "203.0.113.10"})
	raw, _ := json.Marshal(apikey.last())
	r, err := apigw.Decode(raw)
	if err != nil {
		t.Fatalf("the core's decoder rejects the REQUEST event: %v\n%s", err, raw)
	}
	got := struct {
		Kind                                    authz.EventKind
		Method, Path, RouteKey, SourceIP, Stage string
		Key, Query, XFF                         string
	}{r.Kind, r.Method, r.Path, r.RouteKey, r.SourceIP, r.Stage, r.Header("x-api-key"), r.Query["format"], r.Header("x-forwarded-for")}
	wantReq := struct {
		Kind                                    authz.EventKind
		Method, Path, RouteKey, SourceIP, Stage string
		Key, Query, XFF                         string
	}{authz.KindRESTRequest, "GET", "/reports/7", "GET /reports/{id}", "127.0.0.1", "local", "pcl_test_k", "csv", "203.0.113.10, 127.0.0.1"}
	if diff := cmp.Diff(got, wantReq); diff != "" {
		t.Errorf("decoded REQUEST event (-got +want):\n%s", diff)
	}
	ev := apikey.last()
	if ev["resource"] != "/reports/{id}" || ev["path"] != "/reports/7" || ev["httpMethod"] != "GET" ||
		!cmp.Equal(ev["pathParameters"], map[string]any{"id": "7"}) {
		t.Errorf("REQUEST event resource/path/method/params = %v %v %v %v", ev["resource"], ev["path"], ev["httpMethod"], ev["pathParameters"])
	}
}

func TestAuthorizerAnswers(t *testing.T) {
	const arn = "arn:aws:execute-api:us-east-1:123456789012:portcullis/local/GET/orders/42"
	big := strings.Repeat("x", 9000)
	tests := []struct {
		name    string
		answer  func(ev map[string]any) ([]byte, error)
		status  int
		message any // nil: JSON null
		check   func(t *testing.T, r reply)
	}{
		{name: "allow", answer: allowAll, status: 200},
		{name: "Unauthorized error", answer: func(map[string]any) ([]byte, error) { return nil, errors.New("Unauthorized") }, status: 401, message: "Unauthorized"},
		{name: "unauthorized in lower case is a plain error", answer: func(map[string]any) ([]byte, error) { return nil, errors.New("unauthorized") }, status: 500},
		{name: "other error", answer: func(map[string]any) ([]byte, error) { return nil, errors.New("store down") }, status: 500},
		{name: "panic", answer: func(map[string]any) ([]byte, error) { panic("boom") }, status: 500},
		{name: "not JSON", answer: func(map[string]any) ([]byte, error) { return []byte("ok"), nil }, status: 500},
		{name: "no principalId", answer: func(map[string]any) ([]byte, error) {
			return []byte(`{"policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"}]}}`), nil
		}, status: 500},
		{name: "no policy", answer: func(map[string]any) ([]byte, error) { return []byte(`{"principalId":"a"}`), nil }, status: 500},
		{name: "bad effect", answer: func(map[string]any) ([]byte, error) { return policyJSON("allow", arn, nil, nil), nil }, status: 500},
		{name: "object in context", answer: func(map[string]any) ([]byte, error) {
			return policyJSON("Allow", arn, map[string]any{"groups": map[string]any{"a": 1}}, nil), nil
		}, status: 500},
		{name: "array in context", answer: func(map[string]any) ([]byte, error) {
			return policyJSON("Allow", arn, map[string]any{"groups": []any{"a"}}, nil), nil
		}, status: 500},
		{name: "null in context", answer: func(map[string]any) ([]byte, error) {
			return policyJSON("Allow", arn, map[string]any{"tenant": nil}, nil), nil
		}, status: 500},
		{name: "response over 8 KB", answer: func(map[string]any) ([]byte, error) {
			return policyJSON("Allow", arn, map[string]any{"pad": big}, nil), nil
		}, status: 500},
		{name: "scalars stringified", answer: func(map[string]any) ([]byte, error) {
			return policyJSON("Allow", arn, map[string]any{"n": 1700000000, "f": 1.5, "b": true, "s": "x"}, nil), nil
		}, status: 200, check: func(t *testing.T, r reply) {
			want := map[string]any{"principalId": "alice", "n": "1700000000", "f": "1.5", "b": "true", "s": "x"}
			if diff := cmp.Diff(r.json["authorizer"], want); diff != "" {
				t.Errorf("backend's authorizer context (-got +want):\n%s", diff)
			}
		}},
		{name: "allow for another ARN", answer: func(map[string]any) ([]byte, error) {
			return policyJSON("Allow", strings.Replace(arn, "/42", "/43", 1), nil, nil), nil
		}, status: 403, message: "User is not authorized to access this resource"},
		{name: "explicit deny with reason and challenge", answer: func(map[string]any) ([]byte, error) {
			return policyJSON("Deny", arn, map[string]any{"reason": "insufficient_scope", "challenge": `Bearer error="insufficient_scope", scope="orders:read"`}, nil), nil
		}, status: 403, message: "User is not authorized to access this resource with an explicit deny", check: func(t *testing.T, r reply) {
			if r.json["reason"] != "insufficient_scope" {
				t.Errorf("reason = %v, want insufficient_scope", r.json["reason"])
			}
			if got := r.header.Get("WWW-Authenticate"); got != `Bearer error="insufficient_scope", scope="orders:read"` {
				t.Errorf("WWW-Authenticate = %q", got)
			}
		}},
		{name: "deny without challenge has no WWW-Authenticate", answer: func(map[string]any) ([]byte, error) {
			return policyJSON("Deny", arn, map[string]any{"reason": "missing_role"}, nil), nil
		}, status: 403, message: "User is not authorized to access this resource with an explicit deny", check: func(t *testing.T, r reply) {
			if h, ok := r.header["Www-Authenticate"]; ok {
				t.Errorf("WWW-Authenticate = %q, want none", h)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := &fake{answer: tt.answer}
			var errLog strings.Builder
			g, _ := newGateway(t, "300s", "300s", map[string]Function{"jwt": fn, "apikey": fn}, Options{ErrorLog: &lockedBuilder{b: &errLog}})
			r := do(t, "GET", server(t, g).URL+"/orders/42", map[string]string{"Authorization": "Bearer t"})
			if r.status != tt.status {
				t.Fatalf("status %d %s, want %d (log: %s)", r.status, r.body, tt.status, errLog.String())
			}
			if tt.status != 200 {
				if got := r.json["message"]; got != tt.message {
					t.Errorf("message = %#v, want %#v", got, tt.message)
				}
				if r.header.Get("Access-Control-Allow-Origin") != "*" {
					t.Errorf("no CORS header on %d", r.status)
				}
			}
			if tt.status == 500 {
				if errLog.Len() == 0 {
					t.Errorf("a 500 logged no reason")
				}
				if r.json["reason"] != "authorizer_failure" {
					t.Errorf("500 body %s, want reason authorizer_failure", r.body)
				}
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

type lockedBuilder struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func TestResultCache(t *testing.T) {
	jwt := &fake{answer: allowAll}
	g, c := newGateway(t, "60s", "60s", map[string]Function{"jwt": jwt, "apikey": jwt}, Options{})
	srv := server(t, g)
	get := func(token string) int {
		return do(t, "GET", srv.URL+"/orders/1", map[string]string{"Authorization": "Bearer " + token}).status
	}
	steps := []struct {
		name    string
		advance time.Duration
		token   string
		calls   int
	}{
		{"first request invokes", 0, "a", 1},
		{"same token is served from the cache", 0, "a", 1},
		{"another token invokes", 0, "b", 2},
		{"just before the TTL: cached", 59 * time.Second, "a", 2},
		{"at the TTL: invoked again", time.Second, "a", 3},
		{"and cached again", 0, "a", 3},
	}
	for _, s := range steps {
		c.Add(s.advance)
		if st := get(s.token); st != 200 {
			t.Fatalf("%s: status %d", s.name, st)
		}
		if got := jwt.count(); got != s.calls || g.Invocations("jwt") != int64(s.calls) {
			t.Errorf("%s: %d invocations (gateway counts %d), want %d", s.name, got, g.Invocations("jwt"), s.calls)
		}
	}
	g.FlushCaches()
	get("a")
	if jwt.count() != 4 {
		t.Errorf("after FlushCaches: %d invocations, want 4", jwt.count())
	}
}

func TestUnauthorizedIsNotCached(t *testing.T) {
	fn := &fake{answer: func(map[string]any) ([]byte, error) { return nil, errors.New("Unauthorized") }}
	g, _ := newGateway(t, "300s", "300s", map[string]Function{"jwt": fn, "apikey": fn}, Options{})
	srv := server(t, g)
	for range 2 {
		if r := do(t, "GET", srv.URL+"/orders", map[string]string{"Authorization": "Bearer x"}); r.status != 401 {
			t.Fatalf("status %d, want 401", r.status)
		}
	}
	if fn.count() != 2 {
		t.Errorf("%d invocations, want 2: an Unauthorized answer is not cached", fn.count())
	}
}

func TestDenyIsCached(t *testing.T) {
	fn := &fake{answer: func(ev map[string]any) ([]byte, error) { return policyJSON("Deny", arnOf(ev), nil, nil), nil }}
	g, _ := newGateway(t, "300s", "300s", map[string]Function{"jwt": fn, "apikey": fn}, Options{})
	srv := server(t, g)
	for _, p := range []string{"/orders/1", "/orders/1", "/orders/2"} {
		r := do(t, "GET", srv.URL+p, map[string]string{"Authorization": "Bearer x"})
		// /orders/2 is not named by the cached Deny: implicitly denied.
		if r.status != 403 {
			t.Fatalf("GET %s: %d, want 403", p, r.status)
		}
	}
	if fn.count() != 1 {
		t.Errorf("%d invocations, want 1", fn.count())
	}
}

func TestUsagePlans(t *testing.T) {
	usageKey := "ukey-bronze-0123456789"
	answer := func(ev map[string]any) ([]byte, error) {
		arn := arnOf(ev)
		i := strings.Index(arn, "/local/")
		extra := map[string]any{}
		headers, _ := ev["headers"].(map[string]any)
		if k, _ := headers["X-Api-Key"].(string); k != "none" {
			extra["usageIdentifierKey"] = k
		}
		return policyJSON("Allow", arn[:i+len("/local/")]+"*", nil, extra), nil
	}
	apikey := &fake{answer: answer}
	keys := UsageKeyMap{usageKey: "bronze", "ukey-capped-0123456789": "capped", "ukey-gone-0123456789": "no-such-plan"}
	g, c := newGateway(t, "300s", "300s", map[string]Function{"jwt": apikey, "apikey": apikey}, Options{UsageKeys: keys})
	srv := server(t, g)
	get := func(key string) reply {
		return do(t, "GET", srv.URL+"/reports/1", map[string]string{"x-api-key": key})
	}
	// bronze: rate 2/s, burst 3. The clock stands still: exactly the burst passes.
	for i := range 3 {
		if r := get(usageKey); r.status != 200 {
			t.Fatalf("request %d within the burst: %d %s", i+1, r.status, r.body)
		}
	}
	r := get(usageKey)
	if r.status != 429 || r.json["message"] != "Too Many Requests" {
		t.Fatalf("request after the burst: %d %s, want 429 Too Many Requests", r.status, r.body)
	}
	c.Add(time.Second) // refills 2 tokens
	for i := range 2 {
		if r := get(usageKey); r.status != 200 {
			t.Fatalf("refilled request %d: %d", i+1, r.status)
		}
	}
	if r := get(usageKey); r.status != 429 {
		t.Fatalf("after the refill is spent: %d, want 429", r.status)
	}
	// capped: quota 2 per day.
	for i := range 2 {
		if r := get("ukey-capped-0123456789"); r.status != 200 {
			t.Fatalf("capped request %d: %d", i+1, r.status)
		}
	}
	if r := get("ukey-capped-0123456789"); r.status != 429 || r.json["message"] != "Limit Exceeded" {
		t.Fatalf("over quota: %d %s, want 429 Limit Exceeded", r.status, r.body)
	}
	c.Add(24 * time.Hour)
	if r := get("ukey-capped-0123456789"); r.status != 200 {
		t.Fatalf("next day: %d, want 200", r.status)
	}
	// Unknown key values and missing ones are refused like API Gateway does.
	for _, k := range []string{"ukey-unknown-0123456789", "ukey-gone-0123456789", "none"} {
		if r := get(k); r.status != 403 || r.json["message"] != "Forbidden" {
			t.Errorf("usage key %q: %d %s, want 403 Forbidden", k, r.status, r.body)
		}
	}
	// JWT routes do not require an API key.
	if r := do(t, "GET", srv.URL+"/orders", map[string]string{"Authorization": "Bearer x"}); r.status != 200 {
		t.Errorf("JWT route: %d, want 200", r.status)
	}
}

func TestHTTPAPI(t *testing.T) {
	f := loadPolicy(t, "300s", "300s")
	f.Authorizers.JWT.HTTPAPIResponse = "simple"
	p := planOf(t, f)
	// Answers isAuthorized for GET /orders only, as a per-request simple
	// response would.
	fn := &fake{answer: func(ev map[string]any) ([]byte, error) {
		ok := ev["routeKey"] == "GET /orders"
		b, _ := json.Marshal(map[string]any{"isAuthorized": ok, "context": map[string]any{"sub": "alice", "n": 7, "groups": []string{"a"}}})
		return b, nil
	}}
	g, err := New(p, Options{API: HTTP, Functions: map[string]Function{"jwt": fn, "apikey": fn}, Now: newClock().Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := server(t, g)
	bearer := map[string]string{"Authorization": "Bearer t"}
	r := do(t, "GET", srv.URL+"/orders", bearer)
	if r.status != 200 {
		t.Fatalf("GET /orders: %d %s", r.status, r.body)
	}
	wantAuth := map[string]any{"lambda": map[string]any{"sub": "alice", "n": float64(7), "groups": []any{"a"}}}
	if diff := cmp.Diff(r.json["authorizer"], wantAuth); diff != "" {
		t.Errorf("HTTP API context passes through typed (-got +want):\n%s", diff)
	}
	ev := fn.last()
	if ev["version"] != "2.0" || ev["routeKey"] != "GET /orders" || !cmp.Equal(ev["identitySource"], []any{"Bearer t", "GET /orders"}) {
		t.Errorf("payload 2.0 event: version %v routeKey %v identitySource %v", ev["version"], ev["routeKey"], ev["identitySource"])
	}
	// The route is part of the cache key with simple responses, so the
	// second route is decided on its own.
	if r := do(t, "GET", srv.URL+"/orders/1", bearer); r.status != 403 || r.json["message"] != "Forbidden" {
		t.Errorf("GET /orders/1: %d %s, want 403 Forbidden", r.status, r.body)
	}
	if fn.count() != 2 {
		t.Errorf("%d invocations, want 2", fn.count())
	}
	for _, tt := range []struct {
		path   string
		header map[string]string
		status int
		msg    string
	}{
		{"/orders", nil, 401, "Unauthorized"},
		{"/nowhere", bearer, 404, "Not Found"},
		{"/reports/1", map[string]string{"x-api-key": "k"}, 404, "Not Found"}, // API-key routes are REST only
	} {
		r := do(t, "GET", srv.URL+tt.path, tt.header)
		if r.status != tt.status || r.json["message"] != tt.msg {
			t.Errorf("GET %s: %d %s, want %d %s", tt.path, r.status, r.body, tt.status, tt.msg)
		}
	}
}

func TestNewRefusesMissingFunction(t *testing.T) {
	f := loadPolicy(t, "0s", "0s")
	_, err := New(planOf(t, f), Options{Functions: map[string]Function{"jwt": &fake{}}})
	if err == nil || !strings.Contains(err.Error(), "apikey") {
		t.Errorf("New without the apikey function: %v, want an error naming apikey", err)
	}
}

func TestConcurrentRequests(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	fn := &fake{answer: func(ev map[string]any) ([]byte, error) {
		mu.Lock()
		seen[ev["authorizationToken"].(string)]++
		mu.Unlock()
		return allowAll(ev)
	}}
	g, _ := newGateway(t, "300s", "300s", map[string]Function{"jwt": fn, "apikey": fn}, Options{})
	srv := server(t, g)
	var wg sync.WaitGroup
	errs := make(chan string, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := "Bearer t" + string(rune('a'+i%5))
			req, _ := http.NewRequestWithContext(context.Background(), "GET", srv.URL+"/orders/"+string(rune('0'+i%10)), nil)
			req.Header.Set("Authorization", tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err.Error()
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				errs <- resp.Status
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if len(seen) != 5 {
		t.Errorf("saw %d distinct tokens, want 5", len(seen))
	}
}

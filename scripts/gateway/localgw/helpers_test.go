package localgw

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis-authz/portcullis/infra/plan"
	"github.com/portcullis-authz/portcullis/scripts/testenv"
	"github.com/portcullis-authz/portcullis/shared/config"
)

// testPolicy is the policy of the unit tests: both authorizers, a public
// route, a greedy route, usage plans. TTLs are placeholders the tests
// replace.
const testPolicy = `version: 1
scopes:
  orders:read: Read orders
  orders:write: Write orders
  reports:read: Read reports
issuers:
  - name: dev
    issuer: http://127.0.0.1:4000/dev-idp
    audiences: [portcullis-dev]
    algorithms: [ES256]
    jwks: {file: dev-jwks.json}
authorizers:
  jwt:
    cache_ttl: JWT_TTL
  apikey:
    cache_ttl: APIKEY_TTL
    environment: test
    pepper: {file: pepper.txt}
routes:
  GET /health:
    authorizer: none
  GET /orders:
    authorizer: jwt
    scopes: [orders:read]
  GET /orders/{id}:
    authorizer: jwt
    scopes: [orders:read]
  POST /orders:
    authorizer: jwt
    scopes: [orders:write]
  ANY /admin/{proxy+}:
    authorizer: jwt
    roles: [admin]
  GET /reports/{id}:
    authorizer: apikey
    scopes: [reports:read]
usage_plans:
  bronze:
    throttle: {rate: 2, burst: 3}
  capped:
    throttle: {rate: 100, burst: 100}
    quota: {limit: 2, period: DAY}
waf:
  enabled: false
`

// loadPolicy writes the test policy with the given TTLs beside the files
// it names and loads it.
func loadPolicy(t testing.TB, jwtTTL, apikeyTTL string) *config.File {
	t.Helper()
	dir := t.TempDir()
	jwks, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(t), "events", "dev-jwks.json"))
	if err != nil {
		t.Fatal(err)
	}
	src := strings.NewReplacer("JWT_TTL", jwtTTL, "APIKEY_TTL", apikeyTTL).Replace(testPolicy)
	for name, data := range map[string][]byte{
		"policy.yaml":   []byte(src),
		"dev-jwks.json": jwks,
		"pepper.txt":    []byte("local-gateway-test-pepper-0123456789abcdef"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f, err := config.Load(filepath.Join(dir, "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func planOf(t testing.TB, f *config.File) *plan.Plan {
	t.Helper()
	p, err := plan.New(f, plan.Options{HTTPAPI: true})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fake is a scripted authorizer function that records its events.
type fake struct {
	mu     sync.Mutex
	events []map[string]any
	answer func(ev map[string]any) ([]byte, error)
}

func (f *fake) Invoke(_ context.Context, event []byte) ([]byte, error) {
	var ev map[string]any
	if err := json.Unmarshal(event, &ev); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.events = append(f.events, ev)
	f.mu.Unlock()
	return f.answer(ev)
}

func (f *fake) last() map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.events) == 0 {
		return nil
	}
	return f.events[len(f.events)-1]
}

func (f *fake) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.events)
}

// arnOf returns the method or route ARN of an event.
func arnOf(ev map[string]any) string {
	if s, ok := ev["methodArn"].(string); ok {
		return s
	}
	s, _ := ev["routeArn"].(string)
	return s
}

// allowARN answers with an Allow for resource and the given context.
func policyJSON(effect, resource string, context map[string]any, extra map[string]any) []byte {
	m := map[string]any{
		"principalId": "alice",
		"policyDocument": map[string]any{
			"Version":   "2012-10-17",
			"Statement": []any{map[string]any{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}},
		},
	}
	if context != nil {
		m["context"] = context
	}
	for k, v := range extra {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return b
}

// allowAll answers Allow for the whole stage.
func allowAll(ev map[string]any) ([]byte, error) {
	arn := arnOf(ev)
	i := strings.Index(arn, "/local/")
	return policyJSON("Allow", arn[:i+len("/local/")]+"*", map[string]any{"sub": "alice"}, nil), nil
}

// server starts the gateway over real HTTP.
func server(t testing.TB, g *Gateway) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return srv
}

type reply struct {
	status int
	header http.Header
	body   string
	json   map[string]any
}

func do(t testing.TB, method, url string, header map[string]string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
	_ = json.Unmarshal(b, &r.json)
	return r
}

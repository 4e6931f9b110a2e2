package plan_test

import (
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portcullis-authz/portcullis/infra/plan"
	"github.com/portcullis-authz/portcullis/infra/plan/plantest"
	"github.com/portcullis-authz/portcullis/shared/authz"
	"github.com/portcullis-authz/portcullis/shared/config"
	"github.com/portcullis-authz/portcullis/shared/dynamostore"
)

func load(t *testing.T, path string) *config.File {
	t.Helper()
	f, err := config.Load(path)
	if err != nil {
		t.Fatalf("config.Load(%s): %v", path, err)
	}
	return f
}

// write lays out a policy and the files it names in a temporary
// directory and loads it.
func write(t *testing.T, policy string, files map[string]string) *config.File {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "policy")
	files["policy.yaml"] = policy
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return load(t, filepath.Join(dir, "policy.yaml"))
}

func TestNewProdPolicy(t *testing.T) {
	f := load(t, "../testdata/prod.yaml")
	p, err := plan.New(f, plan.Options{Stage: plan.Prod, HTTPAPI: true})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	type auth struct {
		Name, Function      string
		Kind                plan.Kind
		TTL                 time.Duration
		REST, HTTP          []string
		Simple, KeyRequired bool
		Secrets             []plan.Secret
		Tables              []string
		Files               []string
	}
	var got []auth
	for _, a := range p.Authorizers {
		x := auth{a.Name, a.Function, a.Kind, a.CacheTTL, a.RESTIdentitySources, a.HTTPIdentitySources,
			a.HTTPSimpleResponses, a.APIKeyRequired, a.Secrets, nil, a.Files}
		for _, g := range a.Tables {
			x.Tables = append(x.Tables, g.Table.Name+":"+strings.Join(g.Actions, ","))
		}
		got = append(got, x)
	}
	want := []auth{
		{
			Name: "jwt", Function: "jwt-authorizer", Kind: plan.Token, TTL: 600 * time.Second,
			REST:    []string{"method.request.header.Authorization"},
			HTTP:    []string{"$request.header.Authorization", "$context.routeKey"},
			Simple:  true,
			Secrets: []plan.Secret{{Source: "secretsmanager", Name: "portcullis/partner-hmac", Field: "issuers[1].hmac_secret"}},
			Files:   []string{"keys/jwks.json"},
		},
		{
			Name: "apikey", Function: "apikey-authorizer", Kind: plan.Request, TTL: 120 * time.Second,
			REST:        []string{"method.request.header.x-partner-key", "context.identity.sourceIp"},
			KeyRequired: true,
			Secrets:     []plan.Secret{{Source: "ssm", Name: "/portcullis/prod/pepper", Field: "authorizers.apikey.pepper"}},
			Tables:      []string{"APIKeys:dynamodb:GetItem"},
			Files:       []string{"keys/jwks.json"},
		},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("authorizers (-got +want):\n%s", diff)
	}
	if len(p.Tables) != 1 || p.Tables[0].Name != dynamostore.APIKeys.Name {
		t.Errorf("tables = %v, want the API-keys table", p.Tables)
	}
	if len(p.LocalOnly) != 0 {
		t.Errorf("LocalOnly = %q, want none for a production policy", p.LocalOnly)
	}

	var methods []string
	p.REST.Walk(func(r *plan.Resource) {
		for _, m := range r.Methods {
			methods = append(methods, m.HTTPMethod+" "+r.Path+" "+m.Authorizer+" "+strings.Join(m.PathParams, ","))
		}
	})
	wantMethods := []string{
		"ANY / jwt ",
		"GET /health  ",
		"POST /orders jwt ",
		"GET /orders/{id} jwt id",
		"ANY /admin/{proxy+} jwt proxy",
		"GET /reports/{id} apikey id",
		"ANY /{proxy+} jwt proxy",
	}
	if diff := cmp.Diff(methods, wantMethods); diff != "" {
		t.Errorf("REST methods (-got +want):\n%s", diff)
	}

	var routes []string
	for _, r := range p.HTTP {
		routes = append(routes, r.Key+"|"+r.Method+"|"+r.Path+"|"+r.Authorizer)
	}
	wantRoutes := []string{
		"GET /health|GET|/health|",
		"GET /orders/{id}|GET|/orders/{id}|jwt",
		"POST /orders|POST|/orders|jwt",
		"ANY /admin/{proxy+}|ANY|/admin/{proxy+}|jwt",
		"$default|||jwt",
	}
	if diff := cmp.Diff(routes, wantRoutes); diff != "" {
		t.Errorf("HTTP routes (-got +want):\n%s", diff)
	}
	if !containsLike(p.Notes, `"GET /reports/{id}" uses the apikey authorizer`) {
		t.Errorf("notes %q do not explain why the API-key route is not on the HTTP API", p.Notes)
	}

	wantWAF := &plan.WAF{
		AllowV4: []string{"203.0.113.10/32"}, AllowV6: []string{"2001:db8:1::/48"},
		BlockV4: []string{"198.51.100.0/24"}, BlockV6: []string{"2001:db8:dead::/48"},
		RateLimit: 500, RateWindow: 10 * time.Minute,
		ManagedRules: []plan.ManagedRule{
			{Key: "common", Name: "AWSManagedRulesCommonRuleSet"},
			{Key: "known_bad_inputs", Name: "AWSManagedRulesKnownBadInputsRuleSet"},
			{Key: "ip_reputation", Name: "AWSManagedRulesAmazonIpReputationList"},
			{Key: "anonymous_ip", Name: "AWSManagedRulesAnonymousIpList"},
			{Key: "sqli", Name: "AWSManagedRulesSQLiRuleSet"},
		},
	}
	if diff := cmp.Diff(p.WAF, wantWAF); diff != "" {
		t.Errorf("WAF (-got +want):\n%s", diff)
	}
}

func TestNewDevPolicy(t *testing.T) {
	f := load(t, "../../events/policy.yaml")
	p, err := plan.New(f, plan.Options{Stage: plan.Dev, HTTPAPI: true})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, want := range []string{"authorizers.apikey.pepper reads the secret from the file", "is a local issuer"} {
		if !containsLike(p.LocalOnly, want) {
			t.Errorf("LocalOnly = %q, want an entry containing %q", p.LocalOnly, want)
		}
	}
	if !containsLike(p.Notes, `"$connect" is a WebSocket route`) {
		t.Errorf("notes %q do not mention the WebSocket route", p.Notes)
	}
	jwt, key := p.Authorizer("jwt"), p.Authorizer("apikey")
	if jwt == nil || key == nil {
		t.Fatalf("authorizers = %v, want jwt and apikey", p.Authorizers)
	}
	pepper := f.Authorizers.APIKey.Pepper.File
	if !slices.Contains(key.Files, pepper) {
		t.Errorf("apikey files %q lack the pepper file %s", key.Files, pepper)
	}
	if slices.Contains(jwt.Files, pepper) {
		t.Errorf("jwt files %q include the API-key pepper: each function bundles only its own secrets", jwt.Files)
	}
	if !slices.Contains(key.Files, f.Issuers[0].JWKS.File) {
		t.Errorf("apikey files %q lack the JWKS file the policy validation reads", key.Files)
	}

	// With the explicit flag a development deploy is allowed.
	p, err = plan.New(f, plan.Options{Stage: plan.Dev, AllowLocalPolicy: true})
	if err != nil {
		t.Fatalf("New with AllowLocalPolicy: %v", err)
	}
	if len(p.LocalOnly) != 0 {
		t.Errorf("LocalOnly = %q with AllowLocalPolicy, want none", p.LocalOnly)
	}
	if p.HTTP != nil {
		t.Errorf("HTTP routes = %v with the HTTP API off, want nil", p.HTTP)
	}
}

func TestNewMinimalPolicy(t *testing.T) {
	p, err := plan.New(load(t, "../testdata/minimal.yaml"), plan.Options{Stage: plan.Prod, HTTPAPI: true})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if p.WAF != nil {
		t.Errorf("WAF = %+v, want nil: the policy disables it", p.WAF)
	}
	if len(p.Tables) != 0 {
		t.Errorf("tables = %v, want none without the apikey authorizer", p.Tables)
	}
	a := p.Authorizer("jwt")
	if a == nil || a.CacheTTL != 0 {
		t.Fatalf("jwt authorizer = %+v, want one with caching off", a)
	}
	if diff := cmp.Diff(a.HTTPIdentitySources, []string{"$request.header.Authorization"}); diff != "" {
		t.Errorf("HTTP identity sources (-got +want):\n%s", diff)
	}
}

// perRequest is a requirement that depends on the individual request, as
// the risk authorizer's will.
type perRequest struct{}

func (perRequest) Check(*authz.Principal, *authz.Request, time.Time) *authz.Shortfall { return nil }
func (perRequest) PerRequest() bool                                                   { return true }

func withPerRequest(route string) func(*config.File, string) (*authz.Policy, error) {
	return func(f *config.File, name string) (*authz.Policy, error) {
		p, err := f.Policy(name)
		if err != nil {
			return nil, err
		}
		for _, rt := range p.Routes {
			if rt.Key.String() == route {
				rt.Requirements = append(rt.Requirements, perRequest{})
			}
		}
		return p, nil
	}
}

const jwtPolicy = `version: 1
scopes: {orders:read: Read}
issuers:
  - name: corp
    issuer: https://login.example.com/
    audiences: [api]
    jwks: {url: https://login.example.com/jwks.json}
authorizers:
  jwt: {cache_ttl: %TTL%}
routes:
  GET /orders/{id}: {scopes: [orders:read]}
  GET /orders: {scopes: [orders:read]}
`

func TestCacheSafety(t *testing.T) {
	tests := []struct {
		name    string
		ttl     string
		wantErr bool
	}{
		{"cached per-request route is refused", "300s", true},
		{"uncached per-request route is allowed", "0s", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := write(t, strings.ReplaceAll(jwtPolicy, "%TTL%", tt.ttl), map[string]string{})
			_, err := plan.New(f, plan.Options{PolicyFor: withPerRequest("GET /orders/{id}")})
			if got := errors.Is(err, plan.ErrCacheUnsafe); got != tt.wantErr {
				t.Fatalf("New error = %v, ErrCacheUnsafe %v, want %v", err, got, tt.wantErr)
			}
			if tt.wantErr && (!strings.Contains(err.Error(), "GET /orders/{id}") || strings.Contains(err.Error(), "GET /orders,")) {
				t.Errorf("error %q should name exactly the per-request route", err)
			}
		})
	}
	// Without the injected requirement the same cached policy is fine:
	// scopes are judged from the token, stable for the cache key.
	f := write(t, strings.ReplaceAll(jwtPolicy, "%TTL%", "300s"), map[string]string{})
	if _, err := plan.New(f, plan.Options{}); err != nil {
		t.Errorf("New(cached scope-only policy) = %v, want nil", err)
	}
}

const keyPolicy = `version: 1
scopes: {reports:read: Read}
authorizers:
  apikey:
    cache_ttl: %TTL%
    query_parameter: api_key
    pepper: {ssm: /p/pepper}
routes:
  GET /reports/{id}: {scopes: [reports:read]}
`

func TestAPIKeyQueryParameter(t *testing.T) {
	f := write(t, strings.ReplaceAll(keyPolicy, "%TTL%", "60s"), map[string]string{})
	_, err := plan.New(f, plan.Options{})
	if !errors.Is(err, plan.ErrIdentitySource) || !strings.Contains(err.Error(), "query_parameter") {
		t.Fatalf("New(cached query-string key) = %v, want ErrIdentitySource naming query_parameter", err)
	}
	f = write(t, strings.ReplaceAll(keyPolicy, "%TTL%", "0s"), map[string]string{})
	p, err := plan.New(f, plan.Options{})
	if err != nil {
		t.Fatalf("New(uncached query-string key) = %v", err)
	}
	if diff := cmp.Diff(p.Authorizer("apikey").RESTIdentitySources, []string{"context.identity.sourceIp"}); diff != "" {
		t.Errorf("identity sources (-got +want):\n%s", diff)
	}
}

func TestRefusals(t *testing.T) {
	const issuer = `
issuers:
  - name: corp
    issuer: https://login.example.com/
    audiences: [api]
    jwks: {url: https://login.example.com/jwks.json}
`
	tests := []struct {
		name   string
		policy string
		files  map[string]string
		opts   plan.Options
		want   []error
		substr []string
	}{
		{
			name: "prod refuses file secrets and loopback issuers, even when allowed",
			policy: `version: 1
scopes: {r: R}
issuers:
  - name: dev
    issuer: http://127.0.0.1:4000/idp
    audiences: [api]
    algorithms: [HS256]
    hmac_secret: {file: hmac.txt}
authorizers:
  jwt: {}
  apikey: {pepper: {file: pepper.txt}}
routes:
  GET /a: {authorizer: jwt}
  GET /b: {authorizer: apikey}
`,
			files:  map[string]string{"hmac.txt": "x", "pepper.txt": "y"},
			opts:   plan.Options{Stage: plan.Prod, AllowLocalPolicy: true},
			want:   []error{plan.ErrLocalPolicy},
			substr: []string{"issuers[0].hmac_secret reads the secret from the file hmac.txt", "authorizers.apikey.pepper", "local issuer"},
		},
		{
			name: "a development deploy cannot use an environment-variable secret",
			policy: `version: 1
scopes: {r: R}
authorizers:
  apikey: {pepper: {env: PEPPER}}
routes:
  GET /b: {}
`,
			files:  map[string]string{},
			opts:   plan.Options{Stage: plan.Dev, AllowLocalPolicy: true},
			want:   []error{plan.ErrLocalPolicy},
			substr: []string{"environment variable PEPPER"},
		},
		{
			name: "two path parameter names at one level",
			policy: `version: 1
scopes: {r: R}` + issuer + `authorizers: {jwt: {}}
routes:
  GET /orders/{id}: {}
  GET /orders/{orderId}/items: {}
`,
			files:  map[string]string{},
			want:   []error{plan.ErrRoutes},
			substr: []string{"under /orders", "{id} and {orderId}"},
		},
		{
			name: "$default overlaps ANY /{proxy+}",
			policy: `version: 1
scopes: {r: R}` + issuer + `authorizers: {jwt: {}}
routes:
  $default: {}
  ANY /{proxy+}: {}
`,
			files:  map[string]string{},
			want:   []error{plan.ErrRoutes},
			substr: []string{`"$default" and "ANY /{proxy+}" are the same REST method`},
		},
		{
			name: "bundled file outside the policy directory, and a cached query-string key: both reported",
			policy: `version: 1
scopes: {r: R}
issuers:
  - name: corp
    issuer: https://login.example.com/
    audiences: [api]
    algorithms: [ES256]
    jwks: {file: ../outside.json}
authorizers:
  jwt: {}
  apikey: {query_parameter: k, pepper: {ssm: p}}
routes:
  GET /a: {authorizer: jwt}
  GET /b: {authorizer: apikey}
`,
			files:  map[string]string{"../outside.json": `{"keys":[]}`},
			want:   []error{plan.ErrBundle, plan.ErrIdentitySource},
			substr: []string{"issuers[0].jwks.file names ../outside.json"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := write(t, tt.policy, tt.files)
			p, err := plan.New(f, tt.opts)
			if err == nil {
				t.Fatalf("New = %+v, want an error", p)
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("New error %q does not wrap %v", err, w)
				}
			}
			for _, s := range tt.substr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("New error %q does not contain %q", err, s)
				}
			}
		})
	}
}

func TestUnusedAuthorizerIsNotDeployed(t *testing.T) {
	f := write(t, `version: 1
scopes: {r: R}
issuers:
  - name: corp
    issuer: https://login.example.com/
    audiences: [api]
    jwks: {url: https://login.example.com/jwks.json}
authorizers:
  jwt: {}
  apikey: {pepper: {ssm: p}}
routes:
  GET /a: {authorizer: jwt}
`, map[string]string{})
	p, err := plan.New(f, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Authorizer("apikey") != nil || len(p.Tables) != 0 {
		t.Errorf("apikey authorizer %+v / tables %v deployed though no route uses it", p.Authorizer("apikey"), p.Tables)
	}
	if !containsLike(p.Notes, "authorizer apikey protects no deployed route") {
		t.Errorf("notes %q do not explain the missing function", p.Notes)
	}
}

// TestEveryTableHasAReader keeps dynamostore.Tables and the stack in step:
// a table added there must be granted to the authorizer that uses it.
func TestEveryTableHasAReader(t *testing.T) {
	f := load(t, "../testdata/prod.yaml")
	p, err := plan.New(f, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tbl := range dynamostore.Tables {
		found := false
		for _, a := range p.Authorizers {
			for _, g := range a.Tables {
				found = found || g.Table.Name == tbl.Name
			}
		}
		if !found {
			t.Errorf("table %s is in dynamostore.Tables but no authorizer in plan.specs reads it", tbl.Name)
		}
	}
}

func TestBootstrap(t *testing.T) {
	dir := t.TempDir()
	plantest.WriteBootstrap(t, dir, "arm", elf.EM_AARCH64)
	plantest.WriteBootstrap(t, dir, "amd", elf.EM_X86_64)
	if err := os.MkdirAll(filepath.Join(dir, "text"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "text", "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		fn      string
		wantErr bool
		substr  string
	}{
		{"arm", false, ""},
		{"amd", true, "EM_X86_64"},
		{"text", true, "not a Linux executable"},
		{"missing", true, "run `make build`"},
	}
	for _, tt := range tests {
		t.Run(tt.fn, func(t *testing.T) {
			path, err := plan.Bootstrap(dir, tt.fn)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Bootstrap(%s) = %q, %v; want error %v", tt.fn, path, err, tt.wantErr)
			}
			if err != nil && (!errors.Is(err, plan.ErrNotBuilt) || !strings.Contains(err.Error(), tt.substr)) {
				t.Errorf("Bootstrap(%s) error = %v, want ErrNotBuilt containing %q", tt.fn, err, tt.substr)
			}
			if err == nil && path != filepath.Join(dir, tt.fn, "bootstrap") {
				t.Errorf("Bootstrap(%s) = %q", tt.fn, path)
			}
		})
	}
}

func TestStageAsset(t *testing.T) {
	f := load(t, "../../events/policy.yaml")
	p, err := plan.New(f, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	build := plantest.BuildDir(t)
	for _, a := range p.Authorizers {
		t.Run(a.Name, func(t *testing.T) {
			boot, err := plan.Bootstrap(build, a.Function)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := p.StageAsset(a, boot, dir); err != nil {
				t.Fatalf("StageAsset: %v", err)
			}
			var got []string
			err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(dir, path)
				got = append(got, rel)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			want := append([]string{"bootstrap", "policy.yaml"}, a.Files...)
			if diff := cmp.Diff(got, want, cmpSorted); diff != "" {
				t.Errorf("asset files (-got +want):\n%s", diff)
			}
			st, err := os.Stat(filepath.Join(dir, "bootstrap"))
			if err != nil || st.Mode().Perm()&0o111 == 0 {
				t.Errorf("bootstrap mode = %v (%v), want executable", st.Mode(), err)
			}
			src, _ := os.ReadFile(f.Path)
			staged, _ := os.ReadFile(filepath.Join(dir, "policy.yaml"))
			if string(src) != string(staged) {
				t.Error("staged policy.yaml differs from the policy file")
			}
			// The staged policy must load on its own, as at cold start.
			if _, err := config.Load(filepath.Join(dir, "policy.yaml")); err != nil {
				t.Errorf("staged policy does not load: %v", err)
			}
		})
	}
}

var cmpSorted = cmp.Transformer("sort", func(in []string) []string { return slices.Sorted(slices.Values(in)) })

func TestParseStage(t *testing.T) {
	for _, s := range []string{"dev", "prod"} {
		if got, err := plan.ParseStage(s); err != nil || string(got) != s {
			t.Errorf("ParseStage(%q) = %q, %v", s, got, err)
		}
	}
	if _, err := plan.ParseStage("production"); err == nil {
		t.Error("ParseStage(production) = nil error, want one")
	}
}

func containsLike(list []string, sub string) bool {
	for _, v := range list {
		if strings.Contains(v, sub) {
			return true
		}
	}
	return false
}

package config_test

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/portcullis-authz/portcullis/shared/authz"
	"github.com/portcullis-authz/portcullis/shared/config"
)

const devPolicy = "../../events/policy.yaml"

// nilDurations lists the paths of the *Duration fields of v left nil.
// StepUp.MaxAge is skipped: nil there means "no age limit", not "unset".
func nilDurations(v reflect.Value, path string) []string {
	durType := reflect.TypeFor[*config.Duration]()
	switch v.Kind() {
	case reflect.Pointer:
		if v.Type() == durType {
			if v.IsNil() {
				return []string{path}
			}
			return nil
		}
		if v.IsNil() {
			return nil
		}
		return nilDurations(v.Elem(), path)
	case reflect.Struct:
		var out []string
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() || (v.Type() == reflect.TypeFor[config.StepUp]() && f.Name == "MaxAge") {
				continue
			}
			out = append(out, nilDurations(v.Field(i), path+"."+f.Name)...)
		}
		return out
	case reflect.Slice:
		var out []string
		for i := range v.Len() {
			out = append(out, nilDurations(v.Index(i), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	}
	return nil
}

// The walker itself finds nil durations, so the checks below can fail.
func TestNilDurationsWalker(t *testing.T) {
	f := &config.File{Authorizers: config.Authorizers{JWT: &config.JWTAuthorizer{}}, Issuers: []config.Issuer{{}},
		Routes: []config.Route{{StepUp: &config.StepUp{}}}}
	got := nilDurations(reflect.ValueOf(f), "File")
	want := []string{"File.Issuers[0].JWKS.RefreshInterval", "File.Issuers[0].JWKS.UnknownKidInterval", "File.Issuers[0].JWKS.Timeout",
		"File.Issuers[0].Leeway", "File.Authorizers.JWT.CacheTTL", "File.WAF.RateWindow"}
	if diff := cmp.Diff(got, want, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("nilDurations (-got +want):\n%s", diff)
	}
}

func TestLoadDevPolicy(t *testing.T) {
	f, err := config.Load(devPolicy)
	if err != nil {
		t.Fatalf("Load(%s): %v", devPolicy, err)
	}
	if missing := nilDurations(reflect.ValueOf(f), "File"); len(missing) > 0 {
		t.Errorf("durations left nil after Load: %s", strings.Join(missing, ", "))
	}
	if f.Authorizers.JWT == nil || f.Authorizers.APIKey == nil {
		t.Fatalf("the dev policy configures both authorizers; got jwt %v apikey %v", f.Authorizers.JWT, f.Authorizers.APIKey)
	}
	for _, r := range f.Routes {
		if r.Authorizer == "" {
			t.Errorf("route %q has no authorizer after Load", r.Key)
		}
	}
	for _, name := range []string{config.AuthorizerJWT, config.AuthorizerAPIKey} {
		p, err := f.Policy(name)
		if err != nil {
			t.Errorf("Policy(%s): %v", name, err)
			continue
		}
		if len(p.Routes) != len(f.RoutesFor(name)) || len(p.Routes) == 0 {
			t.Errorf("Policy(%s) has %d routes, RoutesFor has %d; want the same, non-zero", name, len(p.Routes), len(f.RoutesFor(name)))
		}
	}
	// Relative files named in the policy resolve beside it.
	for _, is := range f.Issuers {
		if is.JWKS.File != "" {
			if _, err := os.Stat(f.Resolve(is.JWKS.File)); err != nil {
				t.Errorf("issuer %s: JWKS file does not resolve: %v", is.Name, err)
			}
		}
	}
}

func TestDefaults(t *testing.T) {
	f, err := config.Parse([]byte(withAPIKey), "dir/p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := func(v time.Duration) *config.Duration { x := config.Duration(v); return &x }
	yes := true
	type defaults struct {
		Settings config.Settings
		JWT      config.JWTAuthorizer
		APIKey   config.APIKeyAuthorizer
		Issuer   config.Issuer
		WAF      config.WAF
		Route    string
	}
	got := defaults{f.Settings, *f.Authorizers.JWT, *f.Authorizers.APIKey, f.Issuers[0], f.WAF, f.Routes[0].Authorizer}
	want := defaults{
		Settings: config.Settings{UnlistedRoutes: "deny", ResponseLimit: 8192, ContextLimit: 2048, LogLevel: "info"},
		JWT:      config.JWTAuthorizer{CacheTTL: d(5 * time.Minute), Header: "Authorization", MaxTokenBytes: 8192, HTTPAPIResponse: "iam"},
		APIKey: config.APIKeyAuthorizer{CacheTTL: d(5 * time.Minute), Header: "x-api-key", Environment: "live",
			Pepper: config.SecretRef{Env: "PEPPER"},
			Cache:  config.RecordCache{MaxEntries: 10000, PositiveTTL: d(time.Minute), NegativeTTL: d(10 * time.Second)}},
		Issuer: config.Issuer{Name: "idp", Issuer: "https://idp.example.com/", Audiences: []string{"api"},
			JWKS: config.JWKS{URL: "https://idp.example.com/jwks.json", RefreshInterval: d(time.Hour),
				UnknownKidInterval: d(5 * time.Second), Timeout: d(1500 * time.Millisecond)},
			Algorithms: []string{"RS256"}, Leeway: d(time.Minute),
			Claims: config.ClaimMapping{Scopes: []string{"scope", "scp", "permissions"},
				Roles: []string{"cognito:groups", "roles", "groups", "realm_access.roles"}}},
		WAF:   config.WAF{Enabled: &yes, RateLimit: 1000, RateWindow: d(5 * time.Minute), ManagedRules: []string{"common", "known_bad_inputs", "ip_reputation"}},
		Route: "jwt",
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("defaults (-got +want):\n%s", diff)
	}
	if missing := nilDurations(reflect.ValueOf(f), "File"); len(missing) > 0 {
		t.Errorf("durations left nil: %s", strings.Join(missing, ", "))
	}
	if got := f.Resolve("keys/jwks.json"); got != filepath.Join("dir", "keys", "jwks.json") {
		t.Errorf("Resolve(relative) = %q, want it beside the policy file", got)
	}
	if got := f.Resolve("/abs/jwks.json"); got != "/abs/jwks.json" {
		t.Errorf("Resolve(absolute) = %q, want it unchanged", got)
	}
	if got := f.Resolve(""); got != "" {
		t.Errorf("Resolve(\"\") = %q, want empty", got)
	}
}

// Explicit values are kept, not overwritten by defaults.
func TestExplicitValuesKept(t *testing.T) {
	text := strings.Replace(withAPIKey, "jwt: {}", "jwt: {cache_ttl: 0s, header: X-Token, http_api_response: simple}", 1) +
		"settings: {unlisted_routes: authenticated, response_limit: 4096}\nwaf: {enabled: false, rate_window: 1m}\n"
	f, err := config.Parse([]byte(text), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := []any{f.CacheTTL("jwt"), f.Authorizers.JWT.Header, f.Authorizers.JWT.HTTPAPIResponse,
		f.Settings.UnlistedRoutes, f.Settings.ResponseLimit, *f.WAF.Enabled, f.WAF.RateWindow.D()}
	want := []any{time.Duration(0), "X-Token", "simple", "authenticated", 4096, false, time.Minute}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("explicit values (-got +want):\n%s", diff)
	}
}

func TestParseCIDR(t *testing.T) {
	valid := []struct{ in, want string }{
		{"203.0.113.10", "203.0.113.10/32"},
		{"2001:db8::1", "2001:db8::1/128"},
		{"10.0.0.0/8", "10.0.0.0/8"},
		{"0.0.0.0/0", "0.0.0.0/0"},
		{"2001:db8::/32", "2001:db8::/32"},
		{"192.0.2.7/32", "192.0.2.7/32"},
	}
	for _, tt := range valid {
		p, err := config.ParseCIDR(tt.in)
		if err != nil || p != netip.MustParsePrefix(tt.want) {
			t.Errorf("ParseCIDR(%q) = %v, %v; want %s", tt.in, p, err, tt.want)
		}
	}
	invalid := []struct{ in, msg string }{
		{"10.0.0.1/8", "has host bits set; did you mean 10.0.0.0/8?"},
		{"2001:db8::1/32", "did you mean 2001:db8::/32?"},
		{"::ffff:10.0.0.0/104", "write IPv4 blocks in IPv4 form"},
		{"::ffff:10.0.0.1", "write IPv4 addresses in IPv4 form (10.0.0.1)"},
		{"fe80::1%eth0", "zone"},
		{"10.0.0.0/33", "is not a CIDR block"},
		{"10.0.0.0/", "is not a CIDR block"},
		{"10.0.0", "is not an IP address"},
		{" 10.0.0.1", "is not an IP address"},
		{"", "is not an IP address"},
		{"example.com", "is not an IP address"},
	}
	for _, tt := range invalid {
		p, err := config.ParseCIDR(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParseCIDR(%q) = %v, %v; want an error saying %q", tt.in, p, err, tt.msg)
		}
	}
	var c config.CIDR
	if err := c.UnmarshalText([]byte("198.51.100.0/24")); err != nil || c.String() != "198.51.100.0/24" || c.Prefix().Bits() != 24 {
		t.Errorf("CIDR.UnmarshalText = %v, %v", c, err)
	}
}

func TestDuration(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"300ms", 300 * time.Millisecond, true},
		{"60s", time.Minute, true},
		{"5m", 5 * time.Minute, true},
		{"1h30m", 90 * time.Minute, true},
		{"0s", 0, true},
		{"0", 0, true},
		{"5", 0, false},
		{"1d", 0, false},
		{"-1s", 0, false},
		{"", 0, false},
	} {
		var d config.Duration
		err := d.UnmarshalText([]byte(tt.in))
		if (err == nil) != tt.ok || (tt.ok && d.D() != tt.want) {
			t.Errorf("UnmarshalText(%q) = %s, %v; want %s (ok %v)", tt.in, d, err, tt.want, tt.ok)
		}
	}
	if got := config.Duration(90 * time.Second).String(); got != "1m30s" {
		t.Errorf("String() = %q, want 1m30s", got)
	}
}

func TestSecretRefSource(t *testing.T) {
	for _, tt := range []struct {
		r          config.SecretRef
		kind, want string
	}{
		{config.SecretRef{Env: "E"}, "env", "E"},
		{config.SecretRef{File: "f"}, "file", "f"},
		{config.SecretRef{SSM: "/p"}, "ssm", "/p"},
		{config.SecretRef{SecretsManager: "arn:s"}, "secretsmanager", "arn:s"},
		{config.SecretRef{}, "", ""},
	} {
		kind, v := tt.r.Source()
		if kind != tt.kind || v != tt.want {
			t.Errorf("%+v.Source() = %q, %q; want %q, %q", tt.r, kind, v, tt.kind, tt.want)
		}
	}
	// Exactly one source: every pair is refused, every single one accepted.
	sources := []string{"env: S", "file: s.txt", "ssm: /s", "secretsmanager: s"}
	for i := range sources {
		one := strings.Replace(withAPIKey, "pepper: {env: PEPPER}", "pepper: {"+sources[i]+"}", 1)
		checkProblems(t, "p.yaml", one, nil)
		for j := i + 1; j < len(sources); j++ {
			two := strings.Replace(withAPIKey, "pepper: {env: PEPPER}", "pepper: {"+sources[i]+", "+sources[j]+"}", 1)
			checkProblems(t, "p.yaml", two, []want{{"authorizers.apikey.pepper", "pepper", "(got 2)"}})
		}
	}
}

// Plain http is accepted only for loopback issuers (the development IdP).
func TestIssuerURLs(t *testing.T) {
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{"https://idp.example.com/", true},
		{"https://idp.example.com/realms/x", true},
		{"HTTPS://idp.example.com/", true},
		{"http://127.0.0.1:4000/dev-idp", true},
		{"http://127.0.0.2/", true},
		{"http://localhost:8080/", true},
		{"http://[::1]:4000/", true},
		{"http://idp.example.com/", false},
		{"http://localhost.example.com/", false},
		{"http://127.0.0.1.nip.io/", false},
		{"http://10.0.0.1/", false},
		{"ftp://idp.example.com/", false},
		{"idp.example.com", false},
		{"https://", false},
		{"/relative", false},
		{"", false},
	} {
		text := oneIssuer("    issuer: \"" + tt.url + "\"\n    audiences: [api]\n    jwks: {discovery: true}\n")
		var wants []want
		if !tt.ok {
			wants = []want{{"issuers[0].issuer", "issuer: ", ""}}
		}
		t.Run(tt.url, func(t *testing.T) { checkProblems(t, "p.yaml", text, wants) })
	}
}

func TestJWKSFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "jwks.json"), []byte(`{"keys":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	text := func(file string) string {
		return oneIssuer("    issuer: https://idp.example.com/\n    audiences: [api]\n    jwks: {file: " + file + "}\n")
	}
	name := filepath.Join(dir, "policy.yaml")
	checkProblems(t, name, text("jwks.json"), nil)
	checkProblems(t, name, text("missing.json"), []want{{"issuers[0].jwks.file", "file: missing", "cannot read " + filepath.Join(dir, "missing.json")}})
}

func TestAuthorizerDefaulting(t *testing.T) {
	apikeyOnly := `version: 1
scopes: {r: R}
authorizers:
  apikey: {pepper: {env: P}}
routes:
  GET /r: {scopes: [r]}
  GET /health: {authorizer: none}
`
	f, err := config.Parse([]byte(apikeyOnly), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range f.Routes {
		got[r.Key] = r.Authorizer
	}
	if diff := cmp.Diff(got, map[string]string{"GET /r": "apikey", "GET /health": "none"}); diff != "" {
		t.Errorf("route authorizers (-got +want):\n%s", diff)
	}
	if got := f.CacheTTL(config.AuthorizerJWT); got != 0 {
		t.Errorf("CacheTTL(jwt) without a jwt authorizer = %s, want 0", got)
	}
	if got := f.CacheTTL(config.AuthorizerAPIKey); got != config.DefaultCacheTTL {
		t.Errorf("CacheTTL(apikey) = %s, want %s", got, config.DefaultCacheTTL)
	}
	if got := f.CacheTTL("other"); got != 0 {
		t.Errorf("CacheTTL(other) = %s, want 0", got)
	}
}

func TestPolicy(t *testing.T) {
	text := `version: 1
scopes: {r: R, w: W}
settings: {unlisted_routes: authenticated}
issuers:
  - name: idp
    issuer: https://idp.example.com/
    audiences: [api]
    jwks: {discovery: true}
authorizers:
  jwt: {cache_ttl: 120s}
  apikey: {pepper: {env: P}}
routes:
  GET /orders/{id}:
    authorizer: jwt
    scopes: [r]
  DELETE /orders/{id}:
    authorizer: jwt
    scopes: {all_of: [w], any_of: [r]}
    roles: {any_of: [admin, ops]}
    step_up: {acr: [urn:mfa], amr: [mfa, hwk], max_age: 10m}
  POST /orders/{id}/refund:
    authorizer: jwt
    step_up: {amr: [mfa]}
  GET /reports/{id}:
    authorizer: apikey
    scopes: [r]
  GET /health:
    authorizer: none
`
	f, err := config.Parse([]byte(text), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type route struct {
		Key          string
		Requirements []authz.Requirement
	}
	get := func(name string) ([]route, authz.Unlisted) {
		p, err := f.Policy(name)
		if err != nil {
			t.Fatalf("Policy(%s): %v", name, err)
		}
		var out []route
		for _, rt := range p.Routes {
			out = append(out, route{rt.Key.String(), rt.Requirements})
		}
		return out, p.Unlisted
	}
	jwt, unlisted := get(config.AuthorizerJWT)
	wantJWT := []route{
		{"GET /orders/{id}", []authz.Requirement{authz.Scopes{AnyOf: []string{"r"}}}},
		{"DELETE /orders/{id}", []authz.Requirement{
			authz.Scopes{AnyOf: []string{"r"}, AllOf: []string{"w"}},
			authz.Roles{AnyOf: []string{"admin", "ops"}},
			authz.StepUpRule{ACR: []string{"urn:mfa"}, AMR: []string{"mfa", "hwk"}, MaxAge: 10 * time.Minute, Horizon: 2 * time.Minute},
		}},
		{"POST /orders/{id}/refund", []authz.Requirement{authz.StepUpRule{AMR: []string{"mfa"}, Horizon: 2 * time.Minute}}},
	}
	if diff := cmp.Diff(jwt, wantJWT, ignoreCache); diff != "" {
		t.Errorf("Policy(jwt) (-got +want):\n%s", diff)
	}
	if unlisted != authz.UnlistedAuthenticated {
		t.Errorf("Policy(jwt).Unlisted = %v, want UnlistedAuthenticated", unlisted)
	}
	apikey, _ := get(config.AuthorizerAPIKey)
	if diff := cmp.Diff(apikey, []route{{"GET /reports/{id}", []authz.Requirement{authz.Scopes{AnyOf: []string{"r"}}}}}, ignoreCache); diff != "" {
		t.Errorf("Policy(apikey) (-got +want):\n%s", diff)
	}
	public, _ := get(config.AuthorizerNone)
	if diff := cmp.Diff(public, []route{{"GET /health", nil}}); diff != "" {
		t.Errorf("Policy(none) (-got +want):\n%s", diff)
	}
	if got := f.RoutesFor("nobody"); got != nil {
		t.Errorf("RoutesFor(nobody) = %v, want nil", got)
	}
}

func TestEmptyAndMultipleDocuments(t *testing.T) {
	for _, tt := range []struct{ name, text string }{
		{"empty", ""},
		{"comments only", "# nothing here\n"},
		{"whitespace", "\n  \n"},
		{"two documents", base + "---\n" + base},
		{"second document empty of content", base + "---\nversion: 1\n"},
		{"syntax error", "version: [1\n"},
		{"tab indentation", "version: 1\nsettings:\n\tlog_level: info\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := config.Parse([]byte(tt.text), "p.yaml")
			if !errors.Is(err, config.ErrInvalid) || f != nil {
				t.Errorf("Parse = %v, %v; want nil and an error wrapping ErrInvalid", f, err)
			}
			if err != nil && !strings.Contains(err.Error(), "p.yaml") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	// A single document may start with the marker.
	if _, err := config.Parse([]byte("---\n"+base), "p.yaml"); err != nil {
		t.Errorf("Parse(--- + valid file): %v", err)
	}
}

// Every problem is reported at once, not only the first.
func TestManyProblemsAtOnce(t *testing.T) {
	text := `version: 3
settings: {log_level: loud, bogus: 1}
scopes: {r: R}
issuers:
  - name: idp
    issuer: http://idp.example.com/
    jwks: {discovery: true}
authorizers:
  jwt: {cache_ttl: 2h}
routes:
  GET /r: {scopes: [r, w]}
  GET r: {}
waf: {block_list: [10.0.0.1/8]}
`
	checkProblems(t, "p.yaml", text, []want{
		{"version", "version: 3", "must be 1"},
		{"settings.log_level", "settings:", `got "loud"`},
		{"settings.bogus", "settings:", `unknown key "bogus"`},
		{"issuers[0].issuer", "issuer: http:", "plain http"},
		{"issuers[0].audiences", "- name: idp", "audience"},
		{"authorizers.jwt.cache_ttl", "cache_ttl", "at most 1h"},
		{`routes["GET /r"].scopes`, "GET /r", `unknown scope "w"`},
		{`routes["GET r"]`, "GET r:", "path must start with /"},
		{"waf.block_list[0]", "waf:", "did you mean 10.0.0.0/8?"},
	})
}

func TestLoadErrors(t *testing.T) {
	_, err := config.Load(filepath.Join(t.TempDir(), "absent.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(absent) = %v; want an error wrapping fs.ErrNotExist", err)
	}
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte("version: 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = config.Load(path)
	var p *config.Problem
	if !errors.Is(err, config.ErrInvalid) || !errors.As(err, &p) || p.File != path {
		t.Errorf("Load(invalid) = %v; want ErrInvalid with problems naming %s", err, path)
	}
}

func TestPathFromEnv(t *testing.T) {
	env := map[string]string{config.EnvPolicyPath: "/etc/portcullis/policy.yaml"}
	if got := config.PathFromEnv(func(k string) string { return env[k] }); got != "/etc/portcullis/policy.yaml" {
		t.Errorf("PathFromEnv with %s set = %q", config.EnvPolicyPath, got)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skipf("os.Executable: %v", err)
	}
	want := filepath.Join(filepath.Dir(exe), config.DefaultFileName)
	if got := config.PathFromEnv(func(string) string { return "" }); got != want {
		t.Errorf("PathFromEnv without %s = %q, want %q (beside the binary)", config.EnvPolicyPath, got, want)
	}
}

// ignoreCache ignores the shortfalls requirements prepare for themselves.
var ignoreCache = cmpopts.IgnoreUnexported(authz.Scopes{}, authz.Roles{})

package config_test

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/portcullis-authz/portcullis/shared/config"
)

// base is a minimal valid policy file: one issuer, the jwt authorizer, one
// route. Cases append to it or write a whole file.
const base = `version: 1
scopes: {a: A, b: B}
issuers:
  - name: idp
    issuer: https://idp.example.com/
    audiences: [api]
    jwks: {url: https://idp.example.com/jwks.json}
authorizers:
  jwt: {}
routes:
  GET /a: {scopes: [a]}
`

// withAPIKey is base with the apikey authorizer configured as well.
const withAPIKey = `version: 1
scopes: {a: A, b: B}
issuers:
  - name: idp
    issuer: https://idp.example.com/
    audiences: [api]
    jwks: {url: https://idp.example.com/jwks.json}
authorizers:
  jwt: {}
  apikey: {pepper: {env: PEPPER}}
routes:
  GET /a: {scopes: [a], authorizer: jwt}
`

// configCase is a policy file and the problems Parse must report.
type configCase struct {
	name, text string
	wants      []want
}

// want is one expected problem: its path, the line holding marker ("" for
// a problem that cannot point at a line), and a fragment of its message.
type want struct {
	path, marker, msg string
}

// problems returns every *config.Problem in err's tree.
func problems(err error) []*config.Problem {
	var out []*config.Problem
	var walk func(error)
	walk = func(e error) {
		if p, ok := e.(*config.Problem); ok {
			out = append(out, p)
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, c := range u.Unwrap() {
				walk(c)
			}
		case interface{ Unwrap() error }:
			if c := u.Unwrap(); c != nil {
				walk(c)
			}
		}
	}
	walk(err)
	return out
}

// lineOf returns the 1-based number of the line of text holding marker;
// "text@n" names the n-th line holding text.
func lineOf(t *testing.T, text, marker string) int {
	t.Helper()
	if marker == "" {
		return 0
	}
	nth := 1
	if i := strings.LastIndex(marker, "@"); i >= 0 {
		if _, err := fmt.Sscan(marker[i+1:], &nth); err == nil {
			marker = marker[:i]
		} else {
			nth = 1
		}
	}
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, marker) {
			if nth--; nth == 0 {
				return i + 1
			}
		}
	}
	t.Fatalf("marker %q not in the test file", marker)
	return 0
}

// checkProblems parses text and checks that exactly the wanted problems are
// reported, each at its path and line.
func checkProblems(t *testing.T, name, text string, wants []want) {
	t.Helper()
	f, err := config.Parse([]byte(text), name)
	if len(wants) == 0 {
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		return
	}
	if !errors.Is(err, config.ErrInvalid) {
		t.Fatalf("Parse = %v, %v; want an error wrapping ErrInvalid", f, err)
	}
	if f != nil {
		t.Errorf("Parse returned a *File next to its error")
	}
	got := problems(err)
	used := make([]bool, len(got))
	var missing []string
	for _, w := range wants {
		line := lineOf(t, text, w.marker)
		found := false
		for i, p := range got {
			if !used[i] && p.Path == w.path && p.Line == line && strings.Contains(p.Msg, w.msg) && p.File == name {
				used[i], found = true, true
				break
			}
		}
		if !found {
			missing = append(missing, fmt.Sprintf("%s:%d: %s: ...%s...", name, line, w.path, w.msg))
		}
	}
	var extra []string
	for i, p := range got {
		if !used[i] {
			extra = append(extra, p.Error())
		}
	}
	if len(missing) > 0 || len(extra) > 0 {
		sort.Strings(extra)
		t.Errorf("problems:\n  got but not wanted:\n    %s\n  wanted but not got:\n    %s",
			strings.Join(extra, "\n    "), strings.Join(missing, "\n    "))
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("%d problem(s)", len(got))) {
		t.Errorf("error %q does not count its %d problems", err, len(got))
	}
}

func TestValidBase(t *testing.T) {
	checkProblems(t, "base.yaml", base, nil)
	checkProblems(t, "apikey.yaml", withAPIKey, nil)
}

// validationCases are the cases of TestValidationRules; FuzzParse starts from them too.
func validationCases() []configCase {
	return []configCase{
		// Top level and settings.
		{"version wrong", strings.Replace(base, "version: 1", "version: 2", 1),
			[]want{{"version", "version: 2", "must be 1, got 2"}}},
		{"version missing", strings.Replace(base, "version: 1\n", "", 1),
			[]want{{"version", "", "must be 1, got 0"}}},
		{"unlisted_routes", base + "settings: {unlisted_routes: allow}\n",
			[]want{{"settings.unlisted_routes", "settings:", `must be deny or authenticated, got "allow"`}}},
		{"response_limit too small", base + "settings:\n  response_limit: 100\n",
			[]want{{"settings.response_limit", "response_limit", "between 1024 and 8192 bytes, got 100"}}},
		{"response_limit too large", base + "settings:\n  response_limit: 8193\n",
			[]want{{"settings.response_limit", "response_limit", "got 8193"}}},
		{"context_limit", base + "settings:\n  context_limit: 5000\n",
			[]want{{"settings.context_limit", "context_limit", "between 256 and 4096 bytes, got 5000"}}},
		{"log_level", base + "settings:\n  log_level: verbose\n",
			[]want{{"settings.log_level", "log_level", `got "verbose"`}}},
		{"scope name with a space", strings.Replace(base, "scopes: {a: A, b: B}", "scopes: {a: A, b: B, \"c d\": C}", 1),
			[]want{{`scopes["c d"]`, "scopes:", "no spaces or quotes"}}},

		// Authorizers.
		{"no authorizer", strings.Replace(base, "  jwt: {}\n", "  {}\n", 1),
			[]want{
				{"authorizers", "  {}", "configure at least one authorizer"},
				{"issuers", "- name: idp", "authorizers.jwt is not configured"},
			}},
		{"jwt cache_ttl over 1h", strings.Replace(base, "jwt: {}", "jwt: {cache_ttl: 2h}", 1),
			[]want{{"authorizers.jwt.cache_ttl", "cache_ttl", "at most 1h"}}},
		{"jwt cache_ttl not whole seconds", strings.Replace(base, "jwt: {}", "jwt: {cache_ttl: 1500ms}", 1),
			[]want{{"authorizers.jwt.cache_ttl", "cache_ttl", "whole seconds"}}},
		{"jwt cache_ttl both", strings.Replace(base, "jwt: {}", "jwt: {cache_ttl: 3600500ms}", 1),
			[]want{
				{"authorizers.jwt.cache_ttl", "cache_ttl", "at most 1h"},
				{"authorizers.jwt.cache_ttl", "cache_ttl", "whole seconds"},
			}},
		{"jwt max_token_bytes", strings.Replace(base, "jwt: {}", "jwt:\n    max_token_bytes: 100", 1),
			[]want{{"authorizers.jwt.max_token_bytes", "max_token_bytes", "between 256 and 65536, got 100"}}},
		{"jwt http_api_response", strings.Replace(base, "jwt: {}", "jwt:\n    http_api_response: xml", 1),
			[]want{{"authorizers.jwt.http_api_response", "http_api_response", `must be iam or simple, got "xml"`}}},
		{"jwt header", strings.Replace(base, "jwt: {}", "jwt:\n    header: \"Auth orization\"", 1),
			[]want{{"authorizers.jwt.header", "header:", "is not a header name"}}},
		{"jwt without issuers", strings.Replace(base, "issuers:\n  - name: idp\n    issuer: https://idp.example.com/\n    audiences: [api]\n    jwks: {url: https://idp.example.com/jwks.json}\n", "", 1),
			[]want{{"issuers", "", "needs at least one issuer"}}},
		{"issuers without jwt", strings.Replace(withAPIKey, "  jwt: {}\n", "", 1),
			[]want{
				{"issuers", "- name: idp", "authorizers.jwt is not configured"},
				{`routes["GET /a"].authorizer`, "GET /a", `"jwt" is not configured under authorizers`},
			}},
		{"apikey cache_ttl and header", strings.Replace(withAPIKey, "apikey: {pepper: {env: PEPPER}}",
			"apikey:\n    pepper: {env: PEPPER}\n    cache_ttl: 61m\n    header: \"x api key\"", 1),
			[]want{
				{"authorizers.apikey.cache_ttl", "cache_ttl", "at most 1h"},
				{"authorizers.apikey.header", "header:", "is not a header name"},
			}},
		{"apikey environment", strings.Replace(withAPIKey, "apikey: {pepper: {env: PEPPER}}", "apikey: {pepper: {env: PEPPER}, environment: prod}", 1),
			[]want{{"authorizers.apikey.environment", "environment", `must be live or test, got "prod"`}}},
		{"apikey pepper missing", strings.Replace(withAPIKey, "apikey: {pepper: {env: PEPPER}}", "apikey: {environment: test}", 1),
			[]want{{"authorizers.apikey.pepper", "apikey:", "exactly one of env, file, ssm or secretsmanager (got 0)"}}},
		{"apikey pepper two sources", strings.Replace(withAPIKey, "apikey: {pepper: {env: PEPPER}}", "apikey:\n    pepper: {env: PEPPER, ssm: /x/pepper}", 1),
			[]want{{"authorizers.apikey.pepper", "pepper:", "(got 2)"}}},
		{"apikey cache bounds", strings.Replace(withAPIKey, "apikey: {pepper: {env: PEPPER}}",
			"apikey:\n    pepper: {env: PEPPER}\n    cache:\n      max_entries: -1\n      positive_ttl: 20m", 1),
			[]want{
				{"authorizers.apikey.cache.max_entries", "max_entries", "must not be negative"},
				{"authorizers.apikey.cache.positive_ttl", "positive_ttl", "at most 15m"},
			}},

		// Issuers.
		{"issuer name missing", strings.Replace(base, "  - name: idp\n    issuer:", "  - issuer:", 1),
			[]want{{"issuers[0].name", "- issuer:", "required"}}},
		{"issuer name and issuer twice", twoIssuers("https://idp.example.com/", "https://idp.example.com/", "idp"),
			[]want{
				{"issuers[1].name", "- name: idp@2", `issuer name "idp" is used twice`},
				{"issuers[1].issuer", "issuer: https://idp.example.com/@2", `"https://idp.example.com/" is listed twice`},
			}},
		{"issuer not a URL", oneIssuer("    issuer: idp.example.com\n    audiences: [api]\n    jwks: {url: https://idp.example.com/k}\n"),
			[]want{{"issuers[0].issuer", "issuer: idp", "want an absolute https URL"}}},
		{"issuer plain http", oneIssuer("    issuer: http://idp.example.com/\n    audiences: [api]\n    jwks: {url: https://idp.example.com/k}\n"),
			[]want{{"issuers[0].issuer", "issuer: http", "plain http is allowed only for localhost"}}},
		{"jwks url plain http", oneIssuer("    issuer: https://idp.example.com/\n    audiences: [api]\n    jwks: {url: http://keys.example.com/k}\n"),
			[]want{{"issuers[0].jwks.url", "jwks:", "plain http is allowed only for localhost"}}},
		{"jwks url not a URL", oneIssuer("    issuer: https://idp.example.com/\n    audiences: [api]\n    jwks:\n      url: /k\n"),
			[]want{{"issuers[0].jwks.url", "url: /k", "want an absolute https URL"}}},
		{"jwks no source", oneIssuer("    issuer: https://idp.example.com/\n    audiences: [api]\n"),
			[]want{{"issuers[0].jwks", "- name: idp", "exactly one of url, discovery or file (got 0)"}}},
		{"jwks two sources", oneIssuer("    issuer: https://idp.example.com/\n    audiences: [api]\n    jwks: {url: https://idp.example.com/k, discovery: true}\n"),
			[]want{{"issuers[0].jwks", "jwks:", "(got 2)"}}},
		{"alg none in any case", oneIssuer("    issuer: https://idp.example.com/\n    audiences: [api]\n    jwks: {discovery: true}\n    algorithms: [RS256, nOnE]\n"),
			[]want{{"issuers[0].algorithms[1]", "algorithms:", `"none" is never allowed`}}},
		{"unknown alg", oneIssuer("    issuer: https://idp.example.com/\n    audiences: [api]\n    jwks: {discovery: true}\n    algorithms:\n      - ES256\n      - ED25519\n"),
			[]want{{"issuers[0].algorithms[1]", "- ED25519", `unknown algorithm "ED25519"`}}},
		{"HS mixed with asymmetric", oneIssuer("    issuer: https://idp.example.com/\n    audiences: [api]\n    algorithms: [HS256, RS256]\n    hmac_secret: {env: S}\n"),
			[]want{{"issuers[0].algorithms", "algorithms:", "cannot be mixed"}}},
		{"HS without a secret", oneIssuer("    issuer: https://idp.example.com/\n    audiences: [api]\n    algorithms: [HS256]\n"),
			[]want{
				{"issuers[0].hmac_secret", "- name: idp", "need a configured secret"},
				{"issuers[0].jwks", "- name: idp", "(got 0)"},
			}},
		{"secret without HS", oneIssuer("    issuer: https://idp.example.com/\n    audiences: [api]\n    jwks: {discovery: true}\n    hmac_secret: {env: S}\n"),
			[]want{
				{"issuers[0].hmac_secret", "hmac_secret", "no HS* algorithm is allowed"},
				{"issuers[0].jwks", "jwks:", "an HMAC issuer has no JWKS"},
			}},
		{"HMAC secret two sources", oneIssuer("    issuer: https://idp.example.com/\n    audiences: [api]\n    algorithms: [HS512]\n    hmac_secret: {env: S, file: s.txt}\n"),
			[]want{{"issuers[0].hmac_secret", "hmac_secret", "exactly one of env, file, ssm or secretsmanager (got 2)"}}},
		{"HMAC issuer valid", oneIssuer("    issuer: https://idp.example.com/\n    audiences: [api]\n    algorithms: [HS256, HS384]\n    hmac_secret: {ssm: /idp/secret}\n"),
			nil},
		{"leeway", oneIssuer("    issuer: https://idp.example.com/\n    audiences: [api]\n    jwks: {discovery: true}\n    leeway: 10m\n"),
			[]want{{"issuers[0].leeway", "leeway", "at most 5m0s, got 10m0s"}}},
		{"audiences missing", oneIssuer("    issuer: https://idp.example.com/\n    jwks: {discovery: true}\n"),
			[]want{{"issuers[0].audiences", "- name: idp", "at least one accepted audience"}}},
		{"cognito replaces audiences", oneIssuer("    issuer: https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x\n    jwks: {discovery: true}\n    cognito: {token_use: access, client_ids: [c1]}\n"),
			nil},
		{"cognito rules", oneIssuer("    issuer: https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x\n    jwks: {discovery: true}\n    cognito:\n      token_use: refresh\n"),
			[]want{
				{"issuers[0].cognito.token_use", "token_use", `must be access or id, got "refresh"`},
				{"issuers[0].cognito.client_ids", "token_use", "at least one app client id"},
			}},
		{"empty context claim", oneIssuer("    issuer: https://idp.example.com/\n    audiences: [api]\n    jwks: {discovery: true}\n    claims:\n      context: [email, \"\"]\n"),
			[]want{{"issuers[0].claims.context[1]", "context:", "empty claim name"}}},

		// Routes.
		{"bad route key", base + "  GET orders: {scopes: [a]}\n",
			[]want{{`routes["GET orders"]`, "GET orders", "path must start with /"}}},
		{"same route twice", base + "  GET /a/{id}: {scopes: [a]}\n  GET /a/{x}: {scopes: [b]}\n",
			[]want{{`routes["GET /a/{x}"]`, "GET /a/{x}", `is the same route as "GET /a/{id}"`}}},
		{"route key listed twice", base + "  GET /a: {scopes: [b]}\n",
			[]want{{`routes["GET /a"]`, "GET /a@2", "listed twice"}}},
		{"authorizer unnamed with two configured", withAPIKey + "  GET /b: {scopes: [b]}\n",
			[]want{{`routes["GET /b"].authorizer`, "GET /b", "several authorizers are configured"}}},
		{"authorizer not configured", base + "  GET /b: {authorizer: apikey}\n",
			[]want{{`routes["GET /b"].authorizer`, "GET /b", `"apikey" is not configured`}}},
		{"public route with requirements", base + "  GET /b:\n    authorizer: none\n    roles: [x]\n",
			[]want{{`routes["GET /b"]`, "GET /b", "cannot have requirements"}}},
		{"public $connect", base + "  $connect: {authorizer: none}\n",
			[]want{{`routes["$connect"]`, "$connect", "cannot be public"}}},
		{"unknown scope", base + "  GET /b:\n    scopes: {any_of: [a], all_of: [zz]}\n",
			[]want{{`routes["GET /b"].scopes`, "scopes: {any_of", `unknown scope "zz" (entry 1)`}}},
		{"empty role", base + "  GET /b: {roles: [admin, \"\"]}\n",
			[]want{{`routes["GET /b"].roles`, "GET /b", "empty role name"}}},
		{"empty step_up", base + "  GET /b:\n    step_up: {}\n",
			[]want{{`routes["GET /b"].step_up`, "step_up", "at least one of acr, amr or max_age"}}},
		{"step_up on an apikey route", withAPIKey + "  GET /b:\n    authorizer: apikey\n    step_up: {acr: [x]}\n",
			[]want{{`routes["GET /b"].step_up`, "step_up", "step-up needs the jwt authorizer"}}},
		{"step_up max_age equal to the default cache_ttl", base + "  GET /b:\n    step_up: {max_age: 5m}\n",
			[]want{{`routes["GET /b"].step_up.max_age`, "step_up", "5m0s must exceed the jwt authorizer's cache_ttl (5m0s)"}}},
		{"step_up max_age under the configured cache_ttl", strings.Replace(base, "jwt: {}", "jwt: {cache_ttl: 10m}", 1) + "  GET /b:\n    step_up:\n      max_age: 9m\n",
			[]want{{`routes["GET /b"].step_up.max_age`, "max_age: 9m", "must exceed the jwt authorizer's cache_ttl (10m0s)"}}},
		{"step_up max_age over a short cache_ttl", strings.Replace(base, "jwt: {}", "jwt: {cache_ttl: 60s}", 1) + "  GET /b:\n    step_up: {max_age: 5m}\n",
			nil},
		{"step_up max_age with caching off", strings.Replace(base, "jwt: {}", "jwt: {cache_ttl: 0s}", 1) + "  GET /b:\n    step_up: {max_age: 1s}\n",
			nil},

		// Usage plans and WAF.
		{"usage plans without apikey", base + "usage_plans:\n  p: {throttle: {rate: 1, burst: 1}}\n",
			[]want{{"usage_plans", "  p: {", "configure authorizers.apikey"}}},
		{"usage plan throttle and quota", withAPIKey + "usage_plans:\n  p:\n    throttle: {rate: 0, burst: 5}\n    quota: {limit: 0, period: YEAR}\n",
			[]want{
				{`usage_plans["p"].throttle`, "throttle:", "rate and burst must both be positive"},
				{`usage_plans["p"].quota.limit`, "quota:", "must be positive, got 0"},
				{`usage_plans["p"].quota.period`, "quota:", `must be DAY, WEEK or MONTH, got "YEAR"`},
			}},
		{"usage plan without throttle", withAPIKey + "usage_plans:\n  p:\n",
			[]want{{`usage_plans["p"].throttle`, "  p:", "rate and burst must both be positive"}}},
		{"waf rate limit and window", base + "waf:\n  rate_limit: 5\n  rate_window: 3m\n",
			[]want{
				{"waf.rate_limit", "rate_limit", "at least 10, got 5"},
				{"waf.rate_window", "rate_window", "must be 1m, 2m, 5m or 10m, got 3m0s"},
			}},
		{"waf managed rule", base + "waf:\n  managed_rules: [common, bots]\n",
			[]want{{"waf.managed_rules[1]", "managed_rules", `unknown rule group "bots"`}}},
		{"waf allow overlaps block", base + "waf:\n  allow_list: [10.0.0.0/8, 192.0.2.1]\n  block_list:\n    - 10.1.0.0/16\n",
			[]want{{"waf.allow_list[0]", "allow_list", "10.0.0.0/8 overlaps block_list[0] 10.1.0.0/16"}}},
		{"waf bad CIDR", base + "waf:\n  block_list:\n    - 10.0.0.1/8\n    - ::ffff:10.0.0.0/104\n    - not-an-ip\n",
			[]want{
				{"waf.block_list[0]", "10.0.0.1/8", "has host bits set; did you mean 10.0.0.0/8?"},
				{"waf.block_list[1]", "::ffff:", "write IPv4 blocks in IPv4 form"},
				{"waf.block_list[2]", "not-an-ip", "is not an IP address or CIDR block"},
			}},
	}
}

func TestValidationRules(t *testing.T) {
	tests := validationCases()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkProblems(t, "p.yaml", tt.text, tt.wants) })
	}
}

// oneIssuer is a file whose only issuer, named idp, has the given lines.
func oneIssuer(lines string) string {
	return "version: 1\nscopes: {a: A}\nissuers:\n  - name: idp\n" + lines +
		"authorizers:\n  jwt: {}\nroutes:\n  GET /a: {scopes: [a]}\n"
}

// twoIssuers is a valid file with two issuers, the second named name2.
func twoIssuers(iss1, iss2, name2 string) string {
	return `version: 1
scopes: {a: A}
issuers:
  - name: idp
    issuer: ` + iss1 + `
    audiences: [api]
    jwks: {url: https://idp.example.com/jwks.json}
  - name: ` + name2 + `
    issuer: ` + iss2 + `
    audiences: [other]
    jwks: {url: https://idp.example.com/jwks2.json}
authorizers:
  jwt: {}
routes:
  GET /a: {scopes: [a]}
`
}

package config_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portcullis-authz/portcullis/shared/config"
)

// The known keys each struct lists in its unknown-key hint.
const (
	knownTop      = "authorizers, issuers, routes, scopes, settings, usage_plans, version, waf"
	knownSettings = "context_limit, log_level, response_limit, unlisted_routes"
	knownRoute    = "authorizer, description, roles, scopes, step_up"
	knownIssuer   = "algorithms, allow_missing_kid, audiences, claims, cognito, hmac_secret, issuer, jwks, leeway, name, required_claims"
	knownJWKS     = "discovery, file, refresh_interval, timeout, unknown_kid_interval, url"
	knownJWT      = "cache_ttl, header, http_api_response, max_token_bytes"
	knownStepUp   = "acr, amr, max_age"
	knownSet      = "all_of, any_of"
	knownSecret   = "env, file, secretsmanager, ssm"
	knownWAF      = "allow_list, block_list, enabled, managed_rules, rate_limit, rate_window"
	knownCache    = "max_entries, negative_ttl, positive_ttl"
)

// unknownKeyCases are the cases of TestUnknownKeys; FuzzParse starts from them too.
func unknownKeyCases() []configCase {
	hint := func(key, known string) string {
		return `unknown key "` + key + `" (known keys: ` + known + `)`
	}
	return []configCase{
		{"top level", base + "verison: 1\n",
			[]want{{"verison", "verison", hint("verison", knownTop)}}},
		{"settings", base + "settings: {log_levl: debug}\n",
			[]want{{"settings.log_levl", "log_levl", hint("log_levl", knownSettings)}}},
		{"authorizers.jwt", strings.Replace(base, "jwt: {}", "jwt: {ttl: 60s}", 1),
			[]want{{"authorizers.jwt.ttl", "ttl", hint("ttl", knownJWT)}}},
		{"authorizers", strings.Replace(base, "jwt: {}", "jwt: {}\n  risk: {}", 1),
			[]want{{"authorizers.risk", "risk", hint("risk", "apikey, jwt")}}},
		{"apikey cache", strings.Replace(withAPIKey, "apikey: {pepper: {env: PEPPER}}", "apikey:\n    pepper: {env: PEPPER}\n    cache: {ttl: 1s}", 1),
			[]want{{"authorizers.apikey.cache.ttl", "ttl", hint("ttl", knownCache)}}},
		{"pepper", strings.Replace(withAPIKey, "pepper: {env: PEPPER}", "pepper: {env: PEPPER, vault: x}", 1),
			[]want{{"authorizers.apikey.pepper.vault", "vault", hint("vault", knownSecret)}}},
		{"inside an issuer", strings.Replace(base, "audiences: [api]", "audience: [api]", 1),
			[]want{
				{"issuers[0].audience", "audience:", hint("audience", knownIssuer)},
				{"issuers[0].audiences", "- name: idp", "at least one accepted audience"},
			}},
		{"inside an issuer's jwks", strings.Replace(base, "jwks: {url:", "jwks: {uri:", 1),
			[]want{
				{"issuers[0].jwks.uri", "uri", hint("uri", knownJWKS)},
				{"issuers[0].jwks", "jwks:", "(got 0)"},
			}},
		{"inside a route", base + "  GET /b:\n    scope: [a]\n",
			[]want{{`routes["GET /b"].scope`, "scope: [a]", hint("scope", knownRoute)}}},
		{"inside a route's step_up", base + "  GET /b:\n    step_up: {acr: [x], maxage: 1h}\n",
			[]want{{`routes["GET /b"].step_up.maxage`, "maxage", hint("maxage", knownStepUp)}}},
		{"inside a route's scope set", base + "  GET /b:\n    scopes: {one_of: [a]}\n",
			[]want{
				{`routes["GET /b"].scopes.one_of`, "one_of", hint("one_of", knownSet)},
				{`routes["GET /b"].scopes`, "one_of", "name at least one value in any_of or all_of"},
			}},
		{"waf", base + "waf:\n  allowlist: [10.0.0.0/8]\n",
			[]want{{"waf.allowlist", "allowlist", hint("allowlist", knownWAF)}}},
	}
}

func TestUnknownKeys(t *testing.T) {
	tests := unknownKeyCases()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkProblems(t, "p.yaml", tt.text, tt.wants) })
	}
}

// duplicateKeyCases are the cases of TestDuplicateKeys; FuzzParse starts from them too.
func duplicateKeyCases() []configCase {
	return []configCase{
		{"top level", base + "version: 1\n",
			[]want{{"version", "version: 1@2", "key appears twice"}}},
		{"in a struct", strings.Replace(base, "jwks: {url: https://idp.example.com/jwks.json}", "jwks: {url: https://idp.example.com/jwks.json}\n    audiences: [x]", 1),
			[]want{{"issuers[0].audiences", "audiences: [x]", "key appears twice"}}},
		{"in a map", strings.Replace(base, "scopes: {a: A, b: B}", "scopes:\n  a: A\n  b: B\n  a: again", 1),
			[]want{{"scopes", "a: again", `key "a" appears twice`}}},
		{"route keys", base + "  GET /a: {scopes: [b]}\n",
			[]want{{`routes["GET /a"]`, "GET /a@2", "listed twice"}}},
		{"usage plans", withAPIKey + "usage_plans:\n  p: {throttle: {rate: 1, burst: 1}}\n  p: {throttle: {rate: 2, burst: 2}}\n",
			[]want{{`usage_plans["p"]`, "rate: 2", "listed twice"}}},
	}
}

func TestDuplicateKeys(t *testing.T) {
	tests := duplicateKeyCases()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkProblems(t, "p.yaml", tt.text, tt.wants) })
	}
}

// typeErrorCases are the cases of TestTypeErrors; FuzzParse starts from them too.
func typeErrorCases() []configCase {
	return []configCase{
		{"string for int", strings.Replace(base, "version: 1", `version: "1"`, 1),
			[]want{
				{"version", "version:", `want a whole number, got "1"`},
				{"version", "version:", "must be 1, got 0"},
			}},
		{"float for int", base + "settings: {response_limit: 2048.5}\n",
			[]want{{"settings.response_limit", "response_limit", `want a whole number, got "2048.5"`}}},
		{"list for int", base + "settings: {response_limit: [1]}\n",
			[]want{{"settings.response_limit", "response_limit", "want a whole number, got a list"}}},
		{"list for mapping", base + "settings: [deny]\n",
			[]want{{"settings", "settings:", "want a mapping, got a list"}}},
		{"scalar for mapping", base + "waf: on\n",
			[]want{{"waf", "waf:", "want a mapping, got a single value"}}},
		{"mapping for string", base + "settings: {log_level: {x: 1}}\n",
			[]want{{"settings.log_level", "log_level", "want a string, got a mapping"}}},
		{"scalar for list", strings.Replace(base, "audiences: [api]", "audiences: api", 1),
			[]want{
				{"issuers[0].audiences", "audiences:", "want a list, got a single value"},
				{"issuers[0].audiences", "audiences:", "at least one accepted audience"},
			}},
		{"list for map", strings.Replace(base, "scopes: {a: A, b: B}", "scopes: [a, b]", 1),
			[]want{
				{"scopes", "scopes: [a, b]", "want a mapping, got a list"},
				{`routes["GET /a"].scopes`, "GET /a", `unknown scope "a"`},
			}},
		{"bool: yes is not a bool", base + "waf: {enabled: yes}\n",
			[]want{{"waf.enabled", "enabled", `want true or false, got "yes"`}}},
		{"bool: quoted true is a string", base + "waf: {enabled: \"true\"}\n",
			[]want{{"waf.enabled", "enabled", `want true or false, got "true"`}}},
		{"bool: 1 is a number", strings.Replace(base, "jwks: {url: https://idp.example.com/jwks.json}", "jwks: {discovery: 1}", 1),
			[]want{
				{"issuers[0].jwks.discovery", "discovery", `want true or false, got "1"`},
				{"issuers[0].jwks", "jwks:", "(got 0)"},
			}},
		{"bool: list", base + "waf: {enabled: [true]}\n",
			[]want{{"waf.enabled", "enabled", "want true or false, got a list"}}},
		{"number for float: string", withAPIKey + "usage_plans:\n  p: {throttle: {rate: fast, burst: 1}}\n",
			[]want{
				{`usage_plans["p"].throttle.rate`, "rate: fast", `want a number, got "fast"`},
				{`usage_plans["p"].throttle`, "rate: fast", "rate and burst must both be positive"},
			}},
		{"duration without unit", strings.Replace(base, "jwt: {}", "jwt: {cache_ttl: 300}", 1),
			[]want{{"authorizers.jwt.cache_ttl", "cache_ttl", `want a duration such as 300ms, 60s, 5m or 1h, got "300"`}}},
		{"negative duration", strings.Replace(base, "jwt: {}", "jwt: {cache_ttl: -5s}", 1),
			[]want{{"authorizers.jwt.cache_ttl", "cache_ttl", `duration "-5s" is negative`}}},
		{"list for duration", strings.Replace(base, "jwt: {}", "jwt: {cache_ttl: [5s]}", 1),
			[]want{{"authorizers.jwt.cache_ttl", "cache_ttl", "want a single value, got a list"}}},
		{"list for a CIDR", base + "waf: {allow_list: [[10.0.0.0/8]]}\n",
			[]want{{"waf.allow_list[0]", "allow_list", "want a single value, got a list"}}},
		{"routes as a list", strings.Replace(base, "  GET /a: {scopes: [a]}", "  - GET /a", 1),
			[]want{{"routes", "- GET /a", "want a mapping, got a list"}}},
	}
}

func TestTypeErrors(t *testing.T) {
	tests := typeErrorCases()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkProblems(t, "p.yaml", tt.text, tt.wants) })
	}
}

func TestSetForms(t *testing.T) {
	tests := []struct {
		name, set string
		want      *config.Set
		wants     []want
	}{
		{"list means any of", "[a, b]", &config.Set{AnyOf: []string{"a", "b"}}, nil},
		{"mapping any_of", "{any_of: [a]}", &config.Set{AnyOf: []string{"a"}}, nil},
		{"mapping all_of", "{all_of: [a, b]}", &config.Set{AllOf: []string{"a", "b"}}, nil},
		{"mapping both", "{all_of: [a], any_of: [b]}", &config.Set{AnyOf: []string{"b"}, AllOf: []string{"a"}}, nil},
		{"empty mapping", "{}", nil, []want{{`routes["GET /b"].scopes`, "GET /b", "name at least one value in any_of or all_of"}}},
		{"empty list", "[]", nil, []want{{`routes["GET /b"].scopes`, "GET /b", "name at least one value"}}},
		{"no value", "", nil, []want{{`routes["GET /b"].scopes`, "GET /b", "name at least one value"}}},
		{"single value", "a", nil, []want{
			{`routes["GET /b"].scopes`, "GET /b", "want a mapping, got a single value"},
			{`routes["GET /b"].scopes`, "GET /b", "name at least one value"},
		}},
		{"list of lists", "[[a]]", nil, []want{
			{`routes["GET /b"].scopes[0]`, "GET /b", "want a string, got a list"},
			{`routes["GET /b"].scopes`, "GET /b", `unknown scope ""`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := base + "  GET /b: {scopes: " + tt.set + "}\n"
			if tt.set == "" {
				text = base + "  GET /b:\n    scopes:\n"
				for i := range tt.wants {
					tt.wants[i].marker = "    scopes:"
				}
			}
			checkProblems(t, "p.yaml", text, tt.wants)
			if tt.want == nil {
				return
			}
			f, err := config.Parse([]byte(text), "p.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(f.Routes[1].Scopes, tt.want); diff != "" {
				t.Errorf("scopes %s (-got +want):\n%s", tt.set, diff)
			}
		})
	}
}

// A key without a value configures a section with its defaults, so
// "jwt:" turns the jwt authorizer on rather than being silently ignored.
func TestKeyWithoutValue(t *testing.T) {
	f, err := config.Parse([]byte(strings.Replace(base, "jwt: {}", "jwt:", 1)), "p.yaml")
	if err != nil {
		t.Fatalf("Parse with \"jwt:\": %v", err)
	}
	if f.Authorizers.JWT == nil || f.Authorizers.JWT.CacheTTL.D() != config.DefaultCacheTTL {
		t.Errorf("Authorizers.JWT = %+v; want the jwt authorizer with its defaults", f.Authorizers.JWT)
	}
	if f.Routes[0].Authorizer != config.AuthorizerJWT {
		t.Errorf("route authorizer = %q, want jwt", f.Routes[0].Authorizer)
	}
	// A named section without its required values is reported, not dropped.
	checkProblems(t, "p.yaml", base+"  GET /b:\n    step_up:\n", []want{
		{`routes["GET /b"].step_up`, "step_up:", "at least one of acr, amr or max_age"},
	})
	checkProblems(t, "p.yaml", strings.Replace(base, "audiences: [api]", "cognito:", 1), []want{
		{"issuers[0].cognito.token_use", "cognito:", `must be access or id, got ""`},
		{"issuers[0].cognito.client_ids", "cognito:", "at least one app client id"},
	})
	// A duration without a value keeps its default.
	f, err = config.Parse([]byte(strings.Replace(base, "jwt: {}", "jwt: {cache_ttl: }", 1)), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := f.CacheTTL(config.AuthorizerJWT); got != config.DefaultCacheTTL {
		t.Errorf("cache_ttl without a value = %s, want the default %s", got, config.DefaultCacheTTL)
	}
}

func TestProblemError(t *testing.T) {
	tests := []struct {
		p    config.Problem
		want string
	}{
		{config.Problem{File: "p.yaml", Line: 3, Col: 5, Path: "waf.enabled", Msg: "bad"}, "p.yaml:3:5: waf.enabled: bad"},
		{config.Problem{File: "p.yaml", Path: "version", Msg: "bad"}, "p.yaml: version: bad"},
		{config.Problem{Line: 1, Col: 1, Msg: "bad"}, "1:1: bad"},
		{config.Problem{Msg: "bad"}, "bad"},
	}
	for _, tt := range tests {
		if got := tt.p.Error(); got != tt.want {
			t.Errorf("Problem%+v.Error() = %q, want %q", tt.p, got, tt.want)
		}
	}
}

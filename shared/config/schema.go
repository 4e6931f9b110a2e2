package config

// File is a Portcullis policy file: issuers, authorizers, routes and their
// requirements, API-key settings, usage plans and WAF lists. It is read by
// every authorizer at cold start, by the local gateway and by the CDK app.
type File struct {
	// Path is where the file was read from; relative paths inside it
	// (JWKS files, secret files) resolve against its directory.
	Path string `yaml:"-"`

	// Version of the file format; must be 1.
	Version int `yaml:"version"`
	// Settings that apply to every authorizer.
	Settings Settings `yaml:"settings"`
	// Scopes is the catalogue of OAuth scopes and API-key scopes the API
	// knows, each with a description. Routes and keys may only name these.
	Scopes map[string]string `yaml:"scopes"`
	// Issuers are the token issuers the JWT authorizer trusts.
	Issuers []Issuer `yaml:"issuers"`
	// Authorizers configures each authorizer; an authorizer that routes
	// name must be configured here.
	Authorizers Authorizers `yaml:"authorizers"`
	// Routes maps route keys ("GET /orders/{id}", "ANY /admin/{proxy+}",
	// "$default", "$connect") to their requirements, in file order.
	Routes []Route `yaml:"routes"`
	// UsagePlans are API Gateway usage plans (throttle and quota tiers)
	// that API keys are attached to, by name.
	UsagePlans []UsagePlan `yaml:"usage_plans"`
	// WAF configures the AWS WAF web ACL in front of the REST API.
	WAF WAF `yaml:"waf"`
}

// Settings apply to every authorizer.
type Settings struct {
	// UnlistedRoutes decides requests that match no route: "deny" (the
	// default) or "authenticated" (any authenticated caller).
	UnlistedRoutes string `yaml:"unlisted_routes"`
	// ResponseLimit caps the size in bytes of an authorizer response
	// (policy and context). Default and maximum 8192: API Gateway
	// documents 8 KB for authorizer results.
	ResponseLimit int `yaml:"response_limit"`
	// ContextLimit caps the size in bytes of the context map. Default 2048.
	ContextLimit int `yaml:"context_limit"`
	// LogLevel is "debug", "info" (default), "warn" or "error".
	LogLevel string `yaml:"log_level"`
}

// Authorizers configures each authorizer.
type Authorizers struct {
	JWT    *JWTAuthorizer    `yaml:"jwt"`
	APIKey *APIKeyAuthorizer `yaml:"apikey"`
}

// JWTAuthorizer configures the JWT/OIDC authorizer.
type JWTAuthorizer struct {
	// CacheTTL is API Gateway's authorizer result cache TTL (0 to 1h;
	// default 5m). Decisions are compiled per principal, so caching is safe.
	CacheTTL *Duration `yaml:"cache_ttl"`
	// Header carries the bearer token (default Authorization).
	Header string `yaml:"header"`
	// MaxTokenBytes rejects longer tokens before parsing (default 8192).
	MaxTokenBytes int `yaml:"max_token_bytes"`
	// HTTPAPIResponse is how HTTP API events are answered: "iam" (default)
	// or "simple" (isAuthorized). REST and WebSocket events always get IAM
	// policies.
	HTTPAPIResponse string `yaml:"http_api_response"`
}

// APIKeyAuthorizer configures the API-key authorizer.
type APIKeyAuthorizer struct {
	// CacheTTL is API Gateway's authorizer result cache TTL (default 5m).
	CacheTTL *Duration `yaml:"cache_ttl"`
	// Header carries the key (default x-api-key).
	Header string `yaml:"header"`
	// QueryParameter, when set, also accepts the key from this query-string
	// parameter. Off by default: URLs end up in logs.
	QueryParameter string `yaml:"query_parameter"`
	// Environment is "live" (default) or "test": the authorizer accepts only
	// keys of that environment.
	Environment string `yaml:"environment"`
	// Pepper is the secret keyed into every stored key hash.
	Pepper SecretRef `yaml:"pepper"`
	// Cache bounds the in-function cache of key records.
	Cache RecordCache `yaml:"cache"`
}

// RecordCache bounds an in-function cache of store records.
type RecordCache struct {
	// MaxEntries bounds the cache (default 10000).
	MaxEntries int `yaml:"max_entries"`
	// PositiveTTL is how long a found record is reused (default 60s); it is
	// the bound on how long a revoked key keeps working in a warm function.
	PositiveTTL *Duration `yaml:"positive_ttl"`
	// NegativeTTL is how long an unknown key id is remembered (default 10s).
	NegativeTTL *Duration `yaml:"negative_ttl"`
}

// Issuer is one token issuer the JWT authorizer trusts.
type Issuer struct {
	// Name identifies the issuer in logs and metrics.
	Name string `yaml:"name"`
	// Issuer is the exact "iss" value.
	Issuer string `yaml:"issuer"`
	// Audiences lists accepted "aud" values (any of).
	Audiences []string `yaml:"audiences"`
	// Cognito enables Amazon Cognito token rules.
	Cognito *Cognito `yaml:"cognito"`
	// JWKS says where the issuer's keys come from.
	JWKS JWKS `yaml:"jwks"`
	// Algorithms is the allow-list of "alg" values (default [RS256]).
	Algorithms []string `yaml:"algorithms"`
	// HMACSecret is the shared secret for HS256/384/512. Only with HS
	// algorithms, and never on an issuer with asymmetric algorithms.
	HMACSecret *SecretRef `yaml:"hmac_secret"`
	// Leeway tolerates clock skew on exp, nbf and iat (default 60s, max 5m).
	Leeway *Duration `yaml:"leeway"`
	// RequiredClaims must be present in every token.
	RequiredClaims []string `yaml:"required_claims"`
	// AllowMissingKid accepts tokens without "kid" when the issuer has
	// exactly one key.
	AllowMissingKid bool `yaml:"allow_missing_kid"`
	// Claims maps token claims onto the principal.
	Claims ClaimMapping `yaml:"claims"`
}

// Cognito holds Amazon Cognito token rules.
type Cognito struct {
	// TokenUse is "access" or "id": the accepted token_use.
	TokenUse string `yaml:"token_use"`
	// ClientIDs are accepted app client ids: checked against client_id in
	// access tokens and aud in id tokens.
	ClientIDs []string `yaml:"client_ids"`
}

// JWKS says where an issuer's keys come from: exactly one of URL,
// Discovery and File.
type JWKS struct {
	// URL of the JWKS document.
	URL string `yaml:"url"`
	// Discovery fetches the JWKS URL from the issuer's
	// /.well-known/openid-configuration at cold start.
	Discovery bool `yaml:"discovery"`
	// File is a JWKS document bundled with the function (relative to the
	// policy file): no network at cold start or later.
	File string `yaml:"file"`
	// RefreshInterval re-fetches remote keys periodically (default 1h).
	RefreshInterval *Duration `yaml:"refresh_interval"`
	// UnknownKidInterval is the least time between refreshes triggered by
	// an unknown kid (default 5s).
	UnknownKidInterval *Duration `yaml:"unknown_kid_interval"`
	// Timeout bounds each fetch (default 1500ms).
	Timeout *Duration `yaml:"timeout"`
}

// ClaimMapping maps claims onto the principal. Each path is a claim name
// or a dotted path into nested objects ("realm_access.roles"); a claim
// whose name itself contains dots is found first.
type ClaimMapping struct {
	// Scopes are read from these claims, space-separated strings or lists
	// (default scope, scp, permissions).
	Scopes []string `yaml:"scopes"`
	// Roles are read from these claims (default cognito:groups, roles,
	// groups, realm_access.roles).
	Roles []string `yaml:"roles"`
	// Tenant is read from this claim.
	Tenant string `yaml:"tenant"`
	// Residency is read from this claim.
	Residency string `yaml:"residency"`
	// Context lists claims copied into the authorizer context for the
	// backend (strings, numbers and booleans only).
	Context []string `yaml:"context"`
}

// Route is one route and its requirements.
type Route struct {
	// Key is the route key as API Gateway writes it.
	Key string `yaml:",key"`
	// Description documents the route.
	Description string `yaml:"description"`
	// Authorizer protects the route: "jwt", "apikey" or "none" (public).
	// Defaults to the only configured authorizer.
	Authorizer string `yaml:"authorizer"`
	// Scopes the caller must hold.
	Scopes *Set `yaml:"scopes"`
	// Roles (or groups) the caller must hold.
	Roles *Set `yaml:"roles"`
	// StepUp demands a strong or recent authentication (RFC 9470).
	StepUp *StepUp `yaml:"step_up"`
}

// StepUp demands a strong or recent authentication.
type StepUp struct {
	// ACR lists accepted "acr" values (any of).
	ACR []string `yaml:"acr"`
	// AMR lists "amr" methods that must all be present.
	AMR []string `yaml:"amr"`
	// MaxAge bounds the age of "auth_time"; it must exceed the
	// authorizer's cache TTL.
	MaxAge *Duration `yaml:"max_age"`
}

// UsagePlan is an API Gateway usage plan.
type UsagePlan struct {
	Name        string   `yaml:",key"`
	Description string   `yaml:"description"`
	Throttle    Throttle `yaml:"throttle"`
	Quota       *Quota   `yaml:"quota"`
}

// Throttle is a steady-state rate (requests per second) and burst.
type Throttle struct {
	Rate  float64 `yaml:"rate"`
	Burst int     `yaml:"burst"`
}

// Quota is a request budget per period.
type Quota struct {
	Limit  int    `yaml:"limit"`
	Period string `yaml:"period"` // DAY, WEEK or MONTH
}

// WAF configures the AWS WAF web ACL on the REST API stage.
type WAF struct {
	// Enabled turns the web ACL on (default true).
	Enabled *bool `yaml:"enabled"`
	// AllowList addresses skip the rate-based and managed rules.
	AllowList []CIDR `yaml:"allow_list"`
	// BlockList addresses are always blocked.
	BlockList []CIDR `yaml:"block_list"`
	// RateLimit is the most requests one IP may make per RateWindow before
	// it is blocked (default 1000; at least 10).
	RateLimit int `yaml:"rate_limit"`
	// RateWindow is 1m, 2m, 5m (default) or 10m.
	RateWindow *Duration `yaml:"rate_window"`
	// ManagedRules are AWS managed rule groups: common, known_bad_inputs,
	// ip_reputation, anonymous_ip, sqli (default the first three).
	ManagedRules []string `yaml:"managed_rules"`
}

package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/portcullis-authz/portcullis/shared/authz"
)

// Authorizer names used in routes.
const (
	AuthorizerJWT    = "jwt"
	AuthorizerAPIKey = "apikey"
	AuthorizerNone   = "none" // a public route: no authorizer
)

// Defaults.
const (
	DefaultCacheTTL           = 5 * time.Minute
	MaxCacheTTL               = time.Hour
	DefaultResponseLimit      = 8192
	DefaultContextLimit       = 2048
	DefaultMaxTokenBytes      = 8192
	DefaultLeeway             = 60 * time.Second
	MaxLeeway                 = 5 * time.Minute
	DefaultRefreshInterval    = time.Hour
	DefaultUnknownKidInterval = 5 * time.Second
	DefaultJWKSTimeout        = 1500 * time.Millisecond
	DefaultPositiveTTL        = 60 * time.Second
	DefaultNegativeTTL        = 10 * time.Second
	DefaultCacheEntries       = 10000
	DefaultRateLimit          = 1000
	DefaultRateWindow         = 5 * time.Minute
)

// The JWS algorithms an issuer may allow.
var (
	asymmetricAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
	hmacAlgs       = []string{"HS256", "HS384", "HS512"}
	managedRules   = []string{"common", "known_bad_inputs", "ip_reputation", "anonymous_ip", "sqli"}
)

// EnvPolicyPath is the environment variable naming the policy file.
const EnvPolicyPath = "PORTCULLIS_POLICY"

// DefaultFileName is the policy file's name beside the function binary.
const DefaultFileName = "policy.yaml"

// ErrInvalid is wrapped by every error Load and Parse return for a file
// that is not a valid policy.
var ErrInvalid = errors.New("invalid policy file")

// PathFromEnv returns the policy path: $PORTCULLIS_POLICY, or policy.yaml
// beside the running executable.
func PathFromEnv(getenv func(string) string) string {
	if p := getenv(EnvPolicyPath); p != "" {
		return p
	}
	exe, err := os.Executable()
	if err != nil {
		return DefaultFileName
	}
	return filepath.Join(filepath.Dir(exe), DefaultFileName)
}

// Load reads and validates the policy file at path.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("policy file: %w", err)
	}
	return Parse(data, path)
}

// Parse decodes and validates a policy file. name is used in messages and
// to resolve relative paths. Every problem is reported, joined, each as a
// *Problem wrapped with ErrInvalid.
func Parse(data []byte, name string) (*File, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: %s: the file is empty", ErrInvalid, name)
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %s: more than one YAML document", ErrInvalid, name)
	}
	f := &File{Path: name}
	d := &decoder{file: name}
	d.decodeInto(&root, f, "")
	f.validate(d)
	if len(d.problems) > 0 {
		errs := make([]error, len(d.problems))
		for i, p := range d.problems {
			errs[i] = p
		}
		return nil, fmt.Errorf("%w: %d problem(s):\n%w", ErrInvalid, len(errs), errors.Join(errs...))
	}
	f.applyDefaults()
	return f, nil
}

// Resolve returns a path named in the file, made relative to the file's
// directory unless absolute.
func (f *File) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(f.Path), p)
}

// RoutesFor returns the routes protected by the named authorizer.
func (f *File) RoutesFor(authorizer string) []Route {
	var out []Route
	for _, r := range f.Routes {
		if r.Authorizer == authorizer {
			out = append(out, r)
		}
	}
	return out
}

// CacheTTL returns the result-cache TTL of the named authorizer.
func (f *File) CacheTTL(authorizer string) time.Duration {
	switch authorizer {
	case AuthorizerJWT:
		if f.Authorizers.JWT != nil {
			return f.Authorizers.JWT.CacheTTL.D()
		}
	case AuthorizerAPIKey:
		if f.Authorizers.APIKey != nil {
			return f.Authorizers.APIKey.CacheTTL.D()
		}
	}
	return 0
}

// Policy builds the route policy of the named authorizer.
func (f *File) Policy(authorizer string) (*authz.Policy, error) {
	horizon := f.CacheTTL(authorizer)
	var routes []*authz.Route
	for _, r := range f.RoutesFor(authorizer) {
		k, err := authz.ParseRouteKey(r.Key)
		if err != nil {
			return nil, err
		}
		rt := &authz.Route{Key: k}
		if r.Scopes != nil {
			rt.Requirements = append(rt.Requirements, authz.NewScopes(r.Scopes.AnyOf, r.Scopes.AllOf))
		}
		if r.Roles != nil {
			rt.Requirements = append(rt.Requirements, authz.NewRoles(r.Roles.AnyOf, r.Roles.AllOf))
		}
		if s := r.StepUp; s != nil {
			q := authz.StepUpRule{ACR: s.ACR, AMR: s.AMR, Horizon: horizon}
			if s.MaxAge != nil {
				q.MaxAge = s.MaxAge.D()
			}
			rt.Requirements = append(rt.Requirements, q)
		}
		routes = append(routes, rt)
	}
	unlisted := authz.UnlistedDeny
	if f.Settings.UnlistedRoutes == "authenticated" {
		unlisted = authz.UnlistedAuthenticated
	}
	return authz.NewPolicy(routes, unlisted)
}

func (f *File) configured() []string {
	var names []string
	if f.Authorizers.JWT != nil {
		names = append(names, AuthorizerJWT)
	}
	if f.Authorizers.APIKey != nil {
		names = append(names, AuthorizerAPIKey)
	}
	return names
}

func (f *File) validate(d *decoder) {
	bad := func(path, format string, args ...any) { d.addf(d.nodeAt(path), path, format, args...) }
	if f.Version != 1 {
		bad("version", "must be 1, got %d", f.Version)
	}
	switch f.Settings.UnlistedRoutes {
	case "", "deny", "authenticated":
	default:
		bad("settings.unlisted_routes", "must be deny or authenticated, got %q", f.Settings.UnlistedRoutes)
	}
	if l := f.Settings.ResponseLimit; l != 0 && (l < 1024 || l > DefaultResponseLimit) {
		bad("settings.response_limit", "must be between 1024 and %d bytes, got %d", DefaultResponseLimit, l)
	}
	if l := f.Settings.ContextLimit; l != 0 && (l < 256 || l > DefaultResponseLimit/2) {
		bad("settings.context_limit", "must be between 256 and %d bytes, got %d", DefaultResponseLimit/2, l)
	}
	switch f.Settings.LogLevel {
	case "", "debug", "info", "warn", "error":
	default:
		bad("settings.log_level", "must be debug, info, warn or error, got %q", f.Settings.LogLevel)
	}
	for name := range f.Scopes {
		if name == "" || strings.ContainsAny(name, " \t\n\"") {
			bad(fmt.Sprintf("scopes[%q]", name), "a scope name has no spaces or quotes")
		}
	}
	configured := f.configured()
	if len(configured) == 0 {
		bad("authorizers", "configure at least one authorizer (jwt or apikey)")
	}
	if a := f.Authorizers.JWT; a != nil {
		checkTTL(bad, "authorizers.jwt.cache_ttl", a.CacheTTL)
		if a.MaxTokenBytes != 0 && (a.MaxTokenBytes < 256 || a.MaxTokenBytes > 65536) {
			bad("authorizers.jwt.max_token_bytes", "must be between 256 and 65536, got %d", a.MaxTokenBytes)
		}
		switch a.HTTPAPIResponse {
		case "", "iam", "simple":
		default:
			bad("authorizers.jwt.http_api_response", "must be iam or simple, got %q", a.HTTPAPIResponse)
		}
		checkHeader(bad, "authorizers.jwt.header", a.Header)
		if len(f.Issuers) == 0 {
			bad("issuers", "the jwt authorizer needs at least one issuer")
		}
	} else if len(f.Issuers) > 0 {
		bad("issuers", "issuers are listed but authorizers.jwt is not configured")
	}
	if a := f.Authorizers.APIKey; a != nil {
		checkTTL(bad, "authorizers.apikey.cache_ttl", a.CacheTTL)
		checkHeader(bad, "authorizers.apikey.header", a.Header)
		switch a.Environment {
		case "", "live", "test":
		default:
			bad("authorizers.apikey.environment", "must be live or test, got %q", a.Environment)
		}
		if n := a.Pepper.count(); n != 1 {
			bad("authorizers.apikey.pepper", "name exactly one of env, file, ssm or secretsmanager (got %d)", n)
		}
		if a.Cache.MaxEntries < 0 {
			bad("authorizers.apikey.cache.max_entries", "must not be negative")
		}
		if a.Cache.PositiveTTL != nil && a.Cache.PositiveTTL.D() > 15*time.Minute {
			bad("authorizers.apikey.cache.positive_ttl", "at most 15m: it bounds how long a revoked key keeps working")
		}
	}
	f.validateIssuers(bad)
	f.validateRoutes(bad, configured)
	plans := map[string]bool{}
	for _, p := range f.UsagePlans {
		path := fmt.Sprintf("usage_plans[%q]", p.Name)
		plans[p.Name] = true
		if p.Throttle.Rate <= 0 || p.Throttle.Burst <= 0 {
			bad(path+".throttle", "rate and burst must both be positive")
		}
		if q := p.Quota; q != nil {
			if q.Limit <= 0 {
				bad(path+".quota.limit", "must be positive, got %d", q.Limit)
			}
			if !slices.Contains([]string{"DAY", "WEEK", "MONTH"}, q.Period) {
				bad(path+".quota.period", "must be DAY, WEEK or MONTH, got %q", q.Period)
			}
		}
	}
	if len(f.UsagePlans) > 0 && f.Authorizers.APIKey == nil {
		bad("usage_plans", "usage plans meter API keys: configure authorizers.apikey")
	}
	w := f.WAF
	if w.RateLimit != 0 && (w.RateLimit < 10 || w.RateLimit > 2_000_000_000) {
		bad("waf.rate_limit", "must be at least 10, got %d", w.RateLimit)
	}
	if w.RateWindow != nil && !slices.Contains([]time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute}, w.RateWindow.D()) {
		bad("waf.rate_window", "must be 1m, 2m, 5m or 10m, got %s", w.RateWindow)
	}
	for i, m := range w.ManagedRules {
		if !slices.Contains(managedRules, m) {
			bad(fmt.Sprintf("waf.managed_rules[%d]", i), "unknown rule group %q (known: %s)", m, strings.Join(managedRules, ", "))
		}
	}
	for i, a := range w.AllowList {
		for j, b := range w.BlockList {
			if a.Prefix().Overlaps(b.Prefix()) {
				bad(fmt.Sprintf("waf.allow_list[%d]", i), "%s overlaps block_list[%d] %s", a, j, b)
			}
		}
	}
}

func checkTTL(bad func(string, string, ...any), path string, ttl *Duration) {
	if ttl != nil && ttl.D() > MaxCacheTTL {
		bad(path, "at most 1h (API Gateway's limit), got %s", ttl)
	}
	if ttl != nil && ttl.D()%time.Second != 0 {
		bad(path, "API Gateway counts whole seconds, got %s", ttl)
	}
}

func checkHeader(bad func(string, string, ...any), path, h string) {
	for _, c := range h {
		if !(c == '-' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			bad(path, "%q is not a header name", h)
			return
		}
	}
}

func (f *File) validateIssuers(bad func(string, string, ...any)) {
	names := map[string]bool{}
	issuers := map[string]bool{}
	for i, is := range f.Issuers {
		path := fmt.Sprintf("issuers[%d]", i)
		if is.Name == "" {
			bad(path+".name", "required")
		} else if names[is.Name] {
			bad(path+".name", "issuer name %q is used twice", is.Name)
		}
		names[is.Name] = true
		if err := checkIssuerURL(is.Issuer); err != nil {
			bad(path+".issuer", "%v", err)
		} else if issuers[is.Issuer] {
			bad(path+".issuer", "%q is listed twice", is.Issuer)
		}
		issuers[is.Issuer] = true
		sources := 0
		if is.JWKS.URL != "" {
			sources++
			if err := checkIssuerURL(is.JWKS.URL); err != nil {
				bad(path+".jwks.url", "%v", err)
			}
		}
		if is.JWKS.Discovery {
			sources++
		}
		if is.JWKS.File != "" {
			sources++
			if _, err := os.Stat(f.Resolve(is.JWKS.File)); err != nil {
				bad(path+".jwks.file", "cannot read %s: %v", f.Resolve(is.JWKS.File), errors.Unwrap(err))
			}
		}
		hasHMAC := false
		hasAsym := false
		algs := is.Algorithms
		if len(algs) == 0 {
			algs = []string{"RS256"}
		}
		for j, a := range algs {
			switch {
			case slices.Contains(asymmetricAlgs, a):
				hasAsym = true
			case slices.Contains(hmacAlgs, a):
				hasHMAC = true
			case strings.EqualFold(a, "none"):
				bad(fmt.Sprintf("%s.algorithms[%d]", path, j), "\"none\" is never allowed")
			default:
				bad(fmt.Sprintf("%s.algorithms[%d]", path, j), "unknown algorithm %q (allowed: %s, %s)", a,
					strings.Join(asymmetricAlgs, ", "), strings.Join(hmacAlgs, ", "))
			}
		}
		switch {
		case hasHMAC && hasAsym:
			bad(path+".algorithms", "HS* algorithms cannot be mixed with asymmetric ones on one issuer")
		case hasHMAC && is.HMACSecret == nil:
			bad(path+".hmac_secret", "HS* algorithms need a configured secret")
		case !hasHMAC && is.HMACSecret != nil:
			bad(path+".hmac_secret", "a secret is set but no HS* algorithm is allowed")
		}
		if is.HMACSecret != nil {
			if n := is.HMACSecret.count(); n != 1 {
				bad(path+".hmac_secret", "name exactly one of env, file, ssm or secretsmanager (got %d)", n)
			}
			if sources > 0 {
				bad(path+".jwks", "an HMAC issuer has no JWKS")
			}
		} else if sources != 1 {
			bad(path+".jwks", "name exactly one of url, discovery or file (got %d)", sources)
		}
		if is.Leeway != nil && is.Leeway.D() > MaxLeeway {
			bad(path+".leeway", "at most %s, got %s", MaxLeeway, is.Leeway)
		}
		if c := is.Cognito; c != nil {
			if c.TokenUse != "access" && c.TokenUse != "id" {
				bad(path+".cognito.token_use", "must be access or id, got %q", c.TokenUse)
			}
			if len(c.ClientIDs) == 0 {
				bad(path+".cognito.client_ids", "name at least one app client id")
			}
		} else if len(is.Audiences) == 0 {
			bad(path+".audiences", "name at least one accepted audience")
		}
		for j, c := range is.Claims.Context {
			if c == "" {
				bad(fmt.Sprintf("%s.claims.context[%d]", path, j), "empty claim name")
			}
		}
	}
}

func checkIssuerURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("want an absolute https URL, got %q", s)
	}
	if u.Scheme == "http" {
		host := u.Hostname()
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("%q: plain http is allowed only for localhost", s)
		}
	}
	return nil
}

func (f *File) validateRoutes(bad func(string, string, ...any), configured []string) {
	seen := map[string]string{}
	for i := range f.Routes {
		r := &f.Routes[i]
		path := fmt.Sprintf("routes[%q]", r.Key)
		k, err := authz.ParseRouteKey(r.Key)
		if err != nil {
			bad(path, "%v", err)
		}
		if err == nil {
			canon := k.Canonical()
			if prev, dup := seen[canon]; dup {
				bad(path, "is the same route as %q", prev)
			}
			seen[canon] = r.Key
		}
		switch {
		case r.Authorizer == "" && len(configured) == 1:
			r.Authorizer = configured[0]
		case r.Authorizer == "" && len(configured) == 0:
			// Already reported: no authorizer is configured at all.
		case r.Authorizer == "":
			bad(path+".authorizer", "several authorizers are configured: say which one protects this route (%s or none)", strings.Join(configured, ", "))
		case r.Authorizer == AuthorizerNone:
			if r.Scopes != nil || r.Roles != nil || r.StepUp != nil {
				bad(path, "a public route (authorizer: none) cannot have requirements")
			}
		case !slices.Contains(configured, r.Authorizer):
			bad(path+".authorizer", "%q is not configured under authorizers", r.Authorizer)
		}
		for j, s := range r.Scopes.Names() {
			if _, ok := f.Scopes[s]; !ok {
				bad(fmt.Sprintf("%s.scopes", path), "unknown scope %q (entry %d): add it to the scopes catalogue", s, j)
			}
		}
		for _, s := range r.Roles.Names() {
			if s == "" {
				bad(path+".roles", "empty role name")
			}
		}
		if s := r.StepUp; s != nil {
			if len(s.ACR) == 0 && len(s.AMR) == 0 && s.MaxAge == nil {
				bad(path+".step_up", "name at least one of acr, amr or max_age")
			}
			if r.Authorizer == AuthorizerAPIKey {
				bad(path+".step_up", "API keys carry no authentication event; step-up needs the jwt authorizer")
			}
			ttl := DefaultCacheTTL
			if a := f.Authorizers.JWT; a != nil && a.CacheTTL != nil {
				ttl = a.CacheTTL.D()
			}
			if s.MaxAge != nil && s.MaxAge.D() <= ttl {
				bad(path+".step_up.max_age", "%s must exceed the jwt authorizer's cache_ttl (%s): a cached allow would outlive it", s.MaxAge, ttl)
			}
		}
		if err == nil && k.Special() == authz.RouteConnect && r.Authorizer == AuthorizerNone {
			bad(path, "$connect is where a WebSocket API authorizes: it cannot be public")
		}
	}
}

func (f *File) applyDefaults() {
	def := func(p **Duration, v time.Duration) {
		if *p == nil {
			d := Duration(v)
			*p = &d
		}
	}
	if f.Settings.UnlistedRoutes == "" {
		f.Settings.UnlistedRoutes = "deny"
	}
	if f.Settings.ResponseLimit == 0 {
		f.Settings.ResponseLimit = DefaultResponseLimit
	}
	if f.Settings.ContextLimit == 0 {
		f.Settings.ContextLimit = DefaultContextLimit
	}
	if f.Settings.LogLevel == "" {
		f.Settings.LogLevel = "info"
	}
	if a := f.Authorizers.JWT; a != nil {
		def(&a.CacheTTL, DefaultCacheTTL)
		if a.Header == "" {
			a.Header = "Authorization"
		}
		if a.MaxTokenBytes == 0 {
			a.MaxTokenBytes = DefaultMaxTokenBytes
		}
		if a.HTTPAPIResponse == "" {
			a.HTTPAPIResponse = "iam"
		}
	}
	if a := f.Authorizers.APIKey; a != nil {
		def(&a.CacheTTL, DefaultCacheTTL)
		if a.Header == "" {
			a.Header = "x-api-key"
		}
		if a.Environment == "" {
			a.Environment = "live"
		}
		if a.Cache.MaxEntries == 0 {
			a.Cache.MaxEntries = DefaultCacheEntries
		}
		def(&a.Cache.PositiveTTL, DefaultPositiveTTL)
		def(&a.Cache.NegativeTTL, DefaultNegativeTTL)
	}
	for i := range f.Issuers {
		is := &f.Issuers[i]
		if len(is.Algorithms) == 0 {
			is.Algorithms = []string{"RS256"}
		}
		def(&is.Leeway, DefaultLeeway)
		def(&is.JWKS.RefreshInterval, DefaultRefreshInterval)
		def(&is.JWKS.UnknownKidInterval, DefaultUnknownKidInterval)
		def(&is.JWKS.Timeout, DefaultJWKSTimeout)
		if len(is.Claims.Scopes) == 0 {
			is.Claims.Scopes = []string{"scope", "scp", "permissions"}
		}
		if len(is.Claims.Roles) == 0 {
			is.Claims.Roles = []string{"cognito:groups", "roles", "groups", "realm_access.roles"}
		}
	}
	if f.WAF.Enabled == nil {
		t := true
		f.WAF.Enabled = &t
	}
	if f.WAF.RateLimit == 0 {
		f.WAF.RateLimit = DefaultRateLimit
	}
	def(&f.WAF.RateWindow, DefaultRateWindow)
	if len(f.WAF.ManagedRules) == 0 {
		f.WAF.ManagedRules = []string{"common", "known_bad_inputs", "ip_reputation"}
	}
}

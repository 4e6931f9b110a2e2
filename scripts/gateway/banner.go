package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/portcullis-authz/portcullis/scripts/gateway/devidp"
	"github.com/portcullis-authz/portcullis/scripts/gateway/localgw"
	"github.com/portcullis-authz/portcullis/shared/apikey"
	"github.com/portcullis-authz/portcullis/shared/config"
)

// bannerTTL is the lifetime of the tokens the banner mints: a working day.
const bannerTTL = 8 * time.Hour

// writeBanner prints where everything is and ready-to-paste curl commands
// derived from the policy: an allowed request, a 401, a 403, a step-up
// challenge and API keys.
func writeBanner(w io.Writer, s *server, fl *serveFlags) error {
	var b strings.Builder
	kind := "REST API"
	if s.API == localgw.HTTP {
		kind = "HTTP API (payload 2.0)"
	}
	fmt.Fprintf(&b, "Portcullis local gateway: %s  (%s emulation of Amazon API Gateway, stage %s)\n", s.URL, kind, localgw.DefaultStage)
	routes := s.Gateway.Routes()
	counts := map[string]int{}
	for _, r := range routes {
		name := r.Authorizer
		if name == "" {
			name = "public"
		}
		counts[name]++
	}
	var parts []string
	for _, n := range slices.Sorted(mapKeys(counts)) {
		parts = append(parts, fmt.Sprintf("%d %s", counts[n], n))
	}
	fmt.Fprintf(&b, "  policy       %s (%d routes: %s)\n", s.File.Path, len(routes), strings.Join(parts, ", "))
	for _, pa := range s.Plan.Authorizers {
		if _, ok := s.functions[pa.Name]; !ok {
			continue
		}
		how := "in process"
		if fl.viaEmulator {
			how = "built bootstrap under the Runtime Interface Emulator"
		}
		kind, sources, extra := string(pa.Kind), pa.RESTIdentitySources, ""
		if s.API == localgw.HTTP {
			kind, sources = "payload 2.0", pa.HTTPIdentitySources
			if pa.HTTPSimpleResponses {
				extra = ", simple responses"
			}
		} else if pa.APIKeyRequired {
			extra = ", API keys metered by usage plans"
		}
		fmt.Fprintf(&b, "  authorizer   %s (%s): identity %s, result cache %s%s, %s\n", pa.Name, kind, strings.Join(sources, " + "), pa.CacheTTL, extra, how)
	}
	if k := s.Keys; k != nil {
		seed := "no seed file"
		if k.seedPath != "" {
			seed = fmt.Sprintf("%d keys from %s", len(k.seed), k.seedPath)
			if k.table != "" {
				seed += fmt.Sprintf(" (%d written now)", k.seeded)
			}
		}
		fmt.Fprintf(&b, "  API keys     %s, %s\n", k.where, seed)
	}
	if s.IdP != nil {
		base := s.URL + s.IdP.BasePath()
		fmt.Fprintf(&b, "  dev IdP      %s  (issuer %q; discovery %s, JWKS %s, tokens POST %s)\n", base, s.IdP.Name(),
			devidp.DiscoveryPath, devidp.JWKSPath, devidp.TokenPath)
		if base != s.IdP.Issuer() {
			fmt.Fprintf(&b, "               tokens carry iss %s as the policy configures\n", s.IdP.Issuer())
		}
	}
	b.WriteString("  logs         one access line per request and the authorizers' audit lines on stderr; Ctrl-C stops\n\n")
	if err := tryJWT(&b, s); err != nil {
		return err
	}
	tryAPIKeys(&b, s)
	_, err := io.WriteString(w, b.String())
	return err
}

func mapKeys(m map[string]int) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// examplePath fills a route's path parameters with sample values.
func examplePath(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		switch {
		case strings.HasSuffix(p, "+}"):
			parts[i] = "users/7"
		case strings.HasPrefix(p, "{"):
			parts[i] = "42"
		}
	}
	return strings.Join(parts, "/")
}

// curl formats a curl command; auth is a header line or "".
func curl(base, method, path, header string) string {
	var b strings.Builder
	b.WriteString("curl -i")
	if method != "GET" {
		if method == "ANY" {
			method = "GET"
		}
		if method != "GET" {
			b.WriteString(" -X " + method)
		}
	}
	b.WriteString(" " + base + examplePath(path))
	if header != "" {
		b.WriteString(" -H " + header)
	}
	return b.String()
}

// need is what a route requires of a JWT: scopes and roles that satisfy
// it, and its step-up rule.
type need struct {
	route  localgw.RouteInfo
	scopes []string
	roles  []string
	stepUp *config.StepUp
}

func setNeed(s *config.Set) []string {
	if s == nil {
		return nil
	}
	out := slices.Clone(s.AllOf)
	if len(s.AnyOf) > 0 && !slices.ContainsFunc(s.AnyOf, func(x string) bool { return slices.Contains(out, x) }) {
		out = append(out, s.AnyOf[0])
	}
	return out
}

func satisfied(held []string, s *config.Set) bool {
	if s == nil {
		return true
	}
	for _, x := range s.AllOf {
		if !slices.Contains(held, x) {
			return false
		}
	}
	return len(s.AnyOf) == 0 || slices.ContainsFunc(s.AnyOf, func(x string) bool { return slices.Contains(held, x) })
}

func policyRoute(f *config.File, key string) *config.Route {
	for i := range f.Routes {
		if f.Routes[i].Key == key {
			return &f.Routes[i]
		}
	}
	return nil
}

// tryJWT writes the JWT examples: allowed, 401, 403, step-up.
func tryJWT(b *strings.Builder, s *server) error {
	if s.IdP == nil {
		return nil
	}
	var jwtRoutes []need
	for _, r := range s.Gateway.Routes() {
		if r.Authorizer != config.AuthorizerJWT || r.Method == "" {
			continue
		}
		pr := policyRoute(s.File, r.Key)
		if pr == nil {
			continue
		}
		jwtRoutes = append(jwtRoutes, need{route: r, scopes: setNeed(pr.Scopes), roles: setNeed(pr.Roles), stepUp: pr.StepUp})
	}
	// Allowed: the first GET route without step-up (else any without).
	var allowed *need
	for _, pass := range []bool{true, false} {
		for i := range jwtRoutes {
			n := &jwtRoutes[i]
			if allowed == nil && n.stepUp == nil && (!pass || n.route.Method == "GET") {
				allowed = n
			}
		}
	}
	if allowed == nil {
		return nil
	}
	mint := func(c devidp.Claims) (string, error) {
		c.TTL = bannerTTL
		return s.IdP.Mint(c)
	}
	sub := "alice"
	tok, err := mint(devidp.Claims{Subject: sub, Scopes: allowed.scopes, Groups: allowed.roles})
	if err != nil {
		return err
	}
	what := "no scopes"
	if len(allowed.scopes)+len(allowed.roles) > 0 {
		what = strings.Join(append(slices.Clone(allowed.scopes), allowed.roles...), " ")
	}
	fmt.Fprintf(b, "Try it. A token for %s with %s, valid %s (mint more below):\n\n", sub, what, strings.TrimSuffix(bannerTTL.String(), "0m0s"))
	fmt.Fprintf(b, "  TOKEN='%s'\n\n", tok)
	auth := `"Authorization: Bearer $TOKEN"`
	fmt.Fprintf(b, "  # 200 allowed: the backend echoes the authorizer context\n  %s\n\n", curl(s.URL, allowed.route.Method, allowed.route.Path, auth))
	fmt.Fprintf(b, "  # 401: no token (API Gateway answers without invoking the authorizer)\n  %s\n\n", curl(s.URL, allowed.route.Method, allowed.route.Path, ""))
	fmt.Fprintf(b, "  # 401: a token that does not verify\n  %s\n\n", curl(s.URL, allowed.route.Method, allowed.route.Path, `"Authorization: Bearer ${TOKEN%?}x"`))
	for _, n := range jwtRoutes {
		pr := policyRoute(s.File, n.route.Key)
		if n.stepUp != nil || (satisfied(allowed.scopes, pr.Scopes) && satisfied(allowed.roles, pr.Roles)) {
			continue
		}
		lacks := strings.Join(append(slices.Clone(n.scopes), n.roles...), " ")
		if s.API == localgw.HTTP {
			fmt.Fprintf(b, "  # 403: the token lacks %s\n  %s\n\n", lacks, curl(s.URL, n.route.Method, n.route.Path, auth))
		} else {
			fmt.Fprintf(b, "  # 403: the token lacks %s. Answered from the policy cached by the first call, so the body\n"+
				"  # has no reason; a fresh token's first call gets reason insufficient_scope and a challenge\n  %s\n\n",
				lacks, curl(s.URL, n.route.Method, n.route.Path, auth))
		}
		break
	}
	for _, n := range jwtRoutes {
		if n.stepUp == nil {
			continue
		}
		weak, err := mint(devidp.Claims{Subject: sub, Scopes: n.scopes, Groups: n.roles})
		if err != nil {
			return err
		}
		strong := devidp.Claims{Subject: sub, Scopes: n.scopes, Groups: n.roles, AMR: n.stepUp.AMR}
		if len(n.stepUp.ACR) > 0 {
			strong.ACR = n.stepUp.ACR[0]
		}
		mfa, err := mint(strong)
		if err != nil {
			return err
		}
		if s.API == localgw.HTTP {
			fmt.Fprintf(b, "  # 403 step-up: %s needs a stronger login. An HTTP API has no gateway responses, so the\n"+
				"  # client sees a bare Forbidden; the reason is only in the audit line ...\n", n.route.Key)
		} else {
			fmt.Fprintf(b, "  # 403 step-up: %s needs a stronger login (RFC 9470 challenge in WWW-Authenticate) ...\n", n.route.Key)
		}
		fmt.Fprintf(b, "  WEAK='%s'\n  %s\n", weak, curl(s.URL, n.route.Method, n.route.Path, `"Authorization: Bearer $WEAK"`))
		fmt.Fprintf(b, "  # ... and 200 once the token says so (acr %q, amr %s)\n", strong.ACR, strings.Join(strong.AMR, " "))
		fmt.Fprintf(b, "  MFA='%s'\n  %s\n\n", mfa, curl(s.URL, n.route.Method, n.route.Path, `"Authorization: Bearer $MFA"`))
		break
	}
	idp := s.URL + s.IdP.BasePath()
	fmt.Fprintf(b, "  # mint your own: sub, scope, groups, acr, amr, ttl, auth_age, tenant, email\n")
	fmt.Fprintf(b, "  TOKEN=$(curl -s %s%s -H 'Accept: text/plain' -d sub=bob -d scope='%s' -d ttl=1h)\n", idp, devidp.TokenPath, strings.Join(allowed.scopes, " "))
	fmt.Fprintf(b, "  TOKEN=$(go run ./scripts/gateway token --sub bob --scope '%s' --ttl 1h)\n\n", strings.Join(allowed.scopes, " "))
	return nil
}

// tryAPIKeys writes the API-key examples from the seed's development keys.
func tryAPIKeys(b *strings.Builder, s *server) {
	k := s.Keys
	if k == nil || s.API != localgw.REST {
		return
	}
	var route *localgw.RouteInfo
	for _, r := range s.Gateway.Routes() {
		if r.Authorizer == config.AuthorizerAPIKey {
			route = &r
			break
		}
	}
	if route == nil {
		return
	}
	pr := policyRoute(s.File, route.Key)
	header := s.File.Authorizers.APIKey.Header
	pa := s.Plan.Authorizer(config.AuthorizerAPIKey)
	now := time.Now()
	var shown []string
	show := func(comment string, sk apikey.SeedKey) {
		fmt.Fprintf(b, "  # %s\n  %s\n\n", comment, curl(s.URL, route.Method, route.Path, fmt.Sprintf("'%s: %s'", header, sk.Key)))
		shown = append(shown, sk.Key)
	}
	if len(k.seed) > 0 {
		fmt.Fprintf(b, "API keys (development keys from %s, %s environment):\n\n", k.seedPath, k.env)
	} else {
		fmt.Fprintf(b, "API keys (%s environment):\n\n", k.env)
	}
	pick := func(ok func(apikey.SeedKey) bool) (apikey.SeedKey, bool) {
		for _, sk := range k.seed {
			if !slices.Contains(shown, sk.Key) && ok(sk) {
				return sk, true
			}
		}
		return apikey.SeedKey{}, false
	}
	active := func(sk apikey.SeedKey) bool {
		return (sk.Status == "" || sk.Status == apikey.StatusActive) && (sk.Expires.IsZero() || sk.Expires.After(now)) && sk.RotatedTo == ""
	}
	fits := func(sk apikey.SeedKey) bool {
		return pr == nil || satisfied(sk.Scopes, pr.Scopes)
	}
	metered := func(sk apikey.SeedKey) bool { return !pa.APIKeyRequired || (sk.UsageKey != "" && sk.UsagePlan != "") }
	if sk, ok := pick(func(sk apikey.SeedKey) bool { return active(sk) && fits(sk) && metered(sk) && len(sk.CIDRs) == 0 }); ok {
		plan := ""
		if sk.UsagePlan != "" {
			plan = ", usage plan " + sk.UsagePlan
		}
		show(fmt.Sprintf("200: %s's key%s", sk.Owner, plan), sk)
	}
	if sk, ok := pick(func(sk apikey.SeedKey) bool { return !active(sk) }); ok {
		st := string(sk.Status)
		if st == "" {
			st = "expired"
		}
		show(fmt.Sprintf("401: a %s key", st), sk)
	}
	if sk, ok := pick(func(sk apikey.SeedKey) bool { return active(sk) && !fits(sk) }); ok {
		show(fmt.Sprintf("403: a valid key without %s", strings.Join(setNeed(pr.Scopes), " ")), sk)
	}
	if sk, ok := pick(func(sk apikey.SeedKey) bool { return active(sk) && fits(sk) && len(sk.CIDRs) > 0 }); ok {
		show(fmt.Sprintf("403: a key accepted only from %s (X-Forwarded-For does not help)", strings.Join(sk.CIDRs, ", ")), sk)
	}
	if pa.APIKeyRequired && len(shown) > 0 {
		fmt.Fprintf(b, "  # 429 after the usage plan's burst:\n  for i in $(seq 40); do curl -s -o /dev/null -w '%%{http_code} ' %s%s -H '%s: %s'; done; echo\n\n",
			s.URL, examplePath(route.Path), header, shown[0])
	}
	if k.table != "" {
		plan := ""
		if len(s.File.UsagePlans) > 0 {
			plan = " --usage-plan " + s.File.UsagePlans[0].Name
		}
		fmt.Fprintf(b, "  # manage keys in the table with the admin CLI; this gateway plays API Gateway for its usage-plan calls:\n")
		fmt.Fprintf(b, "  AWS_ENDPOINT_URL_API_GATEWAY=%s go run ./scripts/admin keys create --owner you --scopes %s --env %s%s --endpoint %s --table %s\n",
			s.URL, strings.Join(setNeed(pr.Scopes), ","), k.env, plan, k.endpoint, k.table)
		fmt.Fprintf(b, "  go run ./scripts/admin keys revoke <key-id> --endpoint %s --table %s\n\n", k.endpoint, k.table)
	}
}

package devidp

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Endpoint paths under the issuer's base path.
const (
	DiscoveryPath = "/.well-known/openid-configuration"
	JWKSPath      = "/jwks.json"
	TokenPath     = "/token"
)

// maxFormBytes bounds a token request body.
const maxFormBytes = 16 << 10

// Handler serves the provider's endpoints under BasePath:
//
//	GET  <base>/.well-known/openid-configuration   discovery document
//	GET  <base>/jwks.json                          the public keys
//	POST <base>/token                              mint a token (GET works too)
//
// The token endpoint takes form or query parameters sub, scope, groups,
// acr, amr, ttl, auth_age, tenant, email and aud (see ParseClaims) and
// answers like an OAuth 2.0 token endpoint, or with the bare token when the
// request accepts text/plain. Anyone who can reach it gets
// any token the issuer would accept: serve it on loopback only.
func (p *Provider) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+p.basePath+DiscoveryPath, p.serveDiscovery)
	mux.HandleFunc("GET "+p.basePath+JWKSPath, p.serveJWKS)
	mux.HandleFunc("GET "+p.basePath+TokenPath, p.serveToken)
	mux.HandleFunc("POST "+p.basePath+TokenPath, p.serveToken)
	return mux
}

// origin is the scheme and authority the request reached us on, so the
// discovery document points at this server whatever port it runs on.
func origin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (p *Provider) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	base := origin(r) + p.basePath
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.issuer,
		"jwks_uri":                              base + JWKSPath,
		"token_endpoint":                        base + TokenPath,
		"response_types_supported":              []string{"token"},
		"grant_types_supported":                 []string{"client_credentials"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"token_endpoint_auth_methods_supported": []string{"none"},
		"scopes_supported":                      p.scopes,
		"claims_supported":                      []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "jti", "scope", "groups", "acr", "amr", p.tenantClaim, "email"},
	})
}

func (p *Provider) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "max-age=300")
	_, _ = w.Write(p.jwks)
}

func (p *Provider) serveToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		tokenError(w, fmt.Sprintf("cannot read the request: %v", err))
		return
	}
	c, err := ParseClaims(r.Form)
	if err != nil {
		tokenError(w, err.Error())
		return
	}
	tok, err := p.Mint(c)
	if err != nil {
		tokenError(w, err.Error())
		return
	}
	ttl := c.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	w.Header().Set("Cache-Control", "no-store")
	if strings.Contains(r.Header.Get("Accept"), "text/plain") {
		// The bare token, for TOKEN=$(curl ...) in a shell.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = fmt.Fprintln(w, tok)
		return
	}
	resp := map[string]any{
		"access_token": tok,
		"token_type":   "Bearer",
		"expires_in":   int64(ttl / time.Second),
	}
	if len(c.Scopes) > 0 {
		resp["scope"] = strings.Join(c.Scopes, " ")
	}
	writeJSON(w, http.StatusOK, resp)
}

// ParseClaims reads token-request parameters: sub; scope (space-separated,
// repeatable); groups and amr (space- or comma-separated, repeatable);
// acr; ttl and auth_age (Go durations such as 30m, or whole seconds);
// tenant; email; aud.
func ParseClaims(v url.Values) (Claims, error) {
	c := Claims{
		Subject:  v.Get("sub"),
		ACR:      v.Get("acr"),
		Tenant:   v.Get("tenant"),
		Email:    v.Get("email"),
		Audience: v.Get("aud"),
		Scopes:   SplitList(v["scope"]...),
		Groups:   SplitList(v["groups"]...),
		AMR:      SplitList(v["amr"]...),
	}
	var err error
	if c.TTL, err = parseDuration("ttl", v.Get("ttl")); err != nil {
		return c, err
	}
	if c.AuthAge, err = parseDuration("auth_age", v.Get("auth_age")); err != nil {
		return c, err
	}
	return c, nil
}

// SplitList splits values on spaces and commas, dropping empty parts.
func SplitList(values ...string) []string {
	var out []string
	for _, v := range values {
		out = append(out, strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' })...)
	}
	return out
}

func parseDuration(name, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	var secs int64
	if _, err := fmt.Sscanf(s, "%d", &secs); err == nil && fmt.Sprint(secs) == s {
		return time.Duration(secs) * time.Second, nil
	}
	return 0, fmt.Errorf("%w: %s %q is not a duration (30m, 1h) or whole seconds", ErrClaims, name, s)
}

func tokenError(w http.ResponseWriter, desc string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": desc})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

package authz

import (
	"slices"
	"time"
)

// Principal is an authenticated caller: what a verified credential says
// about who is calling. Fields a credential does not carry stay zero.
type Principal struct {
	Subject  string // sub, or the API key's owner
	Issuer   string // iss, or "apikey"
	ClientID string // client_id / azp / the OAuth client
	Tenant   string
	// Residency is the data-residency region the principal's data is bound to.
	Residency string
	Scopes    []string
	Roles     []string // roles or groups
	ACR       string   // authentication context class reference
	AMR       []string // authentication methods references
	AuthTime  time.Time
	ExpiresAt time.Time
	// CredentialID identifies the credential without revealing it: the JWT
	// signing key id, or the API key's public id.
	CredentialID string
	// UsageKey is the API Gateway API-key value for usage plans
	// (usageIdentifierKey); API-key principals only.
	UsageKey string
	// Claims holds the selected extra claims the policy exposes to the
	// backend: strings, numbers and booleans only.
	Claims map[string]any
}

// HasScope reports whether the principal holds scope s.
func (p *Principal) HasScope(s string) bool { return slices.Contains(p.Scopes, s) }

// HasRole reports whether the principal holds role or group r.
func (p *Principal) HasRole(r string) bool { return slices.Contains(p.Roles, r) }

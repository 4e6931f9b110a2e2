package authz

// Reason is the typed cause of a decision. Reasons are stable strings: they
// appear in audit lines, metrics dimensions and the authorizer context, and
// tests assert on them.
type Reason string

// Reasons for Allow.
const (
	ReasonAllowed Reason = "allowed"
)

// Reasons for Unauthenticated (401): the credential is missing or is not
// valid. Every one of them answers the client identically.
const (
	ReasonMissingCredentials Reason = "missing_credentials" // no Authorization header / API key
	ReasonMalformedBearer    Reason = "malformed_bearer"    // not exactly "Bearer <token>"
	ReasonTokenTooLarge      Reason = "token_too_large"     // over the configured size
	ReasonNotCompact         Reason = "not_compact"         // JSON serialization, JWE, wrong part count
	ReasonMalformedToken     Reason = "malformed_token"     // bad base64url or JSON, non-object header/claims
	ReasonDuplicateMember    Reason = "duplicate_member"    // a JSON member name repeats in header or claims
	ReasonAlgNone            Reason = "alg_none"            // "none" in any letter case
	ReasonAlgNotAllowed      Reason = "alg_not_allowed"     // not in the issuer's allow-list
	ReasonKeyMismatch        Reason = "key_mismatch"        // key type, use or alg does not fit the token's alg
	ReasonEmbeddedKey        Reason = "embedded_key"        // jwk, jku, x5u or x5c header
	ReasonUnknownCrit        Reason = "unknown_crit"        // crit names an extension we do not implement
	ReasonMissingKid         Reason = "missing_kid"         // no kid and the issuer does not allow that
	ReasonUnknownKid         Reason = "unknown_kid"         // kid not in the issuer's keys after refresh
	ReasonBadSignature       Reason = "bad_signature"       // signature does not verify
	ReasonUnknownIssuer      Reason = "unknown_issuer"      // iss missing or not configured
	ReasonWrongAudience      Reason = "wrong_audience"      // aud / client_id not accepted
	ReasonWrongTokenUse      Reason = "wrong_token_use"     // Cognito token_use mismatch
	ReasonMissingExp         Reason = "missing_exp"         // no exp claim
	ReasonExpired            Reason = "expired"             // exp in the past beyond leeway
	ReasonNotYetValid        Reason = "not_yet_valid"       // nbf in the future beyond leeway
	ReasonIssuedInFuture     Reason = "issued_in_future"    // iat in the future beyond leeway
	ReasonInvalidClaim       Reason = "invalid_claim"       // a registered claim has the wrong type
	ReasonMissingClaim       Reason = "missing_claim"       // a required claim is absent
	ReasonMalformedKey       Reason = "malformed_key"       // API key fails format or checksum
	ReasonUnknownKey         Reason = "unknown_key"         // API key id unknown or secret wrong
	ReasonKeyRevoked         Reason = "key_revoked"         // API key revoked (or past its rotation grace)
	ReasonKeySuspended       Reason = "key_suspended"       // API key suspended
	ReasonKeyExpired         Reason = "key_expired"         // API key past its expiry
	ReasonCredentialInQuery  Reason = "credential_in_query" // key sent in the query string where not allowed
	ReasonUnsupportedScheme  Reason = "unsupported_scheme"  // an Authorization scheme other than Bearer
)

// Reasons for Deny (403): the caller is known but not permitted.
const (
	ReasonNoRoute            Reason = "no_route"              // the request matches no route and unlisted routes are denied
	ReasonInsufficientScope  Reason = "insufficient_scope"    // scopes do not satisfy the route
	ReasonMissingRole        Reason = "missing_role"          // roles or groups do not satisfy the route
	ReasonSourceIPNotAllowed Reason = "source_ip_not_allowed" // outside the credential's CIDR allow-list
)

// Reasons for StepUp (RFC 9470).
const (
	ReasonStepUpACR    Reason = "step_up_acr"     // acr not among the accepted values
	ReasonStepUpAMR    Reason = "step_up_amr"     // a required amr method is missing
	ReasonStepUpMaxAge Reason = "step_up_max_age" // auth_time missing or too old
)

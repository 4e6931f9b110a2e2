// Package jwtauth verifies bearer JWTs (compact JWS) for the issuers of a
// Portcullis policy file and maps their claims onto an [authz.Principal].
//
// [New] builds a [Verifier] once, at cold start; [Verifier.Verify] checks
// one token and returns a decision: Allow with the principal, or
// Unauthenticated with a typed [authz.Reason] and a Detail that names the
// issuer and kid (never the token). Verify returns an error only for a
// technical failure, [ErrNoKeys]. [Verifier.Authenticate] is the same
// check behind the authorizer's Authenticator interface.
//
// # Verification order
//
// A token is judged in this order, and the first failure is its reason:
//
//  1. Size: longer than authorizers.jwt.max_token_bytes: token_too_large,
//     before any parsing.
//  2. Compact form: exactly three parts (JSON serialization, a JWE's five
//     parts or any other count: not_compact); strict unpadded base64url
//     (RFC 7515 §2: no padding, whitespace, CR/LF or characters outside the
//     alphabet, no non-zero trailing bits): malformed_token.
//  3. Protected header: a JSON object without duplicate members
//     (duplicate_member at any depth; invalid JSON or UTF-8, lone
//     surrogates, non-objects: malformed_token); "alg" present and a string;
//     "none" in any case: alg_none; anything but a registered name spelled
//     exactly (so "ED25519" or "rs256"): alg_not_allowed; "jwk", "jku",
//     "x5u" or "x5c" (never fetched): embedded_key; "crit" (no extension
//     is implemented) or "b64" other than true (RFC 7797): unknown_crit.
//     A non-string kid is malformed_token; an empty signature too.
//  4. Claims: a duplicate-free JSON object (an empty payload, i.e.
//     detached content, is malformed_token).
//  5. Issuer: the unverified "iss" selects exactly one configured issuer
//     (unknown_issuer); from here on only that issuer's algorithms, keys
//     and rules apply.
//  6. The issuer's algorithm allow-list: alg_not_allowed.
//  7. Key: by kid through the issuer's [jwt.Keyfunc] (keyfunc over jwkset).
//     No kid: missing_kid, unless allow_missing_kid is set and the issuer
//     has exactly one key. An unknown kid triggers the rate-limited JWKS
//     refresh, then unknown_kid. A kid whose key the hygiene rules refused,
//     a JWK whose "alg" differs from the header's, a key type or curve that
//     does not fit the algorithm, or an RSA key under 2048 bits:
//     key_mismatch. An issuer with no keys at all: ErrNoKeys.
//  8. Signature: bad_signature. ECDSA signatures are the fixed-width r||s
//     of RFC 7518 §3.4 (DER fails); RSASSA-PSS uses a salt as long as the
//     hash (RFC 7518 §3.5); HMAC compares in constant time.
//  9. Registered claims, with the issuer's leeway (default 60s): exp
//     missing (missing_exp), not a number (invalid_claim) or past
//     (expired); nbf (not_yet_valid) and iat (issued_in_future) in the
//     future; aud, a string or an array of strings, holding one of the
//     issuer's audiences (wrong_audience; another type: invalid_claim);
//     for Cognito issuers token_use (wrong_token_use) and the app client in
//     client_id (access tokens) or aud (id tokens); required_claims
//     (missing_claim; null counts as missing).
//  10. Mapping onto the principal (a claim of the wrong type:
//     invalid_claim): sub, client_id or azp, scopes from the configured
//     claims (default scope, scp, permissions; strings split on spaces,
//     or arrays of strings), roles (default cognito:groups, roles, groups,
//     realm_access.roles; a string is one role), tenant and residency
//     (strings, or numbers as written), acr, amr (array or one string),
//     auth_time, and the context claims (strings, numbers, booleans; other
//     values are left out). Claim paths name a member exactly first, then a
//     dotted path into nested objects. CredentialID is the kid.
//
// golang-jwt's Parser is not used: it re-parses header and claims with
// encoding/json, which keeps the last of duplicate members silently and
// costs about a third of an RS256 verification; it verifies RSASSA-PSS with
// PSSSaltLengthAuto; its ES* methods do not pin the curve to the algorithm.
// Its SigningMethod.Verify checks RS*, ES*, EdDSA and HS* signatures after
// the checks above (the method is chosen by the header's alg once the
// allow-list admits it, which is what jwt.WithValidMethods would pin).
//
// # HMAC issuers
//
// An issuer with HS256/384/512 has one secret, from hmac_secret through
// [WithSecrets], and no JWKS. New refuses a secret shorter than the longest
// allowed hash output (RFC 7518 §3.2). The secret has no kid: a token's kid
// is recorded but cannot be checked, and a token without kid needs
// allow_missing_kid like any other.
//
// # JWKS hygiene
//
// Every key set, bundled or fetched, passes the same rules before its keys
// can verify anything. A set is refused as a whole (a bundled file: New
// fails with [ErrJWKS]; a fetched one: the refresh fails, the previous keys
// stay) when:
//
//   - two usable keys share a kid (key selection would be ambiguous);
//   - it holds any symmetric ("oct") key, alone or mixed with asymmetric
//     keys (a published shared secret is no secret; HMAC secrets come from
//     hmac_secret);
//   - no usable signature key remains (including an empty set: an identity
//     provider never publishes zero keys on purpose, so this is treated as a
//     broken response, not as revocation of everything);
//   - jwkset cannot parse or validate a key (missing members, a point off
//     its curve, coordinates that do not fit the named curve, an RSA
//     exponent below 2, mismatched x5c); keys of types jwkset does not
//     support (Ed448, X448, secp256k1, unknown kty) are skipped silently.
//
// A single key is dropped, with a warning naming its kid and the cause
// (logged when the set of dropped keys changes), and a token naming it gets
// key_mismatch with that cause, when:
//
//   - "use" is present and not "sig", or "key_ops" lacks "verify"
//     (identity providers publish encryption keys beside signing keys);
//   - it is an RSA key under 2048 bits, with an even or < 3 exponent, or
//     with the ROCA fingerprint (CVE-2017-15361);
//   - it is an X25519 (key agreement) key;
//   - its "alg" is not a signature algorithm Portcullis implements, or does
//     not fit the key (e.g. ES384 on a P-256 key, RS256 on an EC key);
//   - the JWKS publishes its private part (the key is compromised).
//
// A kid shared by a usable key and a dropped one (say sig and enc variants)
// resolves to the usable key.
//
// # JWKS lifecycle
//
// Keys are loaded by New. A bundled file (jwks.file, resolved against the
// policy file's directory) is read once; it never touches the network, and
// an unknown kid is simply unknown. For jwks.url, or jwks.discovery (the
// issuer's /.well-known/openid-configuration, whose "issuer" must equal the
// configured iss exactly and whose jwks_uri must be https, or http on a
// loopback host), a jwkset HTTP storage fetches the JWKS once at cold start
// (all issuers in parallel, each bounded by its timeout, default 1.5s) and
// then every refresh_interval (default 1h) in a background goroutine that
// [Verifier.Close] stops. An unknown kid, or any token of an issuer without
// keys, fetches again at most once per unknown_kid_interval (default 5s,
// measured on the injected clock); concurrent requests share one fetch, and
// a request never waits for the rate limit. A failed fetch, an error
// status, an invalid or refused document or one over 1 MiB leaves the last
// good keys in place and is logged.
//
// Cold start with the JWKS (or discovery document) unreachable: New still
// succeeds and logs the failure, so the other issuers keep serving; the
// issuer's tokens get [ErrNoKeys] (500, fail closed) until a rate-limited
// retry or the periodic refresh succeeds. Configuration errors (bad
// algorithms, secrets, a refused bundled set) do fail New.
package jwtauth

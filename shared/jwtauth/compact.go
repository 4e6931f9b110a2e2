package jwtauth

import (
	"errors"
	"fmt"
	"strings"

	"github.com/portcullis-authz/portcullis/shared/authz"
)

// The JWS algorithms Portcullis implements (RFC 7518 §3, RFC 8037).
const (
	algRS256 = "RS256"
	algRS384 = "RS384"
	algRS512 = "RS512"
	algPS256 = "PS256"
	algPS384 = "PS384"
	algPS512 = "PS512"
	algES256 = "ES256"
	algES384 = "ES384"
	algES512 = "ES512"
	algEdDSA = "EdDSA"
	algHS256 = "HS256"
	algHS384 = "HS384"
	algHS512 = "HS512"
)

// knownAlg reports whether a is one of the implemented algorithms, spelled
// exactly as registered (so "ED25519" or "rs256" are not).
func knownAlg(a string) bool {
	switch a {
	case algRS256, algRS384, algRS512, algPS256, algPS384, algPS512,
		algES256, algES384, algES512, algEdDSA, algHS256, algHS384, algHS512:
		return true
	}
	return false
}

// reject is a typed rejection: the reason and a safe explanation. Details
// never contain the token; attacker-chosen strings are quoted and shortened.
type reject struct {
	reason authz.Reason
	detail string
}

func (r *reject) Error() string { return string(r.reason) + ": " + r.detail }

func rejectf(reason authz.Reason, format string, args ...any) *reject {
	return &reject{reason: reason, detail: fmt.Sprintf(format, args...)}
}

// header is the protected header of a compact JWS, as far as it matters.
type header struct {
	alg    string
	kid    string
	hasKid bool
}

// jws is a compact JWS split and decoded. Strings point into one decoded
// buffer; the signing input points into the token.
type jws struct {
	header       header
	claims       string // the decoded payload
	signingInput string // BASE64URL(header) "." BASE64URL(payload)
	sig          []byte
}

// stackBuf is the decoded size of header plus payload that parseCompact
// decodes without a heap buffer (the decoded text becomes one string).
const stackBuf = 2048

// parseCompact is the strict pre-parser every token goes through before any
// key is looked up: exactly three base64url parts (a JSON serialization, a
// JWE or any other count is refused), strict base64url, a protected header
// that is a duplicate-free JSON object with a registered, allowed-looking
// "alg", no embedded or referenced keys, no "crit" and no "b64", and a
// non-empty signature. It does not parse the payload beyond decoding it.
func parseCompact(token string) (jws, *reject) {
	var t jws
	rj := t.parse(token)
	return t, rj
}

func (t *jws) parse(token string) *reject {
	if token == "" {
		return rejectf(authz.ReasonNotCompact, "empty token")
	}
	if token[0] == '{' {
		return rejectf(authz.ReasonNotCompact, "JWS JSON serialization: only the compact form is accepted")
	}
	d1 := strings.IndexByte(token, '.')
	if d1 < 0 {
		return rejectf(authz.ReasonNotCompact, "token has 1 part, a compact JWS has 3")
	}
	d2 := d1 + 1 + strings.IndexByte(token[d1+1:], '.')
	if d2 == d1 {
		return rejectf(authz.ReasonNotCompact, "token has 2 parts, a compact JWS has 3")
	}
	if n := strings.Count(token[d2+1:], "."); n > 0 {
		if n == 2 {
			return rejectf(authz.ReasonNotCompact, "token has 5 parts: a JWE (encrypted token) is not accepted")
		}
		return rejectf(authz.ReasonNotCompact, "token has %d parts, a compact JWS has 3", n+3)
	}
	h64, p64, s64 := token[:d1], token[d1+1:d2], token[d2+1:]
	if h64 == "" {
		return rejectf(authz.ReasonMalformedToken, "empty header")
	}

	hl, pl := decodedLen(len(h64)), decodedLen(len(p64))
	var stack [stackBuf]byte
	var buf []byte
	if hl+pl <= len(stack) {
		buf = stack[:hl+pl]
	} else {
		buf = make([]byte, hl+pl)
	}
	hn, err := decodeB64(buf, h64)
	if err != nil {
		return rejectf(authz.ReasonMalformedToken, "header is not strict base64url")
	}
	// The header is judged before the payload's encoding: an RFC 7797
	// token's payload is not base64url, and its header says why.
	pn, perr := decodeB64(buf[hn:], p64)
	if perr != nil {
		pn = 0
	}
	text := string(buf[:hn+pn])
	t.claims, t.signingInput = text[hn:], token[:d2]

	if rj := parseHeader(text[:hn], &t.header); rj != nil {
		return rj
	}
	if perr != nil {
		return rejectf(authz.ReasonMalformedToken, "payload is not strict base64url")
	}
	if s64 == "" {
		return rejectf(authz.ReasonMalformedToken, "empty signature")
	}
	t.sig = make([]byte, decodedLen(len(s64)))
	sn, err := decodeB64(t.sig, s64)
	if err != nil {
		return rejectf(authz.ReasonMalformedToken, "signature is not strict base64url")
	}
	t.sig = t.sig[:sn]
	// An empty payload is a valid JWS (RFC 7515 allows it, and detached
	// content looks the same); it is not a claim set, which Verify reports.
	return nil
}

// parseHeader parses and checks a protected header. The order of checks
// fixes which reason a header with several defects gets: JSON first, then
// "alg", then embedded keys, then extensions.
func parseHeader(s string, h *header) *reject {
	var buf [8]member
	ms, err := parseObject(s, buf[:0])
	if err != nil {
		return jsonReject("header", err)
	}
	var alg member
	var hasAlg bool
	var embedded, crit []string
	var b64 *member
	for i := range ms {
		m := &ms[i]
		switch m.name {
		case "alg":
			alg, hasAlg = *m, true
		case "kid":
			kid, ok := m.str()
			if !ok {
				return rejectf(authz.ReasonMalformedToken, "header kid is a %s, not a string", m.kind)
			}
			h.kid, h.hasKid = kid, true
		case "jwk", "jku", "x5u", "x5c":
			embedded = append(embedded, m.name)
		case "crit":
			if m.kind != kindArray {
				return rejectf(authz.ReasonMalformedToken, "header crit is a %s, not an array", m.kind)
			}
			var eb [4]member
			elems, _ := parseArray(m.raw, eb[:0])
			if len(elems) == 0 {
				return rejectf(authz.ReasonMalformedToken, "header crit is an empty array")
			}
			for _, e := range elems {
				name, ok := e.str()
				if !ok {
					return rejectf(authz.ReasonMalformedToken, "header crit holds a %s, not a string", e.kind)
				}
				crit = append(crit, quote(name))
			}
		case "b64":
			b64 = m
		}
	}
	if !hasAlg {
		return rejectf(authz.ReasonMalformedToken, "header has no alg")
	}
	a, ok := alg.str()
	if !ok {
		return rejectf(authz.ReasonMalformedToken, "header alg is a %s, not a string", alg.kind)
	}
	if strings.EqualFold(a, "none") {
		return rejectf(authz.ReasonAlgNone, "alg %s: unsigned tokens are never accepted", quote(a))
	}
	if !knownAlg(a) {
		return rejectf(authz.ReasonAlgNotAllowed, "alg %s is not a supported JWS algorithm", quote(a))
	}
	h.alg = a
	if len(embedded) > 0 {
		return rejectf(authz.ReasonEmbeddedKey, "header carries %s: keys are only taken from the issuer's configured keys", strings.Join(embedded, ", "))
	}
	if len(crit) > 0 {
		return rejectf(authz.ReasonUnknownCrit, "header crit names %s: no JWS extension is implemented", strings.Join(crit, ", "))
	}
	if b64 != nil && b64.kind != kindTrue {
		// RFC 7797: an unencoded payload. A JWT payload is always base64url
		// JSON, and "b64" without "crit" breaks RFC 7797 §6 anyway.
		what := b64.kind.String()
		if b64.kind == kindFalse {
			what = "false"
		}
		return rejectf(authz.ReasonUnknownCrit, "header b64 is %s: unencoded payloads (RFC 7797) are not accepted", what)
	}
	return nil
}

// jsonReject maps a JSON reader error to a rejection.
func jsonReject(what string, err error) *reject {
	var je *jsonError
	if errors.As(err, &je) && je.err == errDuplicate {
		return rejectf(authz.ReasonDuplicateMember, "%s member %s appears twice", what, quote(je.name))
	}
	return rejectf(authz.ReasonMalformedToken, "%s is not a valid JSON object: %v", what, err)
}

package jwtauth

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portcullis-authz/portcullis/shared/authz"
)

// numericDate reads a NumericDate (RFC 7519 §2): seconds since the epoch,
// possibly fractional. Values beyond ±1e15 s (31 million years) are clamped,
// so no value can overflow into the other direction.
func numericDate(m member) (time.Time, bool) {
	if m.kind != kindNumber {
		return time.Time{}, false
	}
	f, err := strconv.ParseFloat(m.raw, 64)
	if err != nil && !math.IsInf(f, 0) {
		return time.Time{}, false
	}
	const limit = 1e15
	f = max(-limit, min(limit, f))
	sec := math.Floor(f)
	return time.Unix(int64(sec), int64((f-sec)*1e9)), true
}

// principal checks the registered claims of a verified token and maps the
// claims onto a Principal.
func (is *issuer) principal(o *object, now time.Time) (*authz.Principal, *reject) {
	p := &authz.Principal{Issuer: is.iss}

	m, ok := o.get("exp")
	if !ok {
		return nil, rejectf(authz.ReasonMissingExp, "token has no exp")
	}
	exp, ok := numericDate(m)
	if !ok {
		return nil, rejectf(authz.ReasonInvalidClaim, "exp is a %s, not a NumericDate", m.kind)
	}
	if !now.Before(exp.Add(is.leeway)) {
		return nil, rejectf(authz.ReasonExpired, "expired at %s (now %s, leeway %s)", exp.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), is.leeway)
	}
	p.ExpiresAt = exp
	if m, ok := o.get("nbf"); ok {
		nbf, ok := numericDate(m)
		if !ok {
			return nil, rejectf(authz.ReasonInvalidClaim, "nbf is a %s, not a NumericDate", m.kind)
		}
		if now.Add(is.leeway).Before(nbf) {
			return nil, rejectf(authz.ReasonNotYetValid, "not valid before %s (now %s, leeway %s)", nbf.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), is.leeway)
		}
	}
	if m, ok := o.get("iat"); ok {
		iat, ok := numericDate(m)
		if !ok {
			return nil, rejectf(authz.ReasonInvalidClaim, "iat is a %s, not a NumericDate", m.kind)
		}
		if now.Add(is.leeway).Before(iat) {
			return nil, rejectf(authz.ReasonIssuedInFuture, "issued at %s, in the future (now %s, leeway %s)", iat.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), is.leeway)
		}
	}

	if rj := is.audience(o, p); rj != nil {
		return nil, rj
	}
	for _, name := range is.required {
		if m, ok := o.path(name); !ok || m.kind == kindNull {
			return nil, rejectf(authz.ReasonMissingClaim, "required claim %s is missing", quote(name))
		}
	}

	var rj *reject
	if p.Subject, rj = optString(o, "sub"); rj != nil {
		return nil, rj
	}
	if p.ClientID == "" {
		for _, c := range [...]string{"client_id", "azp"} {
			if p.ClientID, rj = optString(o, c); rj != nil {
				return nil, rj
			}
			if p.ClientID != "" {
				break
			}
		}
	}
	// Scopes, roles and amr collect on the stack and share one allocation.
	var sb, rb [16]string
	scopes, roles := sb[:0], rb[:0]
	for _, path := range is.claims.Scopes {
		if scopes, rj = appendNames(scopes, o, path, true); rj != nil {
			return nil, rj
		}
	}
	for _, path := range is.claims.Roles {
		if roles, rj = appendNames(roles, o, path, false); rj != nil {
			return nil, rj
		}
	}
	if is.claims.Tenant != "" {
		if p.Tenant, rj = scalarString(o, is.claims.Tenant); rj != nil {
			return nil, rj
		}
	}
	if is.claims.Residency != "" {
		if p.Residency, rj = scalarString(o, is.claims.Residency); rj != nil {
			return nil, rj
		}
	}
	if p.ACR, rj = optString(o, "acr"); rj != nil {
		return nil, rj
	}
	var ab [8]string
	amr, rj := appendNames(ab[:0], o, "amr", false)
	if rj != nil {
		return nil, rj
	}
	p.Scopes, p.Roles, p.AMR = pack(scopes, roles, amr)
	if m, ok := o.get("auth_time"); ok && m.kind != kindNull {
		at, ok := numericDate(m)
		if !ok {
			return nil, rejectf(authz.ReasonInvalidClaim, "auth_time is a %s, not a NumericDate", m.kind)
		}
		p.AuthTime = at
	}
	for _, path := range is.claims.Context {
		m, ok := o.path(path)
		if !ok {
			continue
		}
		v, ok := scalar(m)
		if !ok {
			// Only strings, numbers and booleans can travel in the
			// authorizer context; other values are left out.
			continue
		}
		if p.Claims == nil {
			p.Claims = make(map[string]any, len(is.claims.Context))
		}
		p.Claims[path] = v
	}
	return p, nil
}

// audience checks aud, or Cognito's token_use and client id, and sets the
// principal's client id from it where the token says nothing better.
func (is *issuer) audience(o *object, p *authz.Principal) *reject {
	if c := is.cognito; c != nil {
		m, ok := o.get("token_use")
		use, isStr := m.str()
		switch {
		case !ok:
			return rejectf(authz.ReasonWrongTokenUse, "token has no token_use; the issuer accepts %s tokens", c.TokenUse)
		case !isStr:
			return rejectf(authz.ReasonWrongTokenUse, "token_use is a %s, not a string", m.kind)
		case use != c.TokenUse:
			return rejectf(authz.ReasonWrongTokenUse, "token_use is %s; the issuer accepts %s tokens", quote(use), c.TokenUse)
		}
		if c.TokenUse == "access" {
			// Cognito access tokens name the app client in client_id and
			// carry no aud.
			m, ok := o.get("client_id")
			id, isStr := m.str()
			switch {
			case !ok:
				return rejectf(authz.ReasonWrongAudience, "access token has no client_id")
			case !isStr:
				return rejectf(authz.ReasonInvalidClaim, "client_id is a %s, not a string", m.kind)
			case !slices.Contains(c.ClientIDs, id):
				return rejectf(authz.ReasonWrongAudience, "client_id %s is not an accepted app client", quote(id))
			}
			p.ClientID = id
			return nil
		}
		aud, rj := audiences(o, c.ClientIDs)
		if rj != nil {
			return rj
		}
		p.ClientID = aud
		return nil
	}
	_, rj := audiences(o, is.audiences)
	return rj
}

// audiences checks that aud, a string or an array of strings, holds one of
// accepted, and returns the accepted value it holds.
func audiences(o *object, accepted []string) (string, *reject) {
	m, ok := o.get("aud")
	switch {
	case !ok || m.kind == kindNull:
		return "", rejectf(authz.ReasonWrongAudience, "token has no aud")
	case m.kind == kindString:
		a, _ := m.str()
		if slices.Contains(accepted, a) {
			return a, nil
		}
		return "", rejectf(authz.ReasonWrongAudience, "aud %s is not accepted", quote(a))
	case m.kind != kindArray:
		return "", rejectf(authz.ReasonInvalidClaim, "aud is a %s, not a string or an array of strings", m.kind)
	}
	var buf [8]member
	elems, _ := parseArray(m.raw, buf[:0])
	found := ""
	for _, e := range elems {
		a, ok := e.str()
		if !ok {
			return "", rejectf(authz.ReasonInvalidClaim, "aud holds a %s, not only strings", e.kind)
		}
		if found == "" && slices.Contains(accepted, a) {
			found = a
		}
	}
	if found == "" {
		return "", rejectf(authz.ReasonWrongAudience, "none of the token's %d audiences is accepted", len(elems))
	}
	return found, nil
}

// pack copies lists into one allocation; an empty list stays nil.
func pack(lists ...[]string) (a, b, c []string) {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	if n == 0 {
		return nil, nil, nil
	}
	all := make([]string, n)
	out := [3][]string{}
	at := 0
	for i, l := range lists {
		copy(all[at:], l)
		if len(l) > 0 {
			out[i] = all[at : at+len(l) : at+len(l)]
		}
		at += len(l)
	}
	return out[0], out[1], out[2]
}

// optString reads an optional string claim; null counts as absent.
func optString(o *object, name string) (string, *reject) {
	m, ok := o.get(name)
	if !ok || m.kind == kindNull {
		return "", nil
	}
	s, ok := m.str()
	if !ok {
		return "", rejectf(authz.ReasonInvalidClaim, "%s is a %s, not a string", name, m.kind)
	}
	return s, nil
}

// scalarString reads a claim holding a string or a number (tenant ids are
// sometimes numeric) as a string.
func scalarString(o *object, path string) (string, *reject) {
	m, ok := o.path(path)
	switch {
	case !ok || m.kind == kindNull:
		return "", nil
	case m.kind == kindNumber:
		return m.raw, nil
	}
	s, ok := m.str()
	if !ok {
		return "", rejectf(authz.ReasonInvalidClaim, "claim %s is a %s, not a string", quote(path), m.kind)
	}
	return s, nil
}

// appendNames appends the names a claim holds to dst, skipping ones
// already there: a string (split on spaces when split is set, as OAuth
// scope strings are, else one name) or an array of strings.
func appendNames(dst []string, o *object, path string, split bool) ([]string, *reject) {
	m, ok := o.path(path)
	if !ok || m.kind == kindNull {
		return dst, nil
	}
	add := func(dst []string, s string) []string {
		if s != "" && !slices.Contains(dst, s) {
			dst = append(dst, s)
		}
		return dst
	}
	switch m.kind {
	case kindString:
		s, _ := m.str()
		if !split {
			return add(slices.Grow(dst, 1), s), nil
		}
		dst = slices.Grow(dst, strings.Count(s, " ")+1)
		for s != "" {
			var name string
			name, s, _ = strings.Cut(s, " ")
			dst = add(dst, name)
		}
		return dst, nil
	case kindArray:
		var buf [16]member
		elems, _ := parseArray(m.raw, buf[:0])
		dst = slices.Grow(dst, len(elems))
		for _, e := range elems {
			s, ok := e.str()
			if !ok {
				return dst, rejectf(authz.ReasonInvalidClaim, "claim %s holds a %s, not only strings", quote(path), e.kind)
			}
			dst = add(dst, s)
		}
		return dst, nil
	}
	return dst, rejectf(authz.ReasonInvalidClaim, "claim %s is a %s, not a string or an array of strings", quote(path), m.kind)
}

// scalar converts a string, number or boolean claim for Principal.Claims:
// integers that fit int64 become int64, other numbers float64.
func scalar(m member) (any, bool) {
	switch m.kind {
	case kindString:
		return m.str()
	case kindTrue:
		return true, true
	case kindFalse:
		return false, true
	case kindNumber:
		if i, err := strconv.ParseInt(m.raw, 10, 64); err == nil {
			return i, true
		}
		f, err := strconv.ParseFloat(m.raw, 64)
		if err != nil {
			return nil, false
		}
		return f, true
	}
	return nil, false
}

package apigw

import (
	"strings"

	"github.com/portcullis-authz/portcullis/shared/authz"
)

// Credential returns the raw value of the credential header of r: the
// TOKEN authorizer's authorizationToken, or the named header of the other
// event kinds (case-insensitive name). ok is false when it is absent or
// empty.
func Credential(r *authz.Request, header string) (string, bool) {
	v := r.Token
	if r.Kind != authz.KindRESTToken {
		v = r.Header(strings.ToLower(header))
	}
	return v, v != ""
}

// BearerToken extracts the token from "Bearer <token>" in r's credential
// header. The scheme is matched case-insensitively and must be followed by
// exactly one space and a token without spaces or commas; anything else
// yields an unauthenticated reason.
func BearerToken(r *authz.Request, header string) (string, authz.Reason) {
	v, ok := Credential(r, header)
	if !ok {
		return "", authz.ReasonMissingCredentials
	}
	return ParseBearer(v)
}

// ParseBearer parses an Authorization header value "Bearer <token>".
func ParseBearer(v string) (string, authz.Reason) {
	scheme, token, found := strings.Cut(v, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		if !found && len(strings.Split(v, ".")) == 3 {
			return "", authz.ReasonMalformedBearer // a bare token without its scheme
		}
		return "", authz.ReasonUnsupportedScheme
	}
	if !found || token == "" || strings.ContainsAny(token, " \t,") {
		return "", authz.ReasonMalformedBearer
	}
	return token, ""
}

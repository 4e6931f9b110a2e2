package apigw

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/portcullis-authz/portcullis/shared/authz"
)

// Context keys Portcullis sets. The backend reads them as
// $context.authorizer.<key> (REST) or requestContext.authorizer.lambda
// (HTTP API); gateway responses read reason and challenge.
const (
	CtxSubject      = "sub"
	CtxIssuer       = "iss"
	CtxClientID     = "client_id"
	CtxTenant       = "tenant"
	CtxResidency    = "residency"
	CtxScope        = "scope"
	CtxRoles        = "roles"
	CtxACR          = "acr"
	CtxAMR          = "amr"
	CtxAuthTime     = "auth_time"
	CtxCredentialID = "credential_id"
	CtxReason       = "reason"
	CtxChallenge    = "challenge"
	CtxTruncated    = "truncated"
	// CtxClaimPrefix prefixes the selected claims the policy copies.
	CtxClaimPrefix = "claim_"
)

// contextWriter builds the context object within a byte budget. Entries
// are added in priority order; one that does not fit is dropped and the
// context is marked truncated.
type contextWriter struct {
	b         []byte
	budget    int
	n         int // entries written
	truncated bool
}

func (w *contextWriter) start(b []byte, budget int) {
	w.b = append(b, '{')
	w.budget = budget - len(`{,"truncated":true}`)
	w.n = 0
	w.truncated = false
}

func (w *contextWriter) entry(key string, value func([]byte) []byte) {
	mark := len(w.b)
	if w.n > 0 {
		w.b = append(w.b, ',')
	}
	w.b = appendString(w.b, key)
	w.b = append(w.b, ':')
	w.b = value(w.b)
	if len(w.b)-mark > w.budget {
		w.b = w.b[:mark]
		w.truncated = true
		return
	}
	w.budget -= len(w.b) - mark
	w.n++
}

func (w *contextWriter) str(key, v string) {
	if v == "" {
		return
	}
	w.entry(key, func(b []byte) []byte { return appendString(b, v) })
}

func (w *contextWriter) list(key string, v []string) {
	if len(v) == 0 {
		return
	}
	w.str(key, strings.Join(v, " "))
}

func (w *contextWriter) int(key string, v int64) {
	w.entry(key, func(b []byte) []byte { return strconv.AppendInt(b, v, 10) })
}

func (w *contextWriter) finish() []byte {
	if w.truncated {
		if w.n > 0 {
			w.b = append(w.b, ',')
		}
		w.b = append(w.b, `"truncated":true`...)
	}
	return append(w.b, '}')
}

// principalContext writes what the backend learns about an allowed
// principal. Never a credential.
func (w *contextWriter) principal(p *authz.Principal) {
	w.str(CtxSubject, p.Subject)
	w.str(CtxIssuer, p.Issuer)
	w.str(CtxClientID, p.ClientID)
	w.str(CtxTenant, p.Tenant)
	w.str(CtxCredentialID, p.CredentialID)
	w.str(CtxResidency, p.Residency)
	w.str(CtxACR, p.ACR)
	if !p.AuthTime.IsZero() {
		w.int(CtxAuthTime, p.AuthTime.Unix())
	}
	w.list(CtxAMR, p.AMR)
	w.list(CtxScope, p.Scopes)
	w.list(CtxRoles, p.Roles)
	if len(p.Claims) == 0 {
		return
	}
	keys := make([]string, 0, len(p.Claims))
	for k := range p.Claims {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w.claim(CtxClaimPrefix+k, p.Claims[k])
	}
}

// claim flattens one claim value: strings, numbers and booleans as they
// are, lists of those joined with commas; objects and nested lists are
// left out, since API Gateway answers 500 for non-scalar context values.
func (w *contextWriter) claim(key string, v any) {
	switch v := v.(type) {
	case string:
		w.str(key, v)
	case bool:
		w.entry(key, func(b []byte) []byte { return strconv.AppendBool(b, v) })
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return // not a JSON number
		}
		w.entry(key, func(b []byte) []byte { return appendNumber(b, v) })
	case int64:
		w.int(key, v)
	case int:
		w.int(key, int64(v))
	case []string:
		w.str(key, strings.Join(v, ","))
	case []any:
		parts := make([]string, 0, len(v))
		for _, e := range v {
			switch e := e.(type) {
			case string:
				parts = append(parts, e)
			case bool:
				parts = append(parts, strconv.FormatBool(e))
			case float64:
				if math.IsNaN(e) || math.IsInf(e, 0) {
					return
				}
				parts = append(parts, string(appendNumber(nil, e)))
			default:
				return
			}
		}
		w.str(key, strings.Join(parts, ","))
	}
}

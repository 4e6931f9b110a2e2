package apigw

import (
	"errors"
	"fmt"

	"github.com/portcullis-authz/portcullis/shared/authz"
)

// ErrUnauthorized is the error an authorizer returns for the 401 outcome.
// API Gateway matches its message, "Unauthorized", exactly.
var ErrUnauthorized = errors.New("Unauthorized")

// ErrResponseTooLarge is returned when even the smallest response for a
// decision exceeds the response limit.
var ErrResponseTooLarge = errors.New("apigw: authorizer response over the size limit")

// Scope says how far a policy reaches.
type Scope string

const (
	// ScopePrincipal: the policy covers every route of the principal and is
	// safe to cache under its identity source.
	ScopePrincipal Scope = "principal"
	// ScopeRequest: the policy names only the current method ARN, because no
	// exact policy for the principal exists or fits. It never grants more
	// than the decision, but a cached copy answers other routes 403 until the
	// cache entry expires.
	ScopeRequest Scope = "request"
)

// Response is an encoded authorizer response.
type Response struct {
	Payload []byte
	Scope   Scope // "" for simple responses
}

// EncoderOptions configures an Encoder.
type EncoderOptions struct {
	// SimpleHTTP answers HTTP API payload 2.0 events with simple responses
	// ({"isAuthorized": ...}) instead of IAM policies.
	SimpleHTTP bool
	// ResponseLimit caps the response size in bytes (default 8192).
	ResponseLimit int
	// ContextLimit caps the context object in bytes (default 2048).
	ContextLimit int
}

// Encoder encodes decisions into API Gateway authorizer responses.
type Encoder struct {
	policy   *authz.Policy
	compiler *Compiler
	opts     EncoderOptions
}

// NewEncoder returns an encoder for decisions under policy p.
func NewEncoder(p *authz.Policy, opts EncoderOptions) *Encoder {
	if opts.ResponseLimit <= 0 {
		opts.ResponseLimit = 8192
	}
	if opts.ContextLimit <= 0 {
		opts.ContextLimit = 2048
	}
	return &Encoder{policy: p, compiler: NewCompiler(p), opts: opts}
}

// Encode returns the response for decision d on request r. allowed lists
// the routes the principal may call (from authz.Policy.Permitted); it is
// used for Allow, Deny and StepUp decisions alike, so that the cached
// policy is right for every route whatever the first request was.
// Unauthenticated decisions yield ErrUnauthorized.
func (e *Encoder) Encode(r *authz.Request, d authz.Decision, allowed []*authz.Route) (Response, error) {
	if d.Effect == authz.Unauthenticated {
		return Response{}, ErrUnauthorized
	}
	if r.Kind == authz.KindHTTPv2 && e.opts.SimpleHTTP {
		b := make([]byte, 0, 256)
		b = append(b, `{"isAuthorized":`...)
		if d.Effect == authz.Allow {
			b = append(b, "true"...)
		} else {
			b = append(b, "false"...)
		}
		b = append(b, `,"context":`...)
		b = e.appendContext(b, d)
		b = append(b, '}')
		if len(b) > e.opts.ResponseLimit {
			return Response{}, fmt.Errorf("%w: %d bytes", ErrResponseTooLarge, len(b))
		}
		return Response{Payload: b}, nil
	}
	current := ARN{Partition: r.Partition, Region: r.Region, AccountID: r.AccountID, APIID: r.APIID, Stage: r.Stage,
		Method: r.Method, Path: r.Path, Route: wsRoute(r)}
	scope := ScopeRequest
	var pol *compileResult
	if d.Principal != nil {
		// The compiled policy must also answer the current request as
		// decided: an allowed request that no route serves (unlisted
		// routes open to the authenticated) can fall under the Deny of a
		// forbidden route's pattern. A request of an allowed route is
		// allowed by construction.
		if res := e.compiler.result(allowed); res.ok && (d.Effect != authz.Allow || d.Route != "" || res.c.allows(current.suffix())) {
			pol, scope = res, ScopePrincipal
		}
	}
	if scope == ScopePrincipal {
		// Room for the statements, the principal and a typical context.
		b := e.appendIAM(make([]byte, 0, len(pol.renderedStatements(current.Prefix()))+1024), r, d, current, ScopePrincipal, pol)
		if len(b) <= e.opts.ResponseLimit {
			return Response{Payload: b, Scope: ScopePrincipal}, nil
		}
	}
	b := e.appendIAM(nil, r, d, current, ScopeRequest, nil)
	if len(b) > e.opts.ResponseLimit {
		return Response{}, fmt.Errorf("%w: %d bytes even for the current request alone", ErrResponseTooLarge, len(b))
	}
	return Response{Payload: b, Scope: ScopeRequest}, nil
}

func wsRoute(r *authz.Request) string {
	if r.Kind == authz.KindWebSocket {
		return r.RouteKey
	}
	return ""
}

// appendIAM writes an IAM-policy response: the compiled policy, or in
// request scope the decision for the current method ARN only.
func (e *Encoder) appendIAM(b []byte, r *authz.Request, d authz.Decision, current ARN, scope Scope, res *compileResult) []byte {
	prefix := current.Prefix()
	exact := current.String()
	var pol Compiled
	if res != nil {
		pol = res.c
	}
	b = append(b, `{"principalId":`...)
	principalID := "anonymous"
	if d.Principal != nil && d.Principal.Subject != "" {
		principalID = d.Principal.Subject
	}
	b = appendString(b, principalID)
	b = append(b, `,"policyDocument":{"Version":"2012-10-17","Statement":[`...)
	allow, deny := pol.Allow, pol.Deny
	switch {
	case scope == ScopeRequest && d.Effect == authz.Allow:
		b = appendStatement(b, "Allow", "", []string{exact})
	case scope == ScopeRequest:
		b = appendStatement(b, "Deny", "", []string{exact})
	case len(allow) == 0:
		// The principal may call nothing: deny the whole stage.
		b = appendStatement(b, "Deny", prefix, []string{"*"})
	case d.Effect == authz.Allow:
		b = append(b, res.renderedStatements(prefix)...)
	default:
		b = appendStatement(b, "Allow", prefix, allow)
		// The current request is denied: say so for its exact ARN too, so
		// that no allowance can cover it.
		deny = append(deny[:len(deny):len(deny)], exact[len(prefix):])
		b = append(b, ',')
		b = appendStatement(b, "Deny", prefix, deny)
	}
	b = append(b, `]},"context":`...)
	b = e.appendContext(b, d)
	if d.Effect == authz.Allow && d.Principal != nil && d.Principal.UsageKey != "" && r.Kind != authz.KindHTTPv1 && r.Kind != authz.KindHTTPv2 {
		b = append(b, `,"usageIdentifierKey":`...)
		b = appendString(b, d.Principal.UsageKey)
	}
	return append(b, '}')
}

func appendStatement(b []byte, effect, prefix string, resources []string) []byte {
	b = append(b, `{"Action":"execute-api:Invoke","Effect":"`...)
	b = append(b, effect...)
	b = append(b, `","Resource":[`...)
	for i, res := range resources {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString2(b, prefix, res)
	}
	return append(b, "]}"...)
}

func (e *Encoder) appendContext(b []byte, d authz.Decision) []byte {
	var w contextWriter
	w.start(b, e.opts.ContextLimit)
	if d.Effect != authz.Allow {
		w.str(CtxReason, string(d.Reason))
		w.str(CtxChallenge, d.Challenge)
		if d.Principal != nil {
			w.str(CtxSubject, d.Principal.Subject)
		}
		return w.finish()
	}
	if d.Principal != nil {
		w.principal(d.Principal)
	}
	return w.finish()
}

// Package authorizer is the request flow every Portcullis authorizer
// shares:
//
//	event ──apigw.Decode──▶ request ──Authenticator──▶ principal
//	  ──authz.Policy──▶ decision ──apigw.Encoder──▶ response ──audit──▶ log line
//
// A function supplies only its [Authenticator] (JWT, API key, ...); the
// route policy, the cache-safe policy compiler, the outcome table and the
// audit line are the same for all.
package authorizer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/portcullis-authz/portcullis/shared/apigw"
	"github.com/portcullis-authz/portcullis/shared/audit"
	"github.com/portcullis-authz/portcullis/shared/authz"
	"github.com/portcullis-authz/portcullis/shared/config"
)

// Authenticator checks the credential in a request. It returns a decision
// with Effect Allow and a non-nil Principal when the credential is valid
// (the route policy then decides), or a final decision: Unauthenticated
// with its reason, or Deny (for instance a source IP outside a key's
// CIDRs). An error means a technical failure, answered with 500.
type Authenticator interface {
	Authenticate(ctx context.Context, r *authz.Request) (authz.Decision, error)
}

// ErrInternal is the message API Gateway receives for technical failures
// (it answers 500). Details go to the audit line, not to the gateway.
var ErrInternal = errors.New("authorizer failure")

// Handler answers authorizer events. It implements lambda.Handler.
type Handler struct {
	name    string
	auth    Authenticator
	policy  *authz.Policy
	encoder *apigw.Encoder
	// denyAll encodes credential-level denials: an encoder over a policy
	// with no routes and unlisted routes denied, so that the principal's
	// answer denies the whole stage even when the route policy opens
	// unlisted routes to authenticated callers.
	denyAll *apigw.Encoder
	audit   *audit.Logger
	now     func() time.Time
}

// Option configures a Handler.
type Option func(*Handler)

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(h *Handler) { h.now = now } }

// WithAuditWriter sets where audit lines go (default os.Stdout).
func WithAuditWriter(w io.Writer) Option { return func(h *Handler) { h.audit = audit.New(w) } }

// New returns the handler of the named authorizer ("jwt", "apikey") for
// the routes the policy file assigns to it.
func New(name string, auth Authenticator, f *config.File, opts ...Option) (*Handler, error) {
	p, err := f.Policy(name)
	if err != nil {
		return nil, fmt.Errorf("authorizer %s: %w", name, err)
	}
	simple := false
	if name == config.AuthorizerJWT && f.Authorizers.JWT != nil {
		simple = f.Authorizers.JWT.HTTPAPIResponse == "simple"
	}
	opts0 := apigw.EncoderOptions{
		SimpleHTTP:    simple,
		ResponseLimit: f.Settings.ResponseLimit,
		ContextLimit:  f.Settings.ContextLimit,
	}
	none, err := authz.NewPolicy(nil, authz.UnlistedDeny)
	if err != nil {
		return nil, fmt.Errorf("authorizer %s: %w", name, err)
	}
	h := &Handler{
		name:    name,
		auth:    auth,
		policy:  p,
		encoder: apigw.NewEncoder(p, opts0),
		denyAll: apigw.NewEncoder(none, opts0),
		audit:   audit.New(os.Stdout),
		now:     time.Now,
	}
	for _, o := range opts {
		o(h)
	}
	return h, nil
}

// Invoke answers one authorizer event. It returns the response payload, or
// apigw.ErrUnauthorized (401), or ErrInternal (500).
func (h *Handler) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	start := h.now()
	rec := audit.Record{Time: start, Authorizer: h.name}
	resp, err := h.decide(ctx, event, &rec)
	rec.Latency = h.now().Sub(start)
	h.audit.Log(rec)
	return resp, err
}

func (h *Handler) decide(ctx context.Context, event []byte, rec *audit.Record) ([]byte, error) {
	r, err := apigw.Decode(event)
	if err != nil {
		rec.Outcome, rec.Error = "error", err.Error()
		return nil, ErrInternal
	}
	rec.Kind, rec.Method, rec.Path, rec.SourceIP, rec.RequestID = string(r.Kind), r.Method, r.Path, r.SourceIP, r.RequestID
	if rec.Path == "" {
		rec.Path = r.RouteKey
	}
	d, err := h.auth.Authenticate(ctx, r)
	if err != nil {
		rec.Outcome, rec.Error = "error", err.Error()
		return nil, ErrInternal
	}
	now := h.now()
	var allowed []*authz.Route
	enc := h.encoder
	if d.Effect == authz.Allow {
		if d.Principal == nil {
			rec.Outcome, rec.Error = "error", "authenticator allowed without a principal"
			return nil, ErrInternal
		}
		rt := h.policy.Match(r)
		fp := d.Fingerprint
		d = h.policy.Decide(rt, d.Principal, r, now)
		d.Fingerprint = fp
		allowed, _ = h.policy.Permitted(d.Principal, r, rt, now)
	} else {
		// A credential-level denial grants nothing, unlisted routes included.
		enc = h.denyAll
		if rt := h.policy.Match(r); rt != nil {
			d.Route = rt.Key.String()
		}
	}
	fillRecord(rec, d)
	resp, err := enc.Encode(r, d, allowed)
	if err != nil {
		if errors.Is(err, apigw.ErrUnauthorized) {
			return nil, err
		}
		rec.Outcome, rec.Error = "error", err.Error()
		return nil, ErrInternal
	}
	rec.PolicyScope = string(resp.Scope)
	return resp.Payload, nil
}

func fillRecord(rec *audit.Record, d authz.Decision) {
	rec.Outcome, rec.Reason, rec.Detail, rec.Route, rec.Fingerprint = d.Effect.String(), string(d.Reason), d.Detail, d.Route, d.Fingerprint
	if p := d.Principal; p != nil {
		rec.Principal, rec.Issuer, rec.Tenant, rec.CredentialID = p.Subject, p.Issuer, p.Tenant, p.CredentialID
	}
}

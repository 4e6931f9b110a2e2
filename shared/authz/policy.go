package authz

import (
	"fmt"
	"time"
)

// Requirement is one condition a route places on a principal. The set is
// open: scopes, roles and step-up are built in; later capabilities (consent
// purposes, assurance level, residency, risk) add their own.
type Requirement interface {
	// Check judges principal p for request r at time now and returns nil
	// when the requirement is met, or the shortfall.
	Check(p *Principal, r *Request, now time.Time) *Shortfall
	// PerRequest reports whether the judgement depends on signals of the
	// individual request (source IP, risk, transaction headers) rather than
	// only on the credential. Such judgements must not be carried to other
	// requests by API Gateway's authorizer cache.
	PerRequest() bool
}

// Shortfall says why a requirement is not met.
type Shortfall struct {
	Effect    Effect // Deny or StepUp
	Reason    Reason
	Detail    string
	Challenge string // WWW-Authenticate value, if any
}

// Unlisted says what happens to a request that matches no route.
type Unlisted int

const (
	// UnlistedDeny denies requests that match no route (the default).
	UnlistedDeny Unlisted = iota
	// UnlistedAuthenticated allows any authenticated principal.
	UnlistedAuthenticated
)

// Route is a route key with its requirements.
type Route struct {
	Key          RouteKey
	Requirements []Requirement
}

// PerRequest reports whether any of the route's requirements is per-request.
func (rt *Route) PerRequest() bool {
	for _, q := range rt.Requirements {
		if q.PerRequest() {
			return true
		}
	}
	return false
}

// Check evaluates the route's requirements in order and returns the first
// shortfall, or nil.
func (rt *Route) Check(p *Principal, r *Request, now time.Time) *Shortfall {
	for _, q := range rt.Requirements {
		if s := q.Check(p, r, now); s != nil {
			return s
		}
	}
	return nil
}

// Policy is the set of routes one authorizer protects.
type Policy struct {
	Routes   []*Route
	Unlisted Unlisted
	byKey    map[string]*Route
}

// NewPolicy builds a policy. Route keys must be unique.
func NewPolicy(routes []*Route, unlisted Unlisted) (*Policy, error) {
	p := &Policy{Routes: routes, Unlisted: unlisted, byKey: make(map[string]*Route, len(routes))}
	for _, rt := range routes {
		k := rt.Key.Canonical()
		if prev, dup := p.byKey[k]; dup {
			return nil, fmt.Errorf("authz: routes %q and %q are the same route", prev.Key, rt.Key)
		}
		p.byKey[k] = rt
	}
	return p, nil
}

// Match returns the route that governs r, or nil. When the event names the
// route API Gateway selected (HTTP API, WebSocket, REST REQUEST resource),
// that route key is used as is; otherwise the most specific route whose
// method and path match wins, as API Gateway would choose.
func (p *Policy) Match(r *Request) *Route {
	if r.RouteKey != "" {
		k, err := ParseRouteKey(r.RouteKey)
		if err != nil {
			return nil
		}
		if rt := p.byKey[k.Canonical()]; rt != nil {
			return rt
		}
		if k.method != "" && k.method != "ANY" {
			// A REST resource configured with ANY reports the caller's method.
			k.method = "ANY"
			return p.byKey[k.Canonical()]
		}
		return nil
	}
	var best *Route
	for _, rt := range p.Routes {
		if !rt.matches(r) {
			continue
		}
		if best == nil || rt.Key.moreSpecific(best.Key) {
			best = rt
		}
	}
	return best
}

func (rt *Route) matches(r *Request) bool {
	k := rt.Key
	switch k.special {
	case "":
	case RouteDefault:
		return r.Kind != KindWebSocket
	default:
		return false // WebSocket routes are matched by route key only
	}
	if k.method != "ANY" && k.method != r.Method {
		return false
	}
	return k.matchPath(r.Path)
}

// Evaluate decides whether principal p may make request r at time now.
// It never returns Unauthenticated: authentication happens before.
func (p *Policy) Evaluate(pr *Principal, r *Request, now time.Time) Decision {
	return p.Decide(p.Match(r), pr, r, now)
}

// Decide is Evaluate for a route already matched (nil: none matched).
func (p *Policy) Decide(rt *Route, pr *Principal, r *Request, now time.Time) Decision {
	if rt == nil {
		if p.Unlisted == UnlistedAuthenticated {
			return Decision{Effect: Allow, Reason: ReasonAllowed, Principal: pr, Detail: "unlisted route, authenticated principals allowed"}
		}
		return Decision{Effect: Deny, Reason: ReasonNoRoute, Principal: pr, Detail: fmt.Sprintf("no route matches %s", describe(r))}
	}
	if s := rt.Check(pr, r, now); s != nil {
		return Decision{Effect: s.Effect, Reason: s.Reason, Detail: s.Detail, Challenge: s.Challenge, Principal: pr, Route: rt.Key.String()}
	}
	return Decision{Effect: Allow, Reason: ReasonAllowed, Principal: pr, Route: rt.Key.String()}
}

// Permitted lists the routes principal p may call, judged from what is
// stable for API Gateway's cache key (the credential): per-request routes
// are judged only when current is the route being requested. The result is
// what the cache-safe policy compiler turns into one IAM policy.
func (p *Policy) Permitted(pr *Principal, r *Request, current *Route, now time.Time) (allowed, denied []*Route) {
	for _, rt := range p.Routes {
		if rt.PerRequest() && rt != current {
			denied = append(denied, rt)
			continue
		}
		if rt.Check(pr, r, now) == nil {
			allowed = append(allowed, rt)
		} else {
			denied = append(denied, rt)
		}
	}
	return allowed, denied
}

func describe(r *Request) string {
	if r.RouteKey != "" {
		return fmt.Sprintf("route %q", r.RouteKey)
	}
	return r.Method + " " + r.Path
}

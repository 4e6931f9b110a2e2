package authz

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Scopes requires OAuth scopes: at least one of AnyOf (when set) and every
// one of AllOf (when set). Build it with [NewScopes], which prepares the
// shortfall once, so that judging every route for the cache-safe policy
// costs no formatting.
type Scopes struct {
	AnyOf []string
	AllOf []string
	short *Shortfall
}

var _ Requirement = Scopes{}

// NewScopes returns the requirement with its shortfall prepared.
func NewScopes(anyOf, allOf []string) Scopes {
	q := Scopes{AnyOf: anyOf, AllOf: allOf}
	q.short = q.shortfall()
	return q
}

// Check implements [Requirement].
func (q Scopes) Check(p *Principal, _ *Request, _ time.Time) *Shortfall {
	if satisfies(p.Scopes, q.AnyOf, q.AllOf) {
		return nil
	}
	if q.short != nil {
		return q.short
	}
	return q.shortfall()
}

func (q Scopes) shortfall() *Shortfall {
	need := strings.Join(append(slices.Clone(q.AllOf), q.AnyOf...), " ")
	return &Shortfall{
		Effect:    Deny,
		Reason:    ReasonInsufficientScope,
		Detail:    "scope: " + explain(q.AnyOf, q.AllOf),
		Challenge: fmt.Sprintf(`Bearer error="insufficient_scope", scope=%q`, need),
	}
}

// PerRequest implements [Requirement]: scopes come from the credential.
func (Scopes) PerRequest() bool { return false }

// Roles requires roles or groups: at least one of AnyOf (when set) and
// every one of AllOf (when set). Build it with [NewRoles].
type Roles struct {
	AnyOf []string
	AllOf []string
	short *Shortfall
}

var _ Requirement = Roles{}

// NewRoles returns the requirement with its shortfall prepared.
func NewRoles(anyOf, allOf []string) Roles {
	q := Roles{AnyOf: anyOf, AllOf: allOf}
	q.short = q.shortfall()
	return q
}

// Check implements [Requirement].
func (q Roles) Check(p *Principal, _ *Request, _ time.Time) *Shortfall {
	if satisfies(p.Roles, q.AnyOf, q.AllOf) {
		return nil
	}
	if q.short != nil {
		return q.short
	}
	return q.shortfall()
}

func (q Roles) shortfall() *Shortfall {
	return &Shortfall{Effect: Deny, Reason: ReasonMissingRole, Detail: "role: " + explain(q.AnyOf, q.AllOf)}
}

// PerRequest implements [Requirement]: roles come from the credential.
func (Roles) PerRequest() bool { return false }

func satisfies(held, anyOf, allOf []string) bool {
	for _, s := range allOf {
		if !slices.Contains(held, s) {
			return false
		}
	}
	if len(anyOf) == 0 {
		return true
	}
	for _, s := range anyOf {
		if slices.Contains(held, s) {
			return true
		}
	}
	return false
}

// explain says what a set requirement asks for.
func explain(anyOf, allOf []string) string {
	var parts []string
	if len(allOf) > 0 {
		parts = append(parts, "all of "+strings.Join(allOf, ", "))
	}
	if len(anyOf) > 0 {
		parts = append(parts, "one of "+strings.Join(anyOf, ", "))
	}
	return "requires " + strings.Join(parts, " and ")
}

// StepUpRule requires a strong and recent enough authentication (RFC 9470).
// An unmet step-up yields the StepUp effect with an
// insufficient_user_authentication challenge naming what would satisfy it.
type StepUpRule struct {
	ACR    []string      // accepted acr values (any of); empty: any
	AMR    []string      // amr methods that must all be present
	MaxAge time.Duration // maximum age of auth_time; 0: no limit
	// Horizon is how long a decision may be reused after it is made (the
	// authorizer's result-cache TTL). MaxAge is checked at now+Horizon, so
	// a cached allow never outlives MaxAge.
	Horizon time.Duration
}

var _ Requirement = StepUpRule{}

// Check implements [Requirement].
func (q StepUpRule) Check(p *Principal, _ *Request, now time.Time) *Shortfall {
	switch {
	case len(q.ACR) > 0 && !slices.Contains(q.ACR, p.ACR):
		return q.shortfall(ReasonStepUpACR, fmt.Sprintf("acr %q is not one of %s", p.ACR, strings.Join(q.ACR, ", ")))
	case !containsAll(p.AMR, q.AMR):
		return q.shortfall(ReasonStepUpAMR, fmt.Sprintf("amr %v lacks one of %s", p.AMR, strings.Join(q.AMR, ", ")))
	case q.MaxAge > 0 && p.AuthTime.IsZero():
		return q.shortfall(ReasonStepUpMaxAge, "auth_time missing")
	case q.MaxAge > 0 && now.Add(q.Horizon).Sub(p.AuthTime) > q.MaxAge:
		return q.shortfall(ReasonStepUpMaxAge, fmt.Sprintf("authenticated %s ago, at most %s allowed (%s of it reserved for the result cache)",
			now.Sub(p.AuthTime).Round(time.Second), q.MaxAge, q.Horizon))
	}
	return nil
}

// PerRequest implements [Requirement]: acr, amr and auth_time come from the
// credential, and MaxAge is checked against the cache horizon.
func (StepUpRule) PerRequest() bool { return false }

// Challenge returns the RFC 9470 WWW-Authenticate value for this step-up.
func (q StepUpRule) Challenge() string {
	var b strings.Builder
	b.WriteString(`Bearer error="insufficient_user_authentication", error_description="A different authentication level is required"`)
	if len(q.ACR) > 0 {
		fmt.Fprintf(&b, ", acr_values=%q", strings.Join(q.ACR, " "))
	}
	if q.MaxAge > 0 {
		fmt.Fprintf(&b, ", max_age=%q", strconv.FormatInt(int64((q.MaxAge-q.Horizon)/time.Second), 10))
	}
	return b.String()
}

func (q StepUpRule) shortfall(r Reason, detail string) *Shortfall {
	return &Shortfall{Effect: StepUp, Reason: r, Detail: detail, Challenge: q.Challenge()}
}

func containsAll(held, want []string) bool {
	for _, w := range want {
		if !slices.Contains(held, w) {
			return false
		}
	}
	return true
}

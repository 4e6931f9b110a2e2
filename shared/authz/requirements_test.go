package authz_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portcullis-authz/portcullis/shared/authz"
)

// shortfall is a Shortfall without its Detail, which is prose for people.
type shortfall struct {
	Effect    authz.Effect
	Reason    authz.Reason
	Challenge string
}

func check(t *testing.T, q authz.Requirement, p *authz.Principal, now time.Time) *shortfall {
	t.Helper()
	s := q.Check(p, &authz.Request{}, now)
	if s == nil {
		return nil
	}
	if s.Detail == "" {
		t.Errorf("%T.Check: shortfall %s without a Detail", q, s.Reason)
	}
	return &shortfall{s.Effect, s.Reason, s.Challenge}
}

func TestScopes(t *testing.T) {
	insufficient := func(scope string) *shortfall {
		return &shortfall{authz.Deny, authz.ReasonInsufficientScope, `Bearer error="insufficient_scope", scope="` + scope + `"`}
	}
	tests := []struct {
		name string
		q    authz.Scopes
		held []string
		want *shortfall
	}{
		{"no requirement", authz.Scopes{}, nil, nil},
		{"any of: one held", authz.Scopes{AnyOf: []string{"a", "b"}}, []string{"b"}, nil},
		{"any of: none held", authz.Scopes{AnyOf: []string{"a", "b"}}, []string{"c"}, insufficient("a b")},
		{"any of: nothing held", authz.Scopes{AnyOf: []string{"a"}}, nil, insufficient("a")},
		{"all of: all held", authz.Scopes{AllOf: []string{"a", "b"}}, []string{"b", "a", "c"}, nil},
		{"all of: one missing", authz.Scopes{AllOf: []string{"a", "b"}}, []string{"a"}, insufficient("a b")},
		{"both: met", authz.Scopes{AllOf: []string{"a"}, AnyOf: []string{"x", "y"}}, []string{"a", "y"}, nil},
		{"both: any-of unmet", authz.Scopes{AllOf: []string{"a"}, AnyOf: []string{"x", "y"}}, []string{"a"}, insufficient("a x y")},
		{"both: all-of unmet", authz.Scopes{AllOf: []string{"a"}, AnyOf: []string{"x", "y"}}, []string{"x"}, insufficient("a x y")},
		{"exact names only", authz.Scopes{AnyOf: []string{"orders:read"}}, []string{"orders:read:all", "orders"}, insufficient("orders:read")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := check(t, tt.q, &authz.Principal{Scopes: tt.held}, t0)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Scopes%+v.Check(held %q) (-got +want):\n%s", tt.q, tt.held, diff)
			}
		})
	}
}

func TestRoles(t *testing.T) {
	missing := &shortfall{authz.Deny, authz.ReasonMissingRole, ""}
	tests := []struct {
		name string
		q    authz.Roles
		held []string
		want *shortfall
	}{
		{"no requirement", authz.Roles{}, nil, nil},
		{"any of: held", authz.Roles{AnyOf: []string{"admin", "ops"}}, []string{"ops"}, nil},
		{"any of: not held", authz.Roles{AnyOf: []string{"admin", "ops"}}, []string{"dev"}, missing},
		{"all of: held", authz.Roles{AllOf: []string{"admin", "ops"}}, []string{"ops", "admin"}, nil},
		{"all of: one missing", authz.Roles{AllOf: []string{"admin", "ops"}}, []string{"admin"}, missing},
		{"case matters", authz.Roles{AnyOf: []string{"admin"}}, []string{"Admin"}, missing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := check(t, tt.q, &authz.Principal{Roles: tt.held}, t0)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Roles%+v.Check(held %q) (-got +want):\n%s", tt.q, tt.held, diff)
			}
		})
	}
}

func TestStepUpRule(t *testing.T) {
	const prefix = `Bearer error="insufficient_user_authentication", error_description="A different authentication level is required"`
	mfa := authz.StepUpRule{ACR: []string{"urn:mfa", "urn:hwk"}}
	amr := authz.StepUpRule{AMR: []string{"mfa", "hwk"}}
	// max_age 15m with a 5m result cache: an authentication may be at most
	// 10m old when the decision is made.
	fresh := authz.StepUpRule{MaxAge: 15 * time.Minute, Horizon: 5 * time.Minute}
	all := authz.StepUpRule{ACR: []string{"urn:mfa"}, AMR: []string{"mfa"}, MaxAge: 15 * time.Minute, Horizon: 5 * time.Minute}
	stepUp := func(r authz.Reason, challenge string) *shortfall { return &shortfall{authz.StepUp, r, challenge} }
	tests := []struct {
		name string
		q    authz.StepUpRule
		p    authz.Principal
		want *shortfall
	}{
		{"empty rule", authz.StepUpRule{}, authz.Principal{}, nil},
		{"acr accepted", mfa, authz.Principal{ACR: "urn:hwk"}, nil},
		{"acr not accepted", mfa, authz.Principal{ACR: "urn:pwd"}, stepUp(authz.ReasonStepUpACR, prefix+`, acr_values="urn:mfa urn:hwk"`)},
		{"acr missing", mfa, authz.Principal{}, stepUp(authz.ReasonStepUpACR, prefix+`, acr_values="urn:mfa urn:hwk"`)},
		{"amr all present", amr, authz.Principal{AMR: []string{"pwd", "hwk", "mfa"}}, nil},
		{"amr one missing", amr, authz.Principal{AMR: []string{"mfa"}}, stepUp(authz.ReasonStepUpAMR, prefix)},
		{"amr none", amr, authz.Principal{}, stepUp(authz.ReasonStepUpAMR, prefix)},
		{"auth_time missing", fresh, authz.Principal{}, stepUp(authz.ReasonStepUpMaxAge, prefix+`, max_age="600"`)},
		{"auth_time recent", fresh, authz.Principal{AuthTime: t0.Add(-time.Minute)}, nil},
		{"auth_time at the limit (max_age minus the cache horizon)", fresh, authz.Principal{AuthTime: t0.Add(-10 * time.Minute)}, nil},
		{"auth_time one second past the limit", fresh, authz.Principal{AuthTime: t0.Add(-10*time.Minute - time.Second)},
			stepUp(authz.ReasonStepUpMaxAge, prefix+`, max_age="600"`)},
		{"auth_time within max_age but not once the cache horizon is added", fresh, authz.Principal{AuthTime: t0.Add(-12 * time.Minute)},
			stepUp(authz.ReasonStepUpMaxAge, prefix+`, max_age="600"`)},
		{"no horizon: max_age itself", authz.StepUpRule{MaxAge: 15 * time.Minute}, authz.Principal{AuthTime: t0.Add(-12 * time.Minute)}, nil},
		{"acr checked first", all, authz.Principal{ACR: "urn:pwd"},
			stepUp(authz.ReasonStepUpACR, prefix+`, acr_values="urn:mfa", max_age="600"`)},
		{"then amr", all, authz.Principal{ACR: "urn:mfa"},
			stepUp(authz.ReasonStepUpAMR, prefix+`, acr_values="urn:mfa", max_age="600"`)},
		{"then age", all, authz.Principal{ACR: "urn:mfa", AMR: []string{"mfa"}, AuthTime: t0.Add(-time.Hour)},
			stepUp(authz.ReasonStepUpMaxAge, prefix+`, acr_values="urn:mfa", max_age="600"`)},
		{"all met", all, authz.Principal{ACR: "urn:mfa", AMR: []string{"mfa"}, AuthTime: t0.Add(-time.Minute)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := check(t, tt.q, &tt.p, t0)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("StepUpRule%+v.Check (-got +want):\n%s", tt.q, diff)
			}
		})
	}
}

// Scopes, roles and step-up depend on the credential only, so their
// judgements may be cached and compiled into a principal's policy.
func TestBuiltInRequirementsAreNotPerRequest(t *testing.T) {
	for _, q := range []authz.Requirement{authz.Scopes{}, authz.Roles{}, authz.StepUpRule{MaxAge: time.Minute}} {
		if q.PerRequest() {
			t.Errorf("%T.PerRequest() = true, want false", q)
		}
	}
}

// TestPreparedShortfalls: the constructors' prepared shortfalls say
// exactly what a requirement built as a literal says.
func TestPreparedShortfalls(t *testing.T) {
	p := &authz.Principal{Scopes: []string{"a"}, Roles: []string{"x"}}
	now := time.Unix(1_700_000_000, 0)
	for _, tt := range []struct {
		name            string
		prepared, plain authz.Requirement
	}{
		{"scopes", authz.NewScopes([]string{"b", "c"}, []string{"a", "d"}), authz.Scopes{AnyOf: []string{"b", "c"}, AllOf: []string{"a", "d"}}},
		{"roles", authz.NewRoles([]string{"y"}, nil), authz.Roles{AnyOf: []string{"y"}}},
	} {
		got, want := tt.prepared.Check(p, nil, now), tt.plain.Check(p, nil, now)
		if got == nil || want == nil || *got != *want {
			t.Errorf("%s: prepared shortfall %+v, built %+v", tt.name, got, want)
		}
		if got := tt.prepared.Check(&authz.Principal{Scopes: []string{"a", "b", "d"}, Roles: []string{"y"}}, nil, now); got != nil {
			t.Errorf("%s: satisfied principal got %+v", tt.name, got)
		}
	}
}

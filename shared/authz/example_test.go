package authz_test

import (
	"fmt"
	"time"

	"github.com/portcullis-authz/portcullis/shared/authz"
)

func ExamplePolicy_Evaluate() {
	key := func(s string) authz.RouteKey {
		k, err := authz.ParseRouteKey(s)
		if err != nil {
			panic(err)
		}
		return k
	}
	policy, err := authz.NewPolicy([]*authz.Route{
		{Key: key("GET /orders/{id}"), Requirements: []authz.Requirement{
			authz.Scopes{AnyOf: []string{"orders:read"}},
		}},
		{Key: key("DELETE /orders/{id}"), Requirements: []authz.Requirement{
			authz.Scopes{AllOf: []string{"orders:write"}},
			authz.StepUpRule{ACR: []string{"urn:example:mfa"}},
		}},
	}, authz.UnlistedDeny)
	if err != nil {
		panic(err)
	}
	alice := &authz.Principal{Subject: "alice", Scopes: []string{"orders:read", "orders:write"}, ACR: "urn:example:pwd"}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, r := range []*authz.Request{
		{Kind: authz.KindRESTToken, Method: "GET", Path: "/orders/42"},
		{Kind: authz.KindRESTToken, Method: "DELETE", Path: "/orders/42"},
		{Kind: authz.KindRESTToken, Method: "GET", Path: "/invoices/7"},
	} {
		d := policy.Evaluate(alice, r, now)
		fmt.Printf("%s %s: %s (%s)\n", r.Method, r.Path, d.Effect, d.Reason)
		if d.Challenge != "" {
			fmt.Println("  WWW-Authenticate:", d.Challenge)
		}
	}
	// Output:
	// GET /orders/42: allow (allowed)
	// DELETE /orders/42: step-up (step_up_acr)
	//   WWW-Authenticate: Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="urn:example:mfa"
	// GET /invoices/7: deny (no_route)
}

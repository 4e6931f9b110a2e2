package apigw_test

import (
	"fmt"
	"time"

	"github.com/portcullis-authz/portcullis/shared/apigw"
	"github.com/portcullis-authz/portcullis/shared/authz"
)

func ExampleParseARN() {
	a, err := apigw.ParseARN("arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod/GET/orders/42")
	if err != nil {
		panic(err)
	}
	fmt.Println(a.Stage, a.Method, a.Path)
	fmt.Println(a.Prefix())
	// Output:
	// prod GET /orders/42
	// arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod/
}

// A REST TOKEN event decoded, judged and answered with a policy that
// covers every route the caller may use, so API Gateway can cache it.
func ExampleEncoder_Encode() {
	key := func(s string) authz.RouteKey { k, _ := authz.ParseRouteKey(s); return k }
	policy, _ := authz.NewPolicy([]*authz.Route{
		{Key: key("GET /orders/{id}"), Requirements: []authz.Requirement{authz.Scopes{AnyOf: []string{"orders:read"}}}},
		{Key: key("POST /orders"), Requirements: []authz.Requirement{authz.Scopes{AnyOf: []string{"orders:write"}}}},
	}, authz.UnlistedDeny)
	r, err := apigw.Decode([]byte(`{"type":"TOKEN","authorizationToken":"Bearer x",
		"methodArn":"arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod/GET/orders/42"}`))
	if err != nil {
		panic(err)
	}
	p := &authz.Principal{Subject: "alice", Scopes: []string{"orders:read"}}
	now := time.Now()
	rt := policy.Match(r)
	d := policy.Decide(rt, p, r, now)
	allowed, _ := policy.Permitted(p, r, rt, now)
	resp, err := apigw.NewEncoder(policy, apigw.EncoderOptions{}).Encode(r, d, allowed)
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Scope)
	fmt.Println(string(resp.Payload))
	// Output:
	// principal
	// {"principalId":"alice","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":["arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod/GET/orders/*"]}]},"context":{"sub":"alice","scope":"orders:read"}}
}

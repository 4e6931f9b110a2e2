package config_test

import (
	"errors"
	"fmt"

	"github.com/portcullis-authz/portcullis/shared/config"
)

func ExampleParse() {
	policy := `version: 1
scopes:
  orders:read: Read orders
issuers:
  - name: corp
    issuer: https://login.example.com/
    audiences: [orders-api]
    jwks: {discovery: true}
authorizers:
  jwt: {}
routes:
  GET /orders/{id}:
    scopes: [orders:read]
`
	f, err := config.Parse([]byte(policy), "policy.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	r := f.Routes[0]
	fmt.Printf("%s: authorizer %s, scopes any of %v, cache %s\n", r.Key, r.Authorizer, r.Scopes.AnyOf, f.CacheTTL(r.Authorizer))

	// Every problem is reported at once, with its line and path.
	_, err = config.Parse([]byte("version: 1\nauthorizers:\n  jwt: {cache_ttl: 2h}\nroutes:\n  GET /x: {scope: [a]}\n"), "bad.yaml")
	fmt.Println(errors.Is(err, config.ErrInvalid))
	fmt.Println(err)
	// Output:
	// GET /orders/{id}: authorizer jwt, scopes any of [orders:read], cache 5m0s
	// true
	// invalid policy file: 3 problem(s):
	// bad.yaml:5:12: routes["GET /x"].scope: unknown key "scope" (known keys: authorizer, description, roles, scopes, step_up)
	// bad.yaml:3:20: authorizers.jwt.cache_ttl: at most 1h (API Gateway's limit), got 2h0m0s
	// bad.yaml: issuers: the jwt authorizer needs at least one issuer
}

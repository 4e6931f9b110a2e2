package iam_test

import (
	"fmt"

	"github.com/portcullis-authz/portcullis/scripts/gateway/iam"
)

// A cached policy is evaluated again for every request's method ARN: the
// wildcard covers other orders, an explicit Deny beats the Allow.
func ExampleDocument_Evaluate() {
	const stage = "arn:aws:execute-api:us-east-1:123456789012:portcullis/local/"
	doc, err := iam.Parse([]byte(`{"Version":"2012-10-17","Statement":[
		{"Action":"execute-api:Invoke","Effect":"Allow","Resource":["` + stage + `GET/orders/*"]},
		{"Action":"execute-api:Invoke","Effect":"Deny","Resource":["` + stage + `GET/orders/secret"]}]}`))
	if err != nil {
		panic(err)
	}
	for _, path := range []string{"GET/orders/42", "GET/orders/secret", "POST/orders"} {
		fmt.Println(path, doc.Evaluate(iam.Action, stage+path))
	}
	// Output:
	// GET/orders/42 allowed
	// GET/orders/secret explicit deny
	// POST/orders implicit deny
}

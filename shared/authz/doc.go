// Package authz is the vocabulary of Portcullis: the normalized [Request]
// every gateway event is decoded into, the authenticated [Principal], the
// [Decision] an authorizer reaches with its typed [Reason], and the route
// [Policy] that turns a principal and a request into a decision.
//
// The package knows nothing about API Gateway's wire formats (see package
// apigw) nor about how credentials are verified (see packages jwtauth and
// apikey). It uses the standard library only.
//
// A decision is not an error: "not authenticated" and "not permitted" are
// values of [Effect]. An error returned next to a decision means a technical
// failure, and every authorizer answers it by failing closed.
package authz

// Package localgw emulates Amazon API Gateway in front of the Portcullis
// authorizers, on localhost, faithfully enough that the gateway's own
// quirks — where users' worst authorizer bugs live — show up before a
// deploy:
//
//   - Routes are what the infra deploys (package infra/plan): the REST
//     API's resource tree, or the HTTP API's routes. A REST request that
//     matches no resource and method gets the MISSING_AUTHENTICATION_TOKEN
//     gateway response (API Gateway's 403 "Missing Authentication Token",
//     which the Portcullis stack turns into a 404); an HTTP API answers 404.
//   - Identity sources: a request missing one of its authorizer's identity
//     sources gets 401 without the authorizer being invoked.
//   - The authorizer is invoked with the event API Gateway would build (REST
//     TOKEN, REST REQUEST, HTTP API payload 2.0), the source address taken
//     from the TCP peer, never from X-Forwarded-For. Its answer is a black
//     box interpreted as API Gateway does: the error "Unauthorized" is 401,
//     any other error or a malformed response (no principalId, a bad policy
//     document, a non-scalar REST context value) is 500.
//   - The result cache is keyed by the identity-source values for the
//     authorizer's TTL, and the cached IAM policy is evaluated again against
//     every request's method ARN ("*" and "?" wildcards, explicit Deny wins),
//     so a policy that allows only the first request's ARN breaks the next
//     route exactly as it does in AWS.
//   - Gateway responses carry the headers and bodies the infra configures
//     ([PortcullisResponses]: WWW-Authenticate on 401, the authorizer's
//     reason and challenge on 403, CORS headers on errors); with an empty
//     Responses map, API Gateway's own defaults.
//   - A REST method that requires an API key takes it from the authorizer's
//     usageIdentifierKey, maps it to its usage plan and throttles it with the
//     plan's token bucket (429 "Too Many Requests") and quota (429 "Limit
//     Exceeded").
//   - The integration receives the authorizer context: stringified on a REST
//     API, as returned on an HTTP API.
//
// What is not emulated: resource policies, request validation, mapping
// templates, WAF, stage and account throttling, mutual TLS, WebSocket APIs.
package localgw

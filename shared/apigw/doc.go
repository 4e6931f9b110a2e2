// Package apigw is Portcullis's one adapter to Amazon API Gateway. It
// decodes every Lambda authorizer event shape — REST TOKEN and REQUEST,
// HTTP API payload 1.0 and 2.0, WebSocket $connect — into an
// [authz.Request]; extracts bearer tokens; parses method and route ARNs;
// and encodes an [authz.Decision] into the response the outcome table
// prescribes:
//
//   - unauthenticated: the error "Unauthorized" (API Gateway answers 401);
//   - denied or step-up: a Deny (or isAuthorized:false) with the reason and
//     challenge in the context (403);
//   - allowed: an IAM policy compiled for the principal (or
//     isAuthorized:true) with the principal in the context;
//   - technical failure: any other error (500), so the gateway fails closed.
//
// Policies are cache-safe: API Gateway caches an authorizer's answer per
// identity source and re-checks the cached policy against later requests'
// method ARNs, so a policy lists every method ARN the principal may call
// and denies, explicitly, the routes its allowances would otherwise cover.
// The adapter never makes a decision itself.
package apigw

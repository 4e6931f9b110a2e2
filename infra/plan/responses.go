package plan

import (
	"strings"

	"github.com/portcullis-authz/portcullis/shared/config"
)

// GatewayResponse is one gateway response the REST API is given
// (AWS::ApiGateway::GatewayResponse). The stack renders these, and the
// local gateway answers with the same ones, so both stay in step.
type GatewayResponse struct {
	// ID is the construct id.
	ID string
	// Type is the API Gateway response type, e.g. "ACCESS_DENIED".
	Type string
	// Status overrides the type's default status code (0: keep it).
	Status int
	// Headers maps header names to response-parameter values: a quoted
	// literal ('Bearer') or a source such as context.authorizer.challenge.
	Headers map[string]string
	// Template is the application/json body template.
	Template string
}

// GatewayResponses returns the gateway responses of the REST API of a
// stack named stackName that answers CORS origin origin. API Gateway
// fixes one status per response type, so a step-up denial is a 403 (RFC
// 9470 asks for 401), told apart by its WWW-Authenticate challenge and the
// reason in the body:
//
//   - every type: Access-Control-Allow-Origin and
//     Access-Control-Expose-Headers: WWW-Authenticate, and a JSON body with
//     the message and the request id;
//   - UNAUTHORIZED (401): WWW-Authenticate: Bearer realm="<stack>" when the
//     JWT authorizer is deployed (RFC 6750 §3; API Gateway cannot tell a
//     missing token from a bad one here, so no error code is given);
//   - ACCESS_DENIED (403): WWW-Authenticate from the authorizer context's
//     challenge, and its reason in the body;
//   - AUTHORIZER_FAILURE and AUTHORIZER_CONFIGURATION_ERROR (500): reason
//     authorizer_failure (the authorizer failed closed);
//   - MISSING_AUTHENTICATION_TOKEN: 404 "no route for this method and path"
//     instead of API Gateway's misleading 403.
func (p *Plan) GatewayResponses(stackName, origin string) []GatewayResponse {
	cors := func(h map[string]string) map[string]string {
		h["Access-Control-Allow-Origin"] = "'" + origin + "'"
		h["Access-Control-Expose-Headers"] = "'WWW-Authenticate'"
		return h
	}
	body := func(fields ...string) string {
		f := append([]string{`"message":$context.error.messageString`}, fields...)
		f = append(f, `"request_id":"$context.requestId"`)
		return "{" + strings.Join(f, ",") + "}"
	}
	unauth := map[string]string{}
	if p.Authorizer(config.AuthorizerJWT) != nil {
		unauth["WWW-Authenticate"] = `'Bearer realm="` + stackName + `"'`
	}
	return []GatewayResponse{
		{ID: "Unauthorized", Type: "UNAUTHORIZED", Status: 401, Headers: cors(unauth), Template: body()},
		{ID: "AccessDenied", Type: "ACCESS_DENIED", Status: 403,
			Headers:  cors(map[string]string{"WWW-Authenticate": "context.authorizer.challenge"}),
			Template: body(`"reason":"$context.authorizer.reason"`)},
		{ID: "AuthorizerFailure", Type: "AUTHORIZER_FAILURE", Status: 500, Headers: cors(map[string]string{}),
			Template: body(`"reason":"authorizer_failure"`)},
		{ID: "AuthorizerConfigurationError", Type: "AUTHORIZER_CONFIGURATION_ERROR", Status: 500, Headers: cors(map[string]string{}),
			Template: body(`"reason":"authorizer_failure"`)},
		{ID: "MissingRoute", Type: "MISSING_AUTHENTICATION_TOKEN", Status: 404, Headers: cors(map[string]string{}),
			Template: `{"message":"no route for this method and path","request_id":"$context.requestId"}`},
		{ID: "Default4XX", Type: "DEFAULT_4XX", Headers: cors(map[string]string{}), Template: body()},
		{ID: "Default5XX", Type: "DEFAULT_5XX", Headers: cors(map[string]string{}), Template: body()},
	}
}

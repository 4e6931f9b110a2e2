package localgw

import (
	"strconv"
	"strings"

	"github.com/portcullis-authz/portcullis/infra/plan"
)

// ResponseType is an API Gateway gateway-response type: what the gateway
// answers itself, without reaching the integration.
type ResponseType string

// The gateway-response types the local gateway produces, with their
// default status codes.
const (
	MissingAuthenticationToken   ResponseType = "MISSING_AUTHENTICATION_TOKEN"   // 403: no resource or method matches (REST)
	Unauthorized                 ResponseType = "UNAUTHORIZED"                   // 401: identity source missing, or the authorizer said "Unauthorized"
	AccessDenied                 ResponseType = "ACCESS_DENIED"                  // 403: the policy does not allow the method ARN
	AuthorizerConfigurationError ResponseType = "AUTHORIZER_CONFIGURATION_ERROR" // 500: the authorizer failed or answered something unusable
	AuthorizerFailure            ResponseType = "AUTHORIZER_FAILURE"             // 500: the authorizer could not be invoked (timeout, crash)
	InvalidAPIKey                ResponseType = "INVALID_API_KEY"                // 403: the method requires an API key and none valid was given
	Throttled                    ResponseType = "THROTTLED"                      // 429: the usage plan's rate or burst is exceeded
	QuotaExceeded                ResponseType = "QUOTA_EXCEEDED"                 // 429: the usage plan's quota is used up
	ResourceNotFound             ResponseType = "RESOURCE_NOT_FOUND"             // 404 (HTTP API: no route)
	Default4XX                   ResponseType = "DEFAULT_4XX"                    // fallback for 4XX types without their own customization
	Default5XX                   ResponseType = "DEFAULT_5XX"                    // fallback for 5XX types without their own customization
)

// builtin is a response type's default status and $context.error.message.
type builtin struct {
	status  int
	message string // "" means null
}

var builtins = map[ResponseType]builtin{
	MissingAuthenticationToken:   {403, "Missing Authentication Token"},
	Unauthorized:                 {401, "Unauthorized"},
	AccessDenied:                 {403, "User is not authorized to access this resource"},
	AuthorizerConfigurationError: {500, ""},
	AuthorizerFailure:            {500, ""},
	InvalidAPIKey:                {403, "Forbidden"},
	Throttled:                    {429, "Too Many Requests"},
	QuotaExceeded:                {429, "Limit Exceeded"},
	ResourceNotFound:             {404, "Not Found"},
}

// GatewayResponse customizes one response type, as AWS::ApiGateway::GatewayResponse does.
type GatewayResponse struct {
	// StatusCode overrides the type's default status (0: keep it).
	StatusCode int
	// Headers maps header names to API Gateway response-parameter values:
	// a quoted literal ('Bearer'), context.authorizer.<key>, or
	// method.request.header.<name>. A value whose source is absent leaves
	// the header out.
	Headers map[string]string
	// Template is the application/json body template; it may use
	// $context.error.messageString, $context.error.message,
	// $context.error.responseType, $context.requestId and
	// $context.authorizer.<key>. Empty: {"message":$context.error.messageString}.
	Template string
}

// DefaultTemplate is API Gateway's body for a response type not customized.
const DefaultTemplate = `{"message":$context.error.messageString}`

// PortcullisResponses returns the gateway responses the Portcullis stack
// configures on its REST API (plan.GatewayResponses), for a stack named
// stackName answering CORS origin origin.
func PortcullisResponses(p *plan.Plan, stackName, origin string) map[ResponseType]GatewayResponse {
	out := map[ResponseType]GatewayResponse{}
	for _, r := range p.GatewayResponses(stackName, origin) {
		out[ResponseType(r.Type)] = GatewayResponse{StatusCode: r.Status, Headers: r.Headers, Template: r.Template}
	}
	return out
}

// restResponse writes the gateway response of type t on a REST API.
func (g *Gateway) restResponse(x *exchange, t ResponseType, message string) {
	b := builtins[t]
	if message == "" {
		message = b.message
	}
	spec, ok := g.responses[t]
	if !ok {
		fallback := Default4XX
		if b.status >= 500 {
			fallback = Default5XX
		}
		spec = g.responses[fallback]
	}
	status := b.status
	if spec.StatusCode != 0 {
		status = spec.StatusCode
	}
	h := x.w.Header()
	for name, expr := range spec.Headers {
		if v, ok := x.responseParameter(expr); ok {
			h.Set(name, v)
		}
	}
	tmpl := spec.Template
	if tmpl == "" {
		tmpl = DefaultTemplate
	}
	h.Set("Content-Type", "application/json")
	if et := errorType(t); et != "" {
		h.Set("x-amzn-ErrorType", et)
	}
	x.w.WriteHeader(status)
	_, _ = x.w.Write([]byte(x.render(tmpl, t, message)))
	x.responseType = t
}

// httpResponse writes the fixed answer of an HTTP API, which has no
// gateway-response customization.
func (g *Gateway) httpResponse(x *exchange, status int) {
	msg := map[int]string{401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error"}[status]
	x.w.Header().Set("Content-Type", "application/json")
	x.w.WriteHeader(status)
	_, _ = x.w.Write([]byte(`{"message":` + strconv.Quote(msg) + `}`))
}

// errorType is the x-amzn-ErrorType header API Gateway sets.
func errorType(t ResponseType) string {
	switch t {
	case MissingAuthenticationToken:
		return "IncompleteSignatureException"
	case Unauthorized:
		return "UnauthorizedException"
	case AccessDenied:
		return "AccessDeniedException"
	case AuthorizerConfigurationError:
		return "AuthorizerConfigurationException"
	case InvalidAPIKey:
		return "ForbiddenException"
	case Throttled:
		return "TooManyRequestsException"
	}
	return "" // not known well enough to emulate
}

// responseParameter resolves a response-parameter value.
func (x *exchange) responseParameter(expr string) (string, bool) {
	switch {
	case len(expr) >= 2 && expr[0] == '\'' && expr[len(expr)-1] == '\'':
		return expr[1 : len(expr)-1], true
	case strings.HasPrefix(expr, "context.authorizer."):
		if x.res == nil {
			return "", false
		}
		v, ok := x.authorizerValue(strings.TrimPrefix(expr, "context.authorizer."))
		return v, ok && v != ""
	case strings.HasPrefix(expr, "method.request.header."):
		v := x.r.Header.Get(strings.TrimPrefix(expr, "method.request.header."))
		return v, v != ""
	}
	return "", false
}

func (x *exchange) authorizerValue(key string) (string, bool) {
	if key == "principalId" {
		return x.res.principalID, x.res.principalID != ""
	}
	return x.res.contextValue(key)
}

// render expands a body template. Like API Gateway, it substitutes values
// as they are, without JSON escaping; $context.error.messageString is the
// message as a JSON string (or null).
func (x *exchange) render(tmpl string, t ResponseType, message string) string {
	messageString := "null"
	if message != "" {
		messageString = strconv.Quote(message)
	}
	var b strings.Builder
	for i := 0; i < len(tmpl); {
		if tmpl[i] != '$' || !strings.HasPrefix(tmpl[i:], "$context.") {
			b.WriteByte(tmpl[i])
			i++
			continue
		}
		j := i + 1
		for j < len(tmpl) && (isIdent(tmpl[j]) || tmpl[j] == '.') {
			j++
		}
		name := strings.TrimSuffix(tmpl[i+1:j], ".")
		j = i + 1 + len(name)
		switch {
		case name == "context.error.messageString":
			b.WriteString(messageString)
		case name == "context.error.message":
			b.WriteString(message)
		case name == "context.error.responseType":
			b.WriteString(string(t))
		case name == "context.requestId":
			b.WriteString(x.id)
		case strings.HasPrefix(name, "context.authorizer."):
			if x.res != nil {
				v, _ := x.authorizerValue(strings.TrimPrefix(name, "context.authorizer."))
				b.WriteString(v)
			}
		default:
			// An unknown variable renders empty, as in API Gateway.
		}
		i = j
	}
	return b.String()
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

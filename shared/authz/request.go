package authz

import "strings"

// EventKind names the API Gateway integration an event came from.
type EventKind string

// The event shapes Portcullis accepts.
const (
	KindRESTToken   EventKind = "rest-token"   // REST API TOKEN authorizer
	KindRESTRequest EventKind = "rest-request" // REST API REQUEST authorizer
	KindHTTPv1      EventKind = "http-1.0"     // HTTP API Lambda authorizer, payload 1.0
	KindHTTPv2      EventKind = "http-2.0"     // HTTP API Lambda authorizer, payload 2.0
	KindWebSocket   EventKind = "websocket"    // WebSocket API $connect (REQUEST shape)
)

// Request is one authorization request, normalized from any gateway event.
//
// Method and Path always describe the call being authorized (from the method
// or route ARN); RouteKey is the route API Gateway selected when the event
// says so ("GET /orders/{id}", "$default", "$connect"), and empty for REST
// TOKEN events, which carry only the ARN.
type Request struct {
	Kind      EventKind
	Method    string // GET, POST, ...; empty for WebSocket routes
	Path      string // the request path, "/orders/42"; empty for WebSocket routes
	RouteKey  string // the route API Gateway matched, when the event carries it
	Partition string // "aws", "aws-cn", "aws-us-gov"
	Region    string
	AccountID string
	APIID     string
	Stage     string
	RequestID string
	SourceIP  string // from the event's request context, never from a header

	// Token is the REST TOKEN authorizer's authorizationToken (the value of
	// its identity source); empty for the other kinds, whose credentials
	// travel in Headers or Query.
	Token string
	// Headers holds the request headers with lower-case names.
	Headers map[string]string
	// Query holds the query-string parameters.
	Query map[string]string
	// IdentitySource lists the identity-source values the event names, in
	// order (HTTP API and WebSocket events).
	IdentitySource []string
}

// Header returns the value of the named header, matched case-insensitively.
func (r *Request) Header(name string) string {
	if v, ok := r.Headers[name]; ok {
		return v
	}
	return r.Headers[strings.ToLower(name)]
}

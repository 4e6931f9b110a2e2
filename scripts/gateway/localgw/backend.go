package localgw

import (
	"context"
	"encoding/json"
	"net/http"
)

// Integration is what API Gateway passes on to the integration behind a
// route, beyond the HTTP request itself.
type Integration struct {
	API            API               `json:"api"`
	RequestID      string            `json:"requestId"`
	Stage          string            `json:"stage"`
	RouteKey       string            `json:"routeKey"`
	Resource       string            `json:"resource"`
	Method         string            `json:"method"`
	Path           string            `json:"path"`
	PathParameters map[string]string `json:"pathParameters"`
	Query          map[string]string `json:"query,omitempty"`
	SourceIP       string            `json:"sourceIp"`
	// Authorizer is what the integration learns from the authorizer: on a
	// REST API, principalId and every context value as a string (as
	// $context.authorizer.<key> and a proxy integration's
	// requestContext.authorizer see them); on an HTTP API, {"lambda":
	// {context as returned}}. nil on a public route.
	Authorizer map[string]any `json:"authorizer"`
}

type integrationKey struct{}

// IntegrationFrom returns the integration data of a request the gateway
// passed to its backend.
func IntegrationFrom(ctx context.Context) (*Integration, bool) {
	in, ok := ctx.Value(integrationKey{}).(*Integration)
	return in, ok
}

// integrate hands the request to the backend.
func (g *Gateway) integrate(x *exchange) {
	in := &Integration{
		API: g.api, RequestID: x.id, Stage: g.stage, RouteKey: x.route.key, Resource: x.route.resource,
		Method: x.r.Method, Path: x.r.URL.Path, PathParameters: x.params, SourceIP: x.sourceIP,
	}
	if q := x.r.URL.Query(); len(q) > 0 {
		in.Query = map[string]string{}
		for k, vs := range q {
			in.Query[k] = vs[len(vs)-1]
		}
	}
	if res := x.res; res != nil {
		if g.api == REST {
			m := map[string]any{"principalId": res.principalID}
			for _, e := range res.context {
				m[e.key] = e.str
			}
			in.Authorizer = m
		} else {
			lambda := map[string]any{}
			for _, e := range res.context {
				lambda[e.key] = json.RawMessage(e.json)
			}
			in.Authorizer = map[string]any{"lambda": lambda}
		}
	}
	g.backend.ServeHTTP(x.w, x.r.WithContext(context.WithValue(x.r.Context(), integrationKey{}, in)))
}

// Echo is the demo backend: it answers every request with the
// integration data it received as JSON — method, path, path parameters
// and the authorizer context — and never echoes request headers, so no
// credential comes back.
type Echo struct{}

// ServeHTTP implements http.Handler.
func (Echo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	in, ok := IntegrationFrom(r.Context())
	if !ok {
		http.Error(w, `{"message":"not called through the gateway"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(in)
}

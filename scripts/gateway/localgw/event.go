package localgw

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/portcullis-authz/portcullis/infra/plan"
)

// The authorizer events API Gateway sends, field for field as far as the
// local gateway knows them. Fields it cannot know (client certificates,
// CloudFront headers) are left out.

type restTokenEvent struct {
	Type               string `json:"type"`
	AuthorizationToken string `json:"authorizationToken"`
	MethodArn          string `json:"methodArn"`
}

type restIdentity struct {
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

type restRequestContext struct {
	Path         string       `json:"path"`
	AccountID    string       `json:"accountId"`
	ResourceID   string       `json:"resourceId"`
	Stage        string       `json:"stage"`
	RequestID    string       `json:"requestId"`
	Identity     restIdentity `json:"identity"`
	ResourcePath string       `json:"resourcePath"`
	HTTPMethod   string       `json:"httpMethod"`
	APIID        string       `json:"apiId"`
}

type restRequestEvent struct {
	Type                            string              `json:"type"`
	MethodArn                       string              `json:"methodArn"`
	Resource                        string              `json:"resource"`
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	StageVariables                  map[string]string   `json:"stageVariables"`
	RequestContext                  restRequestContext  `json:"requestContext"`
}

type httpV2HTTP struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

type httpV2RequestContext struct {
	AccountID    string     `json:"accountId"`
	APIID        string     `json:"apiId"`
	DomainName   string     `json:"domainName"`
	DomainPrefix string     `json:"domainPrefix"`
	HTTP         httpV2HTTP `json:"http"`
	RequestID    string     `json:"requestId"`
	RouteKey     string     `json:"routeKey"`
	Stage        string     `json:"stage"`
	Time         string     `json:"time"`
	TimeEpoch    int64      `json:"timeEpoch"`
}

type httpV2Event struct {
	Version               string               `json:"version"`
	Type                  string               `json:"type"`
	RouteArn              string               `json:"routeArn"`
	IdentitySource        []string             `json:"identitySource"`
	RouteKey              string               `json:"routeKey"`
	RawPath               string               `json:"rawPath"`
	RawQueryString        string               `json:"rawQueryString"`
	Cookies               []string             `json:"cookies,omitempty"`
	Headers               map[string]string    `json:"headers"`
	QueryStringParameters map[string]string    `json:"queryStringParameters,omitempty"`
	RequestContext        httpV2RequestContext `json:"requestContext"`
	PathParameters        map[string]string    `json:"pathParameters,omitempty"`
	StageVariables        map[string]string    `json:"stageVariables,omitempty"`
}

// event builds the authorizer event for exchange x.
func (g *Gateway) event(x *exchange, a *authorizer, values []string) ([]byte, error) {
	r := x.r
	if g.api == HTTP {
		headers := map[string]string{}
		var cookies []string
		for name, vs := range r.Header {
			ln := strings.ToLower(name)
			if ln == "cookie" {
				for _, v := range vs {
					for _, c := range strings.Split(v, ";") {
						if c = strings.TrimSpace(c); c != "" {
							cookies = append(cookies, c)
						}
					}
				}
				continue
			}
			headers[ln] = strings.Join(vs, ",")
		}
		headers["host"] = r.Host
		headers["x-forwarded-for"] = x.forwardedFor()
		var query map[string]string
		if q := r.URL.Query(); len(q) > 0 {
			query = map[string]string{}
			for k, vs := range q {
				query[k] = strings.Join(vs, ",")
			}
		}
		return json.Marshal(httpV2Event{
			Version:               "2.0",
			Type:                  "REQUEST",
			RouteArn:              x.arn,
			IdentitySource:        values,
			RouteKey:              x.route.key,
			RawPath:               r.URL.EscapedPath(),
			RawQueryString:        r.URL.RawQuery,
			Cookies:               cookies,
			Headers:               headers,
			QueryStringParameters: query,
			RequestContext: httpV2RequestContext{
				AccountID: g.account, APIID: g.apiID, DomainName: r.Host, DomainPrefix: g.apiID,
				HTTP:      httpV2HTTP{Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: x.sourceIP, UserAgent: r.UserAgent()},
				RequestID: x.id, RouteKey: x.route.key, Stage: g.stage,
				Time: x.start.UTC().Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: x.start.UnixMilli(),
			},
			PathParameters: nonEmpty(x.params),
		})
	}
	if a.kind == plan.Token {
		return json.Marshal(restTokenEvent{Type: "TOKEN", AuthorizationToken: values[0], MethodArn: x.arn})
	}
	headers, multi := map[string]string{}, map[string][]string{}
	names := make([]string, 0, len(r.Header))
	for name := range r.Header {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		vs := r.Header[name]
		headers[name] = vs[len(vs)-1]
		multi[name] = vs
	}
	headers["Host"], multi["Host"] = r.Host, []string{r.Host}
	xff := x.forwardedFor()
	headers["X-Forwarded-For"], multi["X-Forwarded-For"] = xff, []string{xff}
	query, multiQuery := map[string]string{}, map[string][]string{}
	for k, vs := range r.URL.Query() {
		query[k] = vs[len(vs)-1]
		multiQuery[k] = vs
	}
	return json.Marshal(restRequestEvent{
		Type:                            "REQUEST",
		MethodArn:                       x.arn,
		Resource:                        x.route.resource,
		Path:                            r.URL.Path,
		HTTPMethod:                      r.Method,
		Headers:                         headers,
		MultiValueHeaders:               multi,
		QueryStringParameters:           query,
		MultiValueQueryStringParameters: multiQuery,
		PathParameters:                  x.params,
		StageVariables:                  map[string]string{},
		RequestContext: restRequestContext{
			Path: "/" + g.stage + r.URL.Path, AccountID: g.account, ResourceID: resourceID(x.route.resource),
			Stage: g.stage, RequestID: x.id, Identity: restIdentity{SourceIP: x.sourceIP, UserAgent: r.UserAgent()},
			ResourcePath: x.route.resource, HTTPMethod: r.Method, APIID: g.apiID,
		},
	})
}

// forwardedFor is the X-Forwarded-For header API Gateway passes on: what
// the client sent, with the client's address appended.
func (x *exchange) forwardedFor() string {
	if prev := strings.Join(x.r.Header.Values("X-Forwarded-For"), ", "); prev != "" {
		return prev + ", " + x.sourceIP
	}
	return x.sourceIP
}

func nonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// resourceID is a stable six-character id for a resource path, like the
// ids API Gateway gives resources.
func resourceID(path string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	var h uint32 = 2166136261
	for i := 0; i < len(path); i++ {
		h = (h ^ uint32(path[i])) * 16777619
	}
	b := make([]byte, 6)
	for i := range b {
		b[i] = alphabet[h%36]
		h /= 36
	}
	return string(b)
}

// headerValues returns the values of a request header joined as API
// Gateway joins repeated headers, and whether it is present and non-empty.
func headerValues(h http.Header, name string) (string, bool) {
	vs := h.Values(name)
	v := strings.Join(vs, ",")
	return v, strings.TrimSpace(v) != ""
}

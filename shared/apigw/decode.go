package apigw

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/portcullis-authz/portcullis/shared/authz"
)

// ErrEvent is wrapped by every error Decode returns: the event is not an
// authorizer event API Gateway would send. It is a technical failure
// (a misconfigured integration), answered with 500.
var ErrEvent = errors.New("malformed authorizer event")

// MaxEventBytes bounds the events Decode accepts. API Gateway's own limits
// on request lines and headers keep real events far smaller.
const MaxEventBytes = 256 << 10

// event is the union of every authorizer event shape's fields that
// Portcullis reads.
type event struct {
	Version                         string              `json:"version"`
	Type                            string              `json:"type"`
	AuthorizationToken              string              `json:"authorizationToken"`
	MethodArn                       string              `json:"methodArn"`
	RouteArn                        string              `json:"routeArn"`
	RouteKey                        string              `json:"routeKey"`
	IdentitySource                  json.RawMessage     `json:"identitySource"`
	Resource                        string              `json:"resource"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	RequestContext                  struct {
		AccountID string `json:"accountId"`
		APIID     string `json:"apiId"`
		Stage     string `json:"stage"`
		RequestID string `json:"requestId"`
		RouteKey  string `json:"routeKey"`
		EventType string `json:"eventType"`
		Identity  struct {
			SourceIP string `json:"sourceIp"`
		} `json:"identity"`
		HTTP struct {
			SourceIP string `json:"sourceIp"`
		} `json:"http"`
	} `json:"requestContext"`
}

// Decode parses any Lambda authorizer event into a Request. It returns an
// error wrapping ErrEvent when the event is not one API Gateway sends.
func Decode(data []byte) (*authz.Request, error) {
	if len(data) > MaxEventBytes {
		return nil, fmt.Errorf("%w: %d bytes, over the %d-byte limit", ErrEvent, len(data), MaxEventBytes)
	}
	var ev event
	if !ev.decodeFlat(data) {
		ev = event{}
		if err := json.Unmarshal(data, &ev); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrEvent, err)
		}
	}
	r := &authz.Request{}
	var arn string
	switch {
	case ev.Version == "2.0":
		r.Kind, arn = authz.KindHTTPv2, ev.RouteArn
		r.RouteKey = ev.RouteKey
		r.SourceIP = ev.RequestContext.HTTP.SourceIP
	case ev.Version == "1.0":
		r.Kind, arn = authz.KindHTTPv1, ev.MethodArn
		r.RouteKey = ev.RequestContext.RouteKey
		if r.RouteKey == "" && ev.Resource != "" && ev.HTTPMethod != "" {
			r.RouteKey = ev.HTTPMethod + " " + ev.Resource
		}
		r.SourceIP = ev.RequestContext.Identity.SourceIP
	case ev.Version != "":
		return nil, fmt.Errorf("%w: unknown payload version %q", ErrEvent, ev.Version)
	case ev.Type == "TOKEN":
		r.Kind, arn = authz.KindRESTToken, ev.MethodArn
		r.Token = ev.AuthorizationToken
	case ev.Type == "REQUEST" && (ev.RequestContext.EventType == "CONNECT" || strings.HasPrefix(ev.RequestContext.RouteKey, "$")):
		r.Kind, arn = authz.KindWebSocket, ev.MethodArn
		r.RouteKey = ev.RequestContext.RouteKey
		r.SourceIP = ev.RequestContext.Identity.SourceIP
	case ev.Type == "REQUEST":
		r.Kind, arn = authz.KindRESTRequest, ev.MethodArn
		if ev.Resource != "" && ev.HTTPMethod != "" {
			r.RouteKey = ev.HTTPMethod + " " + ev.Resource
		}
		r.SourceIP = ev.RequestContext.Identity.SourceIP
	case ev.Type == "":
		return nil, fmt.Errorf("%w: no type or version field", ErrEvent)
	default:
		return nil, fmt.Errorf("%w: unknown authorizer type %q", ErrEvent, ev.Type)
	}
	if arn == "" {
		return nil, fmt.Errorf("%w: %s event without its ARN", ErrEvent, r.Kind)
	}
	a, err := ParseARN(arn)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEvent, err)
	}
	if r.Kind == authz.KindWebSocket && a.Route == "" || r.Kind != authz.KindWebSocket && a.Route != "" {
		return nil, fmt.Errorf("%w: %s event with ARN %q", ErrEvent, r.Kind, arn)
	}
	r.Partition, r.Region, r.AccountID, r.APIID, r.Stage = a.Partition, a.Region, a.AccountID, a.APIID, a.Stage
	r.Method, r.Path = a.Method, a.Path
	if a.Route != "" && r.RouteKey == "" {
		r.RouteKey = a.Route
	}
	r.RequestID = ev.RequestContext.RequestID
	if r.Kind != authz.KindRESTToken {
		r.Headers = lowerHeaders(ev.Headers, ev.MultiValueHeaders)
		r.Query = joinMulti(ev.QueryStringParameters, ev.MultiValueQueryStringParameters)
		ids, err := identitySource(ev.IdentitySource)
		if err != nil {
			return nil, err
		}
		r.IdentitySource = ids
	}
	return r, nil
}

// identitySource reads the HTTP API identity source: a comma-separated
// string in payload 1.0, a list in 2.0.
func identitySource(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("%w: identitySource: %v", ErrEvent, err)
		}
		if s == "" {
			return nil, nil
		}
		return strings.Split(s, ","), nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("%w: identitySource must be a string or a list of strings", ErrEvent)
	}
	return list, nil
}

// lowerHeaders returns the headers with lower-case names. A header sent
// more than once is joined with commas, as HTTP APIs do, so that a
// repeated credential header can never be read as a single credential.
// Names that differ only in case are one header sent more than once: their
// values are joined too, in a fixed order (by spelling), never picked by
// map order.
func lowerHeaders(single map[string]string, multi map[string][]string) map[string]string {
	if len(single) == 0 && len(multi) == 0 {
		return nil
	}
	value := func(k string) string {
		if vs := multi[k]; len(vs) > 1 {
			return strings.Join(vs, ",")
		}
		if v, ok := single[k]; ok {
			return v
		}
		return strings.Join(multi[k], ",")
	}
	out := make(map[string]string, len(single))
	var clashes []string // lower-case names sent under several spellings
	put := func(k string) {
		lk := strings.ToLower(k)
		if _, dup := out[lk]; dup {
			clashes = append(clashes, lk)
			return
		}
		out[lk] = value(k)
	}
	for k := range single {
		put(k)
	}
	for k := range multi {
		if _, ok := single[k]; !ok {
			put(k)
		}
	}
	for _, lk := range clashes {
		var spellings []string
		for k := range single {
			if strings.ToLower(k) == lk {
				spellings = append(spellings, k)
			}
		}
		for k := range multi {
			if _, ok := single[k]; !ok && strings.ToLower(k) == lk {
				spellings = append(spellings, k)
			}
		}
		slices.Sort(spellings)
		vals := make([]string, len(spellings))
		for i, k := range spellings {
			vals[i] = value(k)
		}
		out[lk] = strings.Join(vals, ",")
	}
	return out
}

func joinMulti(single map[string]string, multi map[string][]string) map[string]string {
	if len(multi) == 0 {
		return single
	}
	out := make(map[string]string, len(single))
	for k, v := range single {
		out[k] = v
	}
	for k, vs := range multi {
		if len(vs) > 1 {
			out[k] = strings.Join(vs, ",")
		}
	}
	return out
}

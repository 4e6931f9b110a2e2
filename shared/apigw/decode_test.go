package apigw_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portcullis-authz/portcullis/scripts/testenv"
	"github.com/portcullis-authz/portcullis/shared/apigw"
	"github.com/portcullis-authz/portcullis/shared/authz"
)

// Events as API Gateway sends them, one per shape. The X-Forwarded-For
// headers name another address than the request context: the source IP
// must come from the context.
const (
	restTokenEvent = `{
  "type": "TOKEN",
  "authorizationToken": "Bearer tok.en.value",
  "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod/GET/orders/42"
}`
	restRequestEvent = `{
  "type": "REQUEST",
  "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod/DELETE/admin/users/7",
  "resource": "/admin/{proxy+}",
  "path": "/admin/users/7",
  "httpMethod": "DELETE",
  "headers": {"Authorization": "Bearer tok", "X-Forwarded-For": "198.51.100.99", "Accept": "*/*"},
  "multiValueHeaders": {"Authorization": ["Bearer tok"], "X-Forwarded-For": ["198.51.100.99"], "Accept": ["*/*"]},
  "queryStringParameters": {"q": "2", "page": "1"},
  "multiValueQueryStringParameters": {"q": ["1", "2"], "page": ["1"]},
  "requestContext": {
    "accountId": "123456789012", "apiId": "a1b2c3", "stage": "prod", "requestId": "req-rest",
    "identity": {"sourceIp": "203.0.113.7"}
  }
}`
	httpV1Event = `{
  "version": "1.0",
  "type": "REQUEST",
  "methodArn": "arn:aws:execute-api:us-east-1:123456789012:h77p/$default/GET/orders/9",
  "identitySource": "Bearer tok,other",
  "authorizationToken": "Bearer tok,other",
  "resource": "/orders/{id}",
  "path": "/orders/9",
  "httpMethod": "GET",
  "headers": {"Authorization": "Bearer tok", "X-Forwarded-For": "198.51.100.99"},
  "queryStringParameters": {"a": "b"},
  "requestContext": {
    "accountId": "123456789012", "apiId": "h77p", "stage": "$default", "requestId": "req-v1",
    "routeKey": "GET /orders/{orderId}",
    "identity": {"sourceIp": "203.0.113.8"}
  }
}`
	httpV2Event = `{
  "version": "2.0",
  "type": "REQUEST",
  "routeArn": "arn:aws:execute-api:us-east-1:123456789012:h77p/$default/POST/orders",
  "identitySource": ["Bearer tok"],
  "routeKey": "POST /orders",
  "rawPath": "/orders",
  "headers": {"authorization": "Bearer tok", "x-forwarded-for": "198.51.100.99", "accept": "a,b"},
  "queryStringParameters": {"x": "1,2"},
  "requestContext": {
    "accountId": "123456789012", "apiId": "h77p", "stage": "$default", "requestId": "req-v2", "routeKey": "POST /orders",
    "http": {"method": "POST", "path": "/orders", "sourceIp": "203.0.113.9"}
  }
}`
	webSocketEvent = `{
  "type": "REQUEST",
  "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:ws55/prod/$connect",
  "headers": {"Authorization": "Bearer tok", "Sec-WebSocket-Key": "k", "X-Forwarded-For": "198.51.100.99"},
  "multiValueHeaders": {"Authorization": ["Bearer tok"], "Sec-WebSocket-Key": ["k"], "X-Forwarded-For": ["198.51.100.99"]},
  "queryStringParameters": {"room": "1"},
  "requestContext": {
    "routeKey": "$connect", "eventType": "CONNECT", "stage": "prod", "requestId": "req-ws",
    "identity": {"sourceIp": "203.0.113.10"}
  }
}`
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name, event string
		want        authz.Request
	}{
		{"REST TOKEN", restTokenEvent, authz.Request{
			Kind: authz.KindRESTToken, Method: "GET", Path: "/orders/42",
			Partition: "aws", Region: "eu-west-1", AccountID: "123456789012", APIID: "a1b2c3", Stage: "prod",
			Token: "Bearer tok.en.value",
		}},
		{"REST REQUEST", restRequestEvent, authz.Request{
			Kind: authz.KindRESTRequest, Method: "DELETE", Path: "/admin/users/7", RouteKey: "DELETE /admin/{proxy+}",
			Partition: "aws", Region: "eu-west-1", AccountID: "123456789012", APIID: "a1b2c3", Stage: "prod",
			RequestID: "req-rest", SourceIP: "203.0.113.7",
			Headers: map[string]string{"authorization": "Bearer tok", "x-forwarded-for": "198.51.100.99", "accept": "*/*"},
			Query:   map[string]string{"q": "1,2", "page": "1"},
		}},
		{"HTTP API payload 1.0", httpV1Event, authz.Request{
			Kind: authz.KindHTTPv1, Method: "GET", Path: "/orders/9", RouteKey: "GET /orders/{orderId}",
			Partition: "aws", Region: "us-east-1", AccountID: "123456789012", APIID: "h77p", Stage: "$default",
			RequestID: "req-v1", SourceIP: "203.0.113.8",
			Headers:        map[string]string{"authorization": "Bearer tok", "x-forwarded-for": "198.51.100.99"},
			Query:          map[string]string{"a": "b"},
			IdentitySource: []string{"Bearer tok", "other"},
		}},
		{"HTTP API payload 2.0", httpV2Event, authz.Request{
			Kind: authz.KindHTTPv2, Method: "POST", Path: "/orders", RouteKey: "POST /orders",
			Partition: "aws", Region: "us-east-1", AccountID: "123456789012", APIID: "h77p", Stage: "$default",
			RequestID: "req-v2", SourceIP: "203.0.113.9",
			Headers:        map[string]string{"authorization": "Bearer tok", "x-forwarded-for": "198.51.100.99", "accept": "a,b"},
			Query:          map[string]string{"x": "1,2"},
			IdentitySource: []string{"Bearer tok"},
		}},
		{"WebSocket $connect", webSocketEvent, authz.Request{
			Kind: authz.KindWebSocket, RouteKey: "$connect",
			Partition: "aws", Region: "eu-west-1", AccountID: "123456789012", APIID: "ws55", Stage: "prod",
			RequestID: "req-ws", SourceIP: "203.0.113.10",
			Headers: map[string]string{"authorization": "Bearer tok", "sec-websocket-key": "k", "x-forwarded-for": "198.51.100.99"},
			Query:   map[string]string{"room": "1"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := apigw.Decode([]byte(tt.event))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(*got, tt.want); diff != "" {
				t.Errorf("Decode (-got +want):\n%s", diff)
			}
		})
	}
}

// The source IP comes from the request context only: an event without it
// has none, whatever X-Forwarded-For says.
func TestDecodeSourceIPNeverFromHeaders(t *testing.T) {
	ev := strings.Replace(restRequestEvent, `"identity": {"sourceIp": "203.0.113.7"}`, `"identity": {}`, 1)
	r, err := apigw.Decode([]byte(ev))
	if err != nil {
		t.Fatal(err)
	}
	if r.SourceIP != "" {
		t.Errorf("SourceIP = %q without a context source IP; want empty, never X-Forwarded-For", r.SourceIP)
	}
	// HTTP API 2.0 reads requestContext.http.sourceIp, not identity.
	ev = strings.Replace(httpV2Event, `"sourceIp": "203.0.113.9"`, `"sourceIp": "2001:db8::9"`, 1)
	ev = strings.Replace(ev, `"requestContext": {`, `"requestContext": {"identity": {"sourceIp": "198.51.100.1"},`, 1)
	if r, err = apigw.Decode([]byte(ev)); err != nil || r.SourceIP != "2001:db8::9" {
		t.Errorf("HTTP API 2.0 SourceIP = %q, %v; want requestContext.http.sourceIp", r.SourceIP, err)
	}
}

// A credential header sent twice must never pass as one credential: the
// values are joined with commas, which no token contains.
func TestDecodeRepeatedHeaders(t *testing.T) {
	tests := []struct {
		name, headers, multi string
		want                 string
	}{
		{"multi-value header",
			`{"Authorization": "Bearer b"}`, `{"Authorization": ["Bearer a", "Bearer b"]}`, "Bearer a,Bearer b"},
		{"names differing in case",
			`{"Authorization": "Bearer a", "authorization": "Bearer b"}`, `{}`, "Bearer a,Bearer b"},
		{"names differing in case, multi-value too",
			`{"Authorization": "Bearer a", "AUTHORIZATION": "Bearer b"}`, `{"Authorization": ["Bearer a"], "AUTHORIZATION": ["Bearer b"]}`, "Bearer b,Bearer a"},
		{"only in multiValueHeaders, in two spellings",
			`{}`, `{"authorization": ["Bearer a"], "Authorization": ["Bearer b", "Bearer c"]}`, "Bearer b,Bearer c,Bearer a"},
		{"single value", `{"AuThOrIzAtIoN": "Bearer a"}`, `{"AuThOrIzAtIoN": ["Bearer a"]}`, "Bearer a"},
		{"only in multiValueHeaders", `{}`, `{"Authorization": ["Bearer a"]}`, "Bearer a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := `{"type": "REQUEST", "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:a/prod/GET/x",
				"headers": ` + tt.headers + `, "multiValueHeaders": ` + tt.multi + `}`
			// Decode several times: map order must not change the result.
			for range 20 {
				r, err := apigw.Decode([]byte(ev))
				if err != nil {
					t.Fatal(err)
				}
				if got := r.Header("Authorization"); got != tt.want {
					t.Fatalf("Header(Authorization) = %q, want %q", got, tt.want)
				}
				tok, reason := apigw.BearerToken(r, "Authorization")
				if strings.Contains(tt.want, ",") && (tok != "" || reason != authz.ReasonMalformedBearer) {
					t.Fatalf("BearerToken = %q, %q; a repeated header must be malformed_bearer", tok, reason)
				}
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct{ name, event string }{
		{"not JSON", `type: TOKEN`},
		{"empty", ``},
		{"JSON array", `[]`},
		{"JSON string", `"TOKEN"`},
		{"null", `null`},
		{"no type or version", `{"methodArn": "arn:aws:execute-api:eu-west-1:123456789012:a/prod/GET/x"}`},
		{"unknown type", `{"type": "COGNITO", "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:a/prod/GET/x"}`},
		{"lower-case type", `{"type": "token", "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:a/prod/GET/x"}`},
		{"unknown version", `{"version": "3.0", "routeArn": "arn:aws:execute-api:eu-west-1:123456789012:a/prod/GET/x"}`},
		{"TOKEN without methodArn", `{"type": "TOKEN", "authorizationToken": "x"}`},
		{"REQUEST without methodArn", `{"type": "REQUEST", "headers": {}}`},
		{"2.0 without routeArn", `{"version": "2.0", "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:a/prod/GET/x"}`},
		{"1.0 without methodArn", `{"version": "1.0", "routeArn": "arn:aws:execute-api:eu-west-1:123456789012:a/prod/GET/x"}`},
		{"bad ARN", `{"type": "TOKEN", "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:a/prod/GET/*"}`},
		{"wildcard stage", `{"type": "TOKEN", "methodArn": "arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/GET/"}`},
		{"WebSocket event with a method ARN", `{"type": "REQUEST", "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:a/prod/GET/x",
			"requestContext": {"eventType": "CONNECT", "routeKey": "$connect"}}`},
		{"REST event with a route ARN", `{"type": "REQUEST", "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:a/prod/$connect"}`},
		{"TOKEN event with a route ARN", `{"type": "TOKEN", "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:a/prod/$connect"}`},
		{"2.0 event with a route ARN", `{"version": "2.0", "routeArn": "arn:aws:execute-api:eu-west-1:123456789012:a/prod/$connect"}`},
		{"identitySource a number", `{"version": "2.0", "routeArn": "arn:aws:execute-api:eu-west-1:123456789012:a/prod/GET/x", "identitySource": 7}`},
		{"identitySource a list of numbers", `{"version": "2.0", "routeArn": "arn:aws:execute-api:eu-west-1:123456789012:a/prod/GET/x", "identitySource": [7]}`},
		{"headers not strings", `{"type": "REQUEST", "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:a/prod/GET/x", "headers": {"a": 1}}`},
		{"token not a string", `{"type": "TOKEN", "authorizationToken": ["a"], "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:a/prod/GET/x"}`},
		{"oversized", `{"type": "TOKEN", "authorizationToken": "` + strings.Repeat("a", apigw.MaxEventBytes) + `",
			"methodArn": "arn:aws:execute-api:eu-west-1:123456789012:a/prod/GET/x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := apigw.Decode([]byte(tt.event))
			if !errors.Is(err, apigw.ErrEvent) || r != nil {
				t.Errorf("Decode = %+v, %v; want nil and an error wrapping ErrEvent", r, err)
			}
		})
	}
}

// An event exactly at the size limit is still decoded.
func TestDecodeSizeLimit(t *testing.T) {
	head := `{"type": "TOKEN", "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:a/prod/GET/x", "authorizationToken": "`
	ev := head + strings.Repeat("a", apigw.MaxEventBytes-len(head)-2) + `"}`
	if len(ev) != apigw.MaxEventBytes {
		t.Fatalf("test event is %d bytes, want %d", len(ev), apigw.MaxEventBytes)
	}
	if _, err := apigw.Decode([]byte(ev)); err != nil {
		t.Errorf("Decode(event of MaxEventBytes): %v", err)
	}
	if _, err := apigw.Decode([]byte(ev + " ")); !errors.Is(err, apigw.ErrEvent) {
		t.Errorf("Decode(event of MaxEventBytes+1) = %v; want ErrEvent", err)
	}
}

// handbookEvent reads a sample from the team handbook, or skips saying why.
func handbookEvent(t *testing.T, rel string) []byte {
	t.Helper()
	dir := testenv.Handbook(t)
	if dir == "" {
		t.Skip("skipping: the team handbook's testdata (../shared/testdata or $PORTCULLIS_TESTDATA) is absent")
	}
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatalf("handbook sample: %v", err)
	}
	return b
}

// samTemplate renders an aws-sam-cli event template with the defaults of
// its generator (event-mapping.json), as `sam local generate-event` does.
func samTemplate(t *testing.T, name, generator string) []byte {
	t.Helper()
	tmpl := string(handbookEvent(t, "apigw/aws-sam-cli/"+name))
	var mapping map[string]map[string]struct {
		Tags map[string]struct {
			Default string `json:"default"`
		} `json:"tags"`
	}
	if err := json.Unmarshal(handbookEvent(t, "apigw/aws-sam-cli/event-mapping.json"), &mapping); err != nil {
		t.Fatalf("event-mapping.json: %v", err)
	}
	gen, ok := mapping["apigateway"][generator]
	if !ok {
		t.Fatalf("event-mapping.json has no apigateway/%s", generator)
	}
	for tag, v := range gen.Tags {
		tmpl = strings.ReplaceAll(tmpl, "{{{"+strings.ReplaceAll(tag, "-", "_")+"}}}", v.Default)
	}
	if strings.Contains(tmpl, "{{{") {
		t.Fatalf("%s: placeholders left after substituting the defaults: %s", name, tmpl)
	}
	return []byte(tmpl)
}

// The public samples in the handbook decode, with the fields they carry.
func TestDecodeHandbookSamples(t *testing.T) {
	tests := []struct {
		name  string
		event func(t *testing.T) []byte
		want  authz.Request
	}{
		{"aws-lambda-go REQUEST", func(t *testing.T) []byte {
			return handbookEvent(t, "apigw/aws-lambda-go/apigw-custom-auth-request-type-request.json")
		}, authz.Request{
			Kind: authz.KindRESTRequest, Method: "GET", Path: "/request", RouteKey: "GET /request",
			Partition: "aws", Region: "us-east-1", AccountID: "123456789012", APIID: "s4x3opwd6i", Stage: "test",
			RequestID: "...", SourceIP: "...",
		}},
		{"aws-lambda-go HTTP API 1.0", func(t *testing.T) []byte {
			return handbookEvent(t, "apigw/aws-lambda-go/apigw-v2-custom-authorizer-v1-request.json")
		}, authz.Request{
			Kind: authz.KindHTTPv1, Method: "GET", Path: "/request", RouteKey: "GET /request",
			Partition: "aws", Region: "us-east-1", AccountID: "123456789012", APIID: "abcdef123", Stage: "test",
			RequestID: "...", SourceIP: "...", IdentitySource: []string{"user1", "123"},
		}},
		{"aws-lambda-go HTTP API 2.0", func(t *testing.T) []byte {
			return handbookEvent(t, "apigw/aws-lambda-go/apigw-v2-custom-authorizer-v2-request.json")
		}, authz.Request{
			Kind: authz.KindHTTPv2, Method: "GET", Path: "/request", RouteKey: "$default",
			Partition: "aws", Region: "us-east-1", AccountID: "123456789012", APIID: "abcdef123", Stage: "test",
			RequestID: "id", SourceIP: "IP", IdentitySource: []string{"user1", "123"},
		}},
		{"aws-sam-cli TOKEN template", func(t *testing.T) []byte {
			return samTemplate(t, "ApiGatewayAuthorizer.json", "authorizer")
		}, authz.Request{
			Kind: authz.KindRESTToken, Method: "POST", Path: "/{proxy+}",
			Partition: "aws", Region: "us-east-1", AccountID: "123456789012", APIID: "example", Stage: "prod",
			Token: "incoming-client-token",
		}},
		{"aws-sam-cli REQUEST template", func(t *testing.T) []byte {
			return samTemplate(t, "ApiGatewayRestRequestAuthorizer.json", "request-authorizer")
		}, authz.Request{
			Kind: authz.KindRESTRequest, Method: "GET", Path: "/request", RouteKey: "GET /request",
			Partition: "aws", Region: "us-east-1", AccountID: "123456789012", APIID: "abcdef123", Stage: "test",
			RequestID: "...", SourceIP: "...",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := apigw.Decode(tt.event(t))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			// Headers and query strings are checked for shape, the rest exactly.
			for k := range got.Headers {
				if k != strings.ToLower(k) {
					t.Errorf("header name %q is not lower-case", k)
				}
			}
			if got.Kind != authz.KindRESTToken && len(got.Headers) == 0 {
				t.Errorf("no headers decoded")
			}
			got.Headers, got.Query = nil, nil
			if diff := cmp.Diff(*got, tt.want); diff != "" {
				t.Errorf("Decode (-got +want):\n%s", diff)
			}
		})
	}
}

// The TOKEN sample copies the API Gateway documentation, whose method ARN
// has the placeholder stage "*". API Gateway never sends a wildcard stage,
// and an ARN holding one would become an IAM pattern spanning stages and
// methods in the policy, so Decode refuses it (500, fail closed).
func TestDecodeHandbookWildcardStage(t *testing.T) {
	ev := handbookEvent(t, "apigw/aws-lambda-go/apigw-custom-auth-request.json")
	if !strings.Contains(string(ev), "/*/GET/") {
		t.Fatalf("the sample no longer has the wildcard stage; decode it in TestDecodeHandbookSamples instead:\n%s", ev)
	}
	if r, err := apigw.Decode(ev); !errors.Is(err, apigw.ErrEvent) {
		t.Errorf("Decode(wildcard-stage sample) = %+v, %v; want ErrEvent", r, err)
	}
	// With a concrete stage, as API Gateway sends it, the sample decodes.
	fixed := strings.Replace(string(ev), "/*/GET/", "/prod/GET/", 1)
	r, err := apigw.Decode([]byte(fixed))
	if err != nil {
		t.Fatalf("Decode(sample with stage prod): %v", err)
	}
	want := authz.Request{Kind: authz.KindRESTToken, Method: "GET", Path: "/", Partition: "aws", Region: "us-west-2",
		AccountID: "123456789012", APIID: "ymy8tbxw7b", Stage: "prod", Token: "allow"}
	if diff := cmp.Diff(*r, want); diff != "" {
		t.Errorf("Decode (-got +want):\n%s", diff)
	}
}

// FuzzDecode checks that Decode never panics, fails only with ErrEvent,
// and that what it accepts is self-consistent.
func FuzzDecode(f *testing.F) {
	for _, ev := range []string{restTokenEvent, restRequestEvent, httpV1Event, httpV2Event, webSocketEvent,
		`{"type":"REQUEST","methodArn":"arn:aws:execute-api:eu-west-1:123456789012:a/prod/GET/x","headers":{"A":"1","a":"2"},"multiValueHeaders":{"A":["1","3"]}}`,
		`{"version":"2.0","routeArn":"arn:aws:execute-api:eu-west-1:123456789012:a/prod/GET/x","identitySource":"a,b"}`,
		`{}`, `null`, `[]`} {
		f.Add([]byte(ev))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := apigw.Decode(data)
		if err != nil {
			if r != nil || !errors.Is(err, apigw.ErrEvent) {
				t.Fatalf("Decode = %+v, %v; want nil and ErrEvent", r, err)
			}
			return
		}
		if (r.Kind == authz.KindWebSocket) != (r.Method == "") {
			t.Fatalf("Decode: kind %s with method %q", r.Kind, r.Method)
		}
		if r.Kind != authz.KindWebSocket && !strings.HasPrefix(r.Path, "/") {
			t.Fatalf("Decode: path %q", r.Path)
		}
		for k := range r.Headers {
			if k != strings.ToLower(k) {
				t.Fatalf("Decode: header name %q not lower-case", k)
			}
		}
		if r.Kind == authz.KindRESTToken && (r.Headers != nil || r.Query != nil) {
			t.Fatalf("Decode: TOKEN event with headers or query")
		}
	})
}

package stack

import (
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/portcullis-authz/portcullis/shared/config"
)

// addHTTPAPI creates the HTTP API variant: the JWT authorizer's routes and
// the public ones, payload format 2.0. HTTP APIs have no gateway
// responses, usage plans or WAF: a denial there is a plain 401/403 whose
// body API Gateway writes, and the step-up challenge stays in the
// authorizer's context and audit line.
func (s *PortcullisStack) addHTTPAPI() {
	logs := s.logGroup("HttpAccessLogs", nil)
	allowHeaders := []string{"Content-Type"}
	jwt := s.Plan.Authorizer(config.AuthorizerJWT)
	if jwt != nil {
		allowHeaders = append(allowHeaders, s.Plan.File.Authorizers.JWT.Header)
	}
	api := awsapigatewayv2.NewHttpApi(s.Stack, jsii.String("HttpApi"), &awsapigatewayv2.HttpApiProps{
		ApiName:     s.name("http"),
		Description: jsii.String("Portcullis demo API, HTTP API variant (JWT authorizer, payload 2.0)"),
		CorsPreflight: &awsapigatewayv2.CorsPreflightOptions{
			AllowOrigins: jsii.Strings(s.props.CORSOrigin),
			AllowHeaders: jsii.Strings(allowHeaders...),
			AllowMethods: &[]awsapigatewayv2.CorsHttpMethod{awsapigatewayv2.CorsHttpMethod_ANY},
		},
		CreateDefaultStage: jsii.Bool(true),
	})
	s.HTTPAPI = api
	stage := api.DefaultStage().Node().DefaultChild().(awsapigatewayv2.CfnStage)
	stage.SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: logs.LogGroupArn(),
		Format:         jsii.String(accessLogFormat(httpAccessLog)),
	})

	var routeAuth awsapigatewayv2.IHttpRouteAuthorizer
	if jwt != nil && jwt.HTTPIdentitySources != nil {
		fn := s.Functions[jwt.Name]
		// HttpAuthorizer rather than HttpLambdaAuthorizer: the latter picks
		// payload 1.0 whenever responses are IAM policies. Portcullis
		// answers both formats; 2.0 carries the route key.
		auth := awsapigatewayv2.NewHttpAuthorizer(s.Stack, jsii.String("JwtHttpAuthorizer"), &awsapigatewayv2.HttpAuthorizerProps{
			HttpApi:               api,
			Type:                  awsapigatewayv2.HttpAuthorizerType_LAMBDA,
			AuthorizerName:        jsii.String(*s.StackName() + "-jwt"),
			IdentitySource:        jsii.Strings(jwt.HTTPIdentitySources...),
			EnableSimpleResponses: jsii.Bool(jwt.HTTPSimpleResponses),
			PayloadFormatVersion:  awsapigatewayv2.AuthorizerPayloadVersion_VERSION_2_0,
			ResultsCacheTtl:       awscdk.Duration_Seconds(jsii.Number(jwt.CacheTTL.Seconds())),
			AuthorizerUri:         lambdaInvokeURI(fn),
		})
		fn.AddPermission(jsii.String("HttpApiInvokeAuthorizer"), &awslambda.Permission{
			Principal: awsiam.NewServicePrincipal(jsii.String("apigateway.amazonaws.com"), nil),
			SourceArn: s.FormatArn(&awscdk.ArnComponents{
				Service:      jsii.String("execute-api"),
				Resource:     api.ApiId(),
				ResourceName: awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("authorizers/"), auth.AuthorizerId()}),
			}),
		})
		routeAuth = awsapigatewayv2.HttpAuthorizer_FromHttpAuthorizerAttributes(s.Stack, jsii.String("JwtHttpRouteAuthorizer"),
			&awsapigatewayv2.HttpAuthorizerAttributes{AuthorizerId: auth.AuthorizerId(), AuthorizerType: jsii.String("CUSTOM")})
	}
	integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("DemoBackendIntegration"), s.Backend,
		&awsapigatewayv2integrations.HttpLambdaIntegrationProps{ScopePermissionToRoute: jsii.Bool(false)})
	for _, r := range s.Plan.HTTP {
		key := awsapigatewayv2.HttpRouteKey_DEFAULT()
		if r.Method != "" {
			key = awsapigatewayv2.HttpRouteKey_With(jsii.String(r.Path), awsapigatewayv2.HttpMethod(r.Method))
		}
		props := &awsapigatewayv2.HttpRouteProps{HttpApi: api, RouteKey: key, Integration: integration}
		if r.Authorizer != "" {
			props.Authorizer = routeAuth
		}
		route := awsapigatewayv2.NewHttpRoute(s.Stack, jsii.String("HttpRoute"+routeID(r.Key)), props)
		if r.Authorizer == "" {
			suppressPublicRoute(route, r.Key)
		}
	}
	awscdk.NewCfnOutput(s.Stack, jsii.String("HttpApiUrl"), &awscdk.CfnOutputProps{
		Value:       api.Url(),
		Description: jsii.String("HTTP API base URL (JWT routes and public routes; no WAF, no usage plans)"),
	})
}

// routeID turns a route key into a construct id: its letters and digits
// and a short hash, so that no two keys collide ("GETordersid3f2a...").
func routeID(key string) string {
	h := fnv.New32a()
	h.Write([]byte(key))
	return routeLetters(key) + fmt.Sprintf("%08x", h.Sum32())
}

func routeLetters(key string) string {
	var b strings.Builder
	for _, r := range key {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
		if r == '+' {
			b.WriteString("Plus")
		}
	}
	if key == "$default" {
		return "Default"
	}
	return b.String()
}

package stack

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/portcullis-authz/portcullis/infra/plan"
	"github.com/portcullis-authz/portcullis/shared/config"
)

// restAccessLog is the REST stage's access log line: one JSON object per
// request with who the authorizer said the caller is (principalId, and the
// context's sub and credential_id: a key id or JWT kid, never a
// credential), why it decided,
// how long it took, and how the request ended. Every value is quoted
// because API Gateway writes "-" for a missing one.
var restAccessLog = []logField{
	{"requestId", "$context.requestId"},
	{"time", "$context.requestTime"},
	{"ip", "$context.identity.sourceIp"},
	{"method", "$context.httpMethod"},
	{"resource", "$context.resourcePath"},
	{"path", "$context.path"},
	{"status", "$context.status"},
	{"responseLength", "$context.responseLength"},
	{"latency", "$context.responseLatency"},
	{"principal", "$context.authorizer.principalId"},
	{"subject", "$context.authorizer.sub"},
	{"credential", "$context.authorizer.credential_id"},
	{"reason", "$context.authorizer.reason"},
	{"authorizerStatus", "$context.authorizer.status"},
	{"authorizerLatency", "$context.authorizer.latency"},
	{"authorizerError", "$context.authorizer.error"},
	{"apiKeyId", "$context.identity.apiKeyId"},
	{"integrationStatus", "$context.integration.status"},
	{"integrationLatency", "$context.integration.latency"},
	{"wafStatus", "$context.waf.status"},
	{"errorType", "$context.error.responseType"},
	{"error", "$context.error.message"},
}

// httpAccessLog is the HTTP API stage's access log line. HTTP APIs have
// no $context.authorizer.principalId, latency or status (any other name
// after $context.authorizer. is a key of the authorizer's context), so the
// subject and reason come from the context Portcullis returns.
var httpAccessLog = []logField{
	{"requestId", "$context.requestId"},
	{"time", "$context.requestTime"},
	{"ip", "$context.identity.sourceIp"},
	{"method", "$context.httpMethod"},
	{"route", "$context.routeKey"},
	{"path", "$context.path"},
	{"status", "$context.status"},
	{"responseLength", "$context.responseLength"},
	{"latency", "$context.responseLatency"},
	{"subject", "$context.authorizer.sub"},
	{"credential", "$context.authorizer.credential_id"},
	{"reason", "$context.authorizer.reason"},
	{"authorizerError", "$context.authorizer.error"},
	{"integrationStatus", "$context.integration.status"},
	{"integrationLatency", "$context.integration.latency"},
	{"errorType", "$context.error.responseType"},
	{"error", "$context.error.message"},
}

type logField struct{ key, variable string }

// accessLogFormat renders fields as one JSON object.
func accessLogFormat(fields []logField) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		k, _ := json.Marshal(f.key)
		parts[i] = fmt.Sprintf(`%s:"%s"`, k, f.variable)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// addRestAPI creates the REST API: the authorizers, the routes of the
// policy, usage plans, gateway responses and JSON access logs.
func (s *PortcullisStack) addRestAPI() {
	accessLogs := s.logGroup("RestAccessLogs", nil)
	s.restAccessLogs = accessLogs
	stage := string(s.props.Stage)
	keys := s.Plan.Authorizer(config.AuthorizerAPIKey)
	apiKeySource := awsapigateway.ApiKeySourceType_HEADER
	if keys != nil {
		// The API-key authorizer returns the key's API Gateway key value as
		// usageIdentifierKey; API Gateway meters that key's usage plan.
		apiKeySource = awsapigateway.ApiKeySourceType_AUTHORIZER
	}
	allowHeaders := []string{"Content-Type"}
	for _, a := range s.Plan.Authorizers {
		for _, src := range a.RESTIdentitySources {
			if h, ok := strings.CutPrefix(src, "method.request.header."); ok {
				allowHeaders = append(allowHeaders, h)
			}
		}
	}
	api := awsapigateway.NewRestApi(s.Stack, jsii.String("RestApi"), &awsapigateway.RestApiProps{
		RestApiName:      s.name("rest"),
		Description:      jsii.String("Portcullis demo API: every route of the policy, behind its authorizer"),
		EndpointTypes:    &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		ApiKeySourceType: apiKeySource,
		CloudWatchRole:   jsii.Bool(!s.props.NoAccountLogRole),
		DeployOptions: &awsapigateway.StageOptions{
			StageName:            jsii.String(stage),
			AccessLogDestination: awsapigateway.NewLogGroupLogDestination(accessLogs),
			AccessLogFormat:      awsapigateway.AccessLogFormat_Custom(jsii.String(accessLogFormat(restAccessLog))),
			// Execution logs at ERROR only: INFO would log request headers.
			LoggingLevel:     awsapigateway.MethodLoggingLevel_ERROR,
			DataTraceEnabled: jsii.Bool(false),
			MetricsEnabled:   jsii.Bool(true),
		},
		DefaultCorsPreflightOptions: &awsapigateway.CorsOptions{
			AllowOrigins: jsii.Strings(s.props.CORSOrigin),
			AllowHeaders: jsii.Strings(allowHeaders...),
			AllowMethods: awsapigateway.Cors_ALL_METHODS(),
		},
	})
	s.RestAPI = api
	validator := api.AddRequestValidator(jsii.String("Validator"), &awsapigateway.RequestValidatorOptions{
		ValidateRequestBody:       jsii.Bool(true),
		ValidateRequestParameters: jsii.Bool(true),
	})

	auths := map[string]awsapigateway.IAuthorizer{}
	for _, a := range s.Plan.Authorizers {
		auths[a.Name] = s.restAuthorizer(a)
	}
	// One Lambda proxy integration and one permission for the whole API:
	// LambdaIntegration would add a permission per method, and a
	// function's resource policy is limited to 20 KB.
	integration := awsapigateway.NewIntegration(&awsapigateway.IntegrationProps{
		Type:                  awsapigateway.IntegrationType_AWS_PROXY,
		IntegrationHttpMethod: jsii.String("POST"),
		Uri:                   lambdaInvokeURI(s.Backend),
	})
	s.Backend.AddPermission(jsii.String("RestApiInvoke"), &awslambda.Permission{
		Principal: awsiam.NewServicePrincipal(jsii.String("apigateway.amazonaws.com"), nil),
		SourceArn: api.ArnForExecuteApi(jsii.String("*"), jsii.String("/*"), jsii.String(stage)),
	})
	resources := map[string]awsapigateway.IResource{"/": api.Root()}
	s.Plan.REST.Walk(func(r *plan.Resource) {
		res := resources[r.Path]
		for _, c := range r.Children {
			resources[c.Path] = res.AddResource(jsii.String(c.Part), nil)
		}
		for _, m := range r.Methods {
			opts := &awsapigateway.MethodOptions{
				OperationName:    jsii.String(m.Route),
				RequestValidator: validator,
			}
			if len(m.PathParams) > 0 {
				params := map[string]*bool{}
				for _, p := range m.PathParams {
					params["method.request.path."+p] = jsii.Bool(true)
				}
				opts.RequestParameters = &params
			}
			if m.Authorizer == "" {
				opts.AuthorizationType = awsapigateway.AuthorizationType_NONE
			} else {
				opts.AuthorizationType = awsapigateway.AuthorizationType_CUSTOM
				opts.Authorizer = auths[m.Authorizer]
				opts.ApiKeyRequired = jsii.Bool(s.Plan.Authorizer(m.Authorizer).APIKeyRequired)
			}
			method := res.AddMethod(jsii.String(m.HTTPMethod), integration, opts)
			if m.Authorizer == "" {
				suppressPublicMethod(method, m.Route)
			}
		}
	})
	s.addUsagePlans()
	s.addGatewayResponses()
	suppressRestAPI(api)
	awscdk.NewCfnOutput(s.Stack, jsii.String("RestApiUrl"), &awscdk.CfnOutputProps{
		Value:       api.Url(),
		Description: jsii.String("REST API base URL (try curl $URL/health)"),
	})
}

// restAuthorizer creates the REST authorizer of a: a TOKEN authorizer for
// the JWT function, a REQUEST authorizer for the others.
//
// Extension point: the risk authorizer is a REQUEST authorizer with its
// cache TTL zero; plan.specs gives it its identity sources, and nothing
// here changes.
func (s *PortcullisStack) restAuthorizer(a *plan.Authorizer) awsapigateway.IAuthorizer {
	id := constructID(a.Function)
	ttl := awscdk.Duration_Seconds(jsii.Number(a.CacheTTL.Seconds()))
	name := jsii.String(*s.StackName() + "-" + a.Name)
	if a.Kind == plan.Token {
		return awsapigateway.NewTokenAuthorizer(s.Stack, jsii.String(id+"TokenAuthorizer"), &awsapigateway.TokenAuthorizerProps{
			Handler:         s.Functions[a.Name],
			AuthorizerName:  name,
			IdentitySource:  jsii.String(a.RESTIdentitySources[0]),
			ResultsCacheTtl: ttl,
		})
	}
	return awsapigateway.NewRequestAuthorizer(s.Stack, jsii.String(id+"RequestAuthorizer"), &awsapigateway.RequestAuthorizerProps{
		Handler:         s.Functions[a.Name],
		AuthorizerName:  name,
		IdentitySources: jsii.Strings(a.RESTIdentitySources...),
		ResultsCacheTtl: ttl,
	})
}

// addUsagePlans creates the policy's usage plans on the REST stage. Their
// AWS names are "<stack>-<plan>"; the admin CLI attaches API keys to them
// (the outputs map each policy name to its id).
func (s *PortcullisStack) addUsagePlans() {
	if len(s.Plan.File.UsagePlans) == 0 {
		return
	}
	ids := map[string]*string{}
	var names []string
	for _, up := range s.Plan.File.UsagePlans {
		props := &awsapigateway.UsagePlanProps{
			Name: s.name(up.Name),
			Throttle: &awsapigateway.ThrottleSettings{
				RateLimit:  jsii.Number(up.Throttle.Rate),
				BurstLimit: jsii.Number(float64(up.Throttle.Burst)),
			},
			ApiStages: &[]*awsapigateway.UsagePlanPerApiStage{{Api: s.RestAPI, Stage: s.RestAPI.DeploymentStage()}},
		}
		if up.Description != "" {
			props.Description = jsii.String(up.Description)
		}
		if q := up.Quota; q != nil {
			props.Quota = &awsapigateway.QuotaSettings{
				Limit:  jsii.Number(float64(q.Limit)),
				Period: map[string]awsapigateway.Period{"DAY": awsapigateway.Period_DAY, "WEEK": awsapigateway.Period_WEEK, "MONTH": awsapigateway.Period_MONTH}[q.Period],
			}
		}
		id := constructID("usage-plan-" + up.Name)
		plan := s.RestAPI.AddUsagePlan(jsii.String(id), props)
		s.UsagePlans[up.Name] = plan
		ids[up.Name] = plan.UsagePlanId()
		names = append(names, up.Name)
		awscdk.NewCfnOutput(s.Stack, jsii.String(id+"Id"), &awscdk.CfnOutputProps{
			Value:       plan.UsagePlanId(),
			Description: jsii.String(fmt.Sprintf("Usage plan %q (AWS name %s)", up.Name, *s.name(up.Name))),
		})
	}
	// UsagePlans is {"bronze":"abc123",...} for tools.
	parts := []*string{jsii.String("{")}
	for i, n := range names {
		sep := ","
		if i == 0 {
			sep = ""
		}
		k, _ := json.Marshal(n)
		parts = append(parts, jsii.String(fmt.Sprintf(`%s%s:"`, sep, k)), ids[n], jsii.String(`"`))
	}
	parts = append(parts, jsii.String("}"))
	awscdk.NewCfnOutput(s.Stack, jsii.String("UsagePlans"), &awscdk.CfnOutputProps{
		Value:       awscdk.Fn_Join(jsii.String(""), &parts),
		Description: jsii.String("Usage plan ids by policy name, as JSON"),
	})
}

// addGatewayResponses renders the plan's gateway responses (see
// plan.GatewayResponses; the local gateway answers with the same ones).
func (s *PortcullisStack) addGatewayResponses() {
	for _, r := range s.Plan.GatewayResponses(*s.StackName(), s.props.CORSOrigin) {
		headers := map[string]*string{}
		for name, v := range r.Headers {
			headers[name] = jsii.String(v)
		}
		opts := &awsapigateway.GatewayResponseOptions{
			Type:            awsapigateway.ResponseType_Of(jsii.String(r.Type)),
			ResponseHeaders: &headers,
			Templates:       &map[string]*string{"application/json": jsii.String(r.Template)},
		}
		if r.Status != 0 {
			opts.StatusCode = jsii.String(strconv.Itoa(r.Status))
		}
		s.RestAPI.AddGatewayResponse(jsii.String(r.ID), opts)
	}
}

// stageARN is the ARN WAF associates with: the REST API's stage.
func (s *PortcullisStack) stageARN() *string { return s.RestAPI.DeploymentStage().StageArn() }

// lambdaInvokeURI is the URI API Gateway invokes fn by.
func lambdaInvokeURI(fn awslambda.IFunction) *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(":apigateway:"), awscdk.Aws_REGION(),
		jsii.String(":lambda:path/2015-03-31/functions/"), fn.FunctionArn(), jsii.String("/invocations"),
	})
}

package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// AddChecks applies the cdk-nag AwsSolutions rules to scope (an app or a
// stack). An unsuppressed finding of level error fails the synthesis.
// Every suppression below names its reason; none is stack-wide.
func AddChecks(scope constructs.IConstruct) {
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

func suppress(c constructs.IConstruct, children bool, id, reason string, appliesTo ...string) {
	s := &cdknag.NagPackSuppression{Id: jsii.String(id), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		var at []any
		for _, a := range appliesTo {
			at = append(at, a)
		}
		s.AppliesTo = &at
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(children))
}

// suppressPublicMethod: a route the policy declares public.
func suppressPublicMethod(m awsapigateway.Method, route string) {
	reason := "The policy file declares " + route + " public (authorizer: none); every other route has a Portcullis authorizer."
	suppress(m, false, "AwsSolutions-APIG4", reason)
	suppress(m, false, "AwsSolutions-COG4", reason)
}

// suppressPublicRoute: the same on the HTTP API.
func suppressPublicRoute(r awsapigatewayv2.HttpRoute, route string) {
	suppress(r, true, "AwsSolutions-APIG4",
		"The policy file declares "+route+" public (authorizer: none); every other route has the Portcullis JWT authorizer.")
}

// suppressRestAPI covers what the REST API does on purpose.
func suppressRestAPI(api awsapigateway.RestApi) {
	suppress(api, true, "AwsSolutions-COG4",
		"Authorization is Portcullis's Lambda authorizers (JWT/OIDC from the policy's issuers, which may include a Cognito user pool, and API keys): a Cognito user-pool authorizer would bypass the policy's per-route rules.")
	if role := api.Node().TryFindChild(jsii.String("CloudWatchRole")); role != nil {
		suppress(role, true, "AwsSolutions-IAM4",
			"The account-level role API Gateway needs to write REST access and execution logs; AmazonAPIGatewayPushToCloudWatchLogs is AWS's service-role policy for exactly that (logs actions only). Turn it off with -c account-log-role=false when the account already has one.",
			"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs")
	}
}

// suppressNoWAF: the policy turned the web ACL off (waf.enabled: false).
func suppressNoWAF(stage awsapigateway.Stage) {
	suppress(stage, false, "AwsSolutions-APIG3",
		"The policy file turns AWS WAF off (waf.enabled: false), e.g. because a WAF upstream (CloudFront) already filters this API.")
}

// Package stack is the Portcullis CDK stack: the authorizer functions and
// their DynamoDB tables, a REST API with the authorizers, usage plans,
// gateway responses and an AWS WAF web ACL, an HTTP API variant for the
// JWT authorizer, a demo backend, access logs, alarms and outputs, all
// derived from one policy file through package plan.
//
// [NewPortcullisStack] builds it; [AddChecks] applies the cdk-nag
// AwsSolutions rules, whose justified exceptions live next to the
// resources they concern (see suppress).
package stack

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/portcullis-authz/portcullis/infra/plan"
	"github.com/portcullis-authz/portcullis/shared/config"
)

// ErrProps is wrapped by errors about the props themselves.
var ErrProps = errors.New("stack props")

// PortcullisStack is the deployed Portcullis: what [NewPortcullisStack]
// created, for tests and for stacks that build on it.
type PortcullisStack struct {
	awscdk.Stack
	// Plan is what the stack was built from.
	Plan *plan.Plan
	// Functions are the authorizer functions by authorizer name.
	Functions map[string]awslambda.Function
	// Backend is the demo backend every route reaches.
	Backend awslambda.Function
	// Tables are the DynamoDB tables by dynamostore name.
	Tables map[string]awsdynamodb.Table
	// RestAPI is the REST API.
	RestAPI awsapigateway.RestApi
	// UsagePlans are the usage plans by policy name.
	UsagePlans map[string]awsapigateway.UsagePlan
	// HTTPAPI is the HTTP API variant; nil when turned off.
	HTTPAPI awsapigatewayv2.HttpApi
	// WebACL is the WAF web ACL on the REST stage; nil when the policy
	// disables it.
	WebACL awswafv2.CfnWebACL

	props          *Props
	restAccessLogs awslogs.LogGroup
}

// NewPortcullisStack loads and validates the policy file, plans the
// deployment and builds the stack. Nothing is created when the policy is
// invalid, cannot be deployed as asked, or a function is not built: the
// error then lists every problem.
func NewPortcullisStack(scope constructs.Construct, id string, props *Props) (*PortcullisStack, error) {
	if props == nil {
		return nil, fmt.Errorf("%w: nil", ErrProps)
	}
	p := *props
	var errs []error
	if err := p.check(); err != nil {
		errs = append(errs, fmt.Errorf("%w: %w", ErrProps, err))
	}
	if p.PolicyPath == "" || p.BuildDir == "" || p.AssetDir == "" {
		errs = append(errs, fmt.Errorf("%w: PolicyPath, BuildDir and AssetDir are required", ErrProps))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	f, err := config.Load(p.PolicyPath)
	if err != nil {
		return nil, err // config lists every problem with file:line
	}
	pl, err := plan.New(f, plan.Options{Stage: p.Stage, AllowLocalPolicy: p.AllowLocalPolicy, HTTPAPI: !p.NoHTTPAPI, PolicyFor: p.policyFor})
	if err != nil {
		return nil, fmt.Errorf("policy %s cannot be deployed:\n%w", f.Path, err)
	}
	bootstraps := map[string]string{}
	for _, a := range pl.Authorizers {
		b, err := plan.Bootstrap(p.BuildDir, a.Function)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		bootstraps[a.Name] = b
		if err := pl.StageAsset(a, b, filepath.Join(p.AssetDir, a.Function)); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	sp := p.StackProps
	if sp.Description == nil {
		sp.Description = jsii.String(fmt.Sprintf("Portcullis authorizers in front of a demo API (%s stage), from %s", p.Stage, filepath.Base(f.Path)))
	}
	s := &PortcullisStack{
		Stack:      awscdk.NewStack(scope, jsii.String(id), &sp),
		Plan:       pl,
		Functions:  map[string]awslambda.Function{},
		Tables:     map[string]awsdynamodb.Table{},
		UsagePlans: map[string]awsapigateway.UsagePlan{},
		props:      &p,
	}
	awscdk.Tags_Of(s.Stack).Add(jsii.String("portcullis:stage"), jsii.String(string(p.Stage)), nil)

	s.addTables()
	s.addFunctions()
	s.addBackend()
	s.addRestAPI()
	if pl.HTTP != nil {
		s.addHTTPAPI()
	}
	if pl.WAF != nil {
		s.addWAF()
	} else {
		suppressNoWAF(s.RestAPI.DeploymentStage())
	}
	s.addAlarms()
	s.addGuard()
	for _, n := range pl.Notes {
		awscdk.Annotations_Of(s.Stack).AddInfo(jsii.String(n))
	}
	return s, nil
}

// name returns a physical name scoped to the stack ("Portcullis-dev-rest").
func (s *PortcullisStack) name(suffix string) *string {
	return jsii.String(*s.StackName() + "-" + suffix)
}

// addGuard makes CloudFormation refuse a template synthesized from a
// local-only policy. `cdk synth` (and `sam local invoke` on the template)
// keep working; `cdk deploy` fails at change-set creation with the
// reasons, unless the dev stage was synthesized with allow-local-policy.
func (s *PortcullisStack) addGuard() {
	if len(s.Plan.LocalOnly) == 0 {
		return
	}
	why := strings.Join(s.Plan.LocalOnly, "; ")
	msg := fmt.Sprintf("Portcullis refuses to deploy a local-only policy (%s). For a development deploy run `make deploy ARGS=\"-c %s=true\"` (dev stage only); otherwise move secrets to ssm or secretsmanager.", why, CtxAllowLocalPolicy)
	awscdk.Annotations_Of(s.Stack).AddWarningV2(jsii.String("portcullis:local-only-policy"), jsii.String(msg), nil)
	param := awscdk.NewCfnParameter(s.Stack, jsii.String("LocalOnlyPolicy"), &awscdk.CfnParameterProps{
		Type:          jsii.String("String"),
		Default:       jsii.String("refuse"),
		AllowedValues: jsii.Strings("refuse"),
		Description:   jsii.String("Set by Portcullis: this template comes from a local-only policy and cannot be deployed."),
	})
	awscdk.NewCfnRule(s.Stack, jsii.String("RefuseLocalOnlyPolicy"), &awscdk.CfnRuleProps{
		Assertions: &[]*awscdk.CfnRuleAssertion{{
			Assert:            awscdk.Fn_ConditionEquals(param.ValueAsString(), jsii.String("deploy")),
			AssertDescription: jsii.String(truncate(msg, 1000)),
		}},
	})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

package stack

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/jsii-runtime-go"
)

// WAF rule priorities: the block list first (always wins), then the allow
// list (an Allow ends evaluation, so listed addresses skip everything
// below), then the per-IP rate limit, then the managed rule groups.
const (
	priorityBlock     = 0
	priorityAllow     = 1
	priorityRate      = 2
	priorityManagedAt = 10
)

// addWAF creates the regional web ACL on the REST stage from the policy:
// IP sets (one per list and address family), a rate-based rule and the
// AWS managed rule groups, with metrics and logging.
//
// The IP sets' addresses belong to the policy file: every deploy writes
// them, so an address added in the console is gone at the next deploy.
func (s *PortcullisStack) addWAF() {
	w := s.Plan.WAF
	visibility := func(metric string) *awswafv2.CfnWebACL_VisibilityConfigProperty {
		return &awswafv2.CfnWebACL_VisibilityConfigProperty{
			CloudWatchMetricsEnabled: jsii.Bool(true),
			MetricName:               jsii.String(metric),
			SampledRequestsEnabled:   jsii.Bool(true),
		}
	}
	ipSet := func(id, version string, addrs []string) awswafv2.CfnIPSet {
		return awswafv2.NewCfnIPSet(s.Stack, jsii.String(id), &awswafv2.CfnIPSetProps{
			Name:             s.name(id),
			Description:      jsii.String("Managed by the Portcullis policy file: a deploy overwrites console edits"),
			Scope:            jsii.String("REGIONAL"),
			IpAddressVersion: jsii.String(version),
			Addresses:        jsii.Strings(addrs...),
		})
	}
	// match returns a statement matching any of the sets built from v4
	// and v6, or nil when both are empty.
	match := func(name string, v4, v6 []string) *awswafv2.CfnWebACL_StatementProperty {
		var stmts []any
		if len(v4) > 0 {
			stmts = append(stmts, &awswafv2.CfnWebACL_StatementProperty{IpSetReferenceStatement: &awswafv2.CfnWebACL_IPSetReferenceStatementProperty{
				Arn: ipSet(name+"V4", "IPV4", v4).AttrArn()}})
		}
		if len(v6) > 0 {
			stmts = append(stmts, &awswafv2.CfnWebACL_StatementProperty{IpSetReferenceStatement: &awswafv2.CfnWebACL_IPSetReferenceStatementProperty{
				Arn: ipSet(name+"V6", "IPV6", v6).AttrArn()}})
		}
		switch len(stmts) {
		case 0:
			return nil
		case 1:
			return stmts[0].(*awswafv2.CfnWebACL_StatementProperty)
		}
		return &awswafv2.CfnWebACL_StatementProperty{OrStatement: &awswafv2.CfnWebACL_OrStatementProperty{Statements: &stmts}}
	}
	empty := map[string]any{}
	var rules []any
	if st := match("BlockList", w.BlockV4, w.BlockV6); st != nil {
		rules = append(rules, &awswafv2.CfnWebACL_RuleProperty{
			Name: jsii.String("block-list"), Priority: jsii.Number(priorityBlock), Statement: st,
			Action: &awswafv2.CfnWebACL_RuleActionProperty{Block: empty}, VisibilityConfig: visibility("block-list"),
		})
	}
	if st := match("AllowList", w.AllowV4, w.AllowV6); st != nil {
		rules = append(rules, &awswafv2.CfnWebACL_RuleProperty{
			Name: jsii.String("allow-list"), Priority: jsii.Number(priorityAllow), Statement: st,
			Action: &awswafv2.CfnWebACL_RuleActionProperty{Allow: empty}, VisibilityConfig: visibility("allow-list"),
		})
	}
	rules = append(rules, &awswafv2.CfnWebACL_RuleProperty{
		Name: jsii.String("rate-per-ip"), Priority: jsii.Number(priorityRate),
		Statement: &awswafv2.CfnWebACL_StatementProperty{RateBasedStatement: &awswafv2.CfnWebACL_RateBasedStatementProperty{
			Limit:               jsii.Number(float64(w.RateLimit)),
			AggregateKeyType:    jsii.String("IP"),
			EvaluationWindowSec: jsii.Number(w.RateWindow.Seconds()),
		}},
		Action: &awswafv2.CfnWebACL_RuleActionProperty{Block: empty}, VisibilityConfig: visibility("rate-per-ip"),
	})
	for i, m := range w.ManagedRules {
		rules = append(rules, &awswafv2.CfnWebACL_RuleProperty{
			Name: jsii.String(m.Name), Priority: jsii.Number(float64(priorityManagedAt + i)),
			Statement: &awswafv2.CfnWebACL_StatementProperty{ManagedRuleGroupStatement: &awswafv2.CfnWebACL_ManagedRuleGroupStatementProperty{
				VendorName: jsii.String("AWS"), Name: jsii.String(m.Name),
			}},
			OverrideAction: &awswafv2.CfnWebACL_OverrideActionProperty{None: empty}, VisibilityConfig: visibility(m.Name),
		})
	}
	acl := awswafv2.NewCfnWebACL(s.Stack, jsii.String("WebAcl"), &awswafv2.CfnWebACLProps{
		Name:             s.name("rest"),
		Description:      jsii.String("Portcullis REST API: IP lists, per-IP rate limit and AWS managed rules from the policy file"),
		Scope:            jsii.String("REGIONAL"),
		DefaultAction:    &awswafv2.CfnWebACL_DefaultActionProperty{Allow: empty},
		VisibilityConfig: visibility(*s.StackName() + "-waf"),
		Rules:            &rules,
	})
	s.WebACL = acl
	assoc := awswafv2.NewCfnWebACLAssociation(s.Stack, jsii.String("WebAclAssociation"), &awswafv2.CfnWebACLAssociationProps{
		ResourceArn: s.stageARN(),
		WebAclArn:   acl.AttrArn(),
	})
	assoc.Node().AddDependency(s.RestAPI.DeploymentStage())

	// WAF writes only to log groups named aws-waf-logs-*, and takes the
	// group's ARN without the ":*" suffix CDK's logGroupArn carries.
	logName := "aws-waf-logs-" + *s.StackName()
	logs := s.logGroup("WafLogs", jsii.String(logName))
	var redacted []any
	for _, h := range s.credentialHeaders() {
		redacted = append(redacted, &awswafv2.CfnLoggingConfiguration_FieldToMatchProperty{SingleHeader: map[string]any{"Name": h}})
	}
	logging := awswafv2.NewCfnLoggingConfiguration(s.Stack, jsii.String("WafLogging"), &awswafv2.CfnLoggingConfigurationProps{
		ResourceArn: acl.AttrArn(),
		LogDestinationConfigs: &[]any{s.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("logs"), Resource: jsii.String("log-group"), ResourceName: jsii.String(logName),
			ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})},
		// Credentials never reach a log: WAF logs every header otherwise.
		RedactedFields: &redacted,
	})
	logging.Node().AddDependency(logs)
	awscdk.NewCfnOutput(s.Stack, jsii.String("WebAclArn"), &awscdk.CfnOutputProps{
		Value:       acl.AttrArn(),
		Description: jsii.String(fmt.Sprintf("WAF web ACL on the REST stage (logs: %s)", logName)),
	})
}

// credentialHeaders are the headers that carry credentials, lower case
// (WAF matches header names so): authorization, cookie, and the headers
// the policy's authorizers read.
func (s *PortcullisStack) credentialHeaders() []string {
	hs := []string{"authorization", "cookie"}
	f := s.Plan.File
	if a := f.Authorizers.JWT; a != nil {
		hs = append(hs, strings.ToLower(a.Header))
	}
	if a := f.Authorizers.APIKey; a != nil {
		hs = append(hs, strings.ToLower(a.Header))
	}
	slices.Sort(hs)
	return slices.Compact(hs)
}

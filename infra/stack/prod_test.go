package stack_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/google/go-cmp/cmp"

	"github.com/portcullis-authz/portcullis/infra/plan"
	"github.com/portcullis-authz/portcullis/infra/stack"
)

const (
	testSecretsKey = "arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-1111-2222-3333-444455556666"
	testAlarmTopic = "arn:aws:sns:eu-west-1:111122223333:portcullis-alarms"
)

// TestProdStack synthesizes a production-shaped policy (testdata/prod.yaml:
// secrets in SSM and Secrets Manager, simple HTTP API responses, IPv4 and
// IPv6 lists, every managed rule group) on the prod stage with a
// customer-managed table key, a secrets key and an alarm topic.
func TestProdStack(t *testing.T) {
	s := synth(t, "Portcullis-prod", stack.Props{
		PolicyPath:    "../testdata/prod.yaml",
		Stage:         plan.Prod,
		TableKey:      stack.CustomerManagedKey,
		SecretsKeyARN: testSecretsKey,
		AlarmTopicARN: testAlarmTopic,
		CORSOrigin:    "https://app.example.com",
	})

	t.Run("cdk-nag", func(t *testing.T) {
		if errs := s.nagFindings("error"); len(errs) > 0 {
			t.Errorf("unsuppressed cdk-nag errors:\n  %s", joinLines(errs))
		}
		if warns := s.nagFindings("warning"); len(warns) > 0 {
			t.Errorf("unsuppressed cdk-nag warnings:\n  %s", joinLines(warns))
		}
	})

	t.Run("deployable", func(t *testing.T) {
		if rules, _ := s.json["Rules"].(map[string]any); rules["RefuseLocalOnlyPolicy"] != nil {
			t.Error("a production policy got the local-only guard")
		}
	})

	t.Run("table retained, protected, customer-managed key", func(t *testing.T) {
		tbl, _ := s.tableID(t)
		if tbl["DeletionPolicy"] != "Retain" || props(tbl)["DeletionProtectionEnabled"] != true {
			t.Errorf("prod table DeletionPolicy %v, protection %v; want Retain, true", tbl["DeletionPolicy"], props(tbl)["DeletionProtectionEnabled"])
		}
		keyID, key := s.one(t, "AWS::KMS::Key")
		sse := props(tbl)["SSESpecification"]
		if diff := cmp.Diff(sse, map[string]any{"SSEEnabled": true, "SSEType": "KMS", "KMSMasterKeyId": map[string]any{"Fn::GetAtt": []any{keyID, "Arn"}}}); diff != "" {
			t.Errorf("SSESpecification (-got +want):\n%s", diff)
		}
		if props(key)["EnableKeyRotation"] != true || key["DeletionPolicy"] != "Retain" {
			t.Errorf("table key rotation %v, DeletionPolicy %v; want true, Retain", props(key)["EnableKeyRotation"], key["DeletionPolicy"])
		}
	})

	t.Run("each function reads exactly its secrets", func(t *testing.T) {
		stmts := func(name string) []string {
			fn := s.stackFunction(t, name)
			role := props(s.res[ref(props(fn)["Role"])])
			var out []string
			for _, st := range get(role, "Policies", 0, "PolicyDocument", "Statement").([]any) {
				line := fmt.Sprintf("%v %v", get(st, "Action"), flat(get(st, "Resource")))
				if c := get(st, "Condition", "StringEquals", "kms:ViaService"); c != nil {
					line += " via " + flat(c)
				}
				out = append(out, line)
			}
			slices.Sort(out)
			return out
		}
		jwt := stmts("jwt")
		wantJWT := []string{
			"[logs:CreateLogStream logs:PutLogEvents] <JwtAuthorizerLogs>",
			"kms:Decrypt " + testSecretsKey + " via secretsmanager.<AWS::Region>.amazonaws.com",
			"secretsmanager:GetSecretValue arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:portcullis/partner-hmac-??????",
		}
		if diff := cmp.Diff(jwt, wantJWT); diff != "" {
			t.Errorf("jwt role (-got +want):\n%s", diff)
		}
		key := stmts("apikey")
		wantKey := []string{
			"[logs:CreateLogStream logs:PutLogEvents] <ApikeyAuthorizerLogs>",
			"dynamodb:GetItem <APIKeysTable>",
			"kms:Decrypt <TableKey> via dynamodb.<AWS::Region>.amazonaws.com",
			"kms:Decrypt " + testSecretsKey + " via ssm.<AWS::Region>.amazonaws.com",
			"ssm:GetParameter arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/portcullis/prod/pepper",
		}
		if diff := cmp.Diff(key, wantKey); diff != "" {
			t.Errorf("apikey role (-got +want):\n%s", diff)
		}
	})

	t.Run("authorizers", func(t *testing.T) {
		s.has(t, "AWS::ApiGateway::Authorizer", map[string]any{
			"Type": "TOKEN", "IdentitySource": "method.request.header.Authorization", "AuthorizerResultTtlInSeconds": 600,
		})
		s.has(t, "AWS::ApiGateway::Authorizer", map[string]any{
			"Type": "REQUEST", "IdentitySource": "method.request.header.x-partner-key,context.identity.sourceIp", "AuthorizerResultTtlInSeconds": 120,
		})
		// Simple responses carry no policy: the route joins the cache key.
		s.has(t, "AWS::ApiGatewayV2::Authorizer", map[string]any{
			"EnableSimpleResponses":        true,
			"IdentitySource":               []any{"$request.header.Authorization", "$context.routeKey"},
			"AuthorizerResultTtlInSeconds": 600,
		})
	})

	t.Run("CORS", func(t *testing.T) {
		for id, r := range s.of("AWS::ApiGateway::GatewayResponse") {
			if got := get(props(r), "ResponseParameters", "gatewayresponse.header.Access-Control-Allow-Origin"); got != "'https://app.example.com'" {
				t.Errorf("%s: Access-Control-Allow-Origin %v", id, got)
			}
		}
		_, api := s.one(t, "AWS::ApiGatewayV2::Api")
		if diff := cmp.Diff(get(props(api), "CorsConfiguration", "AllowOrigins"), []any{"https://app.example.com"}); diff != "" {
			t.Errorf("HTTP API CORS origins (-got +want):\n%s", diff)
		}
		preflight := 0
		for _, m := range s.of("AWS::ApiGateway::Method") {
			if props(m)["HttpMethod"] == "OPTIONS" {
				preflight++
				headers := fmt.Sprint(get(props(m), "Integration", "IntegrationResponses", 0, "ResponseParameters", "method.response.header.Access-Control-Allow-Headers"))
				if !strings.Contains(headers, "x-partner-key") || !strings.Contains(headers, "Authorization") {
					t.Errorf("preflight allows headers %s, want the credential headers", headers)
				}
			}
		}
		if preflight == 0 {
			t.Error("no CORS preflight methods")
		}
	})

	t.Run("WAF with both address families and every managed group", func(t *testing.T) {
		_, acl := s.one(t, "AWS::WAFv2::WebACL")
		rules := props(acl)["Rules"].([]any)
		for i, name := range []string{"block-list", "allow-list"} {
			ors := get(rules[i], "Statement", "OrStatement", "Statements").([]any)
			if get(rules[i], "Name") != name || len(ors) != 2 {
				t.Errorf("rule %d = %v with %d IP sets, want %s over an IPv4 and an IPv6 set", i, get(rules[i], "Name"), len(ors), name)
			}
		}
		if got := get(rules[2], "Statement", "RateBasedStatement"); fmt.Sprint(got) != "map[AggregateKeyType:IP EvaluationWindowSec:600 Limit:500]" {
			t.Errorf("rate rule %v, want 500 per 10 minutes", got)
		}
		var managed []string
		for _, r := range rules[3:] {
			managed = append(managed, get(r, "Statement", "ManagedRuleGroupStatement", "Name").(string))
		}
		want := []string{"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList",
			"AWSManagedRulesAnonymousIpList", "AWSManagedRulesSQLiRuleSet"}
		if diff := cmp.Diff(managed, want); diff != "" {
			t.Errorf("managed rule groups (-got +want):\n%s", diff)
		}
		sets := map[string]string{}
		for _, r := range s.of("AWS::WAFv2::IPSet") {
			sets[fmt.Sprint(props(r)["IPAddressVersion"])+" "+fmt.Sprint(props(r)["Addresses"])] = ""
		}
		wantSets := map[string]string{"IPV4 [203.0.113.10/32]": "", "IPV6 [2001:db8:1::/48]": "", "IPV4 [198.51.100.0/24]": "", "IPV6 [2001:db8:dead::/48]": ""}
		if diff := cmp.Diff(sets, wantSets); diff != "" {
			t.Errorf("IP sets (-got +want):\n%s", diff)
		}
		_, logging := s.one(t, "AWS::WAFv2::LoggingConfiguration")
		if got := fmt.Sprint(props(logging)["RedactedFields"]); !strings.Contains(got, "x-partner-key") {
			t.Errorf("redacted fields %s lack the policy's API-key header", got)
		}
	})

	t.Run("alarms notify the topic", func(t *testing.T) {
		alarms := s.of("AWS::CloudWatch::Alarm")
		if len(alarms) == 0 {
			t.Fatal("no alarms")
		}
		for id, a := range alarms {
			if diff := cmp.Diff(props(a)["AlarmActions"], []any{testAlarmTopic}); diff != "" {
				t.Errorf("%s AlarmActions (-got +want):\n%s", id, diff)
			}
		}
	})

	t.Run("log retention", func(t *testing.T) {
		for id, lg := range s.of("AWS::Logs::LogGroup") {
			if props(lg)["RetentionInDays"] != 365.0 || lg["DeletionPolicy"] != "Retain" {
				t.Errorf("%s: retention %v, DeletionPolicy %v; want 365 days, Retain", id, props(lg)["RetentionInDays"], lg["DeletionPolicy"])
			}
		}
	})

	t.Run("HTTP API leaves out the API-key route", func(t *testing.T) {
		var keys []string
		for _, r := range s.of("AWS::ApiGatewayV2::Route") {
			keys = append(keys, props(r)["RouteKey"].(string))
		}
		slices.Sort(keys)
		want := []string{"$default", "ANY /admin/{proxy+}", "GET /health", "GET /orders/{id}", "POST /orders"}
		if diff := cmp.Diff(keys, want); diff != "" {
			t.Errorf("HTTP routes (-got +want):\n%s", diff)
		}
	})
}

// TestMinimalStack synthesizes the smallest policy: JWT only, uncached,
// no WAF, no HTTP API.
func TestMinimalStack(t *testing.T) {
	s := synth(t, "Portcullis-min", stack.Props{
		PolicyPath:   "../testdata/minimal.yaml",
		NoHTTPAPI:    true,
		LogRetention: awslogs.RetentionDays_ONE_MONTH,
	})
	if errs := s.nagFindings("error"); len(errs) > 0 {
		t.Errorf("unsuppressed cdk-nag errors:\n  %s", joinLines(errs))
	}
	if warns := s.nagFindings("warning"); len(warns) > 0 {
		t.Errorf("unsuppressed cdk-nag warnings (APIG3 must be suppressed with the policy's reason):\n  %s", joinLines(warns))
	}
	for _, typ := range []string{"AWS::WAFv2::WebACL", "AWS::WAFv2::IPSet", "AWS::DynamoDB::Table", "AWS::ApiGateway::UsagePlan", "AWS::ApiGatewayV2::Api", "AWS::KMS::Key"} {
		if n := len(s.of(typ)); n != 0 {
			t.Errorf("%d %s, want none", n, typ)
		}
	}
	s.has(t, "AWS::ApiGateway::Authorizer", map[string]any{"Type": "TOKEN", "AuthorizerResultTtlInSeconds": 0})
	s.has(t, "AWS::ApiGateway::RestApi", map[string]any{"ApiKeySourceType": "HEADER"})
	if fns := s.of("AWS::Lambda::Function"); len(fns) != 2 {
		t.Errorf("%d functions, want the JWT authorizer and the demo backend", len(fns))
	}
	for id, lg := range s.of("AWS::Logs::LogGroup") {
		if props(lg)["RetentionInDays"] != 30.0 {
			t.Errorf("%s: retention %v, want the 30 days asked for", id, props(lg)["RetentionInDays"])
		}
	}
	if got := s.restMethods(t); fmt.Sprint(got) != "map[GET /orders:TOKEN]" {
		t.Errorf("methods %v, want GET /orders behind the TOKEN authorizer", got)
	}
	outs, _ := s.json["Outputs"].(map[string]any)
	for _, k := range []string{"HttpApiUrl", "WebAclArn", "UsagePlans"} {
		if _, ok := outs[k]; ok {
			t.Errorf("output %s present without its resource", k)
		}
	}
}

// flat renders a CloudFormation value with references as <LogicalId>
// (hash suffix dropped) and pseudo parameters as <AWS::Region>.
func flat(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		var parts []string
		for _, e := range x {
			parts = append(parts, flat(e))
		}
		return strings.Join(parts, " ")
	case map[string]any:
		if r, ok := x["Ref"].(string); ok {
			if strings.HasPrefix(r, "AWS::") {
				return "<" + r + ">"
			}
			return "<" + trimHash(r) + ">"
		}
		if ga, ok := x["Fn::GetAtt"].([]any); ok {
			return "<" + trimHash(ga[0].(string)) + ">"
		}
		if j, ok := x["Fn::Join"].([]any); ok {
			var b strings.Builder
			for _, e := range j[1].([]any) {
				b.WriteString(flat(e))
			}
			return b.String()
		}
	}
	return fmt.Sprint(v)
}

// trimHash drops the 8-hex-digit suffix CDK appends to logical ids.
func trimHash(id string) string {
	if len(id) > 8 {
		tail := id[len(id)-8:]
		if strings.Trim(tail, "0123456789ABCDEF") == "" {
			return id[:len(id)-8]
		}
	}
	return id
}

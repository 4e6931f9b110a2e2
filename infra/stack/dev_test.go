package stack_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"github.com/portcullis-authz/portcullis/infra/stack"
	"github.com/portcullis-authz/portcullis/shared/authz"
	"github.com/portcullis-authz/portcullis/shared/config"
	"github.com/portcullis-authz/portcullis/shared/dynamostore"
)

// TestDevStack synthesizes the development policy (events/policy.yaml)
// on the dev stage with default props: what `make synth` produces.
func TestDevStack(t *testing.T) {
	s := synth(t, "Portcullis-dev", stack.Props{PolicyPath: "../../events/policy.yaml"})
	f := s.policy

	t.Run("cdk-nag", func(t *testing.T) {
		if errs := s.nagFindings("error"); len(errs) > 0 {
			t.Errorf("unsuppressed cdk-nag errors:\n  %s", joinLines(errs))
		}
		if warns := s.nagFindings("warning"); len(warns) > 0 {
			t.Errorf("unsuppressed cdk-nag warnings:\n  %s", joinLines(warns))
		}
	})

	t.Run("local-only policy synthesizes but cannot deploy", func(t *testing.T) {
		rule := get(s.json, "Rules", "RefuseLocalOnlyPolicy", "Assertions", 0)
		if rule == nil {
			t.Fatal("no RefuseLocalOnlyPolicy rule: a dev-policy template would deploy")
		}
		if got := get(rule, "Assert", "Fn::Equals", 0, "Ref"); got != "LocalOnlyPolicy" {
			t.Errorf("rule asserts on %v, want the LocalOnlyPolicy parameter", got)
		}
		allowed := get(s.json, "Parameters", "LocalOnlyPolicy", "AllowedValues")
		if diff := cmp.Diff(allowed, []any{"refuse"}); diff != "" {
			t.Errorf("LocalOnlyPolicy AllowedValues (-got +want):\n%s", diff)
		}
		desc, _ := get(rule, "AssertDescription").(string)
		for _, want := range []string{f.Authorizers.APIKey.Pepper.File, "allow-local-policy=true"} {
			if !strings.Contains(desc, want) {
				t.Errorf("rule description %q does not mention %q", desc, want)
			}
		}
		w := s.ann.FindWarning(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("local-only policy")))
		if len(*w) != 1 {
			t.Errorf("%d local-only warnings, want 1", len(*w))
		}
	})

	t.Run("authorizer functions", func(t *testing.T) {
		fns := map[string]map[string]any{}
		for _, r := range s.of("AWS::Lambda::Function") {
			if props(r)["Runtime"] == "provided.al2023" {
				fns[props(r)["Description"].(string)] = props(r)
			}
		}
		if len(fns) != 2 {
			t.Fatalf("%d Go functions, want 2 (jwt and apikey): %v", len(fns), sortedKeys(fns))
		}
		for desc, p := range fns {
			if diff := cmp.Diff([]any{p["Architectures"], p["Handler"], p["MemorySize"]}, []any{[]any{"arm64"}, "bootstrap", 128.0}); diff != "" {
				t.Errorf("%s: architecture, handler, memory (-got +want):\n%s", desc, diff)
			}
			lg := ref(get(p, "LoggingConfig", "LogGroup"))
			if s.res[lg]["Type"] != "AWS::Logs::LogGroup" || get(props(s.res[lg]), "RetentionInDays") != 14.0 {
				t.Errorf("%s: log group %s is not an explicit group with two weeks' retention", desc, lg)
			}
			env, _ := get(p, "Environment", "Variables").(map[string]any)
			if strings.Contains(desc, "apikey") {
				tbl := ref(env[dynamostore.APIKeys.EnvVar])
				if s.res[tbl]["Type"] != "AWS::DynamoDB::Table" {
					t.Errorf("%s: %s = %v, want the API-keys table", desc, dynamostore.APIKeys.EnvVar, env[dynamostore.APIKeys.EnvVar])
				}
			} else if len(env) != 0 {
				t.Errorf("%s: environment %v, want none (the policy sits beside the binary)", desc, env)
			}
		}
	})

	t.Run("assets hold the binary, the policy and its files", func(t *testing.T) {
		for _, fn := range []string{"jwt-authorizer", "apikey-authorizer"} {
			for _, name := range []string{"bootstrap", "policy.yaml", f.Issuers[0].JWKS.File} {
				if _, err := os.Stat(filepath.Join(s.props.AssetDir, fn, name)); err != nil {
					t.Errorf("asset %s lacks %s: %v", fn, name, err)
				}
			}
		}
		_, err := os.Stat(filepath.Join(s.props.AssetDir, "jwt-authorizer", f.Authorizers.APIKey.Pepper.File))
		if err == nil {
			t.Error("the JWT function's asset holds the API-key pepper")
		}
	})

	t.Run("REST authorizers", func(t *testing.T) {
		s.has(t, "AWS::ApiGateway::Authorizer", map[string]any{
			"Type":                         "TOKEN",
			"IdentitySource":               "method.request.header." + f.Authorizers.JWT.Header,
			"AuthorizerResultTtlInSeconds": f.Authorizers.JWT.CacheTTL.D().Seconds(),
		})
		s.has(t, "AWS::ApiGateway::Authorizer", map[string]any{
			"Type":                         "REQUEST",
			"IdentitySource":               "method.request.header." + f.Authorizers.APIKey.Header + ",context.identity.sourceIp",
			"AuthorizerResultTtlInSeconds": f.Authorizers.APIKey.CacheTTL.D().Seconds(),
		})
		s.has(t, "AWS::ApiGateway::RestApi", map[string]any{
			"ApiKeySourceType":      "AUTHORIZER",
			"EndpointConfiguration": map[string]any{"Types": []any{"REGIONAL"}},
		})
	})

	t.Run("REST methods are the policy's routes", func(t *testing.T) {
		kind := map[string]string{config.AuthorizerJWT: "TOKEN", config.AuthorizerAPIKey: "REQUEST", config.AuthorizerNone: "NONE"}
		want := map[string]string{}
		for _, r := range f.Routes {
			k, err := authz.ParseRouteKey(r.Key)
			if err != nil {
				t.Fatal(err)
			}
			switch k.Special() {
			case "":
				method, path, _ := strings.Cut(r.Key, " ")
				want[method+" "+path] = kind[r.Authorizer]
			case authz.RouteDefault:
				want["ANY /"], want["ANY /{proxy+}"] = kind[r.Authorizer], kind[r.Authorizer]
			}
		}
		if diff := cmp.Diff(s.restMethods(t), want); diff != "" {
			t.Errorf("REST methods (-got +want):\n%s", diff)
		}
		for id, m := range s.of("AWS::ApiGateway::Method") {
			p := props(m)
			isKey := p["AuthorizationType"] == "CUSTOM" && props(s.res[ref(p["AuthorizerId"])])["Type"] == "REQUEST"
			if got, _ := p["ApiKeyRequired"].(bool); got != isKey {
				t.Errorf("method %s %s: ApiKeyRequired = %v, want %v", id, p["HttpMethod"], got, isKey)
			}
		}
	})

	t.Run("gateway responses", func(t *testing.T) {
		got := map[string]string{}
		for _, r := range s.of("AWS::ApiGateway::GatewayResponse") {
			p := props(r)
			b, _ := json.Marshal([]any{p["StatusCode"], p["ResponseParameters"]})
			got[p["ResponseType"].(string)] = string(b)
			tmpl, _ := get(p, "ResponseTemplates", "application/json").(string)
			// Valid JSON once API Gateway substitutes the variables
			// ($context.error.messageString is already quoted).
			sample := contextVar.ReplaceAllStringFunc(tmpl, func(v string) string {
				if v == "$context.error.messageString" {
					return `"Unauthorized"`
				}
				return "x"
			})
			if !json.Valid([]byte(sample)) {
				t.Errorf("%s body template %q is not JSON after substitution", p["ResponseType"], tmpl)
			}
			if !strings.Contains(tmpl, "$context.requestId") {
				t.Errorf("%s body template %q lacks the request id", p["ResponseType"], tmpl)
			}
		}
		cors := `"gatewayresponse.header.Access-Control-Allow-Origin":"'*'","gatewayresponse.header.Access-Control-Expose-Headers":"'WWW-Authenticate'"`
		want := map[string]string{
			"UNAUTHORIZED":                   `["401",{` + cors + `,"gatewayresponse.header.WWW-Authenticate":"'Bearer realm=\"Portcullis-dev\"'"}]`,
			"ACCESS_DENIED":                  `["403",{` + cors + `,"gatewayresponse.header.WWW-Authenticate":"context.authorizer.challenge"}]`,
			"AUTHORIZER_FAILURE":             `["500",{` + cors + `}]`,
			"AUTHORIZER_CONFIGURATION_ERROR": `["500",{` + cors + `}]`,
			"MISSING_AUTHENTICATION_TOKEN":   `["404",{` + cors + `}]`,
			"DEFAULT_4XX":                    `[null,{` + cors + `}]`,
			"DEFAULT_5XX":                    `[null,{` + cors + `}]`,
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("gateway responses (-got +want):\n%s", diff)
		}
		s.has(t, "AWS::ApiGateway::GatewayResponse", map[string]any{
			"ResponseType": "ACCESS_DENIED",
			"ResponseTemplates": map[string]any{"application/json": assertions.Match_StringLikeRegexp(jsii.String(
				`"reason":"\$context\.authorizer\.reason"`))},
		})
	})

	t.Run("usage plans", func(t *testing.T) {
		got := map[string]string{}
		for _, r := range s.of("AWS::ApiGateway::UsagePlan") {
			p := props(r)
			b, _ := json.Marshal([]any{p["Throttle"], p["Quota"]})
			got[p["UsagePlanName"].(string)] = string(b)
			if stage := ref(get(p, "ApiStages", 0, "Stage")); s.res[stage]["Type"] != "AWS::ApiGateway::Stage" {
				t.Errorf("usage plan %s is not attached to the stage (%v)", p["UsagePlanName"], get(p, "ApiStages"))
			}
		}
		want := map[string]string{}
		for _, up := range f.UsagePlans {
			q := "null"
			if up.Quota != nil {
				q = fmt.Sprintf(`{"Limit":%d,"Period":%q}`, up.Quota.Limit, up.Quota.Period)
			}
			want["Portcullis-dev-"+up.Name] = fmt.Sprintf(`[{"BurstLimit":%d,"RateLimit":%g},%s]`, up.Throttle.Burst, up.Throttle.Rate, q)
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("usage plans (-got +want):\n%s", diff)
		}
	})

	t.Run("API-keys table", func(t *testing.T) {
		_, tbl := s.one(t, "AWS::DynamoDB::Table")
		p := props(tbl)
		want := map[string]any{
			"BillingMode":                      "PAY_PER_REQUEST",
			"KeySchema":                        []any{map[string]any{"AttributeName": dynamostore.APIKeys.PartitionKey.Name, "KeyType": "HASH"}},
			"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
			"SSESpecification":                 map[string]any{"SSEEnabled": true},
			"TimeToLiveSpecification":          map[string]any{"AttributeName": dynamostore.APIKeys.TTLAttribute, "Enabled": true},
			"DeletionProtectionEnabled":        false,
		}
		for k, w := range want {
			if diff := cmp.Diff(p[k], w); diff != "" {
				t.Errorf("table %s (-got +want):\n%s", k, diff)
			}
		}
		if tbl["DeletionPolicy"] != "Delete" {
			t.Errorf("dev table DeletionPolicy = %v, want Delete", tbl["DeletionPolicy"])
		}
		var gsis []string
		for _, g := range p["GlobalSecondaryIndexes"].([]any) {
			gsis = append(gsis, get(g, "IndexName").(string))
		}
		var wantGSIs []string
		for _, ix := range dynamostore.APIKeys.Indexes {
			wantGSIs = append(wantGSIs, ix.Name)
		}
		if diff := cmp.Diff(gsis, wantGSIs); diff != "" {
			t.Errorf("indexes (-got +want):\n%s", diff)
		}
	})

	t.Run("IAM: no wildcard action, no managed policy but API Gateway's logging role", func(t *testing.T) {
		actions := map[string][]string{}
		policyActions(s.json, "template", actions)
		if len(actions) == 0 {
			t.Fatal("no policy statements found: the walk is broken")
		}
		for where, acts := range actions {
			for _, a := range acts {
				if strings.Contains(a, "*") {
					t.Errorf("%s: wildcard action %q", where, a)
				}
			}
		}
		for id, r := range s.of("AWS::IAM::Role") {
			if mp := props(r)["ManagedPolicyArns"]; mp != nil && !strings.Contains(fmt.Sprint(mp), "AmazonAPIGatewayPushToCloudWatchLogs") {
				t.Errorf("role %s has managed policies %v", id, mp)
			}
		}
		roleOf := func(desc string) []string {
			for _, fn := range s.of("AWS::Lambda::Function") {
				if strings.Contains(fmt.Sprint(props(fn)["Description"]), desc) {
					var out []string
					stmts := get(props(s.res[ref(props(fn)["Role"])]), "Policies", 0, "PolicyDocument", "Statement").([]any)
					for _, st := range stmts {
						out = append(out, fmt.Sprintf("%v %v", get(st, "Action"), ref(get(st, "Resource"))))
					}
					slices.Sort(out)
					return out
				}
			}
			return nil
		}
		jwtLogs := ref(get(props(s.stackFunction(t, "jwt")), "LoggingConfig", "LogGroup"))
		keyLogs := ref(get(props(s.stackFunction(t, "apikey")), "LoggingConfig", "LogGroup"))
		_, tblID := s.tableID(t)
		if diff := cmp.Diff(roleOf("jwt authorizer"), []string{"[logs:CreateLogStream logs:PutLogEvents] " + jwtLogs}); diff != "" {
			t.Errorf("jwt role statements (-got +want):\n%s", diff)
		}
		if diff := cmp.Diff(roleOf("apikey authorizer"), []string{"[logs:CreateLogStream logs:PutLogEvents] " + keyLogs, "dynamodb:GetItem " + tblID}); diff != "" {
			t.Errorf("apikey role statements (-got +want):\n%s", diff)
		}
	})

	t.Run("WAF", func(t *testing.T) {
		_, acl := s.one(t, "AWS::WAFv2::WebACL")
		var rules []string
		for _, r := range props(acl)["Rules"].([]any) {
			action := "override:none"
			if a, ok := get(r, "Action").(map[string]any); ok {
				action = sortedKeys(a)[0]
			}
			rules = append(rules, fmt.Sprintf("%v %v %s", get(r, "Priority"), get(r, "Name"), action))
		}
		want := []string{"0 block-list Block", "1 allow-list Allow", "2 rate-per-ip Block",
			"10 AWSManagedRulesCommonRuleSet override:none", "11 AWSManagedRulesKnownBadInputsRuleSet override:none", "12 AWSManagedRulesAmazonIpReputationList override:none"}
		if diff := cmp.Diff(rules, want); diff != "" {
			t.Errorf("WAF rules (-got +want):\n%s", diff)
		}
		rate := get(props(acl), "Rules", 2, "Statement", "RateBasedStatement")
		if diff := cmp.Diff(rate, map[string]any{"AggregateKeyType": "IP", "Limit": float64(f.WAF.RateLimit), "EvaluationWindowSec": f.WAF.RateWindow.D().Seconds()}); diff != "" {
			t.Errorf("rate rule (-got +want):\n%s", diff)
		}
		sets := map[string]string{}
		for _, r := range s.of("AWS::WAFv2::IPSet") {
			p := props(r)
			sets[fmt.Sprint(p["IPAddressVersion"])+" "+fmt.Sprint(p["Addresses"])] = fmt.Sprint(p["Scope"])
		}
		wantSets := map[string]string{}
		for _, c := range f.WAF.BlockList {
			wantSets["IPV4 ["+c.String()+"]"] = "REGIONAL"
		}
		for _, c := range f.WAF.AllowList {
			wantSets["IPV4 ["+c.String()+"]"] = "REGIONAL"
		}
		if diff := cmp.Diff(sets, wantSets); diff != "" {
			t.Errorf("IP sets (-got +want):\n%s", diff)
		}
		_, assoc := s.one(t, "AWS::WAFv2::WebACLAssociation")
		if !strings.Contains(fmt.Sprint(props(assoc)["ResourceArn"]), "/stages/") || ref(props(assoc)["WebACLArn"]) == "" {
			t.Errorf("association %v does not tie the web ACL to the REST stage", props(assoc))
		}
		_, logging := s.one(t, "AWS::WAFv2::LoggingConfiguration")
		if !strings.Contains(fmt.Sprint(props(logging)["LogDestinationConfigs"]), ":log-group:aws-waf-logs-Portcullis-dev") {
			t.Errorf("WAF log destination %v, want the aws-waf-logs- group", props(logging)["LogDestinationConfigs"])
		}
		var redacted []string
		for _, r := range props(logging)["RedactedFields"].([]any) {
			redacted = append(redacted, get(r, "SingleHeader", "Name").(string))
		}
		if diff := cmp.Diff(redacted, []string{"authorization", "cookie", "x-api-key"}); diff != "" {
			t.Errorf("redacted headers (-got +want):\n%s", diff)
		}
	})

	t.Run("access logs", func(t *testing.T) {
		_, st := s.one(t, "AWS::ApiGateway::Stage")
		checkAccessLog(t, "REST", get(props(st), "AccessLogSetting", "Format"),
			"$context.authorizer.principalId", "$context.authorizer.sub", "$context.authorizer.reason", "$context.authorizer.latency", "$context.authorizer.error", "$context.error.responseType")
		s.has(t, "AWS::ApiGateway::Stage", map[string]any{
			"StageName": "dev",
			"MethodSettings": []any{map[string]any{
				"HttpMethod": "*", "ResourcePath": "/*", "LoggingLevel": "ERROR", "DataTraceEnabled": false, "MetricsEnabled": true,
			}},
		})
		_, hst := s.one(t, "AWS::ApiGatewayV2::Stage")
		checkAccessLog(t, "HTTP", get(props(hst), "AccessLogSettings", "Format"),
			"$context.authorizer.sub", "$context.authorizer.reason", "$context.authorizer.error", "$context.routeKey")
	})

	t.Run("HTTP API", func(t *testing.T) {
		s.has(t, "AWS::ApiGatewayV2::Authorizer", map[string]any{
			"AuthorizerType":                 "REQUEST",
			"AuthorizerPayloadFormatVersion": "2.0",
			"EnableSimpleResponses":          f.Authorizers.JWT.HTTPAPIResponse == "simple",
			"IdentitySource":                 []any{"$request.header." + f.Authorizers.JWT.Header},
			"AuthorizerResultTtlInSeconds":   f.Authorizers.JWT.CacheTTL.D().Seconds(),
		})
		got := map[string]string{}
		for _, r := range s.of("AWS::ApiGatewayV2::Route") {
			got[props(r)["RouteKey"].(string)] = fmt.Sprint(props(r)["AuthorizationType"])
		}
		want := map[string]string{}
		for _, r := range f.Routes {
			k, _ := authz.ParseRouteKey(r.Key)
			switch {
			case k.Special() != "" && k.Special() != authz.RouteDefault, r.Authorizer == config.AuthorizerAPIKey:
			case r.Authorizer == config.AuthorizerJWT:
				want[r.Key] = "CUSTOM"
			default:
				want[r.Key] = "NONE"
			}
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("HTTP routes (-got +want):\n%s", diff)
		}
		httpAPI, _ := s.one(t, "AWS::ApiGatewayV2::Api")
		jwtFn := ""
		for id, fn := range s.of("AWS::Lambda::Function") {
			if strings.HasPrefix(fmt.Sprint(props(fn)["Description"]), "Portcullis jwt authorizer") {
				jwtFn = id
			}
		}
		perms := 0
		for _, p := range s.of("AWS::Lambda::Permission") {
			src := fmt.Sprint(props(p)["SourceArn"])
			if strings.Contains(src, "authorizers/") && strings.Contains(src, httpAPI) && ref(props(p)["FunctionName"]) == jwtFn {
				perms++
			}
		}
		if perms != 1 {
			t.Errorf("%d permissions for the HTTP API to invoke the JWT authorizer, want 1", perms)
		}
	})

	t.Run("invoke permissions: one per API and authorizer", func(t *testing.T) {
		got := map[string]int{}
		for _, p := range s.of("AWS::Lambda::Permission") {
			fn := s.res[ref(props(p)["FunctionName"])]
			desc := fmt.Sprint(props(fn)["Description"])
			desc, _, _ = strings.Cut(desc, " (")
			got[desc]++
			if props(p)["Principal"] != "apigateway.amazonaws.com" {
				t.Errorf("permission for %s to %v", desc, props(p)["Principal"])
			}
		}
		want := map[string]int{
			"Portcullis demo backend: echoes the request and the authorizer context": 2, // REST, HTTP
			"Portcullis jwt authorizer":    2, // REST and HTTP authorizers
			"Portcullis apikey authorizer": 1,
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("Lambda permissions by function (-got +want):\n%s", diff)
		}
	})

	t.Run("alarms", func(t *testing.T) {
		got := map[string]string{}
		for _, a := range s.of("AWS::CloudWatch::Alarm") {
			p := props(a)
			name := fmt.Sprint(p["MetricName"])
			if dims, ok := p["Dimensions"].([]any); ok {
				for _, d := range dims {
					if get(d, "Name") == "Authorizer" || get(d, "Name") == "Outcome" {
						name += fmt.Sprintf(" %v=%v", get(d, "Name"), get(d, "Value"))
					}
				}
			}
			if p["ExtendedStatistic"] != nil {
				name += " " + fmt.Sprint(p["ExtendedStatistic"])
			}
			got[name] = fmt.Sprintf("%v %v", p["ComparisonOperator"], p["Threshold"])
		}
		want := map[string]string{
			"AuthorizerFailures":                        "GreaterThanOrEqualToThreshold 5",
			"Decisions Authorizer=jwt Outcome=error":    "GreaterThanOrEqualToThreshold 5",
			"Decisions Authorizer=apikey Outcome=error": "GreaterThanOrEqualToThreshold 5",
			"Duration p99":                              "GreaterThanOrEqualToThreshold 1000",
			"5XXError":                                  "GreaterThanOrEqualToThreshold 0.05",
			"Latency p99":                               "GreaterThanOrEqualToThreshold 2000",
			"5xx":                                       "GreaterThanOrEqualToThreshold 0.05",
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("alarms by metric (-got +want):\n%s", diff)
		}
		if n := len(s.of("AWS::CloudWatch::Alarm")); n != 9 {
			t.Errorf("%d alarms, want 9 (failures, 2 per authorizer, REST and HTTP 5XX and latency)", n)
		}
		_, mf := s.one(t, "AWS::Logs::MetricFilter")
		if pat := fmt.Sprint(props(mf)["FilterPattern"]); !strings.Contains(pat, "AUTHORIZER_FAILURE") || !strings.Contains(pat, "AUTHORIZER_CONFIGURATION_ERROR") {
			t.Errorf("metric filter pattern %q does not count authorizer failures", pat)
		}
	})

	t.Run("outputs", func(t *testing.T) {
		outs, _ := s.json["Outputs"].(map[string]any)
		for _, k := range []string{"RestApiUrl", "HttpApiUrl", "APIKeysTableName", "WebAclArn", "UsagePlans", "UsagePlanBronzeId", "UsagePlanGoldId", "JwtAuthorizerName", "ApikeyAuthorizerName"} {
			if _, ok := outs[k]; !ok {
				t.Errorf("output %s missing (have %v)", k, sortedKeys(outs))
			}
		}
	})

	t.Run("notes", func(t *testing.T) {
		infos := s.ann.FindInfo(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("WebSocket route")))
		if len(*infos) == 0 {
			t.Error("no note about the $connect route being left out")
		}
	})
}

// checkAccessLog asserts an access log format is one JSON object, even
// when API Gateway writes "-" for absent values, carrying vars besides the
// request id, status and integration latency.
func checkAccessLog(t *testing.T, api string, format any, vars ...string) {
	t.Helper()
	s, _ := format.(string)
	var line map[string]string
	if err := json.Unmarshal([]byte(contextVar.ReplaceAllString(s, "-")), &line); err != nil {
		t.Fatalf("%s access log format %q is not a JSON object: %v", api, s, err)
	}
	for _, v := range append(vars, "$context.integration.latency", "$context.status", "$context.requestId") {
		if !strings.Contains(s, `"`+v+`"`) {
			t.Errorf("%s access log lacks %s", api, v)
		}
	}
}

// stackFunction returns the Go function of authorizer name.
func (s *synthesized) stackFunction(t *testing.T, name string) map[string]any {
	t.Helper()
	for _, fn := range s.of("AWS::Lambda::Function") {
		if strings.HasPrefix(fmt.Sprint(props(fn)["Description"]), "Portcullis "+name+" authorizer") {
			return fn
		}
	}
	t.Fatalf("no %s authorizer function", name)
	return nil
}

func (s *synthesized) tableID(t *testing.T) (map[string]any, string) {
	t.Helper()
	id, r := s.one(t, "AWS::DynamoDB::Table")
	return r, id
}

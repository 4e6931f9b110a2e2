package stack_test

import (
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"github.com/portcullis-authz/portcullis/infra/plan"
	"github.com/portcullis-authz/portcullis/infra/plan/plantest"
	"github.com/portcullis-authz/portcullis/infra/stack"
	"github.com/portcullis-authz/portcullis/shared/authz"
	"github.com/portcullis-authz/portcullis/shared/config"
)

// riskRequirement depends on each request's signals, as the risk
// authorizer's will; the policy file cannot express it yet.
type riskRequirement struct{}

func (riskRequirement) Check(*authz.Principal, *authz.Request, time.Time) *authz.Shortfall {
	return nil
}
func (riskRequirement) PerRequest() bool { return true }

// TestRefusals checks that the stack refuses, before creating anything,
// every policy or build it cannot deploy, naming the problem.
func TestRefusals(t *testing.T) {
	requireCDK(t)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: 2\nauthorizers: {}\nroutes:\n  GET /x: {scopes: [nope]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	x86 := t.TempDir()
	plantest.WriteBootstrap(t, x86, "jwt-authorizer", elf.EM_X86_64)
	plantest.WriteBootstrap(t, x86, "apikey-authorizer", elf.EM_AARCH64)

	tests := []struct {
		name   string
		props  stack.Props
		want   error
		substr []string
	}{
		{
			name:   "invalid policy: every problem, with file and line",
			props:  stack.Props{PolicyPath: bad},
			want:   config.ErrInvalid,
			substr: []string{"bad.yaml:1:", "version: must be 1", "configure at least one authorizer", "unknown scope \"nope\""},
		},
		{
			name:   "local-only policy on the prod stage",
			props:  stack.Props{PolicyPath: "../../events/policy.yaml", Stage: plan.Prod, AllowLocalPolicy: true},
			want:   plan.ErrLocalPolicy,
			substr: []string{"prod stage", "authorizers.apikey.pepper reads the secret from the file"},
		},
		{
			name:   "functions not built",
			props:  stack.Props{PolicyPath: "../../events/policy.yaml", BuildDir: t.TempDir()},
			want:   plan.ErrNotBuilt,
			substr: []string{"jwt-authorizer/bootstrap does not exist", "apikey-authorizer/bootstrap does not exist", "make build"},
		},
		{
			name:   "function built for the host, not arm64",
			props:  stack.Props{PolicyPath: "../../events/policy.yaml", BuildDir: x86},
			want:   plan.ErrNotBuilt,
			substr: []string{"jwt-authorizer/bootstrap is a EM_X86_64", "not build-host"},
		},
		{
			name:   "cached authorizer with a per-request route",
			props:  withRisk(stack.Props{PolicyPath: "../../events/policy.yaml"}, "GET /orders/{id}"),
			want:   plan.ErrCacheUnsafe,
			substr: []string{"authorizer jwt caches decisions", "GET /orders/{id}", "cache_ttl: 0s"},
		},
		{
			name:   "missing props",
			props:  stack.Props{PolicyPath: "../../events/policy.yaml", AssetDir: "-", TableKey: "hsm"},
			want:   stack.ErrProps,
			substr: []string{"table key", "required"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.props
			if p.BuildDir == "" {
				p.BuildDir = plantest.BuildDir(t)
			}
			if p.AssetDir == "" {
				p.AssetDir = t.TempDir()
			} else if p.AssetDir == "-" {
				p.AssetDir = ""
			}
			app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
			s, err := stack.NewPortcullisStack(app, "Refused", &p)
			if err == nil {
				t.Fatalf("NewPortcullisStack = %v, want an error", s)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("error %v does not wrap %v", err, tt.want)
			}
			for _, sub := range tt.substr {
				if !strings.Contains(err.Error(), sub) {
					t.Errorf("error %q does not contain %q", err, sub)
				}
			}
			if n := len(*app.Node().Children()); n != 0 {
				t.Errorf("the app has %d children after a refusal, want none", n)
			}
		})
	}
}

func withRisk(p stack.Props, route string) stack.Props {
	stack.SetPolicyFor(&p, func(f *config.File, name string) (*authz.Policy, error) {
		pol, err := f.Policy(name)
		if err != nil {
			return nil, err
		}
		for _, rt := range pol.Routes {
			if rt.Key.String() == route {
				rt.Requirements = append(rt.Requirements, riskRequirement{})
			}
		}
		return pol, nil
	})
	return p
}

// TestNagIsActive proves the checks run: a role with a wildcard action
// must be reported.
func TestNagIsActive(t *testing.T) {
	requireCDK(t)
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	s := awscdk.NewStack(app, jsii.String("Careless"), nil)
	role := awsiam.NewRole(s, jsii.String("Careless"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil)})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings("s3:*"), Resources: jsii.Strings("*")}))
	stack.AddChecks(app)
	assertions.Template_FromStack(s, nil)
	errs := assertions.Annotations_FromStack(s).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-IAM5")))
	if len(*errs) == 0 {
		t.Error("cdk-nag did not report a wildcard action: the checks are not running")
	}
}

func TestPropsFromContext(t *testing.T) {
	ctx := func(m map[string]any) func(string) any { return func(k string) any { return m[k] } }
	p, err := stack.PropsFromContext(ctx(map[string]any{"policy": "/abs/policy.yaml"}), "/repo/infra")
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	got := []any{p.PolicyPath, p.BuildDir, p.Stage, p.AllowLocalPolicy, p.NoHTTPAPI, p.CORSOrigin, p.TableKey, p.NoAccountLogRole, p.LogRetention, p.Alarms}
	want := []any{"/abs/policy.yaml", "/repo/build", plan.Dev, false, false, "*", stack.AWSManagedKey, false, awslogs.RetentionDays_TWO_WEEKS,
		stack.Alarms{AuthorizerFailures: 5, ServerErrorRate: 0.05, Latency: 2 * time.Second, AuthorizerDuration: time.Second}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("defaults (-got +want):\n%s", diff)
	}

	p, err = stack.PropsFromContext(ctx(map[string]any{
		"policy": "p.yaml", "stage": "prod", "build": "/b", "allow-local-policy": "true", "http-api": false,
		"cors-origin": "https://app.example.com", "log-retention-days": "90", "table-key": "customer-managed",
		"secrets-kms-key": testSecretsKey, "alarm-topic": testAlarmTopic, "account-log-role": "false",
	}), "/repo/infra")
	if err != nil {
		t.Fatalf("all keys: %v", err)
	}
	got = []any{p.PolicyPath, p.BuildDir, p.Stage, p.AllowLocalPolicy, p.NoHTTPAPI, p.CORSOrigin, p.TableKey, p.NoAccountLogRole, p.LogRetention, p.SecretsKeyARN, p.AlarmTopicARN}
	want = []any{"/repo/infra/p.yaml", "/b", plan.Prod, true, true, "https://app.example.com", stack.CustomerManagedKey, true, awslogs.RetentionDays_THREE_MONTHS, testSecretsKey, testAlarmTopic}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("all keys (-got +want):\n%s", diff)
	}

	_, err = stack.PropsFromContext(ctx(map[string]any{
		"stage": "production", "http-api": "maybe", "log-retention-days": "10", "table-key": "mine",
		"cors-origin": "https://a.example, https://b.example", "alarm-topic": "alarms",
	}), "/repo/infra")
	if err == nil {
		t.Fatal("bad context accepted")
	}
	for _, sub := range []string{"context policy is required", "stage must be dev or prod", "http-api: want true or false", "log-retention-days", "table key", "cors origin", "alarm topic"} {
		if !strings.Contains(err.Error(), sub) {
			t.Errorf("error %q does not mention %q", err, sub)
		}
	}
}

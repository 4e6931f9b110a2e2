package stack

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"

	"github.com/portcullis-authz/portcullis/infra/plan"
	"github.com/portcullis-authz/portcullis/shared/authz"
	"github.com/portcullis-authz/portcullis/shared/config"
)

// TableKey says which KMS key encrypts the DynamoDB tables.
type TableKey string

// Table keys.
const (
	// AWSManagedKey encrypts with the AWS managed key aws/dynamodb: KMS
	// encryption with CloudTrail-audited use, no key to administer, no
	// monthly key charge. The default.
	AWSManagedKey TableKey = "aws-managed"
	// CustomerManagedKey encrypts with a key the stack creates (rotation
	// on, retained in prod): for accounts whose rules demand control over
	// the key policy or the ability to revoke access by disabling the key.
	CustomerManagedKey TableKey = "customer-managed"
)

// Alarms are the alarm thresholds.
type Alarms struct {
	// AuthorizerFailures is the number of requests answered 500 because an
	// authorizer failed (error, timeout, crash) in 5 minutes that raises
	// the alarm. Default 5.
	AuthorizerFailures float64
	// ServerErrorRate is the fraction of requests answered 5XX over 5
	// minutes, in 2 of 3 periods, that raises the alarm. Default 0.05.
	ServerErrorRate float64
	// Latency is the p99 API latency, in 2 of 3 periods of 5 minutes,
	// that raises the alarm. Default 2s.
	Latency time.Duration
	// AuthorizerDuration is the p99 authorizer function duration that
	// raises the alarm. Default 1s (a warm decision takes microseconds).
	AuthorizerDuration time.Duration
}

// Props configure [NewPortcullisStack].
type Props struct {
	awscdk.StackProps
	// PolicyPath is the policy file (required).
	PolicyPath string
	// Stage is plan.Dev (default) or plan.Prod.
	Stage plan.Stage
	// BuildDir holds <function>/bootstrap as `make build` writes them
	// (required).
	BuildDir string
	// AssetDir is an empty directory where each function's asset (binary,
	// policy.yaml, bundled files) is staged; synthesis copies it into the
	// cloud assembly, after which it may be removed (required).
	AssetDir string
	// AllowLocalPolicy permits a dev deployment of a policy that reads
	// secrets from files or trusts a loopback issuer. Without it such a
	// policy still synthesizes (for `cdk synth` and `sam local invoke`),
	// but the template carries a rule that makes CloudFormation refuse it.
	AllowLocalPolicy bool
	// NoHTTPAPI leaves out the HTTP API variant.
	NoHTTPAPI bool
	// CORSOrigin is the Access-Control-Allow-Origin of every response the
	// gateway and the demo backend write; default "*".
	CORSOrigin string
	// LogRetention applies to every log group; default two weeks in dev,
	// one year in prod.
	LogRetention awslogs.RetentionDays
	// TableKey is AWSManagedKey (default) or CustomerManagedKey.
	TableKey TableKey
	// SecretsKeyARN is the customer-managed KMS key that encrypts the SSM
	// parameters or Secrets Manager secrets the policy names, if any: the
	// functions get kms:Decrypt on it through those services only. With
	// the AWS managed keys (aws/ssm, aws/secretsmanager) leave it empty.
	SecretsKeyARN string
	// AlarmTopicARN receives alarm state changes (an SNS topic), if set.
	AlarmTopicARN string
	// NoAccountLogRole skips setting the account's API Gateway CloudWatch
	// role (a per-region account setting that REST access and execution
	// logs need); set it when another stack already manages that role.
	NoAccountLogRole bool
	// Alarms are the alarm thresholds; zero fields take the defaults.
	Alarms Alarms

	// policyFor replaces plan's route-policy builder in tests.
	policyFor func(f *config.File, authorizer string) (*authz.Policy, error)
}

// Context keys read by [PropsFromContext] (`cdk synth -c key=value`).
const (
	CtxPolicy           = "policy"
	CtxStage            = "stage"
	CtxBuild            = "build"
	CtxAllowLocalPolicy = "allow-local-policy"
	CtxHTTPAPI          = "http-api"
	CtxCORSOrigin       = "cors-origin"
	CtxLogRetention     = "log-retention-days"
	CtxTableKey         = "table-key"
	CtxSecretsKey       = "secrets-kms-key"
	CtxAlarmTopic       = "alarm-topic"
	CtxAccountLogRole   = "account-log-role"
)

// PropsFromContext reads the props from CDK context values (get returns
// nil for an unset key). Relative paths resolve against base, the app's
// working directory (infra/). Every problem is reported, joined.
func PropsFromContext(get func(key string) any, base string) (*Props, error) {
	var errs []error
	str := func(key, def string) string {
		switch v := get(key).(type) {
		case nil:
			return def
		case string:
			return v
		default:
			return fmt.Sprint(v)
		}
	}
	boolean := func(key string, def bool) bool {
		s := str(key, strconv.FormatBool(def))
		b, err := strconv.ParseBool(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("context %s: want true or false, got %q", key, s))
		}
		return b
	}
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(base, p)
	}
	p := &Props{
		PolicyPath:       abs(str(CtxPolicy, "")),
		BuildDir:         abs(str(CtxBuild, "../build")),
		AllowLocalPolicy: boolean(CtxAllowLocalPolicy, false),
		NoHTTPAPI:        !boolean(CtxHTTPAPI, true),
		CORSOrigin:       str(CtxCORSOrigin, "*"),
		TableKey:         TableKey(str(CtxTableKey, string(AWSManagedKey))),
		SecretsKeyARN:    str(CtxSecretsKey, ""),
		AlarmTopicARN:    str(CtxAlarmTopic, ""),
		NoAccountLogRole: !boolean(CtxAccountLogRole, true),
	}
	if p.PolicyPath == "" {
		errs = append(errs, fmt.Errorf("context %s is required: the policy file to deploy (make synth and make deploy pass -c policy=<path>)", CtxPolicy))
	}
	stage, err := plan.ParseStage(str(CtxStage, string(plan.Dev)))
	if err != nil {
		errs = append(errs, fmt.Errorf("context %s: %w", CtxStage, err))
	}
	p.Stage = stage
	if s := str(CtxLogRetention, ""); s != "" {
		days, err := strconv.Atoi(s)
		if r, ok := retentionDays[days]; err == nil && ok {
			p.LogRetention = r
		} else {
			errs = append(errs, fmt.Errorf("context %s: want one of CloudWatch's retention periods in days (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653), got %q", CtxLogRetention, s))
		}
	}
	if err := p.check(); err != nil {
		errs = append(errs, err)
	}
	return p, errors.Join(errs...)
}

var retentionDays = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

// check validates the props and fills in defaults.
func (p *Props) check() error {
	var errs []error
	if p.Stage == "" {
		p.Stage = plan.Dev
	}
	if p.CORSOrigin == "" {
		p.CORSOrigin = "*"
	}
	if strings.ContainsAny(p.CORSOrigin, "'\"\\ ,") {
		errs = append(errs, fmt.Errorf("cors origin %q: want * or one origin such as https://app.example.com", p.CORSOrigin))
	}
	if p.LogRetention == "" {
		p.LogRetention = awslogs.RetentionDays_TWO_WEEKS
		if p.Stage == plan.Prod {
			p.LogRetention = awslogs.RetentionDays_ONE_YEAR
		}
	}
	switch p.TableKey {
	case "":
		p.TableKey = AWSManagedKey
	case AWSManagedKey, CustomerManagedKey:
	default:
		errs = append(errs, fmt.Errorf("table key: want %s or %s, got %q", AWSManagedKey, CustomerManagedKey, p.TableKey))
	}
	if p.SecretsKeyARN != "" && !strings.HasPrefix(p.SecretsKeyARN, "arn:") {
		errs = append(errs, fmt.Errorf("secrets KMS key: want a key ARN, got %q", p.SecretsKeyARN))
	}
	if p.AlarmTopicARN != "" && !strings.HasPrefix(p.AlarmTopicARN, "arn:") {
		errs = append(errs, fmt.Errorf("alarm topic: want an SNS topic ARN, got %q", p.AlarmTopicARN))
	}
	a := &p.Alarms
	if a.AuthorizerFailures <= 0 {
		a.AuthorizerFailures = 5
	}
	if a.ServerErrorRate <= 0 {
		a.ServerErrorRate = 0.05
	}
	if a.Latency <= 0 {
		a.Latency = 2 * time.Second
	}
	if a.AuthorizerDuration <= 0 {
		a.AuthorizerDuration = time.Second
	}
	return errors.Join(errs...)
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/portcullis-authz/portcullis/shared/apikey"
	"github.com/portcullis-authz/portcullis/shared/config"
	"github.com/portcullis-authz/portcullis/shared/dynamostore"
	"github.com/portcullis-authz/portcullis/shared/secret"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // the operation failed (store, AWS, not found, conflict)
	exitUsage = 2 // bad input: nothing was written
)

const usage = `usage: admin <command> [flags]

Keys (the API-keys table):
  keys create  --owner O [--tenant T] [--scopes a,b] [--expires 90d|2027-01-31|RFC3339]
               [--cidr 203.0.113.0/24 ...] [--usage-plan NAME] [--description D] [--env live|test]
               Prints the new key once.
  keys list    [--tenant T]
  keys show    <key-id>
  keys suspend <key-id>      refuse the key until resumed
  keys resume  <key-id>
  keys revoke  <key-id>      refuse the key for good
  keys rotate  <key-id> [--grace 24h]
               Prints the successor key once; the old key works until the grace ends.
Tables:
  tables create              create the tables (for a local endpoint)

Common flags (after the command):
  --table NAME     API-keys table (default $PORTCULLIS_APIKEYS_TABLE; locally "APIKeys")
  --endpoint URL   DynamoDB endpoint (default $AWS_ENDPOINT_URL_DYNAMODB; AWS when unset)
  --region R       AWS region (default from the AWS configuration)
  --policy FILE    policy file: scopes catalogue, usage plans, pepper (default events/policy.yaml)
  --json           machine-readable output
`

// usagePlanAPI is the API Gateway calls `keys create --usage-plan` makes.
type usagePlanAPI interface {
	apigateway.GetUsagePlansAPIClient
	CreateApiKey(ctx context.Context, in *apigateway.CreateApiKeyInput, opts ...func(*apigateway.Options)) (*apigateway.CreateApiKeyOutput, error)
	CreateUsagePlanKey(ctx context.Context, in *apigateway.CreateUsagePlanKeyInput, opts ...func(*apigateway.Options)) (*apigateway.CreateUsagePlanKeyOutput, error)
	DeleteApiKey(ctx context.Context, in *apigateway.DeleteApiKeyInput, opts ...func(*apigateway.Options)) (*apigateway.DeleteApiKeyOutput, error)
}

// keyStore is what the key commands do with the store
// (dynamostore.KeyStore).
type keyStore interface {
	apikey.Store
	Create(ctx context.Context, r *apikey.Record) error
	List(ctx context.Context, tenant string) ([]*apikey.Record, error)
	SetStatus(ctx context.Context, id string, to apikey.Status, at time.Time) (*apikey.Record, error)
	Rotate(ctx context.Context, oldID string, next *apikey.Record, graceUntil time.Time) (*apikey.Record, error)
}

// app holds the command's dependencies; tests replace the clock and the
// API Gateway client.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time
	apigw          func(aws.Config) usagePlanAPI
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{stdout: stdout, stderr: stderr, getenv: getenv, now: time.Now,
		apigw: func(cfg aws.Config) usagePlanAPI { return apigateway.NewFromConfig(cfg) }}
	return a.run(ctx, args)
}

// errUsage marks bad input: the message is printed and nothing was written.
var errUsage = errors.New("bad input")

func usageErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

func (a *app) run(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(a.stdout, usage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	var err error
	switch cmd := strings.Join(args[:min(2, len(args))], " "); cmd {
	case "keys create":
		err = a.keysCreate(ctx, args[2:])
	case "keys list":
		err = a.keysList(ctx, args[2:])
	case "keys show":
		err = a.keysShow(ctx, args[2:])
	case "keys revoke":
		err = a.keysStatus(ctx, args[2:], apikey.StatusRevoked)
	case "keys suspend":
		err = a.keysStatus(ctx, args[2:], apikey.StatusSuspended)
	case "keys resume":
		err = a.keysStatus(ctx, args[2:], apikey.StatusActive)
	case "keys rotate":
		err = a.keysRotate(ctx, args[2:])
	case "tables create":
		err = a.tablesCreate(ctx, args[2:])
	default:
		fmt.Fprintf(a.stderr, "admin: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage):
		fmt.Fprintf(a.stderr, "admin: %s\nnothing was written\n", strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
		return exitUsage
	default:
		fmt.Fprintf(a.stderr, "admin: %v\n", err)
		return exitFail
	}
}

// common are the flags every command takes.
type common struct {
	table, endpoint, region, policy string
	json                            bool
}

func (a *app) flags(name string, c *common) *flag.FlagSet {
	fs := flag.NewFlagSet("admin "+name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	fs.StringVar(&c.table, "table", a.getenv(dynamostore.APIKeys.EnvVar), "API-keys table name")
	fs.StringVar(&c.endpoint, "endpoint", a.getenv("AWS_ENDPOINT_URL_DYNAMODB"), "DynamoDB endpoint URL (local)")
	fs.StringVar(&c.region, "region", "", "AWS region")
	fs.StringVar(&c.policy, "policy", "events/policy.yaml", "policy file")
	fs.BoolVar(&c.json, "json", false, "JSON output")
	return fs
}

// parse parses flags placed before, between or after the positional
// arguments and returns the positionals.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageErr("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// oneID returns the single key-id argument.
func oneID(pos []string) (string, error) {
	if len(pos) != 1 {
		return "", usageErr("name exactly one key id (got %d arguments)", len(pos))
	}
	id := pos[0]
	if apikey.LooksLikeKey(id) {
		return "", usageErr("that is a whole key, not a key id: pass only the id (the 12 characters after pcl_<env>_); never paste keys into commands")
	}
	if !apikey.ValidID(id) {
		return "", usageErr("%q is not a key id (%d characters of [0-9A-Za-z])", id, apikey.IDLen)
	}
	return id, nil
}

func (c *common) local() bool { return c.endpoint != "" }

func (c *common) tableName() (string, error) {
	switch {
	case c.table != "":
		return c.table, nil
	case c.local():
		return dynamostore.APIKeys.Name, nil
	}
	return "", usageErr("name the API-keys table: --table or %s (the stack outputs it)", dynamostore.APIKeys.EnvVar)
}

// awsConfig loads the AWS configuration: the default credential chain,
// or dummy static credentials for a local endpoint when none are set.
func (a *app) awsConfig(ctx context.Context, c *common) (aws.Config, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if c.region != "" {
		opts = append(opts, awsconfig.WithRegion(c.region))
	}
	if c.local() {
		if a.getenv("AWS_ACCESS_KEY_ID") == "" && a.getenv("AWS_PROFILE") == "" {
			opts = append(opts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
		}
		if c.region == "" && a.getenv("AWS_REGION") == "" && a.getenv("AWS_DEFAULT_REGION") == "" {
			opts = append(opts, awsconfig.WithRegion("us-east-1"))
		}
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("AWS configuration: %w", err)
	}
	return cfg, nil
}

func (a *app) dynamo(cfg aws.Config, c *common) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if c.endpoint != "" {
			o.BaseEndpoint = aws.String(c.endpoint)
		}
	})
}

// env is what a key command works with.
type env struct {
	cfg    aws.Config
	policy *config.File
	store  keyStore
}

func (a *app) open(ctx context.Context, c *common) (*env, error) {
	table, err := c.tableName()
	if err != nil {
		return nil, err
	}
	f, err := config.Load(c.policy)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	cfg, err := a.awsConfig(ctx, c)
	if err != nil {
		return nil, err
	}
	return &env{cfg: cfg, policy: f, store: dynamostore.NewKeyStore(a.dynamo(cfg, c), table)}, nil
}

// hasher loads the pepper the policy file names.
func (a *app) hasher(ctx context.Context, e *env) (*apikey.Hasher, error) {
	ak := e.policy.Authorizers.APIKey
	if ak == nil {
		return nil, usageErr("policy file %s configures no apikey authorizer (authorizers.apikey)", e.policy.Path)
	}
	l := secret.NewLoader(e.policy, secret.WithGetenv(a.getenv),
		secret.WithAWSConfig(func(context.Context) (aws.Config, error) { return e.cfg, nil }))
	pepper, err := l.Load(ctx, ak.Pepper)
	if err != nil {
		return nil, fmt.Errorf("pepper: %w", err)
	}
	return apikey.NewHasher(pepper)
}

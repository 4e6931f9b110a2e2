package stack

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"

	"github.com/portcullis-authz/portcullis/infra/plan"
	"github.com/portcullis-authz/portcullis/shared/dynamostore"
)

// Function settings. 128 MB is enough: a Go authorizer's warm decision
// takes microseconds and little memory. The timeout stays under API
// Gateway's authorizer limit (10 s), so a stuck cold start (an issuer's
// JWKS endpoint hanging) fails in the function, visibly, first.
const (
	functionMemoryMB = 128
	functionTimeout  = 6
)

func (s *PortcullisStack) prod() bool { return s.props.Stage == plan.Prod }

// removal returns how stateful resources leave with the stack: kept in
// prod, deleted in dev.
func (s *PortcullisStack) removal() awscdk.RemovalPolicy {
	if s.prod() {
		return awscdk.RemovalPolicy_RETAIN
	}
	return awscdk.RemovalPolicy_DESTROY
}

func (s *PortcullisStack) logGroup(id string, name *string) awslogs.LogGroup {
	return awslogs.NewLogGroup(s.Stack, jsii.String(id), &awslogs.LogGroupProps{
		LogGroupName:  name,
		Retention:     s.props.LogRetention,
		RemovalPolicy: s.removal(),
	})
}

// addTables creates every table the deployed authorizers use, from the
// key schemas in package dynamostore that the runtime and the admin CLI
// read too. Adding a table there (and granting it in plan's specs) is all
// a new store needs.
func (s *PortcullisStack) addTables() {
	if len(s.Plan.Tables) == 0 {
		return
	}
	var key awskms.Key
	enc := awsdynamodb.TableEncryption_AWS_MANAGED
	if s.props.TableKey == CustomerManagedKey {
		enc = awsdynamodb.TableEncryption_CUSTOMER_MANAGED
		key = awskms.NewKey(s.Stack, jsii.String("TableKey"), &awskms.KeyProps{
			Description:       jsii.String("Portcullis DynamoDB tables"),
			EnableKeyRotation: jsii.Bool(true),
			RemovalPolicy:     s.removal(),
		})
	}
	attr := func(a dynamostore.Attr) *awsdynamodb.Attribute {
		t := map[dynamostore.AttrType]awsdynamodb.AttributeType{
			dynamostore.String: awsdynamodb.AttributeType_STRING,
			dynamostore.Number: awsdynamodb.AttributeType_NUMBER,
			dynamostore.Binary: awsdynamodb.AttributeType_BINARY,
		}[a.Type]
		return &awsdynamodb.Attribute{Name: jsii.String(a.Name), Type: t}
	}
	for _, t := range s.Plan.Tables {
		props := &awsdynamodb.TableProps{
			PartitionKey: attr(t.PartitionKey),
			BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
			Encryption:   enc,
			PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
				PointInTimeRecoveryEnabled: jsii.Bool(true),
			},
			DeletionProtection: jsii.Bool(s.prod()),
			RemovalPolicy:      s.removal(),
		}
		if key != nil {
			props.EncryptionKey = key
		}
		if t.SortKey != nil {
			props.SortKey = attr(*t.SortKey)
		}
		if t.TTLAttribute != "" {
			props.TimeToLiveAttribute = jsii.String(t.TTLAttribute)
		}
		tbl := awsdynamodb.NewTable(s.Stack, jsii.String(t.Name+"Table"), props)
		for _, ix := range t.Indexes {
			gsi := &awsdynamodb.GlobalSecondaryIndexProps{
				IndexName:      jsii.String(ix.Name),
				PartitionKey:   attr(ix.PartitionKey),
				ProjectionType: awsdynamodb.ProjectionType(ix.Projection),
			}
			if ix.SortKey != nil {
				gsi.SortKey = attr(*ix.SortKey)
			}
			tbl.AddGlobalSecondaryIndex(gsi)
		}
		s.Tables[t.Name] = tbl
		awscdk.NewCfnOutput(s.Stack, jsii.String(t.Name+"TableName"), &awscdk.CfnOutputProps{
			Value:       tbl.TableName(),
			Description: jsii.String(fmt.Sprintf("DynamoDB table %s (set %s to it for the admin CLI)", t.Name, t.EnvVar)),
		})
	}
}

// functionRole is a role for one function with only the permissions given:
// writing to its own log group and the statements passed. No managed
// policy: AWSLambdaBasicExecutionRole would allow logs:CreateLogGroup on
// every log group.
func (s *PortcullisStack) functionRole(id string, logs awslogs.LogGroup, stmts ...awsiam.PolicyStatement) awsiam.Role {
	all := append([]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("WriteOwnLogs"),
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: &[]*string{logs.LogGroupArn()},
	})}, stmts...)
	return awsiam.NewRole(s.Stack, jsii.String(id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Portcullis " + id + ": only what the function reads"),
		InlinePolicies: &map[string]awsiam.PolicyDocument{
			"least-privilege": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &all}),
		},
	})
}

// addFunctions creates one function per deployed authorizer from its
// staged asset.
func (s *PortcullisStack) addFunctions() {
	for _, a := range s.Plan.Authorizers {
		id := constructID(a.Function)
		logs := s.logGroup(id+"Logs", nil)
		env := map[string]*string{}
		var stmts []awsiam.PolicyStatement
		for _, g := range a.Tables {
			tbl := s.Tables[g.Table.Name]
			env[g.Table.EnvVar] = tbl.TableName()
			stmts = append(stmts, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("Read" + g.Table.Name),
				Actions:   jsii.Strings(g.Actions...),
				Resources: &[]*string{tbl.TableArn()},
			}))
			if key := tbl.EncryptionKey(); key != nil {
				stmts = append(stmts, s.kmsDecrypt("Decrypt"+g.Table.Name, key.KeyArn(), "dynamodb"))
			}
		}
		stmts = append(stmts, s.secretStatements(a)...)
		fn := awslambda.NewFunction(s.Stack, jsii.String(id), &awslambda.FunctionProps{
			Description:  jsii.String(fmt.Sprintf("Portcullis %s authorizer (%s, result cache %s)", a.Name, a.Kind, a.CacheTTL)),
			Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
			Architecture: awslambda.Architecture_ARM_64(),
			Handler:      jsii.String("bootstrap"),
			Code:         awslambda.Code_FromAsset(jsii.String(filepath.Join(s.props.AssetDir, a.Function)), nil),
			MemorySize:   jsii.Number(functionMemoryMB),
			Timeout:      awscdk.Duration_Seconds(jsii.Number(functionTimeout)),
			LogGroup:     logs,
			Role:         s.functionRole(id, logs, stmts...),
			Environment:  &env,
		})
		s.Functions[a.Name] = fn
		awscdk.NewCfnOutput(s.Stack, jsii.String(id+"Name"), &awscdk.CfnOutputProps{
			Value:       fn.FunctionName(),
			Description: jsii.String("Lambda function of the " + a.Name + " authorizer"),
		})
	}
}

// secretStatements grant reading exactly the parameters and secrets the
// policy names for this authorizer.
func (s *PortcullisStack) secretStatements(a *plan.Authorizer) []awsiam.PolicyStatement {
	var ssmARNs, smARNs []*string
	for _, sec := range a.Secrets {
		switch sec.Source {
		case "ssm":
			ssmARNs = append(ssmARNs, s.ssmParameterARN(sec.Name))
		case "secretsmanager":
			smARNs = append(smARNs, s.secretARN(sec.Name))
		}
	}
	var out []awsiam.PolicyStatement
	if len(ssmARNs) > 0 {
		out = append(out, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("ReadParameters"), Actions: jsii.Strings("ssm:GetParameter"), Resources: &ssmARNs,
		}))
		if s.props.SecretsKeyARN != "" {
			out = append(out, s.kmsDecrypt("DecryptParameters", jsii.String(s.props.SecretsKeyARN), "ssm"))
		}
	}
	if len(smARNs) > 0 {
		out = append(out, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("ReadSecrets"), Actions: jsii.Strings("secretsmanager:GetSecretValue"), Resources: &smARNs,
		}))
		if s.props.SecretsKeyARN != "" {
			out = append(out, s.kmsDecrypt("DecryptSecrets", jsii.String(s.props.SecretsKeyARN), "secretsmanager"))
		}
	}
	return out
}

// kmsDecrypt allows kms:Decrypt on one key, only through one service.
func (s *PortcullisStack) kmsDecrypt(sid string, keyARN *string, service string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String(sid),
		Actions:   jsii.Strings("kms:Decrypt"),
		Resources: &[]*string{keyARN},
		Conditions: &map[string]any{
			"StringEquals": map[string]any{
				"kms:ViaService": awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String(service + "."), awscdk.Aws_REGION(), jsii.String(".amazonaws.com")}),
			},
		},
	})
}

// ssmParameterARN is the ARN of the parameter named name ("/a/b" and
// "a/b" both become parameter/a/b), or name itself when it is an ARN.
func (s *PortcullisStack) ssmParameterARN(name string) *string {
	if strings.HasPrefix(name, "arn:") {
		return jsii.String(name)
	}
	return s.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("ssm"),
		Resource:     jsii.String("parameter"),
		ResourceName: jsii.String(strings.TrimPrefix(name, "/")),
	})
}

// secretARN is the ARN of the secret named name. Secrets Manager appends
// six random characters to a secret's ARN, so a name matches with
// "-??????" (each ? one character: no other secret's name can match).
func (s *PortcullisStack) secretARN(name string) *string {
	if strings.HasPrefix(name, "arn:") {
		return jsii.String(name)
	}
	return s.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("secretsmanager"),
		Resource:     jsii.String("secret"),
		ResourceName: jsii.String(name + "-??????"),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
}

// constructID turns "jwt-authorizer" into "JwtAuthorizer".
func constructID(s string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' || r == ' ' || r == '.' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// backendCode is the demo backend: it echoes what reached it (method,
// path, route and the authorizer context) for both REST (payload 1.0)
// and HTTP API (payload 2.0) events. The context never holds a token or a
// raw API key: the authorizers put none there.
const backendCode = `exports.handler = async (event) => {
  const rc = event.requestContext || {};
  const http = rc.http || {};
  return {
    statusCode: 200,
    headers: {
      "content-type": "application/json",
      "access-control-allow-origin": process.env.CORS_ORIGIN,
    },
    body: JSON.stringify({
      message: "Hello from the Portcullis demo backend",
      method: event.httpMethod || http.method,
      path: event.path || event.rawPath,
      route: event.resource || event.routeKey,
      authorizer: rc.authorizer || null,
      requestId: rc.requestId,
    }, null, 2) + "\n",
  };
};
`

// addBackend creates the demo backend every route reaches.
func (s *PortcullisStack) addBackend() {
	logs := s.logGroup("DemoBackendLogs", nil)
	s.Backend = awslambda.NewFunction(s.Stack, jsii.String("DemoBackend"), &awslambda.FunctionProps{
		Description:  jsii.String("Portcullis demo backend: echoes the request and the authorizer context"),
		Runtime:      awslambda.Runtime_NODEJS_24_X(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("index.handler"),
		Code:         awslambda.Code_FromInline(jsii.String(backendCode)),
		MemorySize:   jsii.Number(functionMemoryMB),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(3)),
		LogGroup:     logs,
		Role:         s.functionRole("DemoBackend", logs),
		Environment:  &map[string]*string{"CORS_ORIGIN": jsii.String(s.props.CORSOrigin)},
	})
}

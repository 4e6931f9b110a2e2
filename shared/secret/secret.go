// Package secret loads the secrets a policy file names by [config.SecretRef]
// (the API-key pepper, HMAC issuer secrets): from an environment variable
// or a file for local use, from AWS Systems Manager Parameter Store
// (SecureString, decrypted) or AWS Secrets Manager in AWS.
//
// Secrets are loaded once, at cold start; a [Loader] remembers what it has
// loaded. Errors name the source of a secret, never its value.
package secret

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/portcullis-authz/portcullis/shared/awsenv"
	"github.com/portcullis-authz/portcullis/shared/config"
)

// Errors wrapped by [Loader.Load].
var (
	// ErrNoSource: the reference names no source.
	ErrNoSource = errors.New("secret: no source named (env, file, ssm or secretsmanager)")
	// ErrEmpty: the source exists but holds an empty value.
	ErrEmpty = errors.New("secret: empty")
	// ErrNotFound: the variable, file, parameter or secret does not exist.
	ErrNotFound = errors.New("secret: not found")
	// ErrUnavailable: the source could not be read (I/O, network, access denied).
	ErrUnavailable = errors.New("secret: unavailable")
	// ErrNotSecure: an SSM parameter that is not a SecureString.
	ErrNotSecure = errors.New("secret: parameter is not a SecureString")
)

// SSMAPI is the one Parameter Store call the loader makes.
type SSMAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// SecretsManagerAPI is the one Secrets Manager call the loader makes.
type SecretsManagerAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// GetParameterFunc adapts a function to [SSMAPI].
type GetParameterFunc func(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)

// GetParameter implements [SSMAPI].
func (f GetParameterFunc) GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	return f(ctx, in, opts...)
}

// GetSecretValueFunc adapts a function to [SecretsManagerAPI].
type GetSecretValueFunc func(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)

// GetSecretValue implements [SecretsManagerAPI].
func (f GetSecretValueFunc) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return f(ctx, in, opts...)
}

// Loader loads secrets named in one policy file. It is safe for concurrent
// use; each distinct reference is read from its source at most once
// successfully.
type Loader struct {
	file     *config.File
	getenv   func(string) string
	readFile func(string) ([]byte, error)
	awsCfg   func(context.Context) (aws.Config, error)

	mu   sync.Mutex
	ssm  SSMAPI
	sm   SecretsManagerAPI
	done map[config.SecretRef][]byte
}

// Option configures a [Loader].
type Option func(*Loader)

// WithGetenv sets how environment variables are read (default os.Getenv).
func WithGetenv(getenv func(string) string) Option { return func(l *Loader) { l.getenv = getenv } }

// WithSSM sets the Parameter Store client (default: one built from the
// default AWS configuration when first needed).
func WithSSM(c SSMAPI) Option { return func(l *Loader) { l.ssm = c } }

// WithSecretsManager sets the Secrets Manager client (default: one built
// from the default AWS configuration when first needed).
func WithSecretsManager(c SecretsManagerAPI) Option { return func(l *Loader) { l.sm = c } }

// WithAWSConfig sets how the AWS configuration is obtained for the default
// clients (default: the Lambda execution environment, see package awsenv;
// tools running on people's machines pass the SDK's default chain). It is
// called only when an AWS source is named.
func WithAWSConfig(load func(context.Context) (aws.Config, error)) Option {
	return func(l *Loader) { l.awsCfg = load }
}

// NewLoader returns a loader for secrets named in policy file f; file
// sources resolve relative to f's directory.
func NewLoader(f *config.File, opts ...Option) *Loader {
	l := &Loader{
		file:     f,
		getenv:   os.Getenv,
		readFile: os.ReadFile,
		done:     map[config.SecretRef][]byte{},
	}
	for _, o := range opts {
		o(l)
	}
	if l.awsCfg == nil {
		l.awsCfg = func(context.Context) (aws.Config, error) { return awsenv.Config(l.getenv) }
	}
	return l
}

// Load returns the secret ref names. Surrounding white space (a file's
// trailing newline) is removed. Its signature fits the JWT verifier's
// secret hook.
func (l *Loader) Load(ctx context.Context, ref config.SecretRef) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if v, ok := l.done[ref]; ok {
		return bytes.Clone(v), nil
	}
	kind, name := ref.Source()
	var v []byte
	var err error
	switch kind {
	case "env":
		v, err = l.fromEnv(name)
	case "file":
		v, err = l.fromFile(name)
	case "ssm":
		v, err = l.fromSSM(ctx, name)
	case "secretsmanager":
		v, err = l.fromSecretsManager(ctx, name)
	default:
		return nil, ErrNoSource
	}
	if err != nil {
		return nil, err
	}
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return nil, fmt.Errorf("%w: %s %q", ErrEmpty, describe(kind), name)
	}
	l.done[ref] = v
	return bytes.Clone(v), nil
}

func describe(kind string) string {
	switch kind {
	case "env":
		return "environment variable"
	case "ssm":
		return "SSM parameter"
	case "secretsmanager":
		return "Secrets Manager secret"
	}
	return kind
}

func (l *Loader) fromEnv(name string) ([]byte, error) {
	v := l.getenv(name)
	if v == "" {
		return nil, fmt.Errorf("%w: environment variable %q is unset or empty", ErrNotFound, name)
	}
	return []byte(v), nil
}

func (l *Loader) fromFile(name string) ([]byte, error) {
	path := name
	if l.file != nil {
		path = l.file.Resolve(name)
	}
	v, err := l.readFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("%w: file %s", ErrNotFound, path)
	case err != nil:
		return nil, fmt.Errorf("%w: file %s: %w", ErrUnavailable, path, errors.Unwrap(err))
	}
	return v, nil
}

func (l *Loader) ssmClient(ctx context.Context) (SSMAPI, error) {
	if l.ssm == nil {
		cfg, err := l.awsCfg(ctx)
		if err != nil {
			return nil, fmt.Errorf("%w: AWS configuration: %w", ErrUnavailable, err)
		}
		l.ssm = ssm.NewFromConfig(cfg)
	}
	return l.ssm, nil
}

func (l *Loader) smClient(ctx context.Context) (SecretsManagerAPI, error) {
	if l.sm == nil {
		cfg, err := l.awsCfg(ctx)
		if err != nil {
			return nil, fmt.Errorf("%w: AWS configuration: %w", ErrUnavailable, err)
		}
		l.sm = secretsmanager.NewFromConfig(cfg)
	}
	return l.sm, nil
}

func (l *Loader) fromSSM(ctx context.Context, name string) ([]byte, error) {
	c, err := l.ssmClient(ctx)
	if err != nil {
		return nil, err
	}
	out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	if err != nil {
		var nf *ssmtypes.ParameterNotFound
		if errors.As(err, &nf) {
			return nil, fmt.Errorf("%w: SSM parameter %q", ErrNotFound, name)
		}
		return nil, fmt.Errorf("%w: SSM parameter %q: %w", ErrUnavailable, name, err)
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return nil, fmt.Errorf("%w: SSM parameter %q", ErrEmpty, name)
	}
	if out.Parameter.Type != ssmtypes.ParameterTypeSecureString {
		return nil, fmt.Errorf("%w: SSM parameter %q has type %s: store secrets as SecureString", ErrNotSecure, name, out.Parameter.Type)
	}
	return []byte(*out.Parameter.Value), nil
}

func (l *Loader) fromSecretsManager(ctx context.Context, name string) ([]byte, error) {
	c, err := l.smClient(ctx)
	if err != nil {
		return nil, err
	}
	out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if err != nil {
		var nf *smtypes.ResourceNotFoundException
		if errors.As(err, &nf) {
			return nil, fmt.Errorf("%w: Secrets Manager secret %q", ErrNotFound, name)
		}
		return nil, fmt.Errorf("%w: Secrets Manager secret %q: %w", ErrUnavailable, name, err)
	}
	switch {
	case out.SecretString != nil:
		return []byte(*out.SecretString), nil
	case out.SecretBinary != nil:
		return out.SecretBinary, nil
	}
	return nil, fmt.Errorf("%w: Secrets Manager secret %q", ErrEmpty, name)
}

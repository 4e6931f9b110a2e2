package secret_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/portcullis-authz/portcullis/shared/config"
	"github.com/portcullis-authz/portcullis/shared/secret"
)

const value = "s3cr3t-value-never-in-errors"

func fakeSSM(calls *int, typ ssmtypes.ParameterType, err error) secret.GetParameterFunc {
	return func(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
		*calls++
		if !aws.ToBool(in.WithDecryption) {
			return nil, errors.New("fake: WithDecryption not set")
		}
		if err != nil {
			return nil, err
		}
		return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{
			Name: in.Name, Type: typ, Value: aws.String(value + "\n"),
		}}, nil
	}
}

func fakeSM(calls *int, out *secretsmanager.GetSecretValueOutput, err error) secret.GetSecretValueFunc {
	return func(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
		*calls++
		if aws.ToString(in.SecretId) == "" {
			return nil, errors.New("fake: no SecretId")
		}
		return out, err
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pepper.txt"), []byte(value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "blank.txt"), []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := &config.File{Path: filepath.Join(dir, "policy.yaml")}
	env := map[string]string{"PEPPER": value, "BLANK": ""}
	noAWS := func(context.Context) (aws.Config, error) { return aws.Config{}, errors.New("no AWS here") }

	tests := []struct {
		name    string
		ref     config.SecretRef
		ssm     func(*int) secret.GetParameterFunc
		sm      func(*int) secret.GetSecretValueFunc
		wantErr error
		mention string // the error names the source
	}{
		{name: "env", ref: config.SecretRef{Env: "PEPPER"}},
		{name: "env unset", ref: config.SecretRef{Env: "NOPE"}, wantErr: secret.ErrNotFound, mention: "NOPE"},
		{name: "env empty", ref: config.SecretRef{Env: "BLANK"}, wantErr: secret.ErrNotFound, mention: "BLANK"},
		{name: "file relative to policy", ref: config.SecretRef{File: "pepper.txt"}},
		{name: "file absolute", ref: config.SecretRef{File: filepath.Join(dir, "pepper.txt")}},
		{name: "file missing", ref: config.SecretRef{File: "missing.txt"}, wantErr: secret.ErrNotFound, mention: "missing.txt"},
		{name: "file blank", ref: config.SecretRef{File: "blank.txt"}, wantErr: secret.ErrEmpty, mention: "blank.txt"},
		{name: "file is a directory", ref: config.SecretRef{File: "."}, wantErr: secret.ErrUnavailable},
		{name: "no source", ref: config.SecretRef{}, wantErr: secret.ErrNoSource},
		{
			name: "ssm securestring", ref: config.SecretRef{SSM: "/portcullis/pepper"},
			ssm: func(n *int) secret.GetParameterFunc { return fakeSSM(n, ssmtypes.ParameterTypeSecureString, nil) },
		},
		{
			name: "ssm plain string refused", ref: config.SecretRef{SSM: "/portcullis/pepper"},
			ssm:     func(n *int) secret.GetParameterFunc { return fakeSSM(n, ssmtypes.ParameterTypeString, nil) },
			wantErr: secret.ErrNotSecure, mention: "/portcullis/pepper",
		},
		{
			name: "ssm not found", ref: config.SecretRef{SSM: "/portcullis/gone"},
			ssm: func(n *int) secret.GetParameterFunc {
				return fakeSSM(n, "", &ssmtypes.ParameterNotFound{Message: aws.String("nope")})
			},
			wantErr: secret.ErrNotFound, mention: "/portcullis/gone",
		},
		{
			name: "ssm access denied", ref: config.SecretRef{SSM: "/portcullis/pepper"},
			ssm:     func(n *int) secret.GetParameterFunc { return fakeSSM(n, "", errors.New("AccessDenied")) },
			wantErr: secret.ErrUnavailable, mention: "/portcullis/pepper",
		},
		{
			name: "ssm without AWS configuration", ref: config.SecretRef{SSM: "/portcullis/pepper"},
			wantErr: secret.ErrUnavailable,
		},
		{
			name: "secretsmanager string", ref: config.SecretRef{SecretsManager: "portcullis/pepper"},
			sm: func(n *int) secret.GetSecretValueFunc {
				return fakeSM(n, &secretsmanager.GetSecretValueOutput{SecretString: aws.String(value)}, nil)
			},
		},
		{
			name: "secretsmanager binary", ref: config.SecretRef{SecretsManager: "portcullis/pepper"},
			sm: func(n *int) secret.GetSecretValueFunc {
				return fakeSM(n, &secretsmanager.GetSecretValueOutput{SecretBinary: []byte(value)}, nil)
			},
		},
		{
			name: "secretsmanager no value", ref: config.SecretRef{SecretsManager: "portcullis/pepper"},
			sm: func(n *int) secret.GetSecretValueFunc {
				return fakeSM(n, &secretsmanager.GetSecretValueOutput{}, nil)
			},
			wantErr: secret.ErrEmpty, mention: "portcullis/pepper",
		},
		{
			name: "secretsmanager not found", ref: config.SecretRef{SecretsManager: "portcullis/gone"},
			sm: func(n *int) secret.GetSecretValueFunc {
				return fakeSM(n, nil, &smtypes.ResourceNotFoundException{Message: aws.String("nope")})
			},
			wantErr: secret.ErrNotFound, mention: "portcullis/gone",
		},
		{
			name: "secretsmanager throttled", ref: config.SecretRef{SecretsManager: "portcullis/pepper"},
			sm: func(n *int) secret.GetSecretValueFunc {
				return fakeSM(n, nil, errors.New("ThrottlingException"))
			},
			wantErr: secret.ErrUnavailable, mention: "portcullis/pepper",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls int
			opts := []secret.Option{secret.WithGetenv(func(k string) string { return env[k] }), secret.WithAWSConfig(noAWS)}
			if tt.ssm != nil {
				opts = append(opts, secret.WithSSM(tt.ssm(&calls)))
			}
			if tt.sm != nil {
				opts = append(opts, secret.WithSecretsManager(tt.sm(&calls)))
			}
			l := secret.NewLoader(f, opts...)
			got, err := l.Load(context.Background(), tt.ref)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Load() error = %v, want %v", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), value) {
					t.Errorf("error %q reveals the secret", err)
				}
				if !strings.Contains(err.Error(), tt.mention) {
					t.Errorf("error %q does not name the source %q", err, tt.mention)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load() error = %v", err)
			}
			if string(got) != value {
				t.Errorf("Load() = %q, want %q", got, value)
			}
			// A second load is served from memory, and callers cannot
			// change the remembered value.
			got[0] = 'X'
			again, err := l.Load(context.Background(), tt.ref)
			if err != nil || string(again) != value {
				t.Errorf("second Load() = %q, %v; want %q", again, err, value)
			}
			if tt.ssm != nil || tt.sm != nil {
				if calls != 1 {
					t.Errorf("AWS called %d times, want 1", calls)
				}
			}
		})
	}
}

func ExampleLoader_Load() {
	f := &config.File{Path: "events/policy.yaml"}
	l := secret.NewLoader(f, secret.WithGetenv(func(string) string { return "dev-pepper" }))
	pepper, err := l.Load(context.Background(), config.SecretRef{Env: "PORTCULLIS_PEPPER"})
	if err != nil {
		panic(err)
	}
	fmt.Println(len(pepper), "bytes")
	_, err = l.Load(context.Background(), config.SecretRef{File: "no-such-file.txt"})
	fmt.Println(errors.Is(err, secret.ErrNotFound), err)
	// Output:
	// 10 bytes
	// true secret: not found: file events/no-such-file.txt
}

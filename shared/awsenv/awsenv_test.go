package awsenv

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfig(t *testing.T) {
	cfg, err := Config(env(map[string]string{
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_SESSION_TOKEN": "token", "AWS_ENDPOINT_URL": "http://127.0.0.1:8000",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-west-1" {
		t.Errorf("Region = %q, want eu-west-1", cfg.Region)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != "AKIDEXAMPLE" || creds.SecretAccessKey != "secret" || creds.SessionToken != "token" {
		t.Errorf("credentials = %+v, want the environment's", creds)
	}
	if cfg.BaseEndpoint == nil || *cfg.BaseEndpoint != "http://127.0.0.1:8000" {
		t.Errorf("BaseEndpoint = %v, want http://127.0.0.1:8000", cfg.BaseEndpoint)
	}
}

func TestConfigDefaultRegion(t *testing.T) {
	cfg, err := Config(env(map[string]string{"AWS_DEFAULT_REGION": "us-west-2", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}))
	if err != nil || cfg.Region != "us-west-2" || cfg.BaseEndpoint != nil {
		t.Errorf("Config = %+v, %v; want region us-west-2 and no endpoint", cfg, err)
	}
}

func TestConfigIncomplete(t *testing.T) {
	_, err := Config(env(map[string]string{"AWS_ACCESS_KEY_ID": "a"}))
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("err = %v, want ErrIncomplete", err)
	}
	for _, name := range []string{"AWS_REGION", "AWS_SECRET_ACCESS_KEY"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
	if strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") {
		t.Errorf("error %q names a variable that is set", err)
	}
}

func TestEndpoint(t *testing.T) {
	e := env(map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": "http://localhost:8000"})
	if got := Endpoint(e, "dynamodb"); got == nil || *got != "http://localhost:8000" {
		t.Errorf("Endpoint(dynamodb) = %v, want http://localhost:8000", got)
	}
	if got := Endpoint(e, "ssm"); got != nil {
		t.Errorf("Endpoint(ssm) = %q, want nil", *got)
	}
}

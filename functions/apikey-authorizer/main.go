// Command apikey-authorizer is the API-key Lambda authorizer for Amazon API
// Gateway. It reads the policy file once at cold start (PORTCULLIS_POLICY,
// default policy.yaml beside the binary), loads the pepper the policy
// names (authorizers.apikey.pepper: Secrets Manager or SSM in AWS, a file
// or variable locally), and reads key records from the DynamoDB table
// named by PORTCULLIS_APIKEYS_TABLE, or, for local use only, from an
// in-memory store seeded from the file PORTCULLIS_APIKEYS_SEED names
// (relative to the policy file). A broken policy, a missing pepper or no
// store stops the cold start, so API Gateway answers 500: the authorizer
// fails closed.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/portcullis-authz/portcullis/shared/apikey"
	"github.com/portcullis-authz/portcullis/shared/authorizer"
	"github.com/portcullis-authz/portcullis/shared/awsenv"
	"github.com/portcullis-authz/portcullis/shared/config"
	"github.com/portcullis-authz/portcullis/shared/dynamostore"
	"github.com/portcullis-authz/portcullis/shared/secret"
)

// EnvSeed names the seed file of the local in-memory store.
const EnvSeed = "PORTCULLIS_APIKEYS_SEED"

func main() {
	h, err := newHandler(context.Background(), os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "apikey-authorizer: cold start failed: %v\n", err)
		os.Exit(1)
	}
	lambda.Start(h)
}

// newHandler reads the settings once and builds the handler.
func newHandler(ctx context.Context, getenv func(string) string) (*authorizer.Handler, error) {
	f, err := config.Load(config.PathFromEnv(getenv))
	if err != nil {
		return nil, err
	}
	ak := f.Authorizers.APIKey
	if ak == nil {
		return nil, fmt.Errorf("policy file %s: authorizers.apikey is not configured", f.Path)
	}
	pepper, err := secret.NewLoader(f, secret.WithGetenv(getenv)).Load(ctx, ak.Pepper)
	if err != nil {
		return nil, fmt.Errorf("pepper: %w", err)
	}
	h, err := apikey.NewHasher(pepper)
	if err != nil {
		return nil, err
	}
	store, err := newStore(ctx, f, h, getenv)
	if err != nil {
		return nil, err
	}
	a, err := apikey.NewAuthenticator(ak, h, store)
	if err != nil {
		return nil, err
	}
	return authorizer.New(config.AuthorizerAPIKey, a, f)
}

// newStore returns the DynamoDB store of PORTCULLIS_APIKEYS_TABLE, or the
// seeded in-memory store for local use.
func newStore(ctx context.Context, f *config.File, h *apikey.Hasher, getenv func(string) string) (apikey.Store, error) {
	if table := getenv(dynamostore.APIKeys.EnvVar); table != "" {
		cfg, err := awsenv.Config(getenv)
		if err != nil {
			return nil, fmt.Errorf("AWS configuration: %w", err)
		}
		client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
			if e := awsenv.Endpoint(getenv, "dynamodb"); e != nil {
				o.BaseEndpoint = e
			}
		})
		return dynamostore.NewKeyStore(client, table), nil
	}
	if seed := getenv(EnvSeed); seed != "" {
		return apikey.LoadSeed(f.Resolve(seed), h, time.Now())
	}
	return nil, errors.New("no key store: set " + dynamostore.APIKeys.EnvVar + " (DynamoDB) or " + EnvSeed + " (a local seed file)")
}

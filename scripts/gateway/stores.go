package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portcullis-authz/portcullis/scripts/gateway/localgw"
	"github.com/portcullis-authz/portcullis/shared/apikey"
	"github.com/portcullis-authz/portcullis/shared/config"
	"github.com/portcullis-authz/portcullis/shared/dynamostore"
	"github.com/portcullis-authz/portcullis/shared/secret"
)

// keyStore is what the gateway uses of an API-key store: the reads of the
// authenticator, and the listing that fills the emulated API Gateway's
// API-key registry (usage key value -> usage plan) at start.
type keyStore interface {
	apikey.Store
	List(ctx context.Context, tenant string) ([]*apikey.Record, error)
}

// keyInfo is the API-key side of the gateway.
type keyInfo struct {
	store         keyStore
	authenticator *apikey.Authenticator
	usage         *localgw.APIKeys
	// Where the keys live, for the banner: "in memory" or the table.
	where string
	// seed is the seed file read ("" when none), and its keys.
	seedPath string
	seed     []apikey.SeedKey
	// seedEnv is the environment the authorizer accepts.
	env apikey.Env
	// seeded counts the keys written to DynamoDB from the seed.
	seeded int
	// endpoint and table are set for DynamoDB.
	endpoint, table string
}

// seedPath resolves --seed: none, a file, or seed.json beside the policy
// when it exists.
func seedPath(f *config.File, flagValue string) (string, bool) {
	switch flagValue {
	case "none":
		return "", false
	case "":
		p := f.Resolve("seed.json")
		if _, err := os.Stat(p); err != nil {
			return "", false
		}
		return p, true
	}
	return flagValue, true
}

// openKeys builds the API-key store (seeded memory or DynamoDB) and the
// authenticator the apikey authorizer's main builds.
func (a *app) openKeys(ctx context.Context, f *config.File, fl *serveFlags, secrets *secret.Loader) (*keyInfo, error) {
	ak := f.Authorizers.APIKey
	pepper, err := secrets.Load(ctx, ak.Pepper)
	if err != nil {
		return nil, usageErr("API-key pepper: %v", err)
	}
	h, err := apikey.NewHasher(pepper)
	if err != nil {
		return nil, usageErr("API-key pepper: %v", err)
	}
	ki := &keyInfo{env: apikey.Env(ak.Environment)}
	var seeded *apikey.MemoryStore
	if p, ok := seedPath(f, fl.seed); ok {
		ki.seedPath = p
		if seeded, ki.seed, err = loadSeed(p, h, a.now()); err != nil {
			return nil, usageErr("%v", err)
		}
		if err := checkSeed(ctx, f, seeded); err != nil {
			return nil, usageErr("seed file %s does not fit policy %s:\n  %v", p, f.Path, err)
		}
	}
	if fl.dynamoEndpoint == "" {
		ki.where = "in memory"
		ki.store = seeded
		if seeded == nil {
			ki.store = apikey.NewMemoryStore()
		}
	} else {
		if err := a.openDynamo(ctx, ki, fl, seeded); err != nil {
			return nil, err
		}
	}
	ki.authenticator, err = apikey.NewAuthenticator(ak, h, ki.store, apikey.WithClock(a.now))
	if err != nil {
		return nil, usageErr("%v", err)
	}
	// API Gateway's API keys: those the records name (created with the
	// admin CLI or seeded), and those the admin CLI creates from now on
	// through the emulated control plane.
	ki.usage = localgw.NewAPIKeys(f.UsagePlans)
	recs, err := ki.store.List(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("list API keys: %w", err)
	}
	for _, r := range recs {
		if r.UsageKey != "" && r.UsagePlan != "" {
			if err := ki.usage.Add(r.UsageKey, r.UsagePlan); err != nil {
				return nil, usageErr("key %s: %v", r.ID, err)
			}
		}
	}
	return ki, nil
}

// loadSeed reads a seed file into a memory store and returns its keys too
// (the banner shows them: they are development keys).
func loadSeed(path string, h *apikey.Hasher, now time.Time) (*apikey.MemoryStore, []apikey.SeedKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("seed file: %w", err)
	}
	store, err := apikey.ParseSeed(data, path, h, now)
	if err != nil {
		return nil, nil, err
	}
	var s apikey.Seed
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		return nil, nil, fmt.Errorf("seed file %s: %w", path, err)
	}
	return store, s.Keys, nil
}

// checkSeed reports seeded records the policy would refuse: unknown
// scopes, unknown usage plans, keys of the other environment.
func checkSeed(ctx context.Context, f *config.File, s *apikey.MemoryStore) error {
	recs, err := s.List(ctx, "")
	if err != nil {
		return err
	}
	var errs []error
	plans := map[string]bool{}
	for _, p := range f.UsagePlans {
		plans[p.Name] = true
	}
	env := apikey.Env(f.Authorizers.APIKey.Environment)
	for _, r := range recs {
		for _, sc := range r.Scopes {
			if _, ok := f.Scopes[sc]; !ok {
				errs = append(errs, fmt.Errorf("key %s: scope %q is not in the policy's scopes", r.ID, sc))
			}
		}
		if r.UsagePlan != "" && !plans[r.UsagePlan] {
			errs = append(errs, fmt.Errorf("key %s: usage plan %q is not in the policy's usage_plans", r.ID, r.UsagePlan))
		}
		if r.Env != env {
			errs = append(errs, fmt.Errorf("key %s is a %s key; the apikey authorizer accepts %s keys", r.ID, r.Env, env))
		}
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}

// openDynamo connects to the DynamoDB endpoint, creates the table when it
// is missing, and writes the seed keys it lacks.
func (a *app) openDynamo(ctx context.Context, ki *keyInfo, fl *serveFlags, seeded *apikey.MemoryStore) error {
	u, err := url.Parse(fl.dynamoEndpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return usageErr("--dynamodb-endpoint %q is not an http(s) URL", fl.dynamoEndpoint)
	}
	table := fl.table
	if table == "" {
		table = a.getenv(dynamostore.APIKeys.EnvVar)
	}
	if table == "" {
		table = dynamostore.APIKeys.Name
	}
	ki.endpoint, ki.table, ki.where = fl.dynamoEndpoint, table, fmt.Sprintf("DynamoDB table %s at %s", table, fl.dynamoEndpoint)
	db := dynamoClient(fl.dynamoEndpoint, a.getenv)
	_, err = db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	var missing *types.ResourceNotFoundException
	switch {
	case errors.As(err, &missing):
		if _, err := db.CreateTable(ctx, dynamostore.APIKeys.CreateTableInput(table)); err != nil {
			return fmt.Errorf("create table %s: %w", table, err)
		}
		w := dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) {
			o.MinDelay, o.MaxDelay = 50*time.Millisecond, time.Second
		})
		if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, time.Minute); err != nil {
			return fmt.Errorf("table %s did not become active: %w", table, err)
		}
	case err != nil:
		return fmt.Errorf("DynamoDB at %s: %w", fl.dynamoEndpoint, err)
	}
	ks := dynamostore.NewKeyStore(db, table)
	ki.store = ks
	if seeded == nil {
		return nil
	}
	recs, err := seeded.List(ctx, "")
	if err != nil {
		return err
	}
	for _, r := range recs {
		switch err := ks.Create(ctx, r); {
		case errors.Is(err, apikey.ErrExists):
		case err != nil:
			return fmt.Errorf("seed key %s into %s: %w", r.ID, table, err)
		default:
			ki.seeded++
		}
	}
	return nil
}

// dynamoClient is a client for a DynamoDB-compatible endpoint; without AWS
// credentials in the environment it uses dummy ones (local servers accept
// any).
func dynamoClient(endpoint string, getenv func(string) string) *dynamodb.Client {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		region = "us-east-1"
	}
	id, key := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || key == "" {
		id, key = "local", "local"
	}
	return dynamodb.New(dynamodb.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(id, key, getenv("AWS_SESSION_TOKEN")),
	})
}
